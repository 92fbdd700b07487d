import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { ASSISTED_CHANNELS, type Channel } from '../../domain/events.js';
import { CustomerContextStore, type CustomerContextOptions, type InteractionStarted } from '../../twin/customer-context.js';
import type { TwinService } from '../../twin/twin-service.js';
import { ASSIST_PAGE_HTML } from '../console/assist-page.js';
import {
  buildAssistCard,
  noRecommendations,
  triggerFromContext,
  type AssistCard,
  type AssistCardOptions,
  type AssistCardSources,
  type AssistSummary,
  type AssistTrigger,
} from './assist-card.js';
import { AssistHub, type AssistHubOptions } from './assist-stream.js';
import type { RouteModule, TwinDecorator } from './server.js';

/** What the assist routes need: the twins (to tell known customers), the context, the card builder and the hub. */
export interface AssistRoutesDeps {
  readonly twins: Pick<TwinService, 'engine'>;
  readonly contexts: CustomerContextStore;
  readonly hub: AssistHub;
  /** Builds a card for a trigger (sources and options already bound). */
  readonly buildCard: (trigger: AssistTrigger) => Promise<AssistCard>;
}

const assistedChannel = z.enum(ASSISTED_CHANNELS as [Channel, ...Channel[]]);
const streamQuery = z.strictObject({
  channel: assistedChannel,
  agentId: z.string().min(1).max(128),
});
const cardQuery = z.strictObject({ channel: assistedChannel.optional() });

function parseQuery<T>(schema: z.ZodType<T>, query: unknown, example: string): T {
  const r = schema.safeParse(query ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new TwinloopError('BAD_INPUT', `${issue.path.join('.') || 'query'}: ${issue.message}; e.g. ${example}`);
}

/** Proxies (nginx) buffer responses unless told not to; SSE must flow card by card. */
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * The assist routes: `GET /customers/:id/context`, `GET /assist/stream` (SSE),
 * `GET /assist/cards/:customerId` and the agent desktop page `GET /console/assist`.
 */
export function assistRoutes(deps: AssistRoutesDeps): RouteModule {
  const { twins, contexts, hub, buildCard } = deps;
  const known = (id: string) => twins.engine.has(id) || contexts.has(id);

  return (app: FastifyInstance) => {
    app.get<{ Params: { id: string } }>('/customers/:id/context', async (request) => {
      const { id } = request.params;
      if (!known(id)) throw new TwinloopError('NOT_FOUND', `customer "${id}" not found: no twin and no interaction in the context window; check the id (GET /twins lists customers)`);
      return contexts.get(id);
    });

    app.get<{ Params: { customerId: string }; Querystring: Record<string, string> }>('/assist/cards/:customerId', async (request) => {
      const { customerId } = request.params;
      const { channel } = parseQuery(cardQuery, request.query, '/assist/cards/C1?channel=call');
      if (!twins.engine.has(customerId)) throw new TwinloopError('NOT_FOUND', `customer "${customerId}" not found; check the id (GET /twins lists customers)`);
      const now = twins.engine.eventClock || Date.now();
      return buildCard(triggerFromContext(contexts.get(customerId), ASSISTED_CHANNELS, channel, now));
    });

    app.get<{ Querystring: Record<string, string> }>('/assist/stream', async (request, reply) => {
      const { channel, agentId } = parseQuery(streamQuery, request.query, '/assist/stream?channel=call&agentId=agent-7');
      // Fastify lets go of the response: the hub writes frames straight to the socket until it closes.
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, SSE_HEADERS);
      raw.socket?.setNoDelay(true);
      const unsubscribe = hub.subscribe(channel, agentId, raw);
      raw.once('close', unsubscribe);
      raw.once('error', unsubscribe);
    });

    app.get('/console/assist', async (_request, reply) => reply.type('text/html; charset=utf-8').send(ASSIST_PAGE_HTML));
  };
}

/** Options of `startAssist`; every field has a documented default. */
export interface AssistOptions {
  /** Scores with reasons for the card's summary (the intelligence layer's `decorateTwin`); default none. */
  readonly decorateTwin?: TwinDecorator;
  /** Top actions for a customer in contact (next-best-action); default `noRecommendations`. */
  readonly recommend?: AssistCardSources['recommend'];
  /** Window and caps of the context; pass the twins' clock as `clock` so the window moves in quiet times. */
  readonly context?: CustomerContextOptions;
  readonly card?: AssistCardOptions;
  readonly stream?: AssistHubOptions;
  /** Told when a card cannot be built; default stderr. */
  readonly log?: (line: string) => void;
}

/** The assist layer running on a twin service. */
export interface Assist {
  /** Pass in the server's route modules. */
  readonly routes: RouteModule;
  readonly contexts: CustomerContextStore;
  readonly hub: AssistHub;
  /** Builds the card for a trigger now. */
  buildCard(trigger: AssistTrigger): Promise<AssistCard>;
  /** Stops listening to the intake and ends every open stream. */
  close(): void;
}

/**
 * Starts the omnichannel context on the twins' intake and pushes an assist card to the subscribed
 * desktops of a channel whenever an interaction starts on an assisted channel (call, chat, store):
 *
 *   const assist = startAssist(twins, { decorateTwin: intelligence.decorateTwin });
 *   const app = createHttpServer({ … }, [intelligence.routes, assist.routes]);
 *   …
 *   assist.close(); await app.close();
 */
export function startAssist(twins: Pick<TwinService, 'engine' | 'intake'>, options: AssistOptions = {}): Assist {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const contexts = new CustomerContextStore({ ...options.context, onListenerError: (err) => log(`assist: ${(err as Error).message}`) });
  const hub = new AssistHub(options.stream);
  const decorate = options.decorateTwin;
  const sources: AssistCardSources = {
    summary(customerId): AssistSummary | undefined {
      const view = twins.engine.view(customerId);
      // Spread: a plain copy the card owns (and an object type open to the decorations).
      return view && (decorate ? { ...view, ...decorate(view) } : { ...view });
    },
    recommend: options.recommend ?? noRecommendations,
    context: (customerId) => contexts.get(customerId),
  };
  const buildCard = (trigger: AssistTrigger) => buildAssistCard(sources, trigger, options.card);
  const assisted = new Set<Channel>(ASSISTED_CHANNELS);

  const onStarted = (started: InteractionStarted): void => {
    if (!assisted.has(started.channel) || !hub.hasSubscribers(started.channel)) return;
    const trigger: AssistTrigger = { customerId: started.customerId, channel: started.channel, reason: started.intent, at: started.at, acceptedAt: started.acceptedAt, eventId: started.eventId };
    // Built on a microtask, after every applied-listener of the batch (live re-scoring among them)
    // has run, so the card shows the twin and scores as this event left them.
    queueMicrotask(() => {
      buildCard(trigger).then(
        (card) => hub.publish(card.channel, card),
        (err: unknown) => log(`assist: no card for ${trigger.customerId} on ${trigger.channel}: ${(err as Error).message}`),
      );
    });
  };
  const stopStarted = contexts.onStarted(onStarted);
  const detach = contexts.attach(twins.intake);

  return {
    routes: assistRoutes({ twins, contexts, hub, buildCard }),
    contexts,
    hub,
    buildCard,
    close() {
      detach();
      stopStarted();
      hub.close();
    },
  };
}

const err = { $ref: '#/components/schemas/Error' };
const ok = (description: string, type = 'application/json') => ({ description, content: { [type]: { schema: type === 'application/json' ? { type: 'object' } : { type: 'string' } } } });
const channelParam = (required: boolean) => ({ name: 'channel', in: 'query', required, schema: { type: 'string', enum: ASSISTED_CHANNELS } });

/** The assist paths for the OpenAPI document (merge into `openApiDocument().paths`); see docs/assist.md. */
export const ASSIST_OPENAPI_PATHS = {
  '/customers/{id}/context': {
    get: {
      summary: "A customer's context across channels: latest interaction per channel (updates merged) and the recent timeline, within 24 h",
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { 200: ok('The context (empty for a quiet customer)'), 404: { description: 'Unknown customer', content: { 'application/json': { schema: err } } } },
    },
  },
  '/assist/stream': {
    get: {
      summary: 'Server-sent events for an agent desktop: a `card` event whenever an interaction starts on the channel; heartbeats every 15 s',
      parameters: [channelParam(true), { name: 'agentId', in: 'query', required: true, schema: { type: 'string', maxLength: 128 } }],
      responses: { 200: ok('The event stream', 'text/event-stream'), 400: { description: 'Bad channel or agentId', content: { 'application/json': { schema: err } } } },
    },
  },
  '/assist/cards/{customerId}': {
    get: {
      summary: "The assist card as it would be built now (for a desktop joining mid-interaction): twin summary with scores, top actions, other channels' context",
      parameters: [{ name: 'customerId', in: 'path', required: true, schema: { type: 'string' } }, channelParam(false)],
      responses: { 200: ok('The card'), 400: { description: 'Bad channel', content: { 'application/json': { schema: err } } }, 404: { description: 'Unknown customer', content: { 'application/json': { schema: err } } } },
    },
  },
  '/console/assist': { get: { summary: 'The agent desktop page (HTML, EventSource)', responses: { 200: ok('HTML page', 'text/html') } } },
} as const;
