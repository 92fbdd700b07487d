import { z } from 'zod';
import { triggerFromContext } from '../../agents/assist/assist-card.js';
import { DECISION_RESULTS } from '../../store/record-store.js';
import type { Assist } from '../../agents/assist/assist-service.js';
import { TwinloopError } from '../../domain/errors.js';
import { ASSISTED_CHANNELS, channelSchema, type Channel } from '../../domain/events.js';
import type { TwinService } from '../../twin/twin-service.js';
import { errors, isoTime, jsonObject, list } from './api-schemas.js';
import { AssistHub, type AssistHubOptions } from './assist-stream.js';
import type { RouteModule } from './route-module.js';
import { twinAnswer } from './twin-schemas.js';

const assistedChannel = z.enum(ASSISTED_CHANNELS as [Channel, ...Channel[]]);
const streamQuery = z.strictObject({ channel: assistedChannel, agentId: z.string().min(1).max(128) }).meta({ examples: [{ channel: 'call', agentId: 'agent-7' }] });
const cardQuery = z.strictObject({ channel: assistedChannel.optional() }).meta({ examples: [{ channel: 'call' }] });
const customerParams = z.object({ customerId: z.string().min(1).max(128) });

const interaction = z.object({
  intent: z.string(),
  phase: z.enum(['start', 'update', 'end']),
  context: jsonObject,
  at: isoTime,
  startedAt: isoTime,
  endsBy: isoTime.describe("When it counts as over should its end never be seen: the event's endsBy, else 2 h after its latest event (start or update)"),
  inProgress: z.boolean().describe('Whether it goes on now: its end not seen, no later one begun on its channel, its endsBy not passed (a person on the line: the desktop offers Accept, the customer\'s yes is booked, only then)'),
});
const customerContext = z.object({
  customerId: z.string(),
  updatedAt: isoTime.nullable(),
  channels: z.partialRecord(channelSchema, interaction).describe('The latest interaction per channel, updates merged'),
  timeline: list(interaction.extend({ channel: channelSchema, eventId: z.string() })),
});
const assistCard = z.object({
  cardId: z.string(),
  customerId: z.string(),
  channel: channelSchema,
  reason: z.string().describe("The interaction's intent"),
  eventId: z.string().nullable(),
  at: isoTime,
  acceptedAt: isoTime.nullable().describe('When the intake applied the start; null for a card asked for'),
  builtAt: isoTime,
  summary: twinAnswer.nullable(),
  actions: list(
    z.object({
      actionId: z.string(),
      name: z.string().optional(),
      treatment: z.string().optional(),
      expectedValue: z.number(),
      score: z.number().optional(),
      reasons: list(z.string()),
      decisionId: z.string().optional().describe('Accept posts to /decisions/{decisionId}/accept'),
    }),
  ),
  otherChannels: list(z.object({ channel: channelSchema, intent: z.string(), phase: z.enum(['start', 'update', 'end']), context: jsonObject, startedAt: isoTime, at: isoTime })),
  staged: z.string().nullable().describe("What staged the interaction (its context's `staged`, e.g. the scenario care-example), null for the world's own: the stream and the desktop keep its card until the agent takes it"),
  inProgress: z.boolean().describe('Whether the interaction is open; false for a card asked for when none is on the channel (its reason is then `unknown` and its `at` when it was asked)'),
  earlier: z
    .object({
      decisions: list(
        z.object({
          decisionId: z.string(),
          at: isoTime,
          channel: channelSchema,
          reason: z.string().nullable().describe('Why the customer was in contact, as the decision logged it'),
          chosen: z.string().describe('The action next-best-action chose first'),
          expiresAt: isoTime.describe('The end of its answer window'),
          state: z.enum(['answered', 'declined', 'awaiting-approval', 'approval-decided', 'open', 'expired']),
          actionId: z.string().nullable().describe('The ranked action acted on (accepted, declined, carried out)'),
          result: z.enum(DECISION_RESULTS).nullable(),
          resultAt: isoTime.nullable(),
          approval: z.object({ id: z.string(), status: z.string(), decidedBy: z.string().nullable() }).nullable(),
        }),
      ),
      notActedOn: z.number().int().describe('Other decisions of the look-back (14 days) nobody acted on, open or expired'),
    })
    .describe("What came of the customer's earlier decisions of next-best-action (the card's own left out), newest first: those acted on or answered, or with none, the last one, said open or expired"),
});

/** A desktop joining mid-shift sees at most this many open interactions: the newest, a screenful. */
const OPEN_CARDS_ON_JOIN = 8;

/** Proxies (nginx) buffer responses unless told not to; SSE must flow card by card. */
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * The assist routes: `GET /customers/:id/context`, `GET /assist/stream` (SSE: the card of every
 * interaction start on the desktop's channel, first those open when the desktop joins) and
 * `GET /assist/cards/:customerId`. The agent desktop itself is a page of the console
 * (`/console/assist`, console-routes.ts). The streams end when the server closes.
 */
export function assistRoutes(twins: Pick<TwinService, 'engine'>, assist: Assist, stream: AssistHubOptions = {}): RouteModule {
  const { contexts, buildCard } = assist;
  const known = (id: string) => twins.engine.has(id) || contexts.has(id);

  return (app) => {
    const hub = new AssistHub(stream);
    const stopWatching = assist.watch({ wants: (channel) => hub.hasSubscribers(channel), receive: (card) => hub.publish(card.channel, card, { keep: card.staged !== null }) });
    // Before the server waits for its connections: open streams would keep it from closing.
    app.addHook('preClose', async () => {
      stopWatching();
      hub.close();
    });

    app.get(
      '/customers/:id/context',
      {
        schema: {
          summary: "A customer's context across channels: latest interaction per channel (updates merged) and the recent timeline, within 24 h",
          params: z.object({ id: z.string().min(1).max(128) }),
          response: { 200: customerContext, ...errors(404) },
        },
      },
      async (request) => {
        const { id } = request.params;
        if (!known(id)) throw new TwinloopError('NOT_FOUND', `customer "${id}" not found: no twin and no interaction in the context window; check the id (GET /twins lists customers)`);
        return contexts.get(id);
      },
    );

    app.get(
      '/assist/cards/:customerId',
      {
        schema: {
          summary: "The assist card as it would be built now (for a desktop joining mid-interaction): twin summary with scores, top actions, other channels' context",
          params: customerParams,
          querystring: cardQuery,
          response: { 200: assistCard, ...errors(400, 404) },
        },
      },
      async (request) => {
        const { customerId } = request.params;
        if (!twins.engine.has(customerId)) throw new TwinloopError('NOT_FOUND', `customer "${customerId}" not found; check the id (GET /twins lists customers)`);
        const now = twins.engine.eventClockOrNow();
        const card = await buildCard(triggerFromContext(contexts.get(customerId), ASSISTED_CHANNELS, request.query.channel, now));
        // The card types its summary loosely (any decorated twin); here it is the twin as GET /twins/:id answers it.
        return card as typeof card & { summary: z.output<typeof twinAnswer> | null };
      },
    );

    app.get(
      '/assist/stream',
      {
        schema: {
          summary: 'Server-sent events for an agent desktop: a `card` event (an assist card) for each interaction open on the channel when the desktop joins, then whenever one starts; heartbeats every 15 s',
          querystring: streamQuery,
          response: { 200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errors(400) },
        },
      },
      async (request, reply) => {
        const { channel, agentId } = request.query;
        // Fastify lets go of the response: the hub writes frames straight to the socket until it closes.
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, SSE_HEADERS);
        raw.socket?.setNoDelay(true);
        const unsubscribe = hub.subscribe(channel, agentId, raw);
        raw.once('close', unsubscribe);
        raw.once('error', unsubscribe);
        // A desktop joining mid-interaction sees the cards of the interactions open on its channel now.
        const now = twins.engine.eventClockOrNow();
        for (const { customerId } of contexts.openOn(channel, OPEN_CARDS_ON_JOIN)) {
          buildCard(triggerFromContext(contexts.get(customerId), ASSISTED_CHANNELS, channel, now)).then(
            (card) => hub.deliver(raw, card),
            (err: unknown) => request.log.warn(`assist: no card for ${customerId} on joining: ${(err as Error).message}`),
          );
        }
      },
    );
  };
}
