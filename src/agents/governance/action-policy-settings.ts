import { TwinloopError } from '../../domain/errors.js';
import { stableStringify } from '../../domain/event-canonical.js';
import { parseActionPolicy, type ActionPolicy, type ActionPolicyDocument, type Actor } from '../../decisioning/policy/index.js';
import { MAX_PAGE_SIZE, type RecordStore } from '../../store/record-store.js';
import type { AuditTrail } from './audit-trail.js';

/**
 * The action policy as data an operator changes while the system runs: every version is a record
 * of the record store's `action-policy` collection (the document, who set it, why, when), so
 * the history is the collection and a version is never overwritten. The guarded executor reads
 * `current()` on every request, so a change applies to the next request, without a restart; a
 * change made by another process on the same store lands within `refreshMs`. Each change is
 * written to the audit trail (`policy.changed`, with who and why) before it is stored. A
 * document's `version` field is its number in the store, as `PolicyVersion.version` says.
 */

/** Collection of the record store holding the versions, one record per version. */
export const POLICY_COLLECTION = 'action-policy';
/** How often the newest version is looked up, so a change made by another process lands. */
export const DEFAULT_POLICY_REFRESH_MS = 30_000;
/** The most versions `history` answers at once. */
export const MAX_POLICY_HISTORY = 500;
const REASON_MAX = 2000;

/** One version of the policy: the document and who set it, why and when. Version 0 is the built-in default, never stored. */
export interface PolicyVersion {
  readonly version: number;
  readonly document: ActionPolicyDocument;
  /** Who set it (null for the built-in default). */
  readonly changedBy: Actor | null;
  readonly reason: string;
  /** ISO time (wall clock: a change is a person's act), null for the built-in default. */
  readonly changedAt: string | null;
}

/**
 * What saving a document answers: the version in force after it, and whether the document was the
 * one in force already (`unchanged`: no new version, no audit entry; the version answered is the
 * one in force, whatever reason was given).
 */
export type PolicySaved = PolicyVersion & { readonly unchanged: boolean };

/** A change as asked for: the whole new document, why, and optionally the version it was edited from. */
export interface PolicyChange {
  readonly document: unknown;
  readonly reason: unknown;
  /** The version the editor read: CONFLICT when another change landed since (absent: no check). */
  readonly basedOn?: number;
  /**
   * The change is a version as `get` answered it, put back (edited or not): the same document
   * changes nothing (the version in force is the answer), and an edited one needs a reason of its
   * own, not the read version's.
   */
  readonly readBack?: boolean;
}

/** The policy in force, its history and how to change it. */
export interface ActionPolicySettings {
  /** The policy in force, parsed (read from memory: the guarded executor calls it per request). */
  current(): ActionPolicy;
  /** The version in force (after a look for a newer one another process stored). */
  get(): Promise<PolicyVersion>;
  /**
   * Validates (BAD_INPUT naming the field) and stores a new version; it is in force when this
   * returns. The document in force already stores nothing: `unchanged`, with the version in force.
   */
  set(change: PolicyChange, actor: Actor): Promise<PolicySaved>;
  /**
   * Makes the document the policy in force unless it already is (the same document): how
   * `twinloop start --policy FILE` loads a file on every start without a new version each time.
   */
  adopt(document: unknown, actor: Actor, reason: string): Promise<PolicyVersion>;
  /** The versions, newest first (the built-in default last), at most `limit`. */
  history(limit?: number): Promise<PolicyVersion[]>;
  /** Stops the refresh timer. */
  close(): void;
}

/** What the settings are built from. */
export interface ActionPolicySettingsOptions {
  readonly records: RecordStore;
  readonly audit: AuditTrail;
  /** The policy in force until someone sets one (version 0). */
  readonly defaults: ActionPolicyDocument;
  /** Called with each new policy in force (here or, after a refresh, from another process): e.g. the contact rules move with it. */
  readonly onChange?: (policy: ActionPolicy) => void;
  /** Checks beyond the document's schema (what it names must exist, e.g. catalogue offers); throws BAD_INPUT naming the field. */
  readonly check?: (policy: ActionPolicy) => void;
  readonly refreshMs?: number;
  /** Wall-clock time. */
  readonly now?: () => number;
}

interface StoredVersion {
  version: number;
  document: ActionPolicyDocument;
  changedBy: Actor;
  reason: string;
  changedAt: number;
}

/** Record id of a version: zero-padded, so the store's id order is the version order. */
const idOf = (version: number) => `v${String(version).padStart(9, '0')}`;

/** The document as version `version`: its `version` field says which one it is. */
const numbered = (document: ActionPolicyDocument, version: number): ActionPolicyDocument => ({ ...document, version });
/** Two documents that say the same, whatever version number each carries and in whatever order their keys come. */
const sameDocument = (a: unknown, b: unknown) => stableStringify(numbered(a as ActionPolicyDocument, 0)) === stableStringify(numbered(b as ActionPolicyDocument, 0));

/** Opens the settings: reads the newest stored version (or takes the defaults) and parses it. */
export async function openActionPolicySettings(o: ActionPolicySettingsOptions): Promise<ActionPolicySettings> {
  const now = o.now ?? Date.now;
  const defaults: PolicyVersion = { version: 0, document: numbered(o.defaults, 0), changedBy: null, reason: 'the built-in default policy (src/decisioning/policy/default-policy.ts)', changedAt: null };
  let inForce = defaults;
  let policy = parseActionPolicy(o.defaults);

  // Versions stored before the document carried its number had the format's 1 there: the store's number is the truth.
  const toVersion = (s: StoredVersion): PolicyVersion => ({ version: s.version, document: numbered(s.document, s.version), changedBy: s.changedBy, reason: s.reason, changedAt: new Date(s.changedAt).toISOString() });
  const install = (v: PolicyVersion, parsed: ActionPolicy) => {
    inForce = v;
    policy = parsed;
    o.onChange?.(parsed);
  };
  /** Reads versions newer than the one in force and puts the newest in force. */
  const refresh = async () => {
    let newest: StoredVersion | undefined;
    for (let after = idOf(inForce.version); ; ) {
      const page = await o.records.list<StoredVersion>(POLICY_COLLECTION, { after, limit: MAX_PAGE_SIZE });
      if (page.length > 0) newest = page[page.length - 1].body;
      if (page.length < MAX_PAGE_SIZE) break;
      after = page[page.length - 1].id;
    }
    // A stored version was valid when stored; parsing it again compiles its segments.
    if (newest && newest.version > inForce.version) install(toVersion(newest), parseActionPolicy(newest.document));
  };
  await refresh();
  const refreshMs = o.refreshMs ?? DEFAULT_POLICY_REFRESH_MS;
  const timer = refreshMs > 0 ? setInterval(() => void refresh().catch(() => {}), refreshMs) : undefined;
  timer?.unref();

  const set = async (change: PolicyChange, actor: Actor): Promise<PolicySaved> => {
    if (typeof change.reason !== 'string' || change.reason.trim() === '' || change.reason.length > REASON_MAX) {
      throw new TwinloopError('BAD_INPUT', `reason: say why the policy changes (1 to ${REASON_MAX} characters); it is kept in the policy's history and the audit trail`);
    }
    const parsed = parseActionPolicy(change.document);
    o.check?.(parsed);
    await refresh();
    if (change.basedOn !== undefined && change.basedOn !== inForce.version) {
      throw new TwinloopError('CONFLICT', `the policy was edited from version ${change.basedOn}, but version ${inForce.version} (by ${inForce.changedBy?.id ?? 'default'}) is in force now; read it again (GET /policy) and reapply the change`);
    }
    // Saving the document in force again (a file set twice, an editor's save with no edit) is no change (an edit from a version no longer in force is refused above, even so):
    // a new version of the same rules would only bury the history's real changes.
    if (sameDocument(change.document, inForce.document)) return { ...inForce, unchanged: true };
    const reason = change.reason.trim();
    if (change.readBack && reason === inForce.reason) {
      throw new TwinloopError('BAD_INPUT', `reason: still version ${inForce.version}'s reason ("${reason}"); the document changed, so say why (it is kept in the policy's history and the audit trail)`);
    }
    const previous = inForce.version;
    const version = previous + 1;
    const stored: StoredVersion = { version, document: numbered(change.document as ActionPolicyDocument, version), changedBy: actor, reason, changedAt: now() };
    // The audit entry first: a version in force is never without its entry (a failure after this
    // one leaves an entry whose version never came, and a second entry says so).
    await o.audit.record({ type: 'policy.changed', actor, target: { kind: 'policy', version, previousVersion: previous }, why: { summary: reason } });
    try {
      await o.records.put(POLICY_COLLECTION, idOf(version), stored, { expectedVersion: 0 });
    } catch (err) {
      await o.audit
        .record({ type: 'policy.change-failed', actor, target: { kind: 'policy', version, previousVersion: previous }, why: { summary: `version ${version} was not stored: ${(err as Error).message}` } })
        .catch(() => {});
      if (err instanceof TwinloopError && err.code === 'CONFLICT') {
        throw new TwinloopError('CONFLICT', `another change stored policy version ${version} at the same moment; read the policy again (GET /policy) and reapply the change`, { cause: err });
      }
      throw err;
    }
    const answer = toVersion(stored);
    install(answer, parsed);
    return { ...answer, unchanged: false };
  };

  return {
    current: () => policy,
    async get() {
      await refresh();
      return inForce;
    },
    set,
    adopt: (document, actor, reason) => set({ document, reason }, actor),
    async history(limit = MAX_POLICY_HISTORY) {
      await refresh();
      const all: PolicyVersion[] = [];
      for (let after: string | undefined; ; ) {
        const page = await o.records.list<StoredVersion>(POLICY_COLLECTION, { after, limit: MAX_PAGE_SIZE });
        for (const r of page) all.push(toVersion(r.body));
        if (page.length < MAX_PAGE_SIZE) break;
        after = page[page.length - 1].id;
      }
      all.push(defaults);
      return all.sort((a, b) => b.version - a.version).slice(0, Math.max(1, Math.min(limit, MAX_POLICY_HISTORY)));
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
