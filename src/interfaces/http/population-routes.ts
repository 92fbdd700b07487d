import { z } from 'zod';
import type { Intelligence } from '../../intelligence/live/live-intelligence.js';
import { populationRisk } from '../../intelligence/live/population-risk.js';
import type { TwinService } from '../../twin/twin-service.js';
import { isoTime, list } from './api-schemas.js';
import type { RouteModule } from './route-module.js';

const populationAnswer = z.object({
  asOf: isoTime.nullable().describe('The event clock: the latest event time applied, null before the first event'),
  twins: z.number().int(),
  risk: z
    .object({
      scored: z.number().int().describe('Customers in the scored population (an active or suspended plan, not churned)'),
      horizonDays: z.number().int(),
      modelId: z.string().describe('The churn model serving the scores'),
      bands: list(z.object({ from: z.number(), to: z.number().nullable(), customers: z.number().int() })).describe('Customers by churn probability within the horizon: from ≤ churn < to'),
      expectedChurners: z.number().describe('Sum of churn probabilities over the scored population'),
      valueAtRisk: z.number().describe('Sum of churn probability × expected lifetime value'),
      lifetimeValue: z.number().describe('Sum of expected lifetime value'),
    })
    .nullable()
    .describe('Null until a churn model serves'),
  note: z.string().optional().describe('Why `risk` is null'),
});

/**
 * `GET /population`: the population at a glance, what the console's overview opens with: how many
 * twins, the churn-risk distribution from the live scores, expected churners and the value at risk.
 */
export function populationRoutes(twins: Pick<TwinService, 'engine'>, intelligence: Pick<Intelligence, 'live'>): RouteModule {
  return (app) => {
    app.get('/population', { schema: { summary: 'The population at a glance: twins, churn-risk bands from the live scores, expected churners and value at risk', response: { 200: populationAnswer } } }, async () => {
      const clock = twins.engine.eventClock;
      const live = intelligence.live();
      const base = { asOf: clock ? new Date(clock).toISOString() : null, twins: twins.engine.size };
      if (!live) return { ...base, risk: null, note: 'no churn model is serving yet; one is trained once there is history (or POST /models/train)' };
      return { ...base, risk: populationRisk(live) };
    });
  };
}
