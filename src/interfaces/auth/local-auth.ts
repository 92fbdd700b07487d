import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TwinloopError } from '../../domain/errors.js';
import type { RecordStore } from '../../store/record-store.js';
import type { AuditTrail } from '../../agents/governance/audit-trail.js';
import { openApiKeys, type ApiKeyChange, type ApiKeys } from './api-keys.js';
import { createAuthenticator, type AuthMode, type Authenticator } from './authenticator.js';
import { createOidcVerifier, type OidcSettingsInput } from './oidc.js';
import { openSessionSealer } from './sessions.js';

/**
 * How a server authenticates, put together once at start: the API keys and the session secret in
 * the record store, an OIDC provider when one is configured, and the admin key the first start
 * makes and leaves in the data dir for the owner (as a notebook server prints its token).
 */

/** The file in the data dir holding the admin key made on first start (mode 0600: its owner alone reads it). */
export const ADMIN_KEY_FILE = 'admin.key';
/** The environment variable the CLI reads a key from (before the data dir's admin.key). */
export const API_KEY_ENV = 'TWINLOOP_API_KEY';
/** The subject of the admin key made on first start, as the audit trail names it. */
export const FIRST_ADMIN_SUBJECT = 'admin';

/** How the server authenticates (`twinloop start --insecure-local`, `--oidc-issuer …`). */
export interface AuthSettings {
  readonly mode: AuthMode;
  /** An OpenID Connect provider whose bearer tokens are accepted besides API keys. */
  readonly oidc?: OidcSettingsInput;
}

/**
 * Opens the keys and sessions over the record store and builds the authenticator (OIDC settings
 * checked here, BAD_INPUT naming the field). `segments` names the action policy's segments in
 * force, which a new key may be scoped to.
 */
export async function openAuthenticator(records: RecordStore, settings: AuthSettings, audit?: AuditTrail, segments?: () => readonly string[]): Promise<Authenticator> {
  const oidc = settings.oidc ? createOidcVerifier(settings.oidc) : undefined;
  const keys = await openApiKeys(records, { ...(audit ? { onChange: auditKeyChanges(audit) } : {}), ...(segments ? { segments } : {}) });
  const sessions = await openSessionSealer(records);
  return createAuthenticator({ mode: settings.mode, keys, sessions, oidc });
}

/** Who makes the first admin key, as its audit entry names it. */
const FIRST_START = 'twinloop start';

/** Every key made or revoked, written to the audit trail: who did it, which key, for whom and which role. */
export function auditKeyChanges(audit: AuditTrail): (change: ApiKeyChange) => Promise<void> {
  return async ({ type, key, by }) => {
    const what = type === 'key.created' ? `key ${key.id} made for ${key.subject} as ${key.role}${key.description ? `: ${key.description}` : ''}` : `key ${key.id} of ${key.subject} (${key.role}) revoked`;
    await audit.record({ type, actor: { kind: by === FIRST_START ? 'system' : 'human', id: by }, target: { kind: 'api-key', id: key.id, subject: key.subject, role: key.role }, why: { summary: what } });
  };
}

/** An admin key made now: its secret (shown once) and where it was written, if anywhere. */
export interface FirstAdminKey {
  readonly key: string;
  /** The file holding it (the data dir's admin.key); absent on PostgreSQL without a data dir. */
  readonly file?: string;
}

/**
 * Makes an admin key when no usable one exists (the first start, or every admin key revoked or
 * expired) and writes it, readable by its owner only, to `<dataDir>/admin.key`; undefined when an
 * admin key exists already (its secret is not kept anywhere, so it cannot be shown again).
 */
export async function ensureAdminKey(keys: ApiKeys, dataDir: string | undefined): Promise<FirstAdminKey | undefined> {
  if (await keys.hasActive('admin')) return undefined;
  const made = await keys.create({ subject: FIRST_ADMIN_SUBJECT, role: 'admin', description: 'made on first start; make a key per person and role with `twinloop keys create`' }, FIRST_START);
  if (dataDir === undefined) return { key: made.key };
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, ADMIN_KEY_FILE);
  // A file left by an earlier key may carry looser permissions: write a new one.
  rmSync(file, { force: true });
  writeFileSync(file, `${made.key}\n`, { mode: 0o600, flag: 'wx' });
  return { key: made.key, file };
}

/**
 * The key a command on this machine sends to the server: `TWINLOOP_API_KEY`, else the data dir's
 * admin.key (readable only by the user who started the server), else none.
 */
export function localApiKey(dataDir: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const fromEnv = env[API_KEY_ENV]?.trim();
  if (fromEnv) return fromEnv;
  if (dataDir === undefined) return undefined;
  const file = join(dataDir, ADMIN_KEY_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    throw new TwinloopError('UNAUTHENTICATED', `cannot read the server's key at ${file} (${(err as Error).message}); run as the user who started the server, or set ${API_KEY_ENV}`);
  }
}
