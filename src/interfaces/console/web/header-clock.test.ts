import { describe, expect, it } from 'vitest';
import { headerClock } from './header-clock';

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
