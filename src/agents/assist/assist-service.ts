import { ASSISTED_CHANNELS, type Channel } from '../../domain/events.js';
import { CustomerContextStore, type CustomerContextOptions, type InteractionStarted } from '../../twin/customer-context.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { TwinView } from '../../twin/twin-view.js';
import { buildAssistCard, noRecommendations, stagedBy, type AssistCard, type AssistCardOptions, type AssistCardSources, type AssistSummary, type AssistTrigger } from './assist-card.js';

/** Options of `startAssist`; every field has a documented default. */
export interface AssistOptions {
  /** Scores with reasons for the card's summary (the intelligence layer's `decorateTwin`); default none. */
  readonly decorateTwin?: (view: TwinView) => Record<string, unknown>;
  /** Top actions for a customer in contact (next-best-action); default `noRecommendations`. */
  readonly recommend?: AssistCardSources['recommend'];
  /** What came of the customer's earlier decisions (`earlier-decisions.ts`); default none shown. */
  readonly earlier?: AssistCardSources['earlier'];
  /** Window and caps of the context; pass the twins' clock as `clock` so the window moves in quiet times. */
  readonly context?: CustomerContextOptions;
  readonly card?: AssistCardOptions;
  /** Told when a card cannot be built; default stderr. */
  readonly log?: (line: string) => void;
}

/** Who receives the cards of interaction starts, and on which channels it wants them. */
export interface CardWatcher {
  /** Whether anyone wants a card for this channel now (cards nobody wants are not built). */
  wants(channel: Channel): boolean;
  receive(card: AssistCard): void;
}

/** The assist service running on a twin service. */
export interface Assist {
  readonly contexts: CustomerContextStore;
  /** Builds the card for a trigger now. */
  buildCard(trigger: AssistTrigger): Promise<AssistCard>;
  /** Hands the card of every interaction start on an assisted channel to `watcher`; returns the unsubscribe. */
  watch(watcher: CardWatcher): () => void;
  /** Stops listening to the intake. */
  close(): void;
}

/**
 * Starts the omnichannel context on the twins' intake and builds an assist card whenever an
 * interaction starts on an assisted channel (call, chat, store) for which a watcher (the desktops'
 * stream) wants one:
 *
 *   const assist = startAssist(twins, { decorateTwin: intelligence.decorateTwin });
 *   const stop = assist.watch({ wants: (ch) => …, receive: (card) => … });
 *   …
 *   stop(); assist.close();
 */
export function startAssist(twins: Pick<TwinService, 'engine' | 'intake'>, options: AssistOptions = {}): Assist {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const contexts = new CustomerContextStore({ ...options.context, onListenerError: (err) => log(`assist: ${(err as Error).message}`) });
  const decorate = options.decorateTwin;
  const sources: AssistCardSources = {
    summary(customerId): AssistSummary | undefined {
      const view = twins.engine.view(customerId);
      // Spread: a plain copy the card owns (and an object type open to the decorations).
      return view && (decorate ? { ...view, ...decorate(view) } : { ...view });
    },
    recommend: options.recommend ?? noRecommendations,
    context: (customerId) => contexts.get(customerId),
    ...(options.earlier ? { earlier: options.earlier } : {}),
  };
  const buildCard = (trigger: AssistTrigger) => buildAssistCard(sources, trigger, options.card);
  const assisted = new Set<Channel>(ASSISTED_CHANNELS);
  const watchers = new Set<CardWatcher>();

  const onStarted = (started: InteractionStarted): void => {
    if (!assisted.has(started.channel)) return;
    const wanting = [...watchers].filter((w) => w.wants(started.channel));
    if (wanting.length === 0) return;
    const trigger: AssistTrigger = { customerId: started.customerId, channel: started.channel, reason: started.intent, at: started.at, acceptedAt: started.acceptedAt, eventId: started.eventId, staged: stagedBy(started.context) };
    // Built on a microtask, after every applied-listener of the batch (live re-scoring among them)
    // has run, so the card shows the twin and scores as this event left them.
    queueMicrotask(() => {
      buildCard(trigger).then(
        (card) => {
          for (const w of wanting) w.receive(card);
        },
        (err: unknown) => log(`assist: no card for ${trigger.customerId} on ${trigger.channel}: ${(err as Error).message}`),
      );
    });
  };
  const stopStarted = contexts.onStarted(onStarted);
  const detach = contexts.attach(twins.intake);

  return {
    contexts,
    buildCard,
    watch(watcher) {
      watchers.add(watcher);
      return () => void watchers.delete(watcher);
    },
    close() {
      detach();
      stopStarted();
      watchers.clear();
    },
  };
}
