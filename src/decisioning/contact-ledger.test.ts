import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../domain/time.js';
import { ContactLedger } from './contact-ledger.js';

const NOON = Date.parse('2030-03-04T12:00:00Z');

describe('the contact ledger', () => {
  it("judges a request again without its own entries, everywhere the summary reads (counts, the offer's last delivery, the offer pending), and the others' still", () => {
    const ledger = new ContactLedger();
    ledger.record('C1', { at: NOON - 5 * DAY_MS, channel: 'sms', offerId: 'bonus', response: 'presented', requestId: 'r0' });
    ledger.record('C1', { at: NOON - 4 * DAY_MS, channel: 'sms', offerId: 'bonus', response: 'declined', requestId: 'r0' });
    ledger.record('C1', { at: NOON - 60_000, channel: 'email', offerId: 'upgrade', response: 'presented', requestId: 'r1' });
    const all = ledger.summary('C1', NOON, 30)!;
    expect(all).toMatchObject({ contacts: 2, lastDeclineAt: NOON - 4 * DAY_MS, pendingOffer: { offerId: 'upgrade', at: NOON - 60_000 } });
    expect(all.lastDeliveredOf!('upgrade')).toBe(NOON - 60_000);
    const again = ledger.summary('C1', NOON, 30, 'r1')!;
    expect(again).toMatchObject({ contacts: 1, lastDeclineAt: NOON - 4 * DAY_MS });
    expect(again.pendingOffer).toBeUndefined();
    expect(again.lastDeliveredOf!('upgrade')).toBe(-Infinity);
    expect(again.lastDeliveredOf!('bonus')).toBe(NOON - 5 * DAY_MS);
    expect(again.lastDeclineOf('bonus')).toBe(NOON - 4 * DAY_MS);
    const other = ledger.summary('C1', NOON, 30, 'r0')!;
    expect(other).toMatchObject({ contacts: 1, lastDeclineAt: -Infinity, pendingOffer: { offerId: 'upgrade' } });
    expect(other.lastDeclineOf('bonus')).toBe(-Infinity);
    // The summary answers; the ledger keeps every entry.
    expect(ledger.entries('C1')).toHaveLength(3);
  });
});
