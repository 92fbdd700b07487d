import { TwinloopError } from '../../domain/errors.js';
import type { ModelRegistry, ModelVersion, ModelVersionInfo } from '../../store/model-registry.js';
import type { TwinService } from '../../twin/twin-service.js';
import { parseModel } from '../model/model-file.js';
import {
  CHURN_MODEL_NAME,
  trainChurnFromTwins,
  type ChurnModelMetadata,
  type ChurnTrainingOptions,
  type TrainedChurnModel,
} from '../twin-training/train-churn-from-twins.js';
import { DEFAULT_TRAINING_CUSTOMERS, sampleTrainingCustomers } from '../twin-training/training-customers.js';
import type { LiveModel } from './live-scoring.js';

/** How a freshly trained version enters the registry. */
export type Promotion = 'champion' | 'challenger' | 'champion-if-none';

/**
 * How a churn model is trained from the log the twins reflect: in this thread by default
 * (`trainChurnFromTwins` on the twin service's store), or in a worker thread with its own
 * connection (`trainChurnInThread`, what the server uses so its event loop stays free).
 * `cpuSeconds`: what the training alone cost, when the trainer can tell (a thread's own CPU).
 */
export type ChurnTrainer = (options: ChurnTrainingOptions) => Promise<TrainedChurnModel & { readonly cpuSeconds?: number | null }>;

/**
 * The history a training reads when it must be exactly another's (the full training that may
 * replace the first model validates on the first model's rows): the event clock it plans its
 * cutoffs at, the log's seq it reads to and its customers (undefined: every customer).
 */
export interface TrainingWindow {
  readonly to: number;
  readonly untilSeq: number;
  readonly customers: readonly string[] | undefined;
}

/** Options of `trainAndRegister`. */
export interface TrainAndRegisterOptions extends Pick<ChurnTrainingOptions, 'horizonDays' | 'cutoffs' | 'maxRows' | 'seed' | 'learners' | 'rival' | 'onProgress' | 'signal'> {
  /** Train on this window instead of the twins as they stand now. */
  readonly window?: TrainingWindow;
  readonly promotion?: Promotion;
  /** Customers trained on at most (default `DEFAULT_TRAINING_CUSTOMERS`; 0: every customer). */
  readonly maxCustomers?: number;
  /** Where the training runs (default: in this thread, on `twins.store`). */
  readonly trainer?: ChurnTrainer;
}

/** Result of one training run. */
export interface RegisteredModel {
  readonly info: ModelVersionInfo;
  readonly metadata: ChurnModelMetadata;
  /** CPU seconds of the training alone, when its trainer tells them (a training thread does). */
  readonly cpuSeconds?: number | null;
}

/**
 * Trains a churn model from the twins' event log as the twin service now reflects it and
 * registers it: as challenger by default, as champion when asked or ('champion-if-none') when
 * there is none yet.
 */
export async function trainAndRegister(twins: TwinService, registry: ModelRegistry, options: TrainAndRegisterOptions = {}): Promise<RegisteredModel> {
  const train: ChurnTrainer = options.trainer ?? ((o) => trainChurnFromTwins(twins.store, o));
  const trained = await train({
    to: options.window?.to ?? twins.engine.eventClock,
    latenessMs: twins.engine.latenessMs,
    untilSeq: options.window?.untilSeq ?? twins.appliedSeq(),
    customers: options.window ? options.window.customers : sampleTrainingCustomers(twins.engine.customerIds(), options.maxCustomers ?? DEFAULT_TRAINING_CUSTOMERS),
    horizonDays: options.horizonDays,
    cutoffs: options.cutoffs,
    maxRows: options.maxRows,
    seed: options.seed,
    learners: options.learners,
    ...(options.rival ? { rival: options.rival } : {}),
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return registerChurnModel(registry, trained, options.promotion ?? 'challenger');
}

/** Registers a trained churn model (trained here, or by a coordinator from its workers' rows) as `promotion` says. */
export async function registerChurnModel(registry: ModelRegistry, trained: Awaited<ReturnType<ChurnTrainer>>, promotion: Promotion): Promise<RegisteredModel> {
  const champion = promotion === 'champion' || (promotion === 'champion-if-none' && (await registry.champion(CHURN_MODEL_NAME)) === null);
  const info = await registry.save({
    name: CHURN_MODEL_NAME,
    status: champion ? 'champion' : 'challenger',
    document: JSON.stringify(trained.document),
    metadata: trained.metadata as unknown as Record<string, unknown>,
    createdAt: Date.parse(trained.document.createdAt),
  });
  return { info, metadata: trained.metadata, ...(trained.cpuSeconds === undefined ? {} : { cpuSeconds: trained.cpuSeconds }) };
}

/** A registered churn version as the live scorer needs it (document parsed and checked). */
export function toLiveModel(version: ModelVersion): LiveModel {
  const metadata = version.metadata as unknown as ChurnModelMetadata;
  if (metadata.kind !== 'churn' || !metadata.drift || !metadata.calibration) {
    throw new TwinloopError('BAD_INPUT', `model version ${version.id} is not a twin churn model (train one with \`twinloop model train-twins\`)`);
  }
  return { id: version.id, version: version.version, document: parseModel(version.document), metadata };
}

/** The current churn champion, or null when none is registered. */
export async function loadChampion(registry: ModelRegistry): Promise<LiveModel | null> {
  const v = await registry.champion(CHURN_MODEL_NAME);
  return v ? toLiveModel(v) : null;
}

/** A registered version as lists show it (HTTP `GET /models`, `twinloop model list --json`). */
export interface ModelVersionSummary {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly status: ModelVersionInfo['status'];
  /** ISO time of registration. */
  readonly createdAt: string;
  readonly learner: string | null;
  readonly horizonDays: number | null;
  readonly metrics: Record<string, unknown> | null;
  readonly trainingWindow: Record<string, unknown> | null;
  readonly featureCount: number | null;
}

/** A version's status, headline metrics and training window. */
export function summarizeVersion(v: ModelVersionInfo): ModelVersionSummary {
  const m = v.metadata as { metrics?: Record<string, unknown>; trainingWindow?: Record<string, unknown>; horizonDays?: number; learner?: string; featureNames?: unknown[] };
  return {
    id: v.id,
    name: v.name,
    version: v.version,
    status: v.status,
    createdAt: new Date(v.createdAt).toISOString(),
    learner: m.learner ?? null,
    horizonDays: m.horizonDays ?? null,
    metrics: m.metrics ?? null,
    trainingWindow: m.trainingWindow ?? null,
    featureCount: Array.isArray(m.featureNames) ? m.featureNames.length : null,
  };
}
