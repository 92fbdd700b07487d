import { describe, expect, it } from 'vitest';
import { runDates } from './run-dates';

describe('runDates', () => {
  it("dates a run by the operator's clock it was stamped with, whatever the browser's clock says", () => {
    expect(runDates({ startedAt: '2027-02-06T09:00:00.000Z', finishedAt: '2027-02-06T19:00:00.000Z' })).toBe('started 2027-02-06 09:00 UTC, finished 2027-02-06 19:00 UTC (event time)');
    expect(runDates({ startedAt: '2027-02-06T09:00:00.000Z' })).toBe('started 2027-02-06 09:00 UTC (event time)');
  });

  it('says how long a finished run took on the wall clock, which its event times (3,600x in the sandbox) do not', () => {
    expect(runDates({ startedAt: '2026-12-13T19:05:00.000Z', finishedAt: '2026-12-14T16:41:00.000Z', tookMs: 21_400 })).toBe('started 2026-12-13 19:05 UTC, finished 2026-12-14 16:41 UTC (event time; it took 21 s)');
    expect(runDates({ startedAt: '2026-12-13T19:05:00.000Z', finishedAt: '2026-12-14T16:41:00.000Z', tookMs: 400_000 })).toBe('started 2026-12-13 19:05 UTC, finished 2026-12-14 16:41 UTC (event time; it took 7 min)');
  });
});
