import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CHANNELS } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { describeInputIssues } from '../../domain/input-issues.js';
import { MAX_PAGE_SIZE, type RecordStore } from '../../store/record-store.js';
import type { Identity } from './identity.js';
import { ROLE_NAMES } from './roles.js';

/**
 * API keys: a secret a person or a service sends as `Authorization: Bearer twl_…`. A key is
 * scoped to one role (and optionally to channels and policy segments), may expire, can be revoked
 * and is listed without its secret. Only the SHA-256 of the secret is stored (in the record
 * store's `api_keys` collection): the secret is 256 random bits, so a fast hash is enough and a
 * stolen database yields no usable key. Keys are checked from memory; the store is read when an
 * unknown key id shows up (a key created by another process) and every `refreshMs` (revocations
 * made elsewhere). A key presented and verified once is remembered (in memory only) with the
 * identity it stands for, so the next request with it costs a map lookup, not a hash: the entry is
 * used only while the stored key it was verified against is still the one in memory (a revocation
 * or a reload replaces it) and the key has not expired.
 */

/** Collection of the record store the keys live in. */
export const API_KEY_COLLECTION = 'api_keys';
/** Prefix of every key: lets scanners (and people) recognise a leaked Twinloop key. */
export const KEY_PREFIX = 'twl_';
const KEY_PATTERN = /^twl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** How often the keys are reloaded from the store, so a revocation by another process lands. */
export const DEFAULT_KEY_REFRESH_MS = 30_000;
/** How long an unknown key id is remembered as unknown: bounds store reads under a flood of made-up keys. */
const UNKNOWN_ID_TTL_MS = 10_000;
const MAX_UNKNOWN_IDS = 10_000;
/**
 * How many verified keys are remembered. Only keys that passed the hash check enter, so the
 * count is bounded by the keys in use; the bound guards against a store holding far more.
 */
const MAX_VERIFIED = 10_000;

/** A subject: a person's or service's name as the audit trail shows it. */
export const SUBJECT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

/** What a new key is for (validated at the edge). */
export const newApiKeySchema = z.strictObject({
  /** Who holds the key: a person's or service's stable name (the actor in the audit trail). */
  subject: z.string().regex(SUBJECT_PATTERN, 'letters, digits and . _ @ + -, at most 128, starting with a letter or digit'),
  role: z.enum(ROLE_NAMES as [string, ...string[]]),
  channels: z.array(z.enum(CHANNELS)).min(1).optional(),
  segments: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/)).min(1).optional(),
  /** ISO time after which the key no longer works. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  description: z.string().max(500).optional(),
});
/** A new key's settings as written. */
export type NewApiKey = z.infer<typeof newApiKeySchema>;

/** A stored key: everything but the secret, whose hash alone is kept. */
interface StoredKey {
  id: string;
  subject: string;
  role: Identity['role'];
  channels?: Identity['scope']['channels'];
  segments?: Identity['scope']['segments'];
  description?: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
  /** SHA-256 of the secret part, hex. */
  hash: string;
}

/** A key as listed: no secret, no hash. */
export interface ApiKeyInfo {
  id: string;
  subject: string;
  role: Identity['role'];
  channels: Identity['scope']['channels'] | null;
  segments: Identity['scope']['segments'] | null;
  description: string | null;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  status: 'active' | 'expired' | 'revoked';
}

/** A presented key's fate: the identity it stands for, or why it is refused. */
export type KeyCheck = { ok: true; identity: Identity } | { ok: false; reason: string };

/** The keys: create, list, revoke, and check a presented secret. */
export interface ApiKeys {
  /** Creates a key; the answer holds the secret, shown this once. */
  create(input: unknown, createdBy: string): Promise<{ key: string; info: ApiKeyInfo }>;
  list(): Promise<ApiKeyInfo[]>;
  /** Revokes a key at once (NOT_FOUND when unknown; revoking twice is harmless). */
  revoke(id: string, by: string): Promise<ApiKeyInfo>;
  /** The identity of a presented key, or why it is refused (unknown, revoked, expired). */
  verify(presented: string): Promise<KeyCheck>;
  /**
   * The identity of a presented key verified before and still good (not revoked, reloaded or
   * expired since), without waiting: the per-request path; undefined sends the caller to `verify`.
   */
  recall(presented: string): Identity | undefined;
  /** True when the key (by id) exists and is neither revoked nor expired: a session made from it lives as long. */
  isActive(id: string): Promise<boolean>;
  /** True when some key that has not been revoked or expired holds the role. */
  hasActive(role: Identity['role']): Promise<boolean>;
  /** Stops the refresh timer. */
  close(): void;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();
const UNKNOWN_HASH = sha256('no key has this secret');

function infoOf(k: StoredKey, now: number): ApiKeyInfo {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: k.id,
    subject: k.subject,
    role: k.role,
    channels: k.channels ?? null,
    segments: k.segments ?? null,
    description: k.description ?? null,
    createdAt: new Date(k.createdAt).toISOString(),
    createdBy: k.createdBy,
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
    revokedBy: k.revokedBy,
    status: k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'active',
  };
}

/** Every stored key, read from the store now, page by page. */
async function readStoredKeys(records: RecordStore): Promise<StoredKey[]> {
  const out: StoredKey[] = [];
  for (let after: string | undefined; ; ) {
    const page = await records.list<StoredKey>(API_KEY_COLLECTION, { after, limit: MAX_PAGE_SIZE });
    for (const r of page) out.push(r.body);
    if (page.length < MAX_PAGE_SIZE) break;
    after = page[page.length - 1].id;
  }
  return out;
}

/**
 * The keys made for `subject` (revoked and expired ones too, each with its status), read from the
 * store as it is now: a key made or revoked by another process counts at once, with no refresh to
 * wait for. What a check made away from any request reads (an autonomous plan's start, decision 0047).
 */
export async function keysOfSubject(records: RecordStore, subject: string, now: number = Date.now()): Promise<ApiKeyInfo[]> {
  return (await readStoredKeys(records)).filter((k) => k.subject === subject).map((k) => infoOf(k, now));
}

/** Splits a presented key into its id and secret, or null when it is not shaped like a Twinloop key. */
export function parseApiKey(presented: string): { id: string; secret: string } | null {
  const m = KEY_PATTERN.exec(presented);
  return m ? { id: m[1], secret: m[2] } : null;
}

/** A key made or revoked, for the audit trail: which key, by whom. */
export interface ApiKeyChange {
  readonly type: 'key.created' | 'key.revoked';
  readonly key: ApiKeyInfo;
  readonly by: string;
}

/**
 * The keys over a record store. `now` is wall-clock time (never the sandbox's accelerated clock:
 * a key's expiry is a promise to a person). `onChange` hears every key made or revoked (the audit
 * trail). `segments` names the segments a key may be scoped to (the action policy in force's): a
 * key scoped to a name it does not hold is refused at creation, since it would reach no one.
 */
export async function openApiKeys(
  records: RecordStore,
  options: { now?: () => number; refreshMs?: number; onChange?: (change: ApiKeyChange) => Promise<void>; segments?: () => readonly string[] } = {},
): Promise<ApiKeys> {
  const now = options.now ?? Date.now;
  const keys = new Map<string, StoredKey>();
  const unknown = new Map<string, number>();
  // Presented key (id and secret, as sent) → the stored key it matched and the identity it stands for.
  // Keyed by the whole key: a wrong secret for a known id is never found here and takes the hash path.
  const verified = new Map<string, { stored: StoredKey; identity: Identity }>();

  const loadAll = async () => {
    const fresh = await readStoredKeys(records);
    keys.clear();
    for (const k of fresh) keys.set(k.id, k);
    unknown.clear();
    verified.clear();
  };
  await loadAll();
  const refreshMs = options.refreshMs ?? DEFAULT_KEY_REFRESH_MS;
  const timer = refreshMs > 0 ? setInterval(() => void loadAll().catch(() => {}), refreshMs) : undefined;
  timer?.unref();

  const find = async (id: string): Promise<StoredKey | undefined> => {
    const hit = keys.get(id);
    if (hit) return hit;
    const seen = unknown.get(id);
    if (seen !== undefined && now() - seen < UNKNOWN_ID_TTL_MS) return undefined;
    const r = await records.get<StoredKey>(API_KEY_COLLECTION, id);
    if (r) {
      keys.set(id, r.body);
      unknown.delete(id);
      return r.body;
    }
    if (unknown.size >= MAX_UNKNOWN_IDS) unknown.clear();
    unknown.set(id, now());
    return undefined;
  };

  const recall = (presented: string): Identity | undefined => {
    const remembered = verified.get(presented);
    if (remembered === undefined) return undefined;
    const k = remembered.stored;
    // The same stored record (a revocation or a reload replaces it) and not expired since.
    if (keys.get(k.id) === k && k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now())) return remembered.identity;
    verified.delete(presented);
    return undefined;
  };

  return {
    async create(input, createdBy) {
      const parsed = newApiKeySchema.safeParse(input);
      if (!parsed.success) {
        throw new TwinloopError('BAD_INPUT', `new key: ${describeInputIssues(parsed.error.issues, input, { whole: 'body' })} (example: {"subject": "alice", "role": "care_agent", "channels": ["call"], "expiresAt": "2027-01-01T00:00:00Z"})`);
      }
      const n = parsed.data;
      if (n.segments && options.segments) {
        const known = options.segments();
        const unknownNames = n.segments.filter((name) => !known.includes(name));
        if (unknownNames.length > 0) {
          throw new TwinloopError(
            'BAD_INPUT',
            `new key: segments: ${unknownNames.map((u) => `"${u}"`).join(', ')} ${unknownNames.length === 1 ? 'is not a segment' : 'are not segments'} of the action policy in force, which has ${known.length ? known.join(', ') : 'none'}; a segment is defined in the policy (GET /policy, \`twinloop policy set FILE\`: docs/policy.md)`,
            { context: { field: 'segments', unknown: unknownNames, known } },
          );
        }
      }
      const expiresAt = n.expiresAt === undefined ? null : Date.parse(n.expiresAt);
      if (expiresAt !== null && expiresAt <= now()) throw new TwinloopError('BAD_INPUT', `new key: expiresAt ${n.expiresAt} is in the past; give a later time`);
      const id = randomBytes(8).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      const stored: StoredKey = {
        id,
        subject: n.subject,
        role: n.role as Identity['role'],
        ...(n.channels ? { channels: n.channels } : {}),
        ...(n.segments ? { segments: n.segments } : {}),
        ...(n.description ? { description: n.description } : {}),
        createdAt: now(),
        createdBy,
        expiresAt,
        revokedAt: null,
        revokedBy: null,
        hash: sha256(secret).toString('hex'),
      };
      await records.put(API_KEY_COLLECTION, id, stored, { expectedVersion: 0 });
      keys.set(id, stored);
      unknown.delete(id);
      const info = infoOf(stored, now());
      await options.onChange?.({ type: 'key.created', key: info, by: createdBy });
      return { key: `${KEY_PREFIX}${id}_${secret}`, info };
    },
    async list() {
      await loadAll();
      return [...keys.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)).map((k) => infoOf(k, now()));
    },
    async revoke(id, by) {
      const r = await records.get<StoredKey>(API_KEY_COLLECTION, id);
      if (!r) throw new TwinloopError('NOT_FOUND', `no API key ${id}; \`twinloop keys list\` (or GET /keys) lists them`);
      if (r.body.revokedAt !== null) {
        keys.set(id, r.body);
        return infoOf(r.body, now());
      }
      const revoked: StoredKey = { ...r.body, revokedAt: now(), revokedBy: by };
      await records.put(API_KEY_COLLECTION, id, revoked, { expectedVersion: r.version });
      keys.set(id, revoked);
      const info = infoOf(revoked, now());
      await options.onChange?.({ type: 'key.revoked', key: info, by });
      return info;
    },
    recall,
    async verify(presented) {
      const known = recall(presented);
      if (known !== undefined) return { ok: true, identity: known };
      const parts = parseApiKey(presented);
      if (!parts) return { ok: false, reason: `the key is not a Twinloop API key (they look like ${KEY_PREFIX}<16 hex>_<43 characters>)` };
      const k = await find(parts.id);
      const expected = k ? Buffer.from(k.hash, 'hex') : UNKNOWN_HASH;
      const given = sha256(parts.secret);
      // Compared even for an unknown id, so timing does not tell known ids from unknown ones.
      const matches = timingSafeEqual(expected, given);
      if (!k || !matches) return { ok: false, reason: 'the API key is unknown; ask an admin for a key (`twinloop keys create`)' };
      if (k.revokedAt !== null) return { ok: false, reason: `API key ${k.id} was revoked on ${new Date(k.revokedAt).toISOString()}; ask an admin for a new one` };
      if (k.expiresAt !== null && k.expiresAt <= now()) return { ok: false, reason: `API key ${k.id} expired on ${new Date(k.expiresAt).toISOString()}; ask an admin for a new one` };
      // Frozen: the remembered identity is shared by every request that presents this key.
      const identity: Identity = Object.freeze({
        subject: k.subject,
        role: k.role,
        scope: Object.freeze({ ...(k.channels ? { channels: k.channels } : {}), ...(k.segments ? { segments: k.segments } : {}) }),
        via: 'api-key' as const,
        keyId: k.id,
        ...(k.expiresAt !== null ? { expiresAt: k.expiresAt } : {}),
      });
      if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value as string);
      verified.set(presented, { stored: k, identity });
      return { ok: true, identity };
    },
    async isActive(id) {
      const k = await find(id);
      return k !== undefined && k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now());
    },
    async hasActive(role) {
      await loadAll();
      const t = now();
      return [...keys.values()].some((k) => k.role === role && k.revokedAt === null && (k.expiresAt === null || k.expiresAt > t));
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
