import { createHash } from 'node:crypto';
import { stableStringify } from '../domain/event-canonical.js';
import { TwinloopError } from '../domain/errors.js';

/**
 * The governance store port: the hash-chained audit log, the approval queue's items and the
 * budget ledger's spending, kept in the same database as the event log. One contract suite
 * (`governance-store.contract.ts`) is run by every adapter.
 *
 * The audit chain is computed by the adapter inside the append transaction (the head row is
 * locked first), so two writers can never both extend the same entry and fork the chain.
 */

/** `prev_hash` of the first audit entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** One stored audit entry: its place in the chain and the JSON content it protects. */
export interface AuditRecord {
  /** 1, 2, 3 … without gaps, in append order. */
  seq: number;
  /** Milliseconds since the epoch. */
  at: number;
  /** `hash` of entry `seq - 1` (GENESIS_HASH for the first). */
  prevHash: string;
  /** SHA-256 (hex) of `auditHashText(seq, at, prevHash, entry)`. */
  hash: string;
  entry: Record<string, unknown>;
}

/** The newest entry's seq and hash, kept in its own row so a cut-off tail is detected too. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** The canonical text an audit hash covers: sorted keys, no whitespace (pure). */
export function auditHashText(seq: number, at: number, prevHash: string, entry: Record<string, unknown>): string {
  return stableStringify({ seq, at, prev: prevHash, entry });
}

/** SHA-256 (hex) of an entry's canonical text and the previous entry's hash (pure). */
export function auditHash(seq: number, at: number, prevHash: string, entry: Record<string, unknown>): string {
  return createHash('sha256').update(auditHashText(seq, at, prevHash, entry)).digest('hex');
}

/** Pending until decided; expired when nobody decided before `expiresAt`. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** An approval item as stored; `payload` is the queue's own JSON (what, why, evidence…). */
export interface ApprovalRecord {
  id: string;
  status: ApprovalStatus;
  createdAt: number;
  expiresAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
  reason: string | null;
  payload: Record<string, unknown>;
}

/** A decision on a pending item. */
export interface ApprovalDecision {
  status: Exclude<ApprovalStatus, 'pending'>;
  decidedBy: string;
  decidedAt: number;
  reason: string;
}

/** One budget's line in a reservation: `amount` against `limit` in the period `periodKey`. */
export interface BudgetLine {
  /** e.g. `2026-05` (month) or `2026-05-14` (day). */
  periodKey: string;
  /** Which budget: e.g. `credit|*`. */
  scope: string;
  amount: number;
  limit: number;
}

/** Spending of one budget in one period. */
export interface BudgetSpend {
  periodKey: string;
  scope: string;
  reserved: number;
  committed: number;
}

/** Where a request's budget booking stands (no row: nothing reserved, or released). */
export type BookingState = 'reserved' | 'committed';

/** Reservation answer: all lines reserved, or the first line that did not fit (nothing reserved). */
export type BudgetReserveResult = { ok: true } | { ok: false; line: BudgetLine; spend: BudgetSpend };

/** Money compares with this slack so 0.1 + 0.2 fits a limit of 0.3. */
export const BUDGET_EPSILON = 1e-9;

/** The governance tables' port. */
export interface GovernanceStore {
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>;
  /**
   * Appends one entry at the head of the chain, in one transaction with the head row. With a
   * `fact` (a key naming what the entry records, e.g. an offer's settlement), the entry is
   * appended only if no entry was appended for that fact, in the same transaction: otherwise
   * nothing is written and the entry first appended for it is answered. One entry per fact,
   * whatever repeats it (a retry after a crash, two processes settling the same offer).
   */
  appendAudit(entry: Record<string, unknown>, at: number, fact?: string): Promise<AuditRecord>;
  /**
   * Entries with seq > `afterSeq` (default 0), oldest first, at most `limit` (default 1000); or,
   * with `newestFirst`, those with seq < `beforeSeq` (default: all) whose JSON contains `contains`
   * (case-insensitive), newest first: how a person reads a long trail (the latest, then backwards).
   */
  readAudit(query?: AuditQuery): Promise<AuditRecord[]>;
  auditHead(): Promise<AuditHead>;
  /**
   * The facts appended with their entries (`appendAudit`'s `fact`), in fact order after `afterFact`
   * (default: from the first), at most `limit` (default 1000): what the audit's verification
   * checks against the entries that name them.
   */
  readAuditFacts(query?: { afterFact?: string; limit?: number }): Promise<AuditFact[]>;
  /**
   * The entry appended for `fact`, or null when none was: a request's own record read back (an
   * action's `executed:` fact, found by a repeat whose kept answer a crash lost).
   */
  auditOfFact(fact: string): Promise<AuditRecord | null>;
  /** Stores a new pending item (CONFLICT when the id exists). */
  insertApproval(record: ApprovalRecord): Promise<void>;
  getApproval(id: string): Promise<ApprovalRecord | null>;
  /** Items oldest first, of one status when given; at most `limit` (default 1000). */
  listApprovals(query?: { status?: ApprovalStatus; limit?: number }): Promise<ApprovalRecord[]>;
  /** Decides a pending item: NOT_FOUND when unknown, CONFLICT when no longer pending. */
  decideApproval(id: string, decision: ApprovalDecision): Promise<ApprovalRecord>;
  /**
   * Reserves every line or none: a line whose reserved + committed + amount exceeds its limit
   * refuses all. With a `booking` (the request's id) the reservation belongs to it, in the same
   * transaction: a booking already reserved or committed is answered ok and nothing more is
   * reserved, so a request repeated after a crash is not charged twice.
   */
  reserveBudget(lines: readonly BudgetLine[], booking?: string): Promise<BudgetReserveResult>;
  /**
   * Moves `reserved` of each line to committed (`committed` of it; the rest is given back). With a
   * `booking`, only a reserved booking is committed (once); otherwise nothing changes.
   */
  commitBudget(lines: readonly { periodKey: string; scope: string; reserved: number; committed: number }[], booking?: string): Promise<void>;
  /** Gives reserved amounts back. With a `booking`, only a reserved booking is released (once); a committed one stays charged. */
  releaseBudget(lines: readonly { periodKey: string; scope: string; amount: number }[], booking?: string): Promise<void>;
  /** Spending of one budget in one period (zeros when nothing was spent). */
  budgetSpend(periodKey: string, scope: string): Promise<BudgetSpend>;
  /** Releases the database; safe to call twice. */
  close(): Promise<void>;
}

/** Which audit entries to read: forwards after a seq (verifying, exporting), or backwards from the newest (people searching). */
export type AuditQuery = { afterSeq?: number; limit?: number } | { newestFirst: true; beforeSeq?: number; contains?: string; limit?: number };

/** Default page of `readAudit` and `listApprovals`. */
export const DEFAULT_GOVERNANCE_PAGE = 1000;

/** An audit row as both adapters read it (numbers converted). */
export interface AuditRow {
  seq: number;
  at: number;
  prev_hash: string;
  hash: string;
  entry: string;
}

/** Row → record (pure). */
export function toAuditRecord(row: AuditRow): AuditRecord {
  return { seq: row.seq, at: row.at, prevHash: row.prev_hash, hash: row.hash, entry: JSON.parse(row.entry) as Record<string, unknown> };
}

/** A fact's row: the fact key and the seq of the one entry appended for it. */
export interface AuditFact {
  readonly fact: string;
  readonly seq: number;
}

/**
 * The next entry after `head` (pure): what the adapters insert. An entry appended for a `fact`
 * names it (`entry.fact`), so the fact is inside what the chain's hash proves: a fact row edited,
 * added or removed beside it no longer agrees with the entries (verifyAuditChain).
 */
export function nextAuditRecord(head: AuditHead, entry: Record<string, unknown>, at: number, fact?: string): AuditRecord {
  if (!Number.isFinite(at)) throw new TwinloopError('BAD_INPUT', 'an audit entry needs a time in ms');
  const seq = head.seq + 1;
  const prevHash = head.seq === 0 ? GENESIS_HASH : head.hash;
  // Round-trip through JSON so the stored text and the hashed content are the same value.
  const content = JSON.parse(JSON.stringify(fact === undefined ? entry : { ...entry, fact })) as Record<string, unknown>;
  return { seq, at, prevHash, hash: auditHash(seq, at, prevHash, content), entry: content };
}

/** Checks an audit fact key before any adapter uses it. */
export function checkAuditFact(fact: string | undefined): void {
  if (fact !== undefined && (typeof fact !== 'string' || fact.length === 0 || fact.length > 300)) throw new TwinloopError('BAD_INPUT', 'an audit fact key must be 1–300 characters');
}

/** An approval row as both adapters read it. */
export interface ApprovalRow {
  id: string;
  status: string;
  created_at: number;
  expires_at: number;
  decided_by: string | null;
  decided_at: number | null;
  reason: string | null;
  payload: string;
}

/** Row → record (pure). */
export function toApprovalRecord(row: ApprovalRow): ApprovalRecord {
  return {
    id: row.id,
    status: row.status as ApprovalStatus,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    reason: row.reason,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}

/** Checks a new approval before any adapter writes it. */
export function checkNewApproval(r: ApprovalRecord): void {
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 200) throw new TwinloopError('BAD_INPUT', 'an approval id must be 1–200 characters');
  if (r.status !== 'pending') throw new TwinloopError('BAD_INPUT', `a new approval is pending, not "${r.status}"`);
  if (!Number.isFinite(r.createdAt) || !Number.isFinite(r.expiresAt)) throw new TwinloopError('BAD_INPUT', 'an approval needs createdAt and expiresAt in ms');
}

/** Checks a decision before any adapter writes it. */
export function checkDecision(d: ApprovalDecision): void {
  if (!['approved', 'rejected', 'expired'].includes(d.status)) throw new TwinloopError('BAD_INPUT', `a decision is approved, rejected or expired, not "${String(d.status)}"`);
  if (typeof d.decidedBy !== 'string' || d.decidedBy.trim() === '') throw new TwinloopError('BAD_INPUT', 'a decision names who made it (decidedBy)');
}

/** Checks reservation lines (finite, non-negative amounts). */
export function checkBudgetLines(lines: readonly { amount?: number; reserved?: number; committed?: number }[]): void {
  for (const l of lines) {
    for (const v of [l.amount, l.reserved, l.committed]) {
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new TwinloopError('BAD_INPUT', `budget amounts must be finite and ≥ 0; got ${v}`);
    }
  }
}

/** Lines in one fixed order, so two transactions lock budget rows in the same order (no deadlock). */
export function sortedLines<T extends { periodKey: string; scope: string }>(lines: readonly T[]): T[] {
  return [...lines].sort((a, b) => (a.periodKey === b.periodKey ? (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0) : a.periodKey < b.periodKey ? -1 : 1));
}

/** Whether `amount` more fits under `limit` given what is already spent (pure). */
export function fitsBudget(spend: { reserved: number; committed: number }, amount: number, limit: number): boolean {
  return spend.reserved + spend.committed + amount <= limit + BUDGET_EPSILON;
}

/** The error for an unknown approval id. */
export function unknownApproval(id: string): TwinloopError {
  return new TwinloopError('NOT_FOUND', `approval "${id}" not found; list pending approvals with \`twinloop approvals list\``);
}

/** The error for deciding an item twice. */
export function approvalAlreadyDecided(id: string, status: string): TwinloopError {
  return new TwinloopError('CONFLICT', `approval "${id}" is already ${status}; only a pending approval can be decided`);
}
