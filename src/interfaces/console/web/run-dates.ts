import { eventTime } from './format';

/**
 * When a simulation run started and finished, as the console says it: a run is dated on the
 * operator's clock (the world's while the sandbox runs, 3,600x real time), so its times are event
 * times, not an age or a duration measured against the browser's clock (which read a run of ten
 * seconds as "in 10 h" or "1,440 h ago").
 */
export function runDates(r: { readonly startedAt: string; readonly finishedAt?: string; readonly tookMs?: number }): string {
  const took = r.tookMs === undefined ? '' : `; it took ${tookText(r.tookMs)}`;
  return `started ${eventTime(r.startedAt)}${r.finishedAt ? `, finished ${eventTime(r.finishedAt)}` : ''} (event time${took})`;
}

/** A wall-clock duration as a person reads it: seconds under two minutes, else minutes. */
function tookText(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
