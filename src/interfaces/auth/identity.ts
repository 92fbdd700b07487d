import type { Actor } from '../../decisioning/policy/index.js';
import type { SignedActor } from '../../agents/intents/intent-service.js';
import type { Channel } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { actorKindOf, permissionsOf, roleAllows, type Permission, type Role } from './roles.js';

/**
 * Who is asking: the identity every request carries once authenticated. Everything an edge does
 * on someone's behalf (the actor of an action, the approver, the author of a policy change) is
 * taken from here, never from a request body.
 */

/** What a credential may reach beyond its role: some channels, some policy segments (absent: all). */
export interface Scope {
  /** Channels the identity may decide and act on. */
  readonly channels?: readonly Channel[];
  /** Policy segments (by name) whose customers the identity may read and act on. */
  readonly segments?: readonly string[];
}

/** How the identity was established. */
export type CredentialKind = 'api-key' | 'oidc' | 'session' | 'local';

/** An authenticated caller. */
export interface Identity {
  /** The subject: a person's or service's stable name (`alice`, `oidc:…`); the actor id in the audit trail. */
  readonly subject: string;
  readonly role: Role;
  readonly scope: Scope;
  readonly via: CredentialKind;
  /** The API key's id when a key (or a session made from one) authenticated the caller. */
  readonly keyId?: string;
  /** When the credential stops being valid (ms since the epoch), if it does. */
  readonly expiresAt?: number;
}

/** The actor an identity acts as: a person, or an agent for the AI agent role. */
export function actorOf(identity: Identity): Actor {
  return { kind: actorKindOf(identity.role), id: identity.subject };
}

/** The actor an identity acts as, with its role now: what an intent keeps of its creator, read when its plan starts later (decision 0047). */
export function signedActorOf(identity: Identity): SignedActor {
  return { ...actorOf(identity), role: identity.role };
}

/**
 * The one authorisation check of every edge: FORBIDDEN naming the subject, its role and the
 * permission missing when the role lacks it.
 */
export function authorize(identity: Identity, permission: Permission, what: string): void {
  if (roleAllows(identity.role, permission)) return;
  throw new TwinloopError('FORBIDDEN', `${identity.subject} (role ${identity.role}) may not ${what}: it needs the permission ${permission}, which role ${identity.role} does not have; ask an admin for a key with a role that has it`, {
    context: { role: identity.role, permission },
  });
}

/** True when the identity's role holds the permission. */
export function can(identity: Identity, permission: Permission): boolean {
  return roleAllows(identity.role, permission);
}

/** The answer of `GET /auth/me`: who, which role, which permissions, what scope. */
export function describeIdentity(identity: Identity): Record<string, unknown> {
  return {
    subject: identity.subject,
    role: identity.role,
    actorKind: actorKindOf(identity.role),
    permissions: permissionsOf(identity.role),
    scope: { channels: identity.scope.channels ?? null, segments: identity.scope.segments ?? null },
    via: identity.via,
    keyId: identity.keyId ?? null,
    expiresAt: identity.expiresAt === undefined ? null : new Date(identity.expiresAt).toISOString(),
  };
}
