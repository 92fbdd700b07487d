import { describe, expect, it } from 'vitest';
import { outsideQuietHours, resolveContactPolicy } from './contact-policy.js';

describe('the time outbound contact is next allowed', () => {
  const at = (iso: string) => Date.parse(iso);
  it('is now outside the quiet hours, their end inside them (wrapping midnight, in the zone)', () => {
    const utc = resolveContactPolicy({});
    expect(outsideQuietHours(at('2026-12-05T14:30:10Z'), utc)).toBe(at('2026-12-05T14:30:10Z'));
    expect(outsideQuietHours(at('2026-12-05T21:09:21Z'), utc)).toBe(at('2026-12-06T08:00:00Z'));
    expect(outsideQuietHours(at('2026-12-06T03:00:00Z'), utc)).toBe(at('2026-12-06T08:00:00Z'));
    expect(outsideQuietHours(at('2026-12-06T08:00:00Z'), utc)).toBe(at('2026-12-06T08:00:00Z'));
    // Quiet 22–07 at UTC+2: 21:30 UTC is 23:30 there, allowed again at 07:00 local = 05:00 UTC.
    const east = resolveContactPolicy({ quietHours: { startHour: 22, endHour: 7, zone: { utcOffsetMinutes: 120 } } });
    expect(outsideQuietHours(at('2026-12-05T21:30:00Z'), east)).toBe(at('2026-12-06T05:00:00Z'));
    expect(outsideQuietHours(at('2026-12-05T21:30:00Z'), resolveContactPolicy({ quietHours: null }))).toBe(at('2026-12-05T21:30:00Z'));
  });
});
