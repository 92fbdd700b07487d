/**
 * When the proactive churn-prevention scan runs: one run at a time, one per period of the policy's
 * cadence from the first scan (the anchor), each measuring at its period's end.
 *
 * A period's run used to be started as soon as the period before it began, sleeping to its scan,
 * with a horizon of a whole cadence from its scan: two runs were always listed (one acting or
 * waiting for its horizon, the next sleeping), and a run whose scan moved past the quiet hours, or
 * started late, was still measuring while the next one scanned and contacted. Now a period's run
 * starts only once the last one has ended, and its horizon is its period's end, so the next run
 * starts where the last one stopped, never on top of it, and a late start never pushes the periods
 * after it. `GET /churn-prevention/runs` lists one run that has not ended at most.
 */

/** Run statuses after which a run never changes again (the workflow journal's FINISHED_STATUSES). */
const ENDED: ReadonlySet<string> = new Set(['succeeded', 'failed']);

/** The proactive run started last, as the schedule reads it. */
export interface LastProactiveRun {
  readonly workflowId: string;
  readonly status: string;
  readonly periodId: string;
  /** Its scan time and horizon (ms), from its input. */
  readonly scanAt: number;
  readonly horizonMs: number;
}

/** What the schedule says now. */
export type ProactiveSchedule =
  | { readonly kind: 'start'; readonly periodId: string; readonly scanAt: number; readonly horizonMs: number }
  | { readonly kind: 'wait'; readonly workflowId: string; readonly reason: string };

/** The period id of a period starting at `startMs` (the minute, UTC, as `2026-03-01-08-00`). */
export const periodIdOf = (startMs: number): string => new Date(startMs).toISOString().slice(0, 16).replace(/[:T]/g, '-');

/**
 * The proactive scan's next step: wait for the last run to end, or start the run of the period
 * `now` is in (the next period when this one's run has already ended: a run that found nothing to
 * do ends at its scan). The run scans at its period's start, or now when later, moved past the
 * quiet hours by `outsideQuietHours`, and measures at its period's end.
 */
export function proactiveSchedule(o: {
  readonly now: number;
  readonly anchor: number;
  readonly cadenceMs: number;
  readonly last: LastProactiveRun | undefined;
  readonly outsideQuietHours: (t: number) => number;
}): ProactiveSchedule {
  const { now, anchor, cadenceMs, last } = o;
  if (last && !ENDED.has(last.status)) {
    const horizon = new Date(last.scanAt + last.horizonMs).toISOString();
    return { kind: 'wait', workflowId: last.workflowId, reason: `the run of period ${last.periodId} (${last.workflowId}, ${last.status}) has not ended; it ends at its horizon, ${horizon}, and the next period's run starts then` };
  }
  let start = anchor + Math.floor(Math.max(0, now - anchor) / cadenceMs) * cadenceMs;
  for (let looked = 0; looked < MAX_PERIODS_LOOKED_AT; looked++) {
    const periodId = periodIdOf(start);
    const end = start + cadenceMs;
    const scanAt = o.outsideQuietHours(Math.max(start, now));
    // This period's run has already run (ended early), or the period is over before it could scan: the next one.
    if (last?.periodId === periodId || scanAt >= end) {
      start = end;
      continue;
    }
    return { kind: 'start', periodId, scanAt, horizonMs: end - scanAt };
  }
  return { kind: 'wait', workflowId: last?.workflowId ?? '', reason: `none of the next ${MAX_PERIODS_LOOKED_AT} periods of ${cadenceMs / 3_600_000} h leaves time to contact outside the quiet hours; lengthen the cadence or shorten the quiet hours` };
}

/** Periods looked at for one outside the quiet hours before the schedule gives up (quiet hours that never end). */
const MAX_PERIODS_LOOKED_AT = 400;
