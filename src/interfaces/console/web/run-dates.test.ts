import { describe, expect, it } from 'vitest';
import { runDates } from './run-dates';

describe('runDates', () => {
  it("dates a run by the operator's clock it was stamped with, whatever the browser's clock says", () => {
    expect(runDates({ startedAt: '2027-02-06T09:00:00.000Z', finishedAt: '2027-02-06T19:00:00.000Z' })).toBe('started 2027-02-06 09:00 UTC, finished 2027-02-06 19:00 UTC (event time)');
    expect(runDates({ startedAt: '2027-02-06T09:00:00.000Z' })).toBe('started 2027-02-06 09:00 UTC (event time)');
  });
});
