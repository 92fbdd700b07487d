import { TwinloopError } from '../../domain/errors.js';
import type { ModelRegistry, ModelVersionInfo } from '../../store/model-registry.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { TwinView } from '../../twin/twin-view.js';
import { loadChampion, toLiveModel, trainAndRegister, type RegisteredModel } from '../../intelligence/live/churn-model-service.js';
import { LiveScoring, type LiveModel } from '../../intelligence/live/live-scoring.js';
import type { ClvSettings } from '../../intelligence/live/twin-signals.js';
import { CHURN_MODEL_NAME } from '../../intelligence/twin-training/train-churn-from-twins.js';
import { modelRoutes, type TrainRequest } from './model-routes.js';
import type { RouteModule, TwinDecorator } from './server.js';

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
}

/** The intelligence layer wired for the HTTP server. */
export interface Intelligence {
  /** Pass as `decorateTwin` to `createHttpServer`: adds `scores` to `GET /twins/:id`. */
  readonly decorateTwin: TwinDecorator;
  /** Pass in the server's route modules: `/models…`. */
  readonly routes: RouteModule;
  /** Trains and promotes a churn champion when there is none and the history allows it. */
  trainIfMissing(): Promise<void>;
  /** The live scorer, null until a champion exists. */
  live(): LiveScoring | null;
  /** Stops listening to the intake and the timers; the registry stays open (its owner closes it). */
  close(): Promise<void>;
}

/** Drift is a slow signal: a check a minute is ample and costs ~1 ms per 20k twins. */
export const DEFAULT_CHECK_INTERVAL_MS = 60_000;

/**
 * Starts live scoring on the twin service with the registry's churn champion (if any): every twin
 * is scored now and re-scored as events touch it; drift is checked periodically and alerts are
 * recorded in the registry and logged. Call after the twins are recovered (and the sandbox
 * backfilled), before the server listens:
 *
 *   const intel = await startIntelligence(twins, registry, {});
 *   await intel.trainIfMissing();
 *   const app = createHttpServer({ twins, version, decorateTwin: intel.decorateTwin }, [intel.routes]);
 *   …
 *   await intel.close(); await app.close(); await twins.close(); await registry.close();
 */
export async function startIntelligence(twins: TwinService, registry: ModelRegistry, options: IntelligenceOptions = {}): Promise<Intelligence> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let live: LiveScoring | null = null;
  let detach: (() => void) | null = null;
  let training: Promise<RegisteredModel> | null = null;

  const serve = (model: LiveModel): void => {
    if (live) live.useModel(model);
    else {
      live = new LiveScoring(twins.engine, model, {
        clv: options.clv,
        driftThreshold: options.driftThreshold,
        onDriftAlert: (alert) => {
          log(`drift alert: ${alert.message}`);
          registry.addDriftAlert(alert).catch((err: unknown) => log(`could not record the drift alert: ${(err as Error).message}`));
        },
      });
      detach = live.attach(twins.intake);
    }
    log(`live scores: serving ${model.id} (${model.document.learner}, AUC ${model.metadata.metrics.auc}) on ${twins.engine.size} twins`);
  };

  const champion = await loadChampion(registry);
  if (champion) serve(champion);

  const train = (request: TrainRequest & { promotion?: 'champion' | 'challenger' | 'champion-if-none' }): Promise<RegisteredModel> => {
    // One training at a time: a second request waits for the running one's result rather than doubling the work.
    if (training) return training;
    training = (async () => {
      try {
        const r = await trainAndRegister(twins, registry, { horizonDays: request.horizonDays ?? options.horizonDays, cutoffs: request.cutoffs ?? options.cutoffs, promotion: request.promotion ?? 'champion-if-none' });
        log(`trained ${r.info.id} (${r.info.status}): AUC ${r.metadata.metrics.auc}, log loss ${r.metadata.metrics.logLoss}, ECE ${r.metadata.metrics.ece} on ${r.metadata.metrics.validationRows} validation rows`);
        if (r.info.status === 'champion') {
          const v = await registry.get(r.info.id);
          if (v) serve(toLiveModel(v));
        }
        return r;
      } finally {
        training = null;
      }
    })();
    return training;
  };

  const promote = async (id: string): Promise<ModelVersionInfo> => {
    const v = await registry.get(id);
    if (!v) throw new TwinloopError('NOT_FOUND', `model version "${id}" not found; see GET /models`);
    const model = toLiveModel(v);
    const info = await registry.setStatus(id, 'champion');
    serve(model);
    return info;
  };

  const check = async (): Promise<void> => {
    // A champion promoted elsewhere (CLI, another process) is picked up here.
    const current = await registry.champion(CHURN_MODEL_NAME);
    if (current && current.id !== live?.model.id) serve(toLiveModel(current));
    live?.driftReport();
  };
  const interval = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  const timer = interval > 0 ? setInterval(() => void check().catch((err: unknown) => log(`model check failed: ${(err as Error).message}`)), interval) : null;
  timer?.unref();

  return {
    decorateTwin: (view: TwinView) => (live ? live.decorate(view) : { scores: null }),
    routes: modelRoutes({
      registry,
      driftReport: (id) => (live && live.model.id === id ? live.driftReport() : null),
      train: (request) => train({ ...request, promotion: 'champion-if-none' }),
      promote,
    }),
    async trainIfMissing() {
      if (live || (await registry.champion(CHURN_MODEL_NAME))) return;
      try {
        await train({ promotion: 'champion-if-none' });
      } catch (err) {
        if (err instanceof TwinloopError && err.code === 'CONFLICT') log(`no churn model yet: ${err.message}`);
        else throw err;
      }
    },
    live: () => live,
    async close() {
      if (timer) clearInterval(timer);
      detach?.();
      await training?.catch(() => undefined);
    },
  };
}
