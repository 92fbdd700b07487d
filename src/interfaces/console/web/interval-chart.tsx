import type { Estimate } from '../../../simulation/index';

/** One row of an interval chart: a label, its estimate, and the colour of its scenario. */
export interface IntervalRow {
  readonly label: string;
  readonly estimate: Estimate;
  readonly color: string;
}

const ROW = 26;
const LABEL = 250;
const WIDTH = 640;
const PAD = 16;

/** Round bounds for an axis holding every row and zero. */
function axis(rows: readonly IntervalRow[]): { lo: number; hi: number; ticks: number[] } {
  let lo = 0;
  let hi = 0;
  for (const r of rows) {
    lo = Math.min(lo, r.estimate.p05, r.estimate.mean);
    hi = Math.max(hi, r.estimate.p95, r.estimate.mean);
  }
  if (lo === hi) hi = lo + 1;
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 6) ?? step * 10;
  const from = Math.floor(lo / nice) * nice;
  const to = Math.ceil(hi / nice) * nice;
  const ticks: number[] = [];
  for (let t = from; t <= to + nice / 2; t += nice) ticks.push(Number(t.toPrecision(12)));
  return { lo: from, hi: to, ticks };
}

const short = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

/**
 * Estimates side by side with their 90 % intervals (a dot at the mean, a bar from the 5th to the
 * 95th percentile, a line at zero), drawn in SVG: the lab compares a handful of scenarios or
 * segments, not a time series, so uPlot has nothing to add. The numbers are in the table beside
 * every chart; the SVG carries a text alternative for screen readers.
 */
export function IntervalChart({ title, rows, format }: { title: string; rows: readonly IntervalRow[]; format: (n: number) => string }) {
  if (rows.length === 0) return null;
  const { lo, hi, ticks } = axis(rows);
  const plotWidth = WIDTH - LABEL - PAD;
  const x = (v: number) => LABEL + ((v - lo) / (hi - lo)) * plotWidth;
  const height = rows.length * ROW + 28;
  const summary = rows.map((r) => `${r.label}: ${format(r.estimate.mean)} (90 %: ${format(r.estimate.p05)} to ${format(r.estimate.p95)})`).join('; ');
  return (
    <figure class="chart interval-chart">
      <figcaption>{title}</figcaption>
      <svg width={WIDTH} height={height} viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={`${title}: ${summary}`}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={0} y2={rows.length * ROW} stroke={t === 0 ? '#1d2330' : '#d8dce3'} stroke-width={t === 0 ? 1.5 : 1} />
            <text x={x(t)} y={rows.length * ROW + 16} text-anchor="middle" font-size="11" fill="#4f5869">
              {short.format(t)}
            </text>
          </g>
        ))}
        {rows.map((r, i) => {
          const y = i * ROW + ROW / 2;
          return (
            <g key={r.label}>
              <text x={LABEL - 8} y={y + 4} text-anchor="end" font-size="11" fill="#1d2330">
                {r.label.length > 40 ? r.label.slice(0, 39) + '…' : r.label}
              </text>
              <line x1={x(r.estimate.p05)} x2={x(r.estimate.p95)} y1={y} y2={y} stroke={r.color} stroke-width={8} stroke-linecap="butt" opacity={0.45} />
              <circle cx={x(r.estimate.mean)} cy={y} r={5} fill={r.color} />
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** Colours of the scenarios compared (distinct for the common forms of colour blindness, dark enough on white). */
export const SCENARIO_COLORS = ['#1f5fbf', '#b35900', '#2e7d32', '#8e24aa', '#00838f', '#c62828'] as const;
