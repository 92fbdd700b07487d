import { systemClock, type Clock } from '../../domain/clock.js';
import type { Actor } from '../../decisioning/policy/index.js';
import { auditHash, GENESIS_HASH, type AuditQuery, type AuditRecord, type GovernanceStore } from '../../store/governance-store.js';

/**
 * The append-only audit trail: who did what to whom, why, and what came of it. Each entry stores
 * the previous entry's hash and the SHA-256 of its own canonical JSON plus that hash, so editing,
 * deleting or reordering any stored row breaks the chain where `verify` finds it.
 */

/** What an entry records. */
export const AUDIT_ENTRY_TYPES = [
  'action.requested',
  'policy.verdict',
  'approval.requested',
  'approval.approved',
  'approval.rejected',
  'approval.expired',
  'action.executed',
  'action.failed',
  'action.advised',
  'action.declined',
  'action.settled',
  'action.overrun',
  'action.cost-refused',
] as const;
/** The type of an entry about an action request. */
export type AuditEntryType = (typeof AUDIT_ENTRY_TYPES)[number];

/** What an administration entry records: a change to the rules everyone acts under, or to who may act. */
export const ADMIN_ENTRY_TYPES = ['policy.changed', 'policy.change-failed', 'key.created', 'key.revoked', 'model.promoted', 'intent.expired'] as const;
/** The type of an administration entry. */
export type AdminEntryType = (typeof ADMIN_ENTRY_TYPES)[number];

/** One audit entry's content (JSON-serialisable): about an action request, or an administration change. */
export type AuditEntry = ActionAuditEntry | AdminAuditEntry;

/** An administration change: who changed what (the policy to version N, a key, the model serving, an intent closed at its horizon) and why. */
export interface AdminAuditEntry {
  type: AdminEntryType;
  actor: Actor;
  /** What was changed: the action policy (with its new version), an API key (by id), the champion model (the version promoted, and the one it replaced), or an intent closed as expired (the status it was in, when its horizon ended). */
  target:
    | { kind: 'policy'; version: number; previousVersion: number | null }
    | { kind: 'api-key'; id: string; subject: string; role: string }
    | { kind: 'model'; id: string; previousChampion: string | null }
    | { kind: 'intent'; id: string; name: string; status: string; expiredAt: string };
  why: { summary: string };
}

/** An entry about one action request. */
export interface ActionAuditEntry {
  type: AuditEntryType;
  /** The action request the entry belongs to. */
  requestId: string;
  /** Who caused this entry: the requester, the approver, or the system (timeouts). */
  actor: Actor;
  /** The action: class, channel, customer, cost, parameters. */
  action: { actionClass: string; channel: string; customerId?: string; cost: number; discountPct?: number; params: Record<string, unknown> };
  /** Why: simulation id, twin features used, policy rule and reasons, free text. */
  why: { summary?: string; simulationId?: string; features?: Record<string, number>; rule?: string | null; reasons?: readonly string[]; evidence?: Record<string, unknown> };
  /** What came of it (verdict, approval id, executor result, error…). */
  outcome: Record<string, unknown>;
}

/** Where the chain broke, and how. */
export type AuditBreak =
  | { kind: 'content'; seq: number; message: string }
  | { kind: 'link'; seq: number; message: string }
  | { kind: 'gap'; seq: number; message: string }
  | { kind: 'head'; seq: number; message: string }
  | { kind: 'fact'; seq: number; message: string };

/** The result of walking the chain. */
export type AuditVerification =
  | { ok: true; entries: number; headSeq: number; headHash: string }
  | { ok: false; entries: number; firstBreak: AuditBreak };

/** The part of the governance store the trail uses. */
export type AuditStore = Pick<GovernanceStore, 'appendAudit' | 'readAudit' | 'auditHead' | 'readAuditFacts' | 'auditOfFact'>;

/** The trail: append entries, read them back, verify the chain. */
export interface AuditTrail {
  /**
   * Appends an entry. With `fact` (a key naming what it records), at most one entry is ever
   * appended for that fact: a repeat appends nothing and is answered the first (GovernanceStore.appendAudit).
   */
  record(entry: AuditEntry, fact?: string): Promise<AuditRecord>;
  /** The entry recorded for `fact`, or null: what a repeat reads of its own request (its `executed:` fact). */
  ofFact(fact: string): Promise<AuditRecord | null>;
  /** Entries after `afterSeq`, oldest first; or newest first, before a seq, matching a search (`AuditQuery`). */
  read(query?: AuditQuery): Promise<AuditRecord[]>;
  verify(): Promise<AuditVerification>;
}

/** Rows read per page while verifying: bounded memory whatever the trail's length. */
const VERIFY_PAGE = 1_000;

/**
 * Walks the whole chain in seq order and reports the first broken link: a row whose hash does
 * not match its content (edited, or moved to another seq), a row whose prev_hash is not the hash
 * before it (a row deleted or reordered before it), a missing seq, or a tail cut off behind the head;
 * then the facts (`audit_facts`), which the entries name: a fact row that points at another entry,
 * one no entry names, or an entry's fact with no row (`checkAuditFacts`).
 */
export async function verifyAuditChain(store: Pick<AuditStore, 'readAudit' | 'auditHead' | 'readAuditFacts'>): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  /** The fact each entry appended for one names (entry.fact, inside its hash), by fact. */
  const named = new Map<string, number>();
  while (true) {
    const page = await store.readAudit({ afterSeq: expectedSeq - 1, limit: VERIFY_PAGE });
    if (page.length === 0) break;
    for (const r of page) {
      const fact = r.entry.fact;
      if (typeof fact === 'string') {
        const other = named.get(fact);
        if (other !== undefined) return { ok: false, entries, firstBreak: { kind: 'fact', seq: r.seq, message: `audit entries ${other} and ${r.seq} both record fact "${fact}": a fact has one entry, so one was appended around the store` } };
        named.set(fact, r.seq);
      }
      if (r.seq !== expectedSeq) {
        return { ok: false, entries, firstBreak: { kind: 'gap', seq: expectedSeq, message: `audit entry ${expectedSeq} is missing (the next stored entry is ${r.seq}): a row was deleted` } };
      }
      if (r.prevHash !== prevHash) {
        return { ok: false, entries, firstBreak: { kind: 'link', seq: r.seq, message: `audit entry ${r.seq} does not follow entry ${r.seq - 1}: its prev_hash differs, so rows were deleted, inserted or reordered` } };
      }
      if (auditHash(r.seq, r.at, r.prevHash, r.entry) !== r.hash) {
        return { ok: false, entries, firstBreak: { kind: 'content', seq: r.seq, message: `audit entry ${r.seq} does not match its hash: the row was edited or moved` } };
      }
      prevHash = r.hash;
      expectedSeq++;
      entries++;
    }
  }
  const head = await store.auditHead();
  const last = expectedSeq - 1;
  if (head.seq !== last || (last > 0 && head.hash !== prevHash)) {
    return { ok: false, entries, firstBreak: { kind: 'head', seq: last + 1, message: `the audit head says entry ${head.seq} is the newest but the log ends at ${last}: entries were removed from the end` } };
  }
  const factBreak = await checkAuditFacts(store, named);
  if (factBreak) return { ok: false, entries, firstBreak: factBreak };
  return { ok: true, entries, headSeq: last, headHash: last > 0 ? prevHash : GENESIS_HASH };
}

/**
 * The fact rows against the entries of a chain already verified: each row must point at the entry
 * that names its fact, and each fact an entry names must have its row (a row removed lets a repeat
 * append the fact's entry again, a row added or moved makes a real one append nothing). An entry
 * appended before entries named their fact (a row pointing at an entry that names none) holds if
 * that entry is about the request the fact key ends with: such facts are proven by the request id.
 */
async function checkAuditFacts(store: Pick<AuditStore, 'readAudit' | 'readAuditFacts'>, named: Map<string, number>): Promise<AuditBreak | undefined> {
  const unproven = new Map(named);
  for (let afterFact: string | undefined; ; ) {
    const rows = await store.readAuditFacts({ afterFact, limit: VERIFY_PAGE });
    for (const row of rows) {
      const seq = named.get(row.fact);
      unproven.delete(row.fact);
      if (seq === row.seq) continue;
      if (seq !== undefined) return { kind: 'fact', seq, message: `fact "${row.fact}" points at audit entry ${row.seq}, but entry ${seq} records it: the fact row was edited` };
      const [entry] = await store.readAudit({ afterSeq: row.seq - 1, limit: 1 });
      const legacy = entry?.seq === row.seq && entry.entry.fact === undefined && typeof entry.entry.requestId === 'string' && row.fact.endsWith(`:${entry.entry.requestId}`);
      if (!legacy) return { kind: 'fact', seq: row.seq, message: `fact "${row.fact}" points at audit entry ${row.seq}, which does not record it: the fact row was added or edited outside the trail` };
    }
    if (rows.length < VERIFY_PAGE) break;
    afterFact = rows[rows.length - 1].fact;
  }
  const [first] = [...unproven].sort((a, b) => a[1] - b[1]);
  return first ? { kind: 'fact', seq: first[1], message: `audit entry ${first[1]} records fact "${first[0]}", which has no fact row: the row was deleted (a repeat would append the fact's entry again)` } : undefined;
}

/**
 * Entries dated on the wall clock whatever the trail's clock: people's acts on who may act and by
 * which rules (a key made or revoked, the policy changed, a model promoted), which happen in
 * people's time, not the sandbox world's (a key made today read as made in the world's 2025).
 */
export const WALL_CLOCK_ENTRY_TYPES: ReadonlySet<string> = new Set(['key.created', 'key.revoked', 'policy.changed', 'policy.change-failed', 'model.promoted']);

/**
 * Which clock a record's time is on: `wall` (real time; the entry says so, `clock: "wall"`) or
 * `operator` (the operator's clock: the sandbox world's time while it runs, else the events').
 */
export type AuditClock = 'operator' | 'wall';

/** The clock a stored record's `at` is on (records written before entries said so: the operator's). */
export function auditClockOf(record: Pick<AuditRecord, 'entry'>): AuditClock {
  return record.entry.clock === 'wall' ? 'wall' : 'operator';
}

/**
 * A trail over the governance store; entries are stamped with `clock` (the operator's), and those
 * of WALL_CLOCK_ENTRY_TYPES with `wall` (default the system clock), marked `clock: "wall"`.
 */
export function createAuditTrail(store: AuditStore, clock: Clock, wall: Clock = systemClock): AuditTrail {
  return {
    record: (entry, fact) =>
      WALL_CLOCK_ENTRY_TYPES.has(entry.type)
        ? store.appendAudit({ ...(entry as unknown as Record<string, unknown>), clock: 'wall' }, wall.now(), fact)
        : store.appendAudit(entry as unknown as Record<string, unknown>, clock.now(), fact),
    read: (query) => store.readAudit(query),
    ofFact: (fact) => store.auditOfFact(fact),
    verify: () => verifyAuditChain(store),
  };
}
