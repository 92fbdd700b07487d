/**
 * The customer's consents in one number of the twin's record (the slot that held the marketing
 * consent alone, so checkpoints written before keep their meaning): marketing + 3 × sms +
 * 9 × email, each 0 when the customer never said, 1 for yes, 2 for no.
 */

/** What the customer said about being contacted: true, false, or null when never asked. */
export interface Consents {
  readonly marketing: boolean | null;
  /** Contact by SMS (a channel opt-out when false). */
  readonly sms: boolean | null;
  /** Contact by e-mail (a channel opt-out when false). */
  readonly email: boolean | null;
}

const code = (v: boolean | undefined) => (v === undefined ? 0 : v ? 1 : 2);
const said = (c: number): boolean | null => (c === 0 ? null : c === 1);

/** The number for a profile's consent block (pure). */
export function encodeConsents(consent: { marketing: boolean; sms?: boolean; email?: boolean } | undefined): number {
  if (consent === undefined) return 0;
  return code(consent.marketing) + 3 * code(consent.sms) + 9 * code(consent.email);
}

/** The consents a stored number holds (pure). */
export function decodeConsents(n: number): Consents {
  return { marketing: said(n % 3), sms: said(Math.floor(n / 3) % 3), email: said(Math.floor(n / 9) % 3) };
}

/** True when the stored number records a yes to marketing (pure; the `marketing_consent` feature). */
export function hasMarketingConsent(n: number): boolean {
  return n % 3 === 1;
}
