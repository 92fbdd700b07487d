import { TwinloopError } from '../../domain/errors.js';
import type { ApiKeys } from './api-keys.js';
import { KEY_PREFIX } from './api-keys.js';
import type { Identity } from './identity.js';
import type { OidcVerifier } from './oidc.js';
import type { SessionSealer } from './sessions.js';

/**
 * Tells who is asking from what a request presents: `Authorization: Bearer twl_…` (an API key),
 * `Authorization: Bearer <JWT>` (an OIDC token, when a provider is configured), or the session
 * cookie a browser got from `POST /auth/session`. Every edge (HTTP routes, MCP over HTTP, the
 * event stream) authenticates here; nothing is answered to a caller it cannot name, except
 * `/health` and the console's static pages.
 */

/** What a request presents. */
export interface Presented {
  /** The Authorization header, as sent. */
  readonly authorization?: string;
  /** The session cookie's value, if any. */
  readonly sessionCookie?: string;
  /** The peer's address (for open mode on loopback only). */
  readonly remoteAddress?: string;
}

/**
 * How the server authenticates. `enforced`: every caller presents a credential. `insecure-local`:
 * as today's open mode, a caller on the loopback interface that presents nothing acts as the
 * local admin (`--insecure-local`; printed loudly at start, refused on other interfaces).
 */
export type AuthMode = 'enforced' | 'insecure-local';

/** What the authenticator is built from. */
export interface AuthenticatorOptions {
  readonly mode: AuthMode;
  readonly keys: ApiKeys;
  readonly sessions: SessionSealer;
  readonly oidc?: OidcVerifier;
  /** Wall-clock time (sessions and keys expire in people's time, never the sandbox's). */
  readonly now?: () => number;
}

/** Authenticates requests. */
export interface Authenticator {
  readonly mode: AuthMode;
  readonly keys: ApiKeys;
  readonly sessions: SessionSealer;
  readonly oidc?: OidcVerifier;
  /** The caller's identity; UNAUTHENTICATED (with what to do) when it presents nothing valid, FORBIDDEN for an OIDC token without a role. */
  authenticate(presented: Presented): Promise<Identity>;
}

/** The identity of an unauthenticated caller on loopback in open mode. */
export const LOCAL_IDENTITY: Identity = Object.freeze({ subject: 'local', role: 'admin', scope: Object.freeze({}), via: 'local' });

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** True for an address of the loopback interface. */
export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

/** Where a key comes from, for a message that asks for one. */
export const WHERE_KEYS_ARE = "the first start wrote an admin key to the data dir's admin.key; `twinloop keys create` makes more";

const HOW = `send "Authorization: Bearer <key>" (${WHERE_KEYS_ARE}) or sign in at /sign-in`;

/** Refused for want of a credential: `context.reason` is why alone, for an edge that says what to do next in its own words (the sign-in itself). */
const unauthenticated = (why: string) => new TwinloopError('UNAUTHENTICATED', `${why}; ${HOW}`, { context: { reason: why } });

/** Builds the authenticator. */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { keys, sessions, oidc, mode } = options;
  const now = options.now ?? Date.now;

  async function bearer(token: string): Promise<Identity> {
    if (token.startsWith(KEY_PREFIX)) {
      // A key verified before answers from memory without a wait (the hot path of every request).
      const known = keys.recall(token);
      if (known !== undefined) return known;
      const r = await keys.verify(token);
      if (!r.ok) throw unauthenticated(r.reason);
      return r.identity;
    }
    if (!oidc) throw unauthenticated('the bearer token is not a Twinloop API key, and no OpenID Connect provider is configured (--oidc-issuer)');
    const r = await oidc.verify(token);
    if (r.ok) return r.identity;
    if (r.forbidden) throw new TwinloopError('FORBIDDEN', r.reason);
    throw unauthenticated(r.reason);
  }

  return {
    mode,
    keys,
    sessions,
    oidc,
    async authenticate(p) {
      if (p.authorization !== undefined) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(p.authorization);
        if (!m) throw unauthenticated('the Authorization header is not "Bearer <token>"');
        return bearer(m[1]);
      }
      if (p.sessionCookie) {
        const identity = sessions.open(p.sessionCookie, now());
        if (!identity) throw unauthenticated('the session has expired or is not valid; sign in again');
        if (identity.keyId && !(await keys.isActive(identity.keyId))) throw unauthenticated(`the key this session was made from (${identity.keyId}) is revoked or expired; sign in again with another`);
        return identity;
      }
      if (mode === 'insecure-local' && isLoopback(p.remoteAddress)) return LOCAL_IDENTITY;
      throw unauthenticated('no credential');
    },
  };
}
