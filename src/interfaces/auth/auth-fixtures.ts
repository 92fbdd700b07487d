import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRecordStore } from '../../store/open-record-store.js';
import type { RecordStore } from '../../store/record-store.js';
import type { NewApiKey } from './api-keys.js';
import type { AuthMode, Authenticator } from './authenticator.js';
import { openAuthenticator } from './local-auth.js';
import type { Role } from './roles.js';

/**
 * Authentication for tests and benchmarks that build an HTTP app of their own: the real
 * authenticator over a throw-away record store, and keys made on it for any role.
 */
export interface TestAuth {
  readonly auth: Authenticator;
  /** The record store the keys are kept in (what a check away from any request reads them from). */
  readonly records: RecordStore;
  /** A new key for the role, as the Authorization header to send (`{ authorization: 'Bearer twl_…' }`). */
  bearer(role: Role, subject?: string): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

/** A new key made on `auth` (its role, and any channels or segments it is held to), as the Authorization header to send. */
export async function bearerFor(auth: Pick<Authenticator, 'keys'>, key: NewApiKey): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${(await auth.keys.create(key, 'test')).key}` };
}

/**
 * A customer's registration (`customer` event) in the business or consumer segment, an hour
 * before `nowMs`: the customers the tests of keys held to segments tell apart.
 */
export const segmentCustomer = (id: string, segment: 'business' | 'consumer', nowMs: number) => ({
  id: `reg-${id}`,
  kind: 'customer',
  customerId: id,
  time: new Date(nowMs - 3_600_000).toISOString(),
  source: 'web',
  v: 1,
  data: { segment, billing: 'postpaid', contractMonths: 24, paymentMethod: 'direct_debit', since: '2024-05-01T00:00:00Z' },
});

/**
 * Opens it. `enforced` (default) asks every caller for a credential; `insecure-local` answers a
 * caller on loopback that presents none as the local admin, as `twinloop start --insecure-local`
 * does: for tests of what routes do (the matrix test checks who may call them).
 */
export async function openTestAuth(mode: AuthMode = 'enforced'): Promise<TestAuth> {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-auth-'));
  const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
  const auth = await openAuthenticator(records, { mode });
  let made = 0;
  return {
    auth,
    records,
    bearer: (role, subject) => bearerFor(auth, { subject: subject ?? `${role.replace(/_/g, '-')}-${++made}`, role }),
    async close() {
      auth.keys.close();
      await records.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
