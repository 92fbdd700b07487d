import { CHANNELS, type Channel } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';

/**
 * The record store port: durable storage for what is not a customer event. Two parts:
 * - versioned JSON documents by collection and id (offer catalogue, simulation runs, intents and
 *   their reports…), with optimistic concurrency through `expectedVersion`;
 * - the append-only decision log (every next-best-action decision with its candidates and
 *   propensities, and later its outcome).
 * One contract suite (`record-store.contract.ts`) is run by every adapter. The pure checks and row
 * mappers live here so both adapters validate and convert identically.
 */

/** A stored document with its bookkeeping. */
export interface StoredRecord<T> {
  collection: string;
  id: string;
  /** 1 on creation, +1 on every replacement. */
  version: number;
  body: T;
  /** Milliseconds since the epoch, from the store's clock. */
  createdAt: number;
  updatedAt: number;
}

/** One candidate as the arbitration saw it; mirrors decisioning's `LoggedCandidate`. */
export interface StoredCandidate {
  readonly actionId: string;
  readonly score: number;
  /** Probability with which the logging policy would have chosen this candidate. */
  readonly propensity: number;
  readonly expectedValue: number;
}

/**
 * How a decision ended: its offer `accepted`, `declined` or `ignored` (no answer within the answer
 * window); its action `delivered` (a message, a credit) or `failed`; or `not-acted`: nothing was
 * carried out within the window (do nothing was chosen, or nobody acted on the recommendation).
 */
export const DECISION_RESULTS = ['accepted', 'declined', 'ignored', 'delivered', 'failed', 'not-acted'] as const;
export type DecisionResult = (typeof DECISION_RESULTS)[number];

/** What came of a decision (decisioning's `DecisionOutcome`). */
export interface StoredDecisionOutcome {
  readonly accepted: boolean;
  readonly reward: number;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** How it ended (absent in outcomes written before results were kept). */
  readonly result?: DecisionResult;
  /** The action request that carried the decision out, when one did. */
  readonly requestId?: string;
}

/** A logged decision (decisioning's `DecisionRecord` is this type). */
export interface StoredDecision {
  readonly decisionId: string;
  readonly customerId: string;
  /** Event time of the decision (integer ms since the epoch). */
  readonly at: number;
  readonly channel: Channel;
  readonly reason?: string;
  readonly contextKey: string;
  readonly candidates: readonly StoredCandidate[];
  readonly chosen: string;
  readonly propensity: number;
  readonly outcome?: StoredDecisionOutcome;
}

/** Options of `put`. */
export interface PutOptions {
  /** The version the caller last read; 0 = the record must not exist yet. CONFLICT when it does not match. */
  expectedVersion?: number;
}

/** Options of `list`. */
export interface ListOptions {
  /** Exclusive id cursor: the id of the last record of the previous page. */
  after?: string;
  /** Page size; default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE. */
  limit?: number;
  /** Only ids that start with this. */
  prefix?: string;
}

/** Query of `listDecisions`. */
export interface DecisionQuery {
  customerId?: string;
  /** Inclusive lower bound on `at` (ms). */
  from?: number;
  /** Exclusive upper bound on `at` (ms). */
  to?: number;
  /** Page size; default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE. */
  limit?: number;
  /** `decisionCursor(last)` of the previous page's last decision. */
  after?: string;
}

/** Durable documents and the decision log, kept in the same database as the event log. */
export interface RecordStore {
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>;
  /** Creates or replaces; `expectedVersion` (0 = must not exist) gives optimistic concurrency: CONFLICT when it does not match. */
  put<T>(collection: string, id: string, body: T, options?: PutOptions): Promise<StoredRecord<T>>;
  get<T>(collection: string, id: string): Promise<StoredRecord<T> | null>;
  /** Ordered by id (code point order); `after` = exclusive id cursor for paging; default limit 100, max 1000. */
  list<T>(collection: string, options?: ListOptions): Promise<StoredRecord<T>[]>;
  /** True when the record existed. */
  delete(collection: string, id: string): Promise<boolean>;
  /**
   * Appends decisions in one transaction. A decisionId already logged (or repeated in the batch) is
   * skipped, first write wins, so replaying a flushed batch is harmless. One invalid record refuses
   * the whole batch with BAD_INPUT before anything is written.
   */
  appendDecisions(records: readonly StoredDecision[]): Promise<void>;
  /** Sets the outcome of a logged decision once; false when unknown or already set. */
  recordOutcome(decisionId: string, outcome: StoredDecisionOutcome): Promise<boolean>;
  /** Decisions ordered by `at`, then decisionId; filterable by customer and time range, paged by `decisionCursor`. */
  listDecisions(query?: DecisionQuery): Promise<StoredDecision[]>;
  /** One logged decision (with its outcome once set), or null when none has this id. */
  getDecision(decisionId: string): Promise<StoredDecision | null>;
  /** Releases the database; safe to call twice. */
  close(): Promise<void>;
}

/** Page size when the caller names none: enough for a screen, small enough to stay quick. */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest page: bounds the memory and time of one read; page with the cursor for more. */
export const MAX_PAGE_SIZE = 1000;
/** Longest collection name or id, in characters. */
export const MAX_KEY_LENGTH = 200;

// Control characters and lone surrogates: invisible in messages and logs, and not storable as UTF-8.
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u;

/** Checks a collection name or record id (non-empty, at most 200 characters, printable). */
export function checkKey(what: 'collection' | 'id' | 'decisionId' | 'customerId' | 'prefix' | 'after', value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new TwinloopError('BAD_INPUT', `${what} must be a non-empty string`);
  // A string of at most MAX_KEY_LENGTH UTF-16 units has at most as many characters: counted only past it
  // (the spread copies every character into an array; this runs on every decision logged).
  if (value.length > MAX_KEY_LENGTH && [...value].length > MAX_KEY_LENGTH) throw new TwinloopError('BAD_INPUT', `${what} "${value.slice(0, 40)}…" is longer than ${MAX_KEY_LENGTH} characters; use a shorter one`);
  if (UNPRINTABLE.test(value)) throw new TwinloopError('BAD_INPUT', `${what} ${JSON.stringify(value)} contains control characters or broken surrogates; use printable text`);
  return value;
}

/** Checks `expectedVersion`: absent, or a non-negative integer. */
export function checkExpectedVersion(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TwinloopError('BAD_INPUT', `expectedVersion must be a whole number ≥ 0 (0 = must not exist yet); got ${String(value)}`);
  }
  return value;
}

/** The page size asked for, checked: default when absent, BAD_INPUT outside 1…MAX_PAGE_SIZE. */
export function checkLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new TwinloopError('BAD_INPUT', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}; got ${String(limit)}; page with the cursor for more`);
  }
  return limit;
}

function hasNonFinite(value: unknown, seen: Set<object>): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null || seen.has(value)) return false;
  seen.add(value);
  return Object.values(value).some((v) => hasNonFinite(v, seen));
}

/**
 * A body as JSON text. BAD_INPUT for what JSON cannot hold faithfully: undefined, functions,
 * cycles, BigInt, and NaN/Infinity (which JSON.stringify would silently turn into null).
 */
export function bodyToJson(collection: string, id: string, body: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', `The body of ${collection}/${id} is not JSON-serialisable (${(err as Error).message}); send plain data`, { cause: err });
  }
  if (text === undefined) throw new TwinloopError('BAD_INPUT', `The body of ${collection}/${id} is ${typeof body}; send a JSON value`);
  if (hasNonFinite(body, new Set())) throw new TwinloopError('BAD_INPUT', `The body of ${collection}/${id} holds NaN or Infinity, which JSON cannot keep; send finite numbers`);
  return text;
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code point order
 * (which is UTF-8 byte order, the order both databases keep ids in); null when there is none. Lets
 * a prefix query scan exactly its index range.
 */
export function prefixUpperBound(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Skip the surrogate block: those code points cannot appear in a stored id.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}

/** A record row as both adapters read it (numbers already converted). */
export interface RecordRow {
  collection: string;
  id: string;
  version: number;
  body: string;
  created_at: number;
  updated_at: number;
}

/** Row → record (pure). */
export function toStoredRecord<T>(row: RecordRow): StoredRecord<T> {
  return {
    collection: row.collection,
    id: row.id,
    version: row.version,
    body: JSON.parse(row.body) as T,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The error for a failed optimistic-concurrency check. */
export function versionConflict(collection: string, id: string, expected: number, actual: number): TwinloopError {
  const state = actual === 0 ? 'does not exist' : `is at version ${actual}`;
  const wanted = expected === 0 ? 'expected it not to exist' : `expected version ${expected}`;
  return new TwinloopError('CONFLICT', `${collection}/${id} ${state} but the write ${wanted}; read it again and retry`, {
    context: { collection, id, expectedVersion: expected, actualVersion: actual },
  });
}

const isProbability = (p: unknown): p is number => typeof p === 'number' && p >= 0 && p <= 1;
const isFiniteNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
const isTime = (t: unknown): t is number => typeof t === 'number' && Number.isSafeInteger(t);

/** Checks an outcome before any adapter writes it. */
export function checkOutcome(decisionId: string, o: StoredDecisionOutcome): void {
  if (typeof o !== 'object' || o === null) throw new TwinloopError('BAD_INPUT', `The outcome of decision ${decisionId} must be { accepted, reward, at }`);
  if (typeof o.accepted !== 'boolean') throw new TwinloopError('BAD_INPUT', `The outcome of decision ${decisionId} needs accepted: true or false`);
  if (!isFiniteNumber(o.reward)) throw new TwinloopError('BAD_INPUT', `The outcome of decision ${decisionId} needs a finite reward`);
  if (!isTime(o.at)) throw new TwinloopError('BAD_INPUT', `The outcome of decision ${decisionId} needs at: a whole number of ms since the epoch`);
  if (o.result !== undefined && !(DECISION_RESULTS as readonly string[]).includes(o.result)) throw new TwinloopError('BAD_INPUT', `The outcome of decision ${decisionId} has result "${String(o.result)}"; use one of ${DECISION_RESULTS.join(', ')}`);
  if (o.requestId !== undefined && (typeof o.requestId !== 'string' || o.requestId === '' || o.requestId.length > MAX_KEY_LENGTH)) throw new TwinloopError('BAD_INPUT', `The outcome of decision ${decisionId} needs requestId as text of 1 to ${MAX_KEY_LENGTH} characters when given`);
}

/** Checks a decision before any adapter writes it; the message names the decision and the field. */
export function checkDecision(d: StoredDecision): void {
  const id = checkKey('decisionId', d?.decisionId);
  const bad = (what: string): TwinloopError => new TwinloopError('BAD_INPUT', `Decision ${id}: ${what}; nothing in this batch was written`);
  checkKey('customerId', d.customerId);
  if (!isTime(d.at)) throw bad('at must be a whole number of ms since the epoch');
  if (!(CHANNELS as readonly string[]).includes(d.channel)) throw bad(`channel must be one of ${CHANNELS.join(', ')}`);
  if (d.reason !== undefined && typeof d.reason !== 'string') throw bad('reason must be text when given');
  if (typeof d.contextKey !== 'string') throw bad('contextKey must be text');
  if (typeof d.chosen !== 'string' || d.chosen === '') throw bad('chosen must name the chosen action');
  if (!isProbability(d.propensity)) throw bad('propensity must be a probability from 0 to 1');
  if (!Array.isArray(d.candidates)) throw bad('candidates must be a list');
  for (const c of d.candidates as readonly StoredCandidate[]) {
    if (typeof c?.actionId !== 'string' || c.actionId === '') throw bad('every candidate needs an actionId');
    if (!isFiniteNumber(c.score) || !isFiniteNumber(c.expectedValue)) throw bad(`candidate ${c.actionId} needs a finite score and expectedValue`);
    if (!isProbability(c.propensity)) throw bad(`candidate ${c.actionId} needs a propensity from 0 to 1`);
  }
  if (d.outcome !== undefined) checkOutcome(id, d.outcome);
}

/** The candidates as stored: only the four known fields, in a fixed order. */
export function candidatesToJson(candidates: readonly StoredCandidate[]): string {
  return JSON.stringify(candidates.map((c) => ({ actionId: c.actionId, score: c.score, propensity: c.propensity, expectedValue: c.expectedValue })));
}

/** The decision log's columns, in the order both adapters select and insert them (`DecisionRow`). */
export const DECISION_COLUMNS =
  'decision_id, customer_id, at, channel, reason, context_key, candidates, chosen, propensity, outcome_accepted, outcome_reward, outcome_at, outcome_result, outcome_request_id';

/** A decision-log row as both adapters read it (numbers and booleans already converted). */
export interface DecisionRow {
  decision_id: string;
  customer_id: string;
  at: number;
  channel: string;
  reason: string | null;
  context_key: string;
  candidates: string;
  chosen: string;
  propensity: number;
  outcome_accepted: boolean | null;
  outcome_reward: number | null;
  outcome_at: number | null;
  outcome_result: string | null;
  outcome_request_id: string | null;
}

/** Row → decision (pure); absent reason and outcome are left out, as they were given. */
export function toStoredDecision(row: DecisionRow): StoredDecision {
  const outcome =
    row.outcome_accepted === null || row.outcome_reward === null || row.outcome_at === null
      ? undefined
      : {
          accepted: row.outcome_accepted,
          reward: row.outcome_reward,
          at: row.outcome_at,
          ...(row.outcome_result === null ? {} : { result: row.outcome_result as DecisionResult }),
          ...(row.outcome_request_id === null ? {} : { requestId: row.outcome_request_id }),
        };
  return {
    decisionId: row.decision_id,
    customerId: row.customer_id,
    at: row.at,
    channel: row.channel as Channel,
    ...(row.reason === null ? {} : { reason: row.reason }),
    contextKey: row.context_key,
    candidates: JSON.parse(row.candidates) as StoredCandidate[],
    chosen: row.chosen,
    propensity: row.propensity,
    ...(outcome ? { outcome } : {}),
  };
}

/** The paging cursor that follows `d` in `listDecisions` (opaque to callers). */
export function decisionCursor(d: Pick<StoredDecision, 'at' | 'decisionId'>): string {
  return `${d.at}:${d.decisionId}`;
}

/** A cursor read back: the (at, decisionId) position to continue after. */
export function parseDecisionCursor(cursor: string): { at: number; decisionId: string } {
  const colon = cursor.indexOf(':');
  const at = Number(cursor.slice(0, colon));
  const decisionId = cursor.slice(colon + 1);
  if (colon < 1 || !Number.isSafeInteger(at) || decisionId === '') {
    throw new TwinloopError('BAD_INPUT', `Decision cursor "${cursor}" is not one this store handed out; pass decisionCursor(last decision of the previous page)`);
  }
  return { at, decisionId };
}

/** A checked decision query, ready for an adapter to turn into SQL. */
export interface CheckedDecisionQuery {
  customerId?: string;
  from?: number;
  to?: number;
  limit: number;
  after?: { at: number; decisionId: string };
}

/** Checks a decision query once for both adapters. */
export function checkDecisionQuery(query: DecisionQuery): CheckedDecisionQuery {
  const time = (what: string, t: unknown): number | undefined => {
    if (t === undefined) return undefined;
    if (!isTime(t)) throw new TwinloopError('BAD_INPUT', `${what} must be a whole number of ms since the epoch; got ${String(t)}`);
    return t;
  };
  return {
    customerId: query.customerId === undefined ? undefined : checkKey('customerId', query.customerId),
    from: time('from', query.from),
    to: time('to', query.to),
    limit: checkLimit(query.limit),
    after: query.after === undefined ? undefined : parseDecisionCursor(query.after),
  };
}
