import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CHANNELS } from '../../domain/events.js';
import type { RecordStore } from '../../store/record-store.js';
import type { Identity } from './identity.js';
import { ROLE_NAMES } from './roles.js';

/**
 * Browser sessions: a person signs in once (with a key, or an OIDC token the console got by
 * authorization code + PKCE) and the server answers an HttpOnly, SameSite=Strict cookie, which
 * the browser then sends with every request, EventSource streams included (they cannot set an
 * Authorization header). The cookie is the identity sealed with an HMAC under a secret kept in the
 * record store, so every process on the same store accepts it and a restart signs nobody out.
 * A session made from a key dies with the key (the authenticator checks the key on each request).
 */

/** The cookie's name. */
export const SESSION_COOKIE = 'twinloop_session';
/** A working day: long enough for a shift, short enough that a forgotten browser signs out. */
export const SESSION_TTL_MS = 12 * 3_600_000;
const SECRET_COLLECTION = 'auth';
const SECRET_ID = 'session-secret';

const sealedSchema = z.strictObject({
  subject: z.string().min(1).max(300),
  role: z.enum(ROLE_NAMES as [string, ...string[]]),
  channels: z.array(z.enum(CHANNELS)).optional(),
  segments: z.array(z.string()).optional(),
  keyId: z.string().optional(),
  exp: z.number(),
});

/** Seals identities into cookie values and opens them again. */
export interface SessionSealer {
  /** The cookie value for an identity, valid until the earlier of the TTL and the credential's own expiry. */
  seal(identity: Identity, now: number): { value: string; expiresAt: number };
  /** The identity a cookie value holds, or null when it is forged, altered or expired. */
  open(value: string, now: number): Identity | null;
}

/** A sealer over a secret (32 random bytes). */
export function sessionSealer(secret: Buffer): SessionSealer {
  const mac = (payload: string) => createHmac('sha256', secret).update(payload).digest();
  return {
    seal(identity, now) {
      const exp = Math.min(now + SESSION_TTL_MS, identity.expiresAt ?? Infinity);
      const body: z.infer<typeof sealedSchema> = {
        subject: identity.subject,
        role: identity.role,
        ...(identity.scope.channels ? { channels: [...identity.scope.channels] } : {}),
        ...(identity.scope.segments ? { segments: [...identity.scope.segments] } : {}),
        ...(identity.keyId ? { keyId: identity.keyId } : {}),
        exp,
      };
      const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
      return { value: `${payload}.${mac(payload).toString('base64url')}`, expiresAt: exp };
    },
    open(value, now) {
      const dot = value.indexOf('.');
      if (dot <= 0) return null;
      const payload = value.slice(0, dot);
      const given = Buffer.from(value.slice(dot + 1), 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      let parsed: z.infer<typeof sealedSchema>;
      try {
        const r = sealedSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
        if (!r.success) return null;
        parsed = r.data;
      } catch {
        return null;
      }
      if (parsed.exp <= now) return null;
      return {
        subject: parsed.subject,
        role: parsed.role as Identity['role'],
        scope: { ...(parsed.channels ? { channels: parsed.channels } : {}), ...(parsed.segments ? { segments: parsed.segments } : {}) },
        via: 'session',
        ...(parsed.keyId ? { keyId: parsed.keyId } : {}),
        expiresAt: parsed.exp,
      };
    },
  };
}

/** The sealer over the store's session secret, made on first use (the first writer wins, so processes agree). */
export async function openSessionSealer(records: RecordStore): Promise<SessionSealer> {
  const existing = await records.get<{ secret: string }>(SECRET_COLLECTION, SECRET_ID);
  if (existing) return sessionSealer(Buffer.from(existing.body.secret, 'base64url'));
  try {
    await records.put(SECRET_COLLECTION, SECRET_ID, { secret: randomBytes(32).toString('base64url') }, { expectedVersion: 0 });
  } catch {
    // Another process made it first: theirs is the secret.
  }
  const made = await records.get<{ secret: string }>(SECRET_COLLECTION, SECRET_ID);
  return sessionSealer(Buffer.from(made!.body.secret, 'base64url'));
}
