import { z } from 'zod';
import type { Intelligence } from '../../intelligence/live/live-intelligence.js';
import type { LiveScoring } from '../../intelligence/live/live-scoring.js';
import { populationRisk } from '../../intelligence/live/population-risk.js';
import type { PartitionWorker } from '../../twin/partition-worker.js';
import type { TwinService } from '../../twin/twin-service.js';
import { isoTime, list } from './api-schemas.js';
import type { RouteModule } from './route-module.js';

/** `GET /population`'s "at risk": the level and the customers at it. */
const atRiskAnswer = z
  .object({
    churn: z.number(),
    share: z.number(),
    of: z.number().int(),
    over: z.enum(['population', 'this-worker']).describe("What the level was read over: `population` (every scored customer; on a worker, the gateway's read over every worker), or `this-worker` (a partition worker's own customers, served until the gateway's level for its model comes: seconds after a start or a promotion)"),
    customers: z.number().int().describe('Scored customers counted here at the level or above: the customers at risk (on a worker, those of its live partitions; the gateway adds them up)'),
  })
  .nullable()
  .describe('"At risk": the churn score the riskiest `share` of the `of` scored customers start at (an intent\'s `at-risk`, the catalogue\'s `at_risk`, the twin list\'s `churn.gte=` it); the whole population\'s on a partition worker and the gateway too (read by the gateway over every worker); null while not known');

/** `GET /population`'s answer (a single process's, a worker's, or the gateway's sum over the workers). */
export const populationAnswer = z.object({
  asOf: isoTime.nullable().describe('The event clock: the latest event time applied, null before the first event'),
  twins: z.number().int(),
  risk: z
    .object({
      scored: z.number().int().describe('Customers in the scored population (an active or suspended plan, not churned): the active customers'),
      churned: z.number().int().describe('Twins of customers who have left (churned: every plan terminated), as last scored; the twins neither scored nor churned have no plan yet'),
      horizonDays: z.number().int(),
      modelId: z.string().describe('The churn model serving the scores'),
      bands: list(z.object({ from: z.number(), to: z.number().nullable(), customers: z.number().int() })).describe('Customers by churn probability within the horizon: from ≤ churn < to'),
      expectedChurners: z.number().describe('Sum of churn probabilities over the scored population'),
      valueAtRisk: z.number().describe('Sum of churn probability × expected lifetime value'),
      lifetimeValue: z.number().describe('Sum of expected lifetime value'),
      atRisk: atRiskAnswer,
    })
    .nullable()
    .describe('Null until a churn model serves'),
  note: z.string().optional().describe('Why `risk` is null'),
  partitions: z.array(z.number().int()).optional().describe('On a partition worker: the partitions counted, those live here (the gateway adds the workers up, each partition once)'),
});

/** Why a partition worker (and the gateway summing them) answers without risk. */
export const WORKER_NOTE = 'no churn model serves on the workers yet: they do not train (training is not fanned out over them); each serves the champion of the shared model registry, read at start and every minute (docs/scale.md)';

/**
 * `GET /population`: the population at a glance, what the console's overview opens with: how many
 * twins, the churn-risk distribution from the live scores, expected churners and the value at risk.
 * On a partition worker (`worker` given), the twins of its live partitions, naming them.
 */
export function populationRoutes(twins: Pick<TwinService, 'engine'>, intelligence: Pick<Intelligence, 'live'>, worker?: () => Pick<PartitionWorker, 'partitions' | 'answersFor'> | undefined): RouteModule {
  return (app) => {
    app.get('/population', { schema: { summary: 'The population at a glance: twins, churn-risk bands from the live scores, expected churners and value at risk', response: { 200: populationAnswer } } }, async () => {
      const clock = twins.engine.eventClock;
      const live = intelligence.live();
      const asOf = clock ? new Date(clock).toISOString() : null;
      if (worker) {
        // A worker counts the twins of its live partitions only: not those forgotten (given back) nor those being rebuilt.
        const w = worker();
        const partitions = (w?.partitions() ?? []).filter((p) => p.state === 'live').map((p) => p.partition);
        let count = 0;
        if (w) for (const id of twins.engine.customerIds()) if (twins.engine.has(id) && w.answersFor(id)) count++;
        // Its part of the population's risk, scored by the registry's champion when one serves here: the gateway adds the parts up.
        if (!live || !w) return { asOf, twins: count, risk: null, note: WORKER_NOTE, partitions };
        const here = (slot: number) => {
          const id = twins.engine.table.idAt(slot) as string | undefined;
          return id !== undefined && w.answersFor(id);
        };
        // The population's level, as the gateway sent it: the same on every worker.
        return { asOf, twins: count, risk: riskWithAtRisk(live, here), partitions };
      }
      const base = { asOf, twins: twins.engine.size };
      if (!live) return { ...base, risk: null, note: 'no churn model is serving yet; one is trained once there is history (or POST /models/train)' };
      return { ...base, risk: riskWithAtRisk(live) };
    });
  };
}

/**
 * The population's risk (of `include`'s slots) with the at-risk level served and how many of the
 * scored customers are at it or above, counted in the one pass over the scores that reads the rest.
 */
function riskWithAtRisk(live: LiveScoring, include?: (slot: number) => boolean): z.infer<typeof populationAnswer>['risk'] {
  const level = live.atRiskLevel();
  const { atRiskCustomers, ...risk } = populationRisk(live, include, level?.churn);
  return { ...risk, atRisk: level ? { ...level, customers: atRiskCustomers ?? 0 } : null };
}
