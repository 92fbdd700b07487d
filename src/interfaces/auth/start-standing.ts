import type { SignedActor } from '../../agents/intents/intent-service.js';
import type { RecordStore } from '../../store/record-store.js';
import { startPermissionOf } from './access-table.js';
import { keysOfSubject } from './api-keys.js';
import { ROLE_NAMES, roleAllows, type Role } from './roles.js';

/**
 * Whether someone may start a flow's run now, judged where the run starts rather than at the edge
 * that asked: an intent's plan starts as its approver, or in autonomous mode as its owner, in the
 * background and possibly long after the owner created it (a re-plan weeks on, a restart's
 * `planWaiting`), with no request, so no credential, at hand. Decision 0047.
 */

/** Whether the start may go ahead, or why not (said on the intent's stage). */
export type StartStanding = { ok: true } | { ok: false; reason: string };

const isRole = (r: string | undefined): r is Role => r !== undefined && (ROLE_NAMES as readonly string[]).includes(r);

/**
 * Whether `by` may start a run of `definitionId` now: the permission `startPermissionOf` names, held
 *
 * - by a subject API keys were made for: through one of its keys still active, read from the store
 *   now (its keys all revoked or expired, or none of them of a role with the permission: refused);
 * - by a subject no key names (an OIDC identity, whose roles its identity provider keeps; the local
 *   admin of insecure-local mode): through the role its credential held when it acted (`by.role`),
 *   the one standing readable away from its request.
 *
 * Nobody named (an intent from before owners were kept): refused, a person starts it.
 */
export async function startStandingOf(records: RecordStore, by: SignedActor | undefined, definitionId: string, now: number = Date.now()): Promise<StartStanding> {
  const needs = startPermissionOf(definitionId);
  if (!by) return { ok: false, reason: `nobody is recorded to start it as, and a ${definitionId} run needs a person with the permission ${needs}` };
  const keys = await keysOfSubject(records, by.id, now);
  if (keys.length > 0) {
    const active = keys.filter((k) => k.status === 'active');
    if (active.some((k) => roleAllows(k.role, needs))) return { ok: true };
    const held = active.length
      ? `${by.id} holds ${[...new Set(active.map((k) => k.role))].join(', ')} now (active key${active.length > 1 ? 's' : ''} ${active.map((k) => k.id).join(', ')}), without the permission ${needs}`
      : `${by.id}'s API key${keys.length > 1 ? 's are' : ' is'} ${keys.map((k) => `${k.id} ${k.status}${k.revokedAt ? ` ${k.revokedAt}` : ''}`).join(', ')}: ${by.id} holds no role now`;
    return { ok: false, reason: `${held}; a ${definitionId} run needs ${needs}` };
  }
  if (isRole(by.role)) {
    return roleAllows(by.role, needs) ? { ok: true } : { ok: false, reason: `${by.id} acted with role ${by.role}, without the permission ${needs} a ${definitionId} run needs` };
  }
  return { ok: false, reason: `${by.id} holds no API key and no role was recorded when they acted, so whether they may start a ${definitionId} run (${needs}) cannot be read` };
}
