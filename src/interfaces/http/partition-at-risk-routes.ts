import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import type { Intelligence } from '../../intelligence/live/live-intelligence.js';
import { riskiestScoresOf } from '../../intelligence/live/population-at-risk.js';
import type { PartitionWorker } from '../../twin/partition-worker.js';
import type { TwinService } from '../../twin/twin-service.js';
import { isWorkerIdentity } from '../runtime/worker-identity.js';
import { errors, isoTime } from './api-schemas.js';
import { liveHere } from './partition-pages.js';
import type { RouteModule } from './route-module.js';

const riskiestAsk = z.union([
  z.strictObject({ share: z.number().gt(0).max(1).describe("This worker's own riskiest share and a margin (the first round)") }),
  z.strictObject({ top: z.number().int().min(0).describe('Its highest this many') }),
  z.strictObject({ atLeast: z.number().finite().describe('Every score at or above this'), below: z.number().optional().describe('And below this (those at or above it were sent before)') }),
]);
const riskiestAnswer = z.object({
  partitions: z.array(z.number().int()).describe('The live partitions whose customers were read'),
  modelId: z.string().nullable().describe('The churn model whose scores these are; null while none serves here'),
  scored: z.number().int().describe('Scored customers in those partitions'),
  top: z.array(z.number()).describe('Every score at `from` or above, in no order'),
  from: z.number().nullable().describe('None of their scores below this was sent; null when none was'),
});
export const populationAtRiskLevel = z.object({
  churn: z.number().finite(),
  share: z.number().gt(0).max(1),
  of: z.number().int().min(1),
  modelId: z.string().min(1),
  at: isoTime,
});

/**
 * A partition worker's part of the population's at-risk level (decision 0092): the gateway asks
 * each worker for the riskiest scores of its live partitions, merges them into the level over the
 * whole population (`intelligence/live/population-at-risk.ts`) and sends it to every worker, which
 * serves it from then on (an intent's `at-risk`, the catalogue's `at_risk`, a run's scan).
 */
export function partitionAtRiskRoutes(o: { twins: Pick<TwinService, 'engine'>; intelligence: Pick<Intelligence, 'live'>; worker: () => Pick<PartitionWorker, 'partitions' | 'answersFor'> | undefined }): RouteModule {
  return (app) => {
    app.post('/partitions/at-risk/scores', { schema: { summary: "The riskiest churn scores of this worker's live partitions, as asked (the gateway merges every worker's into the population's at-risk level)", body: riskiestAsk, response: { 200: riskiestAnswer, ...errors(400, 503) } } }, async (req) => {
      const { live: partitions, here } = liveHere(o.worker());
      const live = o.intelligence.live();
      if (!live) return { partitions, modelId: null, scored: 0, top: [], from: null };
      const engine = o.twins.engine;
      const part = riskiestScoresOf(live.activeChurn((slot) => here(engine.table.idAt(slot))), req.body);
      return { partitions, modelId: live.model.id, scored: part.scored, top: [...part.top], from: Number.isFinite(part.from) ? part.from : null };
    });
    app.post('/partitions/at-risk/level', { schema: { summary: "Serve the population's at-risk level the gateway read over every worker", body: populationAtRiskLevel, response: { 200: z.object({ served: z.boolean().describe('Whether it was read off the model served here (if not, none is served until one is)') }), ...errors(400, 403, 503) } } }, async (req) => {
      if (!req.identity || !isWorkerIdentity(req.identity)) throw new TwinloopError('FORBIDDEN', "only the gateway sends the population's at-risk level (read over every worker)");
      const live = o.intelligence.live();
      if (!live) throw new TwinloopError('UNAVAILABLE', 'no churn model serves here yet: no level to serve', { context: { retryAfterSeconds: 5 } });
      return { served: live.servePopulationAtRisk(req.body) };
    });
  };
}
