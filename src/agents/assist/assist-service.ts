import { ASSISTED_CHANNELS, type Channel } from '../../domain/events.js';
import { RecentMap } from '../../domain/recent-map.js';
import { CustomerContextStore, type CustomerContextOptions, type InteractionStarted } from '../../twin/customer-context.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { TwinView } from '../../twin/twin-view.js';
import { buildAssistCard, noRecommendations, stagedBy, type AssistAction, type AssistCard, type AssistCardOptions, type AssistCardSources, type AssistSummary, type AssistTrigger, type RecommendRequest } from './assist-card.js';

/** Options of `startAssist`; every field has a documented default. */
export interface AssistOptions {
  /** Scores with reasons for the card's summary (the intelligence layer's `decorateTwin`); default none. */
  readonly decorateTwin?: (view: TwinView) => Record<string, unknown>;
  /** Top actions for a customer in contact (next-best-action); default `noRecommendations`. */
  readonly recommend?: AssistCardSources['recommend'];
  /**
   * Whether a card's decision may still be acted on (its answer window not over): a card built
   * again for the same interaction shows that decision, not a new one, while it is. Default: always.
   */
  readonly decisionOpen?: (decisionId: string) => boolean;
  /**
   * Which of a kept decision's actions the customer may still be offered now (true), read once per
   * card built again: consent withdrawn, an SMS opted out of or an eligibility lost since the first
   * card drops the action from the card (the executor would refuse its acceptance). Default: every one.
   */
  readonly stillAllowed?: (customerId: string, request: RecommendRequest) => (action: AssistAction) => boolean;
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

/**
 * The interaction a card's decision was made in: the card's channel and its interaction's start
 * (event time, ms), or `startedAt` null for a card opened with none in progress (by the customer's id).
 */
export interface CardContact {
  readonly channel: Channel;
  readonly startedAt: number | null;
}

/**
 * Cards' decisions remembered with their interaction: as many as the decision service keeps to be
 * accepted (an older one is accepted from the log no more, so its contact is not needed either).
 */
const CARD_DECISIONS = 5_000;

/** Interactions whose card's actions are kept for a card built again: about the cards' decisions remembered. */
const CARD_INTERACTIONS = CARD_DECISIONS;

/** The interaction a card is built for: its customer, channel and start (`none` for a card asked for with none in progress). */
const interactionKey = (trigger: AssistTrigger) => `${trigger.customerId}\u0000${trigger.channel}\u0000${trigger.inProgress === false ? 'none' : trigger.at}`;

/** The assist service running on a twin service. */
export interface Assist {
  readonly contexts: CustomerContextStore;
  /** The interaction the decision of a card built here was made in; undefined for another decision (POST /decisions) or one forgotten. */
  contactOf(decisionId: string): CardContact | undefined;
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
  // Its `recommend` is the interaction's (recommendOnce, below).
  const sources: Omit<AssistCardSources, 'recommend'> = {
    summary(customerId): AssistSummary | undefined {
      const view = twins.engine.view(customerId);
      // Spread: a plain copy the card owns (and an object type open to the decorations).
      return view && (decorate ? { ...view, ...decorate(view) } : { ...view });
    },
    context: (customerId) => contexts.get(customerId),
    ...(options.earlier ? { earlier: options.earlier } : {}),
  };
  const cardDecisions = new RecentMap<string, CardContact>(CARD_DECISIONS);
  // One decision per interaction: a card opened again on the same call shows the actions (and the
  // decision) of its first card while that decision is open. Each load made a new decision, so a
  // reopened card listed the agent's own earlier view as a recommendation nobody acted on.
  // The promise is kept, not its result: two cards built at once for one interaction (the stream's
  // and a desktop's GET) share the one decision, where each missed the other's and decided again.
  const interactionActions = new RecentMap<string, Promise<readonly AssistAction[]>>(CARD_INTERACTIONS);
  const recommend = options.recommend ?? noRecommendations;
  const decisionOpen = options.decisionOpen ?? (() => true);
  const stillAllowed = options.stillAllowed;
  const recommendOnce = (trigger: AssistTrigger): AssistCardSources['recommend'] => async (customerId, request) => {
    const key = interactionKey(trigger);
    for (;;) {
      const kept = interactionActions.get(key);
      if (!kept) break;
      const actions = await kept.catch(() => undefined);
      // Replaced while this one waited (a later build found it closed): look at the new one.
      if (interactionActions.get(key) !== kept) continue;
      if (!actions || !actions.every((a) => a.decisionId === undefined || decisionOpen(a.decisionId))) break;
      // What was allowed at the first card may not be now (the customer opted out meanwhile).
      if (!stillAllowed) return actions;
      const allowed = stillAllowed(customerId, request);
      return actions.filter((a) => allowed(a));
    }
    const made = (async () => recommend(customerId, request))();
    interactionActions.set(key, made);
    return made;
  };
  // Each card's decision is remembered with the interaction it was made in: accepting its action is
  // the customer's yes only while that interaction goes on (customer-yes.ts).
  const buildCard = async (trigger: AssistTrigger) => {
    const card = await buildAssistCard({ ...sources, recommend: recommendOnce(trigger) }, trigger, options.card);
    const contact: CardContact = { channel: card.channel, startedAt: card.inProgress ? trigger.at : null };
    for (const a of card.actions) if (a.decisionId) cardDecisions.set(a.decisionId, contact);
    return card;
  };
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
    contactOf: (decisionId) => cardDecisions.get(decisionId),
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
