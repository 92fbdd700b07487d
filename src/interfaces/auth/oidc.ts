import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { describeInputIssues } from '../../domain/input-issues.js';
import type { Identity } from './identity.js';
import { isRole, ROLE_NAMES, type Role } from './roles.js';

/**
 * OpenID Connect bearer tokens: a JWT the operator's identity provider issued, verified (with
 * `jose`) against the provider's signing keys (its JWKS, fetched once and cached; refetched when a
 * token names a key id not seen yet), its issuer and its audience. The role comes from a claim the
 * operator names (`roles`, or a path such as `realm_access.roles`), either a role name itself or
 * a provider group mapped to one.
 */

/** OIDC settings (`twinloop start --oidc-issuer … --oidc-audience …`). */
export const oidcSettingsSchema = z.strictObject({
  /** The provider's issuer URL, exactly as in its tokens' `iss`. */
  issuer: z.url(),
  /** The audience tokens must be issued for (`aud`): the API's client id or resource name. */
  audience: z.string().min(1),
  /** The provider's JWKS URL; default: `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  jwksUrl: z.url().optional(),
  /** Claim (a dotted path for nested ones) holding the role or roles. */
  roleClaim: z.string().min(1).default('roles'),
  /** Claim naming the person or service (the actor in the audit trail). */
  subjectClaim: z.string().min(1).default('sub'),
  /** Provider values of the role claim → Twinloop roles (values that are role names need no entry). */
  roleMap: z.record(z.string(), z.enum(ROLE_NAMES as [Role, ...Role[]])).default({}),
  /** The public client id the console uses for authorization code + PKCE (shown by GET /auth/config). */
  clientId: z.string().min(1).optional(),
});
/** OIDC settings as written. */
export type OidcSettingsInput = z.input<typeof oidcSettingsSchema>;
/** Checked OIDC settings. */
export type OidcSettings = z.infer<typeof oidcSettingsSchema>;

/** A verified token's fate: the identity, or why it is refused (and whether the role is what is missing). */
export type TokenCheck = { ok: true; identity: Identity } | { ok: false; reason: string; forbidden?: boolean };

/** Verifies bearer tokens. */
export interface OidcVerifier {
  readonly settings: OidcSettings;
  verify(token: string): Promise<TokenCheck>;
}

/** Subjects of OIDC identities start so, so they never collide with API-key subjects. */
export const OIDC_SUBJECT_PREFIX = 'oidc:';
/** Largest clock difference accepted between the provider and this server. */
const CLOCK_TOLERANCE_S = 30;

/** The value at a dotted path of the claims, or undefined. */
export function claimAt(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** The Twinloop role a claim value names: the first value (in claim order) that maps to one (pure). */
export function roleFromClaim(value: unknown, roleMap: Readonly<Record<string, Role>>): Role | undefined {
  const values = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    if (Object.hasOwn(roleMap, v)) return roleMap[v];
    if (isRole(v)) return v;
  }
  return undefined;
}

/** Checks the settings once (BAD_INPUT naming the field) and builds the verifier. */
export function createOidcVerifier(input: OidcSettingsInput, options: { fetchJson?: (url: string) => Promise<unknown> } = {}): OidcVerifier {
  const parsed = oidcSettingsSchema.safeParse(input);
  if (!parsed.success) {
    throw new TwinloopError('BAD_INPUT', `OIDC settings: ${describeInputIssues(parsed.error.issues, input, { whole: 'settings' })}; see docs/security.md ("OpenID Connect")`);
  }
  const settings = parsed.data;
  const fetchJson = options.fetchJson ?? (async (url: string) => (await fetch(url)).json());
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keySet = async () => {
    if (jwks) return jwks;
    let url = settings.jwksUrl;
    if (!url) {
      const discovery = `${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const doc = (await fetchJson(discovery).catch((err: Error) => {
        throw new TwinloopError('UNAVAILABLE', `cannot read the OIDC provider's configuration at ${discovery} (${err.message}); check --oidc-issuer or give --oidc-jwks-url`);
      })) as { jwks_uri?: unknown };
      if (typeof doc.jwks_uri !== 'string') throw new TwinloopError('UNAVAILABLE', `the OIDC configuration at ${discovery} names no jwks_uri; give --oidc-jwks-url`);
      url = doc.jwks_uri;
    }
    jwks = createRemoteJWKSet(new URL(url));
    return jwks;
  };

  return {
    settings,
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, await keySet(), { issuer: settings.issuer, audience: settings.audience, clockTolerance: CLOCK_TOLERANCE_S }));
      } catch (err) {
        if (err instanceof TwinloopError) throw err;
        if (err instanceof joseErrors.JWKSTimeout || (err instanceof Error && /fetch|ECONNREFUSED|network/i.test(err.message) && !(err instanceof joseErrors.JOSEError))) {
          throw new TwinloopError('UNAVAILABLE', `cannot fetch the OIDC provider's signing keys (${(err as Error).message}); try again`);
        }
        const why = err instanceof joseErrors.JWTExpired ? 'the token has expired; sign in again' : err instanceof joseErrors.JWTClaimValidationFailed ? `the token's ${err.claim} claim is not accepted (${err.reason})` : `the token does not verify (${(err as Error).message})`;
        return { ok: false, reason: `OIDC: ${why}` };
      }
      const subject = claimAt(payload, settings.subjectClaim);
      if (typeof subject !== 'string' || subject === '') return { ok: false, reason: `OIDC: the token has no ${settings.subjectClaim} claim to name who it is` };
      const role = roleFromClaim(claimAt(payload, settings.roleClaim), settings.roleMap);
      if (!role) {
        return {
          ok: false,
          forbidden: true,
          reason: `OIDC: ${subject} carries no Twinloop role in the claim ${settings.roleClaim} (roles: ${ROLE_NAMES.join(', ')}, or values mapped with --oidc-role-map); ask the identity provider's admin`,
        };
      }
      return {
        ok: true,
        identity: { subject: `${OIDC_SUBJECT_PREFIX}${subject}`, role, scope: {}, via: 'oidc', ...(payload.exp ? { expiresAt: payload.exp * 1000 } : {}) },
      };
    },
  };
}
