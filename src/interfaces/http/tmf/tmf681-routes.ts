import type { FastifyRequest } from 'fastify';
import type { EventOf } from '../../../domain/events.js';
import { NOTIFICATION_CHANNELS, type NotificationChannel } from '../../../domain/connectors/notifications.js';
import { CHANNELS } from '../../../domain/events.js';
import { TwinloopError } from '../../../domain/errors.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { actorFor, requireActionChannel, requireCustomer } from '../http-auth.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, sendCreated, tmfErrors, tmfReadRoutes, partyCustomer } from './tmf-common.js';
import { TMF629_BASE } from './tmf629-mapping.js';
import { tmfSchema } from './tmf-spec.js';

type Json = Record<string, unknown>;

/** The base path of TMF681 (its specification's `basePath`, without the trailing slash). */
export const TMF681_BASE = '/tmf-api/communicationManagement/v4';
const PURPOSES = ['service', 'care', 'marketing', 'retention'] as const;
/** What a message sent through the policy answers as its TMF681 state. */
const STATE_OF_STATUS: Record<string, string> = { executed: 'completed', 'pending-approval': 'initial', failed: 'failed' };

const charOf = (body: Json, name: string): unknown => (Array.isArray(body.characteristic) ? (body.characteristic as Json[]).find((c) => c.name === name)?.value : undefined);

/** A message the operator sent (an `action` event of class communication on the customer's timeline) as a TMF681 CommunicationMessage. */
export function messageOf(customerId: string, time: string, a: EventOf<'action'>['data'], root: string, customerRoot: string): Json {
  const id = `${customerId}:${a.requestId}`;
  return {
    id,
    href: `${root}/communicationMessage/${encodeURIComponent(id)}`,
    messageType: a.notificationChannel ?? 'sms',
    state: a.status === 'failed' ? 'failed' : 'completed',
    sendTime: time,
    ...(a.status === 'failed' ? {} : { sendTimeComplete: time }),
    ...(a.reason ? { description: a.reason } : {}),
    receiver: [{ id: customerId, party: { id: customerId, href: `${customerRoot}/customer/${customerId}`, '@referredType': 'Customer' } }],
    sender: { id: 'twinloop', name: 'Twinloop' },
    characteristic: [
      { name: 'purpose', value: a.purpose ?? 'care' },
      { name: 'channel', value: a.channel },
      { name: 'actionRequestId', value: a.requestId },
      ...(a.ref ? [{ name: 'backendReference', value: a.ref }] : []),
    ],
    '@type': 'CommunicationMessage',
  };
}

/** The action request a TMF681 CommunicationMessage_Create asks for: a `communication` to its one receiver, for its purpose. */
function requestOf(body: Json): { customerId: string; channel: (typeof CHANNELS)[number]; notificationChannel: NotificationChannel; purpose: (typeof PURPOSES)[number]; templateId?: string; content: string; summary: string } {
  const receivers = body.receiver as Json[];
  const customerId = receivers[0]?.id;
  if (receivers.length !== 1 || typeof customerId !== 'string') throw new TwinloopError('BAD_INPUT', 'receiver: one receiver whose id is the customer ({"id": "C000123"})');
  const type = String(body.messageType).toLowerCase().replace(/[- ]/g, '_');
  const notificationChannel = NOTIFICATION_CHANNELS.find((c) => c === type && c !== 'human_task');
  if (!notificationChannel) throw new TwinloopError('BAD_INPUT', `messageType: "${String(body.messageType)}" is not one of sms, email, push, in_app`);
  // Required, as the only word on whether the message is marketing: one sent without it passed as
  // care, which needs no marketing consent, and an offer reached a customer who never consented.
  const purpose = charOf(body, 'purpose');
  if (purpose === undefined) throw new TwinloopError('BAD_INPUT', `characteristic purpose: required, why the message is sent, one of ${PURPOSES.join(', ')} (marketing and retention need the customer's marketing consent): {"characteristic": [{"name": "purpose", "value": "marketing"}]}`);
  if (!PURPOSES.includes(purpose as (typeof PURPOSES)[number])) throw new TwinloopError('BAD_INPUT', `characteristic purpose: "${String(purpose)}" is not one of ${PURPOSES.join(', ')}`);
  const channel = charOf(body, 'channel') ?? 'app';
  if (!CHANNELS.includes(channel as (typeof CHANNELS)[number])) throw new TwinloopError('BAD_INPUT', `characteristic channel: "${String(channel)}" is not one of ${CHANNELS.join(', ')}`);
  const templateId = charOf(body, 'templateId');
  return {
    customerId,
    channel: channel as (typeof CHANNELS)[number],
    notificationChannel,
    purpose: purpose as (typeof PURPOSES)[number],
    ...(typeof templateId === 'string' ? { templateId } : {}),
    content: String(body.content),
    summary: typeof body.subject === 'string' && body.subject !== '' ? body.subject : `TMF681 ${notificationChannel} message (${String(purpose)})`,
  };
}

/**
 * TMF681 Communication v4 at `/tmf-api/communicationManagement/v4/`: the messages the operator
 * sent a customer (every flow's and person's, read from the `action` events on the customer's
 * timeline), and new ones, which are actions like any other: `POST communicationMessage` asks the
 * action policy for a `communication` as the caller (consent, contact frequency, quiet hours and
 * approvals included) and is refused 403 with the policy's reason when it may not be sent.
 */
export function tmf681Routes(s: Pick<OperatorServices, 'twins' | 'guarded'>): RouteModule {
  const root = (req: FastifyRequest) => apiRoot(req, TMF681_BASE);
  const customerRoot = (req: FastifyRequest) => apiRoot(req, TMF629_BASE);
  const messagesOf = async (req: FastifyRequest, customerId: string): Promise<Json[]> => {
    const out: Json[] = [];
    // While a first start's history is not in the log yet (written behind, then sealed: decision
    // 0021, 0027; half an hour on the default world) the messages are read from its end on: every
    // message the operator sent comes after it (acts on the world are held while it goes through the
    // intake, none before), so none is left out. It answered 503 "ask again in 900 s" meanwhile.
    const head = await s.twins.history.timelineForReading(customerId, { limit: 1 });
    const from = head.history ? head.history.historyEndSeq : 0;
    if (from === null) return out;
    for await (const e of s.twins.history.entries(customerId, undefined, from)) if (e.event.kind === 'action' && e.event.data.actionClass === 'communication' && (e.event.data.status === 'delivered' || e.event.data.status === 'failed')) out.push(messageOf(customerId, e.time, e.event.data, root(req), customerRoot(req)));
    return out;
  };
  return (app) => {
    app.post(
      `${TMF681_BASE}/communicationMessage`,
      {
        schema: {
          summary: 'TMF681: send a message to a customer (messageType sms, email, push or in_app; characteristic purpose, required, and channel): an action under the action policy, consent included, judged on the channel it goes out on; 403 with the reason when refused',
          body: tmfSchema('TMF681', 'CommunicationMessage_Create'),
          response: { 201: tmfSchema('TMF681', 'CommunicationMessage'), ...tmfErrors('TMF681', 400, 403, 404) },
        },
      },
      async (req, reply) => {
        const body = req.body as Json;
        const r = requestOf(body);
        const asked = {
          actionClass: 'communication',
          channel: r.channel,
          customerId: r.customerId,
          params: { notificationChannel: r.notificationChannel, purpose: r.purpose, body: r.content, ...(r.templateId ? { templateId: r.templateId } : {}) },
          why: { summary: r.summary },
          actor: actorFor(req),
        };
        requireActionChannel(req, asked);
        requireCustomer(req, r.customerId);
        const result = await s.guarded.execute(asked);
        const state = STATE_OF_STATUS[result.status];
        if (!state) throw new TwinloopError('POLICY_DENIED', `the action policy answered ${result.status}: ${result.reason}`);
        // No sendTime here: the time a message went is the back end's, dated in the operator's clock on the timeline (GET reads it).
        const id = `${r.customerId}:${result.requestId}`;
        const message: Json = {
          ...body,
          id,
          href: `${root(req)}/communicationMessage/${encodeURIComponent(id)}`,
          messageType: r.notificationChannel,
          state,
          description: result.reason,
          characteristic: [
            { name: 'purpose', value: r.purpose },
            { name: 'channel', value: r.channel },
            { name: 'actionRequestId', value: result.requestId },
            ...(result.approvalId ? [{ name: 'approvalId', value: result.approvalId }] : []),
            ...(r.templateId ? [{ name: 'templateId', value: r.templateId }] : []),
          ],
          '@type': 'CommunicationMessage',
        };
        return sendCreated(reply, message);
      },
    );
    tmfReadRoutes(app, {
      api: 'TMF681',
      base: TMF681_BASE,
      collection: 'communicationMessage',
      definition: 'CommunicationMessage',
      customerOf: partyCustomer,
      all: async (req) => {
        const receiver = (req.query as Json)['receiver.id'];
        if (receiver === undefined) throw new TwinloopError('BAD_INPUT', 'receiver.id: name the customer(s) whose messages to list (receiver.id=C000123), read from their timelines');
        const ids = [receiver].flat().flatMap((p) => String(p).split(','));
        return (await Promise.all(ids.map((id) => messagesOf(req, id)))).flat();
      },
      one: async (req, id) => {
        const customerId = id.slice(0, Math.max(0, id.indexOf(':')));
        return customerId ? (await messagesOf(req, customerId)).find((m) => m.id === id) : undefined;
      },
    });
  };
}
