import { z } from 'zod';
import type { LiveScoring } from '../../../intelligence/live/live-scoring.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { idParams } from '../api-schemas.js';
import { actorFor } from '../http-auth.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, tmfErrors } from './tmf-common.js';
import type { TmfHub } from './tmf-hub.js';
import { catalogueSource, intakeSources, intentSource } from './tmf-hub-sources.js';
import { DEFAULT_RISK_THRESHOLD, TMF688_BASE } from './tmf688-risk-watch.js';
import { TMF620_BASE } from './tmf620-mapping.js';
import { TMF621_BASE } from './tmf621-mapping.js';
import { TMF629_BASE, TMF637_BASE } from './tmf629-mapping.js';
import { TMF642_BASE, toTmfAlarm } from './tmf642-mapping.js';
import { isOrderRun, ORDER_PREFIX, TMF622_BASE, toTmfOrder } from './tmf622-routes.js';
import { TMF681_BASE } from './tmf681-routes.js';
import { TMF921_BASE } from './tmf921-mapping.js';
import { tmfSchema } from './tmf-spec.js';

/** The hubs served, by key: each API's base path. */
export const HUB_BASES = { TMF620: TMF620_BASE, TMF621: TMF621_BASE, TMF622: TMF622_BASE, TMF629: TMF629_BASE, TMF637: TMF637_BASE, TMF642: TMF642_BASE, TMF681: TMF681_BASE, TMF688: TMF688_BASE, TMF921: TMF921_BASE } as const;

/**
 * The notification hubs at `…/hub` of TMF620 (offerings), TMF621 (trouble tickets), TMF622
 * (orders), TMF629 (customers), TMF637 (products), TMF642 (alarms), TMF681 (messages), TMF921 v5
 * (intents and their reports: the v5 `Hub` resource answers a registration) and the
 * TMF688-style event hub (`/tmf-api/eventManagement/v4/hub`: a customer's churn risk crossing a
 * threshold), one mechanism for all (tmf-hub.ts), their event sources (tmf-hub-sources.ts, and
 * here the alarm inbox and the order runs), and the dead letters (`GET /notifications/dead-letters`).
 * See docs/tmf.md.
 */
export function tmfHubRoutes(hub: TmfHub, s: Pick<OperatorServices, 'twins' | 'alarms' | 'workflows' | 'decisions' | 'intents'>, live: () => LiveScoring | null): RouteModule {
  const subscriptionSchema = tmfSchema('TMF621', 'EventSubscription');
  const v5Hub = tmfSchema('TMF921', 'Hub');
  // The state each order was last told in (a new order is told as created); forgotten once final.
  const orderStates = new Map<string, string>();
  const tellOrder = async (runId: string) => {
    const run = await s.workflows.get(runId);
    if (!run || !isOrderRun(run)) return;
    const state = String(toTmfOrder(run, '', '').state);
    const last = orderStates.get(runId);
    if (last === state) return;
    if (['completed', 'rejected', 'failed', 'cancelled'].includes(state)) orderStates.delete(runId);
    else orderStates.set(runId, state);
    hub.publish('TMF622', last === undefined ? 'ProductOrderCreateEvent' : 'ProductOrderStateChangeEvent', (sub) => ({ productOrder: toTmfOrder(run, sub.root, sub.root.replace(TMF622_BASE, TMF629_BASE)) }));
  };
  return (app) => {
    app.addHook('onReady', async () => hub.load());
    // Sources: detached when the server closes.
    const detach = [
      catalogueSource(hub, s.decisions),
      intakeSources(hub, s, live),
      intentSource(hub, s.intents),
      s.alarms.subscribe((alarm) => {
        if (!hub.listening('TMF642')) return;
        const record = s.alarms.get(alarm.id);
        if (!record) return;
        const eventType = record.state === 'raised' ? 'AlarmCreateEvent' : record.state === 'cleared' ? 'AlarmStateChangeEvent' : 'AlarmAttributeValueChangeEvent';
        hub.publish('TMF642', eventType, (sub) => ({ alarm: toTmfAlarm(record, sub.root) }));
      }),
      // Orders: every step, wait or end of an order's run may move its TMF622 state.
      s.workflows.subscribe((e) => {
        if (e.type === 'step-starting' || !e.runId.startsWith(ORDER_PREFIX) || !hub.listening('TMF622')) return;
        void tellOrder(e.runId).catch(() => undefined);
      }),
    ];
    app.addHook('onClose', async () => {
      for (const d of detach) d();
      await hub.close();
    });

    for (const [api, base] of Object.entries(HUB_BASES)) {
      // v5 (TMF921) answers the `Hub` resource (typed, with its href); v4 the EventSubscription.
      const v5 = api === 'TMF921';
      app.post(
        `${base}/hub`,
        {
          schema: {
            summary: `${api}: register a listener: its callback receives every event of this API (the query \`eventType=A,B\` picks some${api === 'TMF688' ? `; \`threshold=0.3\`: a churn risk crossing it, default ${DEFAULT_RISK_THRESHOLD}` : ''}), retried, then parked in GET /notifications/dead-letters`,
            // TMF EventSubscriptionInput (the same in every API's specification), written out: the
            // generated one would share its OpenAPI name with the answer's and collide there.
            body: z.looseObject({ callback: z.string().min(1).describe('The URL events are POSTed to'), query: z.string().optional().describe('eventType=A,B (and threshold= on the TMF688 hub)') }),
            response: { 201: v5 ? v5Hub : subscriptionSchema, ...tmfErrors(v5 ? 'TMF921' : 'TMF621', 400) },
          },
        },
        async (req, reply) => {
          const body = req.body as { callback: string; query?: string };
          const sub = await hub.register(api, { callback: body.callback, query: body.query, root: apiRoot(req, base), by: actorFor(req).id });
          const href = `${apiRoot(req, base)}/hub/${sub.id}`;
          void reply.header('Location', href);
          return reply.status(201).send({ id: sub.id, ...(v5 ? { href, '@type': 'Hub' } : {}), callback: sub.callback, ...(sub.query ? { query: sub.query } : {}) });
        },
      );
      app.delete(
        `${base}/hub/:id`,
        { schema: { summary: `${api}: unregister a listener`, params: idParams, response: { 204: z.undefined().describe('Unregistered'), ...tmfErrors(v5 ? 'TMF921' : 'TMF621', 404) } } },
        async (req, reply) => {
          await hub.remove(api, req.params.id);
          return reply.status(204).send();
        },
      );
    }
    app.get(
      '/notifications/dead-letters',
      {
        schema: {
          summary: 'The TMF hub events no callback took after every attempt, newest first, with the error',
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: z.object({ items: z.array(z.object({ id: z.string(), subscriptionId: z.string(), callback: z.string(), eventId: z.string(), eventType: z.string(), attempts: z.number(), error: z.string(), at: z.string(), body: z.unknown() })) }) },
        },
      },
      async (req) => ({ items: (await hub.deadLetters()).slice(0, req.query.limit) }),
    );
  };
}
