import { describe, expect, it } from 'vitest';
import { decodeConsents, encodeConsents, hasMarketingConsent } from './consent-code.js';

describe('consents in one number', () => {
  it('keeps marketing, SMS and e-mail consent apart, with "never said" as null', () => {
    for (const marketing of [true, false]) {
      for (const sms of [true, false, undefined]) {
        for (const email of [true, false, undefined]) {
          const n = encodeConsents({ marketing, sms, email });
          expect(decodeConsents(n)).toEqual({ marketing, sms: sms ?? null, email: email ?? null });
          expect(hasMarketingConsent(n)).toBe(marketing);
        }
      }
    }
    expect(decodeConsents(encodeConsents(undefined))).toEqual({ marketing: null, sms: null, email: null });
  });

  it('reads the numbers written before channel consents were kept (0, 1, 2) as they meant', () => {
    expect(decodeConsents(1)).toEqual({ marketing: true, sms: null, email: null });
    expect(decodeConsents(2)).toEqual({ marketing: false, sms: null, email: null });
  });
});
