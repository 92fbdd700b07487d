import { TwinloopError } from '../../domain/errors.js';
import { AT_RISK_SHARE } from '../../intelligence/live/churn-risk-levels.js';
import { riskiestShareOverParts, type PopulationAtRiskLevel, type RiskiestScoresPart } from '../../intelligence/live/population-at-risk.js';
import { askWorkers, everyPartitionOnce, workerUrls, type WorkerCalls } from './worker-fanout.js';

/**
 * The population's at-risk level over the partition workers (decision 0092): the gateway reads it
 * from every worker's riskiest scores (`POST /partitions/at-risk/scores`, merged exactly:
 * `intelligence/live/population-at-risk.ts`) and sends it to every worker
 * (`POST /partitions/at-risk/level`), which serves it: a customer is at risk or not whichever
 * worker holds them, as in one process holding everyone.
 */

/**
 * How often the level is read and sent: the scores of the twins events touch move between two
 * reads (one process reads its level again after each pass and at least every minute); a read
 * costs each worker a selection over its scores (under a millisecond per 24,000, `bench at-risk`)
 * and sends about a tenth of them.
 */
export const AT_RISK_READ_EVERY_MS = 10_000;
/**
 * How soon a read that found no level (nobody scored yet, workers serving different models while a
 * promotion reaches them, partitions moving) is tried again: until it succeeds each worker serves
 * the level of its own customers, which may put a customer near it on the other side than another
 * worker would; a failed read costs each worker an answer naming its model.
 */
export const AT_RISK_RETRY_MS = 2_000;

/** A worker's answer to `POST /partitions/at-risk/scores`. */
interface WorkerRiskiest {
  readonly partitions: readonly number[];
  readonly modelId: string | null;
  readonly scored: number;
  readonly top: readonly number[];
  readonly from: number | null;
}

/**
 * Reads the population's level over the workers in the routing table now: undefined when nobody
 * is scored; UNAVAILABLE while partitions move (not every one answered once), while the workers
 * serve different models (a promotion reaches each within a minute), or when an answer changed
 * its partitions or model between rounds.
 */
export async function readPopulationAtRisk(calls: WorkerCalls): Promise<PopulationAtRiskLevel | undefined> {
  const urls = await workerUrls(calls.routing);
  const at = new Date().toISOString();
  let first: readonly WorkerRiskiest[] | undefined;
  const { level } = await riskiestShareOverParts(urls.length, AT_RISK_SHARE, async (asks) => {
    const asked = [...asks.keys()];
    const answers = await askWorkers<WorkerRiskiest>(calls.routing, { method: 'POST', pathAndQuery: '/partitions/at-risk/scores', headers: calls.headers(), body: (i) => asks.get(asked[i]) }, asked.map((i) => urls[i]));
    if (!first) {
      everyPartitionOnce(answers.map((a) => a.partitions));
      const models = [...new Set(answers.map((a) => a.modelId ?? 'none'))];
      if (models.length !== 1 || models[0] === 'none') throw new TwinloopError('UNAVAILABLE', `the workers serve ${models.join(', ')} (a model promoted reaches every worker within a minute); the at-risk level is read again`);
      first = answers;
    } else {
      const was = first;
      answers.forEach((a, j) => {
        const before = was[asked[j]];
        if (a.modelId !== before.modelId || a.partitions.join() !== before.partitions.join()) throw new TwinloopError('UNAVAILABLE', `the worker at ${urls[asked[j]]} changed its partitions or model while the at-risk level was read; read again`);
      });
    }
    return new Map(answers.map((a, j): [number, RiskiestScoresPart] => [asked[j], { scored: a.scored, top: a.top, from: a.from ?? Number.POSITIVE_INFINITY }]));
  });
  return level && first ? { ...level, modelId: first[0].modelId!, at } : undefined;
}

/** The level kept current over the workers: read and sent every AT_RISK_READ_EVERY_MS. */
export interface PopulationAtRiskKeeper {
  /** The level last read and sent to every worker; undefined before the first. */
  current(): PopulationAtRiskLevel | undefined;
  /** Reads the level and sends it to every worker now (what the timer does). */
  readNow(): Promise<PopulationAtRiskLevel | undefined>;
  stop(): void;
}

/**
 * Keeps the population's level over the workers: read, then sent to each worker in the routing
 * table, every `everyMs` (AT_RISK_RETRY_MS after a read that found none); a read that fails (partitions moving, models changing) leaves the last
 * level served and is logged once until the next success.
 */
export function keepPopulationAtRisk(calls: WorkerCalls, o: { readonly everyMs?: number; readonly log: (line: string) => void }): PopulationAtRiskKeeper {
  let current: PopulationAtRiskLevel | undefined;
  let lastProblem: string | undefined;
  let loggedAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const readNow = async () => {
    const level = await readPopulationAtRisk(calls);
    if (!level) return undefined;
    const urls = await workerUrls(calls.routing);
    const sent = await Promise.allSettled(urls.map((url) => askWorkers<{ served: boolean }>(calls.routing, { method: 'POST', pathAndQuery: '/partitions/at-risk/level', headers: calls.headers(), body: () => level }, [url])));
    const refused = sent.flatMap((s, i) => (s.status === 'rejected' ? [`${urls[i]}: ${(s.reason as Error).message}`] : []));
    if (refused.length > 0) throw new TwinloopError('UNAVAILABLE', `the at-risk level ${level.churn} was not taken by ${refused.join('; ')}`);
    current = level;
    return level;
  };
  const tick = async () => {
    let read = false;
    try {
      read = (await readNow()) !== undefined;
      if (lastProblem) o.log('at-risk level: read over every worker and sent to each again');
      lastProblem = undefined;
    } catch (err) {
      const problem = (err as Error).message;
      // Once per minute at most while it fails (a cluster starting fails each read for a while, each time in other words).
      if (problem !== lastProblem && Date.now() - loggedAt >= 60_000) {
        loggedAt = Date.now();
        o.log(`at-risk level: not read over the workers now (${problem}); each worker serves the last one sent, or its own customers' for a model it was not read off; read again in ${Math.min(o.everyMs ?? AT_RISK_READ_EVERY_MS, AT_RISK_RETRY_MS)} ms`);
      }
      lastProblem = problem;
    }
    if (!stopped) {
      const every = o.everyMs ?? AT_RISK_READ_EVERY_MS;
      timer = setTimeout(() => void tick(), read ? every : Math.min(every, AT_RISK_RETRY_MS));
      timer.unref();
    }
  };
  timer = setTimeout(() => void tick(), 0);
  timer.unref();
  return {
    current: () => current,
    readNow,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
