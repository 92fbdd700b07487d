import { SESSION_COOKIE, type SessionSealer } from '../auth/sessions.js';
import type { Identity } from '../auth/identity.js';

/**
 * How partition workers call each other for work that spans the population (a churn-prevention
 * run's scan, check and actions, docs/scale.md): with an identity of their own, `worker:<id>`,
 * sealed as a session under the secret every process on the store shares (`auth/sessions.ts`), so
 * no key is made or kept for it and every worker can open it. Nothing but a worker holding that
 * secret can make one: a person's session carries `oidc:` or a key's id.
 */

const SUBJECT_PREFIX = 'worker:';

/** The identity worker `workerId` calls the others with. */
export function workerIdentity(workerId: string): Identity {
  return { subject: `${SUBJECT_PREFIX}${workerId}`, role: 'admin', scope: {}, via: 'session' };
}

/** Whether a request comes from a partition worker (its sealed identity, not a key's session). */
export function isWorkerIdentity(identity: Identity): boolean {
  return identity.via === 'session' && identity.keyId === undefined && identity.subject.startsWith(SUBJECT_PREFIX);
}

/** The headers of a worker's calls to the others: its identity sealed afresh (a session lasts a working day). */
export function workerHeaders(sessions: SessionSealer, workerId: string): () => Record<string, string> {
  return () => ({ cookie: `${SESSION_COOKIE}=${sessions.seal(workerIdentity(workerId), Date.now()).value}` });
}
