import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { timeRange } from './chart-range';

/** One line or bar series of a time chart. */
export interface Series {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
  /** Bars (one per point, e.g. bills) instead of a line. */
  readonly bars?: boolean;
}

/**
 * A time chart (uPlot, canvas): `times` in ms of event time (UTC), one or more series over them.
 * A short caption and a table-like summary are the accessible part: the canvas is hidden from
 * screen readers, whose users get the numbers in the timeline and the panels around it. `span`
 * (ms) is the period the chart says it shows: its time axis covers it (timeRange).
 */
export function TimeChart({ title, times, series, span, height = 180 }: { title: string; times: readonly number[]; series: readonly Series[]; span?: readonly [number, number]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || times.length === 0) return;
    const range = timeRange(times, { span, bars: series.some((s) => s.bars) })!;
    const x: uPlot.Scale = { time: true, range: (): uPlot.Range.MinMax => [range[0] / 1000, range[1] / 1000] };
    const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 24] }) : undefined;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      // Bars are read by their height, so their axis starts at zero: on uPlot's own range a bill
      // of 20.00 beside one of 22.50 drew as a sliver beside a tall bar.
      scales: { x, ...(series.some((s) => s.bars) ? { y: { range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [Math.min(0, min), max > 0 ? max * 1.05 : 1] } } : {}) },
      // A line needs two points: a series of one or two shows its points instead.
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, fill: s.bars ? s.color + '99' : undefined, width: s.bars ? 0 : 1.5, paths: s.bars ? bars : undefined, points: { show: times.length < 3 } }))],
      axes: [{}, { size: 60 }],
      // The axes' ranges as drawn (the time axis's in ms), for readers of the page that cannot see the canvas (tests).
      hooks: {
        draw: [
          (u) => {
            el.dataset.yRange = `${u.scales.y.min ?? ''},${u.scales.y.max ?? ''}`;
            el.dataset.xRange = `${(u.scales.x.min ?? 0) * 1000},${(u.scales.x.max ?? 0) * 1000}`;
          },
        ],
      },
    };
    const data: uPlot.AlignedData = [times.map((t) => t / 1000), ...series.map((s) => s.values as (number | null)[])];
    const plot = new uPlot(opts, data, el);
    const resize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [times, series, span?.[0], span?.[1], height]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      {times.length === 0 ? <p class="muted">no data in this period</p> : <div ref={box} aria-hidden="true" />}
    </figure>
  );
}
