import { DAY_MS } from '../../domain/time.js';
import { TwinloopError } from '../../domain/errors.js';
import type { ModelRegistry, ModelVersionInfo } from '../../store/model-registry.js';
import type { ExtraFields } from '../../twin/twin-query.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { TwinView } from '../../twin/twin-view.js';
import { LiveProfiles } from '../profile/live-profiles.js';
import { CHURN_MODEL_NAME } from '../twin-training/train-churn-from-twins.js';
import { loadChampion, registerChurnModel, toLiveModel, trainAndRegister, type ChurnTrainer, type Promotion, type RegisteredModel, type TrainingWindow } from './churn-model-service.js';
import { fitFirstChurnModel, type FirstModelOptions } from '../twin-training/first-churn-model.js';
import type { ChurnRival, TrainedChurnModel } from '../twin-training/train-churn-from-twins.js';
import type { CollectedTrainingRows } from '../twin-training/training-row-collector.js';
import type { DriftReport } from './drift-monitor.js';
import { LiveScoring, type LiveModel } from './live-scoring.js';
import { liveScoreFields } from './score-fields.js';
import type { ClvSettings } from './twin-signals.js';

/** Extra fields for a twin answer, computed from the twin as read (e.g. live scores with reasons). */
export type TwinDecorator = (view: TwinView) => Record<string, unknown>;

/** What a training run may be asked for (within MAX_HORIZON_DAYS and MAX_CUTOFFS). */
export interface TrainRequest {
  readonly horizonDays?: number;
  readonly cutoffs?: number;
  /** The history to read, when it must be another training's (not the twins as they stand now). */
  readonly window?: TrainingWindow;
  /** A version to score on the same validation rows (`ChurnTrainingOptions.rival`). */
  readonly rival?: ChurnRival;
}

/** How the first model is fitted on collected rows (default: in this thread, `fitFirstChurnModel`; the server fits in a worker thread). */
export type FirstChurnTrainer = (rows: CollectedTrainingRows, options: FirstModelOptions) => Promise<TrainedChurnModel & { readonly cpuSeconds?: number | null }>;

/** Options of `startIntelligence`; every field has a documented default. */
export interface IntelligenceOptions {
  /** One line per notable event (model served, trained, drift alert); default: stderr. */
  readonly log?: (line: string) => void;
  /** PSI above which a drift alert is recorded (default 0.2). */
  readonly driftThreshold?: number;
  /** How often drift is checked and the registry polled for a new champion (default 60 s; 0 = never). */
  readonly checkIntervalMs?: number;
  /** Label horizon and cutoffs `trainIfMissing` uses (defaults 30 days, 12 monthly cutoffs). */
  readonly horizonDays?: number;
  readonly cutoffs?: number;
  readonly clv?: ClvSettings;
  /** Where models are trained (default: in this thread; the server trains in a worker thread, `trainChurnInThread`). */
  readonly trainer?: ChurnTrainer;
  /** Where the first model is fitted on collected rows (default: in this thread). */
  readonly firstTrainer?: FirstChurnTrainer;
  /** Where live scoring's at-risk level comes from (`LiveScoringOptions.atRiskFrom`): a partition worker's is the population's, sent by the gateway. */
  readonly atRiskFrom?: 'own-scores' | 'population';
  /** A partition worker's own customers' slots (`LiveScoringOptions.atRiskPart`): their level is served until the gateway's comes. */
  readonly atRiskPart?: (slot: number) => boolean;
}

/** Why a twin has no churn score before any model serves, as every edge says it (decisions, what-ifs, the CLI). */
export const NOT_SCORED_YET = 'not scored yet: no churn model serves (a first start trains one once its history is in, the server log says when; to train one now: `twinloop model train-twins`)';

/** Why one twin has no churn score: no model serves yet, or it is outside the population scored (churned, or no plan yet). */
export function whyUnscored(modelServes: boolean): string {
  return modelServes ? 'not in the scored population (churned, or no active plan yet)' : NOT_SCORED_YET;
}

/** The intelligence layer running on the twins: live scores, the churn model's lifecycle, drift. */
export interface Intelligence {
  /** Adds `scores` (`null` until a champion serves) and the `responseProfile` to a current twin read. */
  readonly decorateTwin: TwinDecorator;
  /** Adds only the `responseProfile` (for a read as of a past time: the scores are today's, the profile reads the answers as they were). */
  readonly profileTwin: TwinDecorator;
  /** The live scores as fields twin searches filter on (`/twins?churn.gt=0.5`, MCP search_twins). */
  readonly scoreFields: ExtraFields;
  /** The model registry it serves from (its owner closes it). */
  readonly registry: ModelRegistry;
  /** Trains from the twins now and registers the result (challenger, or champion when there is none). */
  train(request: TrainRequest): Promise<RegisteredModel>;
  /** Makes a version the champion and serves it. */
  promote(id: string): Promise<ModelVersionInfo>;
  /** The drift report of a version when it is the one serving live scores, else null. */
  driftReport(id: string): DriftReport | null;
  /** Trains and promotes a churn champion when there is none and the history allows it; the model trained, or null when none was. */
  trainIfMissing(): Promise<RegisteredModel | null>;
  /**
   * Fits the first churn model on the rows collected while the history was applied and serves it
   * as champion, when none serves yet; null when one did (or, logged, when the rows are too few).
   * The full training (`train` with the same window) may replace it.
   */
  trainFirst(rows: CollectedTrainingRows, options: Omit<FirstModelOptions, 'horizonDays' | 'latenessMs'>): Promise<RegisteredModel | null>;
  /** The live scorer, null until a champion exists. */
  live(): LiveScoring | null;
  /** Each twin's response profile (refitted at each check when answers arrived). */
  readonly profiles: LiveProfiles;
  /**
   * Stops listening to the intake and the timers, and stops a training still running (its thread
   * ended at once: it rejects UNAVAILABLE, nothing is registered); the registry stays open (its
   * owner closes it).
   */
  close(): Promise<void>;
}

/** Drift is a slow signal: a check a minute is ample and costs ~1 ms per 20k twins. */
export const DEFAULT_CHECK_INTERVAL_MS = 60_000;

/**
 * Starts live scoring on the twin service with the registry's churn champion (if any): every twin
 * is scored now and re-scored as events touch it; drift is checked periodically and alerts are
 * recorded in the registry and logged. Call after the twins are recovered:
 *
 *   const intel = await startIntelligence(twins, registry, {});
 *   await intel.trainIfMissing();
 *   …
 *   await intel.close(); await twins.close(); await registry.close();
 */
export async function startIntelligence(twins: TwinService, registry: ModelRegistry, options: IntelligenceOptions = {}): Promise<Intelligence> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let live: LiveScoring | null = null;
  let detach: (() => void) | null = null;
  let training: Promise<RegisteredModel> | null = null;
  // Aborted by `close`: a training running then (a first start's, minutes on the default world) is stopped, not waited for.
  const stopping = new AbortController();

  /**
   * Serves a model: its scores of every twin are filled in a slice at a time (the event loop is
   * never held for the whole population) and served together; resolves once they are.
   */
  const serve = async (model: LiveModel): Promise<void> => {
    if (live) await live.useModel(model);
    else {
      const scoring = new LiveScoring(twins.engine, model, {
        clv: options.clv,
        driftThreshold: options.driftThreshold,
        onDriftAlert: (alert) => {
          log(`drift alert: ${alert.message}`);
          registry.addDriftAlert(alert).catch((err: unknown) => log(`could not record the drift alert: ${(err as Error).message}`));
        },
        firstPass: 'in-slices',
        atRiskFrom: options.atRiskFrom,
        atRiskPart: options.atRiskPart,
      });
      live = scoring;
      detach = scoring.attach(twins.intake);
      // A twin read before the pass reaches it is scored when read.
      await scoring.refresh();
    }
    log(`live scores: serving ${model.id} (${model.document.learner}, AUC ${model.metadata.metrics.auc}) on ${twins.engine.size} twins`);
  };

  // Response profiles read beside the scores; the model is refitted at each check if answers arrived.
  const profiles = new LiveProfiles(twins.engine);

  const champion = await loadChampion(registry);
  if (champion) await serve(champion);

  /** Logs a registered model and serves it when it is the champion. */
  const registered = async (r: RegisteredModel): Promise<RegisteredModel> => {
    log(`trained ${r.info.id} (${r.info.status}${r.metadata.fit === 'first' ? ', first model' : ''}): AUC ${r.metadata.metrics.auc}, log loss ${r.metadata.metrics.logLoss}, ECE ${r.metadata.metrics.ece} on ${r.metadata.metrics.validationRows} validation rows`);
    if (r.info.status === 'champion') {
      const v = await registry.get(r.info.id);
      if (v) await serve(toLiveModel(v));
    }
    return r;
  };

  const train = (request: TrainRequest & { promotion: Promotion }): Promise<RegisteredModel> => {
    // One training at a time: a second request waits for the running one's result rather than doubling the work.
    if (training) return training;
    training = (async () => {
      try {
        const r = await trainAndRegister(twins, registry, { horizonDays: request.horizonDays ?? options.horizonDays, cutoffs: request.cutoffs ?? options.cutoffs, window: request.window, ...(request.rival ? { rival: request.rival } : {}), promotion: request.promotion, trainer: options.trainer, signal: stopping.signal });
        return await registered(r);
      } finally {
        training = null;
      }
    })();
    return training;
  };

  const check = async (): Promise<void> => {
    // A champion promoted elsewhere (CLI, another process) is picked up here.
    const current = await registry.champion(CHURN_MODEL_NAME);
    if (current && current.id !== live?.nextModel.id) await serve(toLiveModel(current));
    const report = live?.driftReport();
    // Each check is kept: the models page charts drift over time from them.
    if (report) await registry.addDriftCheck({ modelId: report.modelId, at: Date.parse(report.at), population: report.population, scorePsi: report.score.psi, features: Object.fromEntries(report.features.map((f) => [f.subject, f.psi])) });
    profiles.refresh();
  };
  const interval = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  const timer = interval > 0 ? setInterval(() => void check().catch((err: unknown) => log(`model check failed: ${(err as Error).message}`)), interval) : null;
  timer?.unref();

  return {
    decorateTwin: (view: TwinView) => ({ ...(live ? live.decorate(view) : { scores: null }), responseProfile: profiles.profileOf(view) }),
    profileTwin: (view: TwinView) => ({ responseProfile: profiles.profileOf(view) }),
    profiles,
    scoreFields: liveScoreFields(() => live),
    registry,
    train: (request) => train({ ...request, promotion: 'champion-if-none' }),
    async promote(id) {
      const v = await registry.get(id);
      if (!v) throw new TwinloopError('NOT_FOUND', `model version "${id}" not found; see GET /models`);
      const model = toLiveModel(v);
      const info = await registry.setStatus(id, 'champion');
      await serve(model);
      return info;
    },
    driftReport: (id) => (live && live.model.id === id ? live.driftReport() : null),
    async trainIfMissing() {
      if (live || (await registry.champion(CHURN_MODEL_NAME))) return null;
      try {
        return await train({ promotion: 'champion-if-none' });
      } catch (err) {
        if (err instanceof TwinloopError && err.code === 'CONFLICT') {
          log(`no churn model yet: ${err.message}`);
          return null;
        }
        throw err;
      }
    },
    async trainFirst(rows, o) {
      if (live || (await registry.champion(CHURN_MODEL_NAME))) return null;
      if (training) return training;
      const first: FirstChurnTrainer = options.firstTrainer ?? ((r, fo) => fitFirstChurnModel(r, fo, async () => ({ store: twins.store, close: async () => {} })));
      training = (async () => {
        try {
          const trained = await first(rows, { ...o, horizonDays: rows.set.horizonMs / DAY_MS, latenessMs: twins.engine.latenessMs, signal: stopping.signal });
          return await registered(await registerChurnModel(registry, trained, 'champion-if-none'));
        } finally {
          training = null;
        }
      })();
      try {
        return await training;
      } catch (err) {
        if (err instanceof TwinloopError && err.code === 'CONFLICT') {
          log(`no first churn model: ${err.message}`);
          return null;
        }
        throw err;
      }
    },
    live: () => live,
    async close() {
      if (timer) clearInterval(timer);
      detach?.();
      stopping.abort();
      await training?.catch(() => undefined);
    },
  };
}
