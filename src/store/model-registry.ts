import { TwinloopError } from '../domain/errors.js';

/**
 * The model registry port: versioned model documents with their metadata and a status, plus the
 * drift alerts raised against them. One contract suite (`model-registry.contract.ts`) is run by
 * every adapter.
 *
 * Status rule: at most one champion per model name. Making a version champion (on save or by
 * `setStatus`) retires the previous champion in the same transaction.
 */

/** champion = serves live scores; challenger = trained, waiting for promotion; retired = kept for the record. */
export const MODEL_STATUSES = ['champion', 'challenger', 'retired'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/** A version to register; the registry assigns its number and id. */
export interface NewModelVersion {
  /** Model family, e.g. `churn`. Letters, digits, `.`, `_` and `-`. */
  name: string;
  status: Exclude<ModelStatus, 'retired'>;
  /** The model document as JSON text (kept exact). */
  document: string;
  /** Training window, metrics, feature names, drift baseline… (JSON-serialisable). */
  metadata: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A registered version without its (possibly large) document. */
export interface ModelVersionInfo {
  /** `${name}-v${version}`. */
  id: string;
  name: string;
  /** 1, 2, 3 … per name, in registration order. */
  version: number;
  status: ModelStatus;
  createdAt: number;
  metadata: Record<string, unknown>;
}

/** A registered version with its document. */
export interface ModelVersion extends ModelVersionInfo {
  document: string;
}

/** A drift alert as raised by a drift monitor. */
export interface NewDriftAlert {
  modelId: string;
  at: number;
  /** `score` or a feature name. */
  subject: string;
  psi: number;
  threshold: number;
  message: string;
}

/** A stored drift alert; `id` increases in the order they were recorded. */
export interface StoredDriftAlert extends NewDriftAlert {
  id: number;
}

/** One drift check of the version serving live scores: the population stability of its score and of each monitored feature then. */
export interface NewDriftCheck {
  modelId: string;
  /** When it was checked, on the event clock (ms). */
  at: number;
  /** Twins in the scored population. */
  population: number;
  scorePsi: number;
  /** PSI by feature name. */
  features: Readonly<Record<string, number>>;
}

/** A stored drift check; `id` increases in the order they were recorded. */
export interface StoredDriftCheck extends NewDriftCheck {
  id: number;
}

/** The registry of trained models, kept in the same database as the event log. */
export interface ModelRegistry {
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>;
  /** Registers the next version of `name`; a champion retires the previous one. */
  save(version: NewModelVersion): Promise<ModelVersionInfo>;
  /** Versions, newest first; of one name when given. */
  list(name?: string): Promise<ModelVersionInfo[]>;
  get(id: string): Promise<ModelVersion | null>;
  /** The champion of a model name, or null. */
  champion(name: string): Promise<ModelVersion | null>;
  /** Changes a version's status (NOT_FOUND when unknown); champion retires the previous champion. */
  setStatus(id: string, status: ModelStatus): Promise<ModelVersionInfo>;
  addDriftAlert(alert: NewDriftAlert): Promise<StoredDriftAlert>;
  /** Alerts, newest first, of one model version when given; at most `limit` (default 100). */
  listDriftAlerts(query?: { modelId?: string; limit?: number }): Promise<StoredDriftAlert[]>;
  /** Keeps one drift check (drift over time). */
  addDriftCheck(check: NewDriftCheck): Promise<StoredDriftCheck>;
  /** Checks of one version, newest first; at most `limit` (default DEFAULT_DRIFT_CHECKS). */
  listDriftChecks(query: { modelId: string; limit?: number }): Promise<StoredDriftCheck[]>;
  /** Releases the database; safe to call twice. */
  close(): Promise<void>;
}

/** Alerts per `listDriftAlerts` page when the caller names no limit. */
export const DEFAULT_ALERT_PAGE_SIZE = 100;

/** Drift checks `listDriftChecks` answers when the caller names no limit: a check a minute, so the last eight hours. */
export const DEFAULT_DRIFT_CHECKS = 500;

const MODEL_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The id of a version. */
export function modelVersionId(name: string, version: number): string {
  return `${name}-v${version}`;
}

/** Checks a version before any adapter writes it. */
export function checkNewModelVersion(v: NewModelVersion): void {
  if (!MODEL_NAME.test(v.name)) throw new TwinloopError('BAD_INPUT', `model name "${v.name}" must be 1–64 letters, digits, ".", "_" or "-"`);
  if (v.status !== 'champion' && v.status !== 'challenger') throw new TwinloopError('BAD_INPUT', `a new model version is champion or challenger, not "${String(v.status)}"`);
  if (!Number.isFinite(v.createdAt)) throw new TwinloopError('BAD_INPUT', 'createdAt must be a time in ms');
}

/** Checks a requested status. */
export function checkStatus(status: string): asserts status is ModelStatus {
  if (!(MODEL_STATUSES as readonly string[]).includes(status)) {
    throw new TwinloopError('BAD_INPUT', `status must be one of ${MODEL_STATUSES.join(', ')}; got "${status}"`);
  }
}

/** A model version row as both adapters read it (numbers already converted). */
export interface ModelVersionRow {
  id: string;
  name: string;
  version: number;
  status: string;
  created_at: number;
  metadata: string;
  document?: string;
}

/** Row → record (pure). */
export function toModelVersionInfo(row: ModelVersionRow): ModelVersionInfo {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    status: row.status as ModelStatus,
    createdAt: row.created_at,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  };
}

export function toModelVersion(row: ModelVersionRow & { document: string }): ModelVersion {
  return { ...toModelVersionInfo(row), document: row.document };
}

/** A drift alert row as both adapters read it. */
export interface DriftAlertRow {
  id: number;
  model_id: string;
  at: number;
  subject: string;
  psi: number;
  threshold: number;
  message: string;
}

export function toDriftAlert(row: DriftAlertRow): StoredDriftAlert {
  return { id: row.id, modelId: row.model_id, at: row.at, subject: row.subject, psi: row.psi, threshold: row.threshold, message: row.message };
}

/** A drift check row as both adapters read it (`features` is JSON text). */
export interface DriftCheckRow {
  id: number;
  model_id: string;
  at: number;
  population: number;
  score_psi: number;
  features: string;
}

export function toDriftCheck(row: DriftCheckRow): StoredDriftCheck {
  return { id: row.id, modelId: row.model_id, at: row.at, population: row.population, scorePsi: row.score_psi, features: JSON.parse(row.features) as Record<string, number> };
}

/** The error for an unknown version id. */
export function unknownModel(id: string): TwinloopError {
  return new TwinloopError('NOT_FOUND', `model version "${id}" not found; list them with GET /models or \`twinloop model list\``);
}
