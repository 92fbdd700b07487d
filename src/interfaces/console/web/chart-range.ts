import { DAY_MS } from './format';

/**
 * The time axis of a chart (ms of event time, UTC): the period the chart says it shows (`span`,
 * e.g. the customer page's 180 days), widened so the first and last bar stand whole on it; with
 * no span, the points' own first to last. Bars get half the smallest gap between two of them on
 * each side; a single point, bar or line, with no span gets a day either side.
 * uPlot's own range for one time point is a thousand days from it (`86400 / ms` with times in
 * seconds): a single bill stood at the left edge of an axis of almost three years.
 */
export function timeRange(times: readonly number[], options: { span?: readonly [number, number]; bars?: boolean } = {}): [number, number] | null {
  const { span, bars = false } = options;
  if (times.length === 0) return span ? [span[0], span[1]] : null;
  const sorted = [...times].sort((a, b) => a - b);
  let gap = Infinity;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] > sorted[i - 1]) gap = Math.min(gap, sorted[i] - sorted[i - 1]);
  const pad = bars && Number.isFinite(gap) ? gap / 2 : 0;
  let from = sorted[0] - pad;
  let to = sorted[sorted.length - 1] + pad;
  if (span) {
    from = Math.min(from, span[0]);
    to = Math.max(to, span[1]);
  }
  return from < to ? [from, to] : [from - DAY_MS, to + DAY_MS];
}
