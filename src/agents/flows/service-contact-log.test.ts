import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../../domain/events.js';
import { memoryDocuments } from '../../store/document-store.js';
import { createServiceContactLog, type ServiceContacts } from './service-contact-log.js';

const T = Date.parse('2026-11-10T10:00:00Z');
const D = 86_400_000;
const base = (customerId: string, ms: number) => ({ id: `${customerId}-${ms}-${Math.random()}`, customerId, time: new Date(ms).toISOString(), source: 't', v: 1 as const });
const call = (customerId: string, ms: number, intent = 'technical_support', phase: 'start' | 'end' = 'start'): { event: TwinEvent; time: number } => ({ event: { ...base(customerId, ms), kind: 'interaction', data: { channel: 'call', intent, phase } }, time: ms });
const ticket = (customerId: string, ms: number, category: 'network' | 'billing'): { event: TwinEvent; time: number } => ({
  event: { ...base(customerId, ms), kind: 'ticket', data: { ticketId: `T-${ms}`, action: 'opened', category, severity: 'medium', complaint: true } },
  time: ms,
});

describe('the service contact log', () => {
  it("keeps each customer's calls and network complaints about their service, finds the first in a window, and survives a restart", async () => {
    const store = memoryDocuments<ServiceContacts>();
    const log = createServiceContactLog({ store, horizonMs: 30 * D, onError: (err) => expect.fail(err.message) });
    await log.load();
    log.observe([call('C1', T + 3_000), call('C1', T + 1_000), call('C2', T, 'billing_question'), call('C3', T, 'technical_support', 'end'), ticket('C4', T + 5_000, 'network'), ticket('C5', T, 'billing')]);
    expect(log.firstContact('C1', T, T + D)).toBe(T + 1_000);
    expect(log.firstContact('C1', T + 2_000, T + D)).toBe(T + 3_000);
    expect(log.firstContact('C1', T + 4_000, T + D)).toBeNull();
    // A billing question, the end of a call and a billing complaint are not about the service.
    expect(['C2', 'C3', 'C5'].map((c) => log.firstContact(c, 0, T + D))).toEqual([null, null, null]);
    expect(log.firstContact('C4', 0, T + D)).toBe(T + 5_000);
    // Contacts older than the horizon behind the newest are dropped when the customer calls again.
    log.observe([call('C1', T + 40 * D)]);
    expect(log.firstContact('C1', 0, T + 50 * D)).toBe(T + 40 * D);
    await log.flushed();
    const again = createServiceContactLog({ store, onError: (err) => expect.fail(err.message) });
    await again.load();
    expect(again.firstContact('C1', 0, T + 50 * D)).toBe(T + 40 * D);
    expect(again.firstContact('C4', 0, T + D)).toBe(T + 5_000);
  });
});
