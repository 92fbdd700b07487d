import { describe, expect, it } from 'vitest';
import { clockNow, headerClock, type ClockReading } from './header-clock';

const live = { kind: 'sandbox', phase: 'live', speed: 3600 } as const;

describe('headerClock', () => {
  it("shows the world's time while the sandbox runs, and how far the twins' latest event trails it", () => {
    const c = headerClock({ eventClock: '2026-12-06T10:00:00.000Z', worldClock: '2026-12-08T13:30:00.000Z', clockSource: live });
    expect(c).toMatchObject({ label: 'Simulated clock (3,600× real time)', now: '2026-12-08T13:30:00.000Z', behind: "twins' latest event 2 d 3 h behind (2026-12-06 10:00 UTC)" });
  });

  it('says nothing of a lag under an hour, and shows the event clock without a world', () => {
    expect(headerClock({ eventClock: '2026-12-08T13:00:00.000Z', worldClock: '2026-12-08T13:30:00.000Z', clockSource: live }).behind).toBeNull();
    expect(headerClock({ eventClock: '2026-12-08T13:00:00.000Z', worldClock: null, clockSource: { kind: 'events' } })).toMatchObject({ label: 'Event clock', now: '2026-12-08T13:00:00.000Z', behind: null });
    expect(headerClock(undefined)).toMatchObject({ now: null, behind: null });
  });
});

describe('clockNow', () => {
  const at = (world: string, receivedAt: number, clockSource: ClockReading['clocks']['clockSource'] = live): ClockReading => ({ clocks: { eventClock: world, worldClock: world, clockSource }, receivedAt });
  const T = 1_000_000;

  it("goes on between reads at the pace the world kept (3,600×: an hour a second), not standing still for the 5 s between them", () => {
    const previous = at('2026-12-08T10:00:00.000Z', T);
    const last = at('2026-12-08T15:00:00.000Z', T + 5_000);
    expect(clockNow(last, previous, T + 5_000)).toBe('2026-12-08T15:00:00.000Z');
    expect(clockNow(last, previous, T + 7_000)).toBe('2026-12-08T17:00:00.000Z');
  });

  it('goes at the pace measured when the world runs behind its speed, never faster than its speed, and stops after two missed reads', () => {
    // Under load: 2 h in 5 s.
    expect(clockNow(at('2026-12-08T12:00:00.000Z', T + 5_000), at('2026-12-08T10:00:00.000Z', T), T + 7_500)).toBe('2026-12-08T13:00:00.000Z');
    // A leap (a read late in coming) is not taken for its pace.
    expect(clockNow(at('2026-12-09T10:00:00.000Z', T + 5_000), at('2026-12-08T10:00:00.000Z', T), T + 6_000)).toBe('2026-12-09T11:00:00.000Z');
    expect(clockNow(at('2026-12-08T15:00:00.000Z', T + 5_000), at('2026-12-08T10:00:00.000Z', T), T + 60_000)).toBe('2026-12-09T01:00:00.000Z');
  });

  it('shows the reading as it is for the event clock, a backfill, or a first read', () => {
    const previous = at('2026-12-08T10:00:00.000Z', T, { kind: 'sandbox', phase: 'backfilling', speed: 3600 });
    const last = at('2026-12-08T15:00:00.000Z', T + 5_000, { kind: 'sandbox', phase: 'backfilling', speed: 3600 });
    expect(clockNow(last, previous, T + 7_000)).toBe('2026-12-08T15:00:00.000Z');
    expect(clockNow({ clocks: { eventClock: '2026-12-08T15:00:00.000Z', clockSource: { kind: 'events' } }, receivedAt: T + 5_000 }, { clocks: { eventClock: '2026-12-08T10:00:00.000Z', clockSource: { kind: 'events' } }, receivedAt: T }, T + 7_000)).toBe('2026-12-08T15:00:00.000Z');
    expect(clockNow(at('2026-12-08T15:00:00.000Z', T), undefined, T + 3_000)).toBe('2026-12-08T15:00:00.000Z');
    expect(clockNow(undefined, undefined, T)).toBeNull();
  });
});
