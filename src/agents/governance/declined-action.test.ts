import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { RecordOutcome } from '../../domain/event-sink.js';
import { twinEventSchema, type TwinEvent } from '../../domain/events.js';
import { GENESIS_HASH, type AuditRecord } from '../../store/governance-store.js';
import type { AuditEntry } from './audit-trail.js';
import { declinedEventOf, recordDecline, type DeclinedAction } from './declined-action.js';

const AT = Date.UTC(2026, 2, 2, 14, 12);
const declined: DeclinedAction = {
  requestId: 'dec-42:retain-10',
  decisionId: 'dec-42',
  customerId: 'C-1001',
  actionClass: 'discount',
  channel: 'call',
  offerId: 'retain-10',
  by: { kind: 'human', id: 'ada' },
  reason: 'customer is moving abroad next month',
};

/** An audit trail that keeps what it is given, numbered. */
function keptAudit() {
  const entries: AuditEntry[] = [];
  return { entries, record: async (entry: AuditEntry): Promise<AuditRecord> => (entries.push(entry), { seq: entries.length, at: AT, prevHash: GENESIS_HASH, hash: 'h', entry: entry as unknown as Record<string, unknown> }) };
}

describe('a declined action', () => {
  it("is an action event with status declined, the reason and who declined, valid for the intake and named once per request", () => {
    const e = declinedEventOf(declined, AT);
    expect(e).toMatchObject({ id: 'action:dec-42:retain-10:declined', kind: 'action', customerId: 'C-1001', time: '2026-03-02T14:12:00.000Z', source: 'twinloop' });
    expect(e.data).toEqual({ requestId: 'dec-42:retain-10', decisionId: 'dec-42', actionClass: 'discount', channel: 'call', status: 'declined', reason: declined.reason, offerId: 'retain-10', by: 'ada' });
    expect(twinEventSchema.safeParse(e).success).toBe(true);
    // A reason longer than the event keeps is cut to it, still valid.
    expect(twinEventSchema.safeParse(declinedEventOf({ ...declined, reason: 'x'.repeat(500) }, AT)).success).toBe(true);
  });

  it('is audited with the person as the actor and written to the timeline at the clock given', async () => {
    const audit = keptAudit();
    const submitted: TwinEvent[] = [];
    const sink = { submit: async (events: readonly TwinEvent[]): Promise<RecordOutcome[]> => (submitted.push(...events), events.map((x) => ({ status: 'accepted' as const, id: x.id }))) };
    const recorded = await recordDecline({ sink, audit, clock: new ManualClock(AT) }, declined);
    expect(recorded).toEqual({ eventId: 'action:dec-42:retain-10:declined', auditSeq: 1, at: '2026-03-02T14:12:00.000Z' });
    expect(audit.entries).toEqual([
      expect.objectContaining({ type: 'action.declined', requestId: 'dec-42:retain-10', actor: { kind: 'human', id: 'ada' }, action: expect.objectContaining({ customerId: 'C-1001', cost: 0 }), why: { summary: declined.reason } }),
    ]);
    expect(submitted.map((x) => x.id)).toEqual(['action:dec-42:retain-10:declined']);
  });

  it('says so when the timeline refuses the event, naming the intake reason and the audit entry kept', async () => {
    const sink = { submit: async (): Promise<RecordOutcome[]> => [{ status: 'rejected', reason: 'time: 3 days behind the customer' }] };
    await expect(recordDecline({ sink, audit: keptAudit(), clock: new ManualClock(AT) }, declined)).rejects.toThrow(/audited \(entry 1\) but the timeline refused its event: time: 3 days behind/);
  });
});
