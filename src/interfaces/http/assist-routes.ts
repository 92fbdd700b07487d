import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { triggerFromContext } from '../../agents/assist/assist-card.js';
import type { Assist } from '../../agents/assist/assist-service.js';
import { TwinloopError } from '../../domain/errors.js';
import { ASSISTED_CHANNELS, type Channel } from '../../domain/events.js';
import type { TwinService } from '../../twin/twin-service.js';
import { ASSIST_PAGE_HTML } from '../console/assist-page.js';
import { AssistHub, type AssistHubOptions } from './assist-stream.js';
import type { RouteModule } from './route-module.js';

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
 * The assist routes: `GET /customers/:id/context`, `GET /assist/stream` (SSE: the card of every
 * interaction start on the desktop's channel), `GET /assist/cards/:customerId` and the agent
 * desktop page `GET /console/assist`. The streams end when the server closes.
 */
export function assistRoutes(twins: Pick<TwinService, 'engine'>, assist: Assist, stream: AssistHubOptions = {}): RouteModule {
  const { contexts, buildCard } = assist;
  const known = (id: string) => twins.engine.has(id) || contexts.has(id);

  return (app: FastifyInstance) => {
    const hub = new AssistHub(stream);
    const stopWatching = assist.watch({ wants: (channel) => hub.hasSubscribers(channel), receive: (card) => hub.publish(card.channel, card) });
    // Before the server waits for its connections: open streams would keep it from closing.
    app.addHook('preClose', async () => {
      stopWatching();
      hub.close();
    });
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
