import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../domain/time.js';
import { proactiveSchedule, type LastProactiveRun } from './churn-prevention-schedule.js';

const ANCHOR = Date.UTC(2026, 0, 1, 8);
const CADENCE = 30 * DAY_MS;
/** Quiet hours from 21:00 to 08:00 UTC. */
const outsideQuietHours = (t: number) => {
  const hour = new Date(t).getUTCHours();
  if (hour >= 8 && hour < 21) return t;
  const day = t - (t % DAY_MS);
  return day + 8 * 3_600_000 + (hour >= 21 ? DAY_MS : 0);
};
const at = (now: number, last?: LastProactiveRun) => proactiveSchedule({ now, anchor: ANCHOR, cadenceMs: CADENCE, last, outsideQuietHours });
const ran = (s: ReturnType<typeof at>, status: string): LastProactiveRun => {
  if (s.kind !== 'start') throw new Error(`expected a start, got: ${s.reason}`);
  return { workflowId: `churn-prevention-${s.periodId}`, status, periodId: s.periodId, scanAt: s.scanAt, horizonMs: s.horizonMs };
};

describe('the proactive churn prevention schedule', () => {
  it('starts a period’s run only once the last one has ended, and each run ends at its period’s end', () => {
    const first = at(ANCHOR);
    expect(first).toEqual({ kind: 'start', periodId: '2026-01-01-08-00', scanAt: ANCHOR, horizonMs: CADENCE });
    // Asked again at any time while it acts or waits for its horizon: the next one waits, saying why.
    for (const now of [ANCHOR + DAY_MS, ANCHOR + CADENCE - 1, ANCHOR + CADENCE + 5 * DAY_MS]) {
      const next = at(now, ran(first, 'waiting'));
      expect(next.kind).toBe('wait');
      expect(next.kind === 'wait' && next.reason).toContain('has not ended');
    }
    // It ended at its horizon; the schedule looks a little later (its timer): the next period's run
    // scans now and still ends at its own period's end, so the periods never drift.
    const late = ANCHOR + CADENCE + 2 * 3_600_000;
    const second = at(late, ran(first, 'succeeded'));
    expect(second).toEqual({ kind: 'start', periodId: '2026-01-31-08-00', scanAt: late, horizonMs: CADENCE - 2 * 3_600_000 });
    const third = at(ANCHOR + 2 * CADENCE + 60_000, ran(second, 'succeeded'));
    expect(third.kind === 'start' && third.scanAt + third.horizonMs).toBe(ANCHOR + 3 * CADENCE);
  });

  it('schedules the next period when this period’s run ended early, and never scans in the quiet hours', () => {
    // The run found nothing to do and ended at its scan: the next period's run sleeps to its start.
    const first = at(ANCHOR);
    const next = at(ANCHOR + DAY_MS, ran(first, 'succeeded'));
    expect(next).toEqual({ kind: 'start', periodId: '2026-01-31-08-00', scanAt: ANCHOR + CADENCE, horizonMs: CADENCE });
    // A run that ended at 23:00 is followed at the quiet hours' end, still measured at its period's end.
    const night = Date.UTC(2026, 0, 31, 23);
    const s = at(night, ran(first, 'failed'));
    expect(s).toMatchObject({ kind: 'start', periodId: '2026-01-31-08-00', scanAt: Date.UTC(2026, 1, 1, 8) });
    expect(s.kind === 'start' && s.scanAt + s.horizonMs).toBe(ANCHOR + 2 * CADENCE);
  });
});
