import type { CalibrationSide } from './calibration-profile.js';

/** One line of the side-by-side table. */
export interface CalibrationRow {
  section: 'share' | 'mean' | 'churn';
  metric: string;
  ibm: number;
  world: number;
  /** For churn rows: the group's rate over the overall rate, per side. */
  ibmRelative?: number;
  worldRelative?: number;
}

/** The comparison `twinloop sandbox calibrate` prints. */
export interface CalibrationReport {
  ibmCustomers: number;
  worldCustomers: number;
  /** World churn is per month; IBM's label is a one-off snapshot, so compare the relative columns. */
  rows: CalibrationRow[];
}

const ORDER = ['contract', 'tenure', 'internet', 'phone', 'payment'];
const rank = (k: string) => {
  const i = ORDER.findIndex((p) => k.startsWith(p));
  return i < 0 ? ORDER.length : i;
};

/** Lines up both sides: every share, mean and churn group either side knows. */
export function compareSides(ibm: CalibrationSide, world: CalibrationSide): CalibrationReport {
  const keys = (a: Record<string, number>, b: Record<string, number>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y, 'en', { numeric: true }));
  const rows: CalibrationRow[] = [];
  for (const k of keys(ibm.shares, world.shares)) rows.push({ section: 'share', metric: k, ibm: ibm.shares[k] ?? 0, world: world.shares[k] ?? 0 });
  for (const k of keys(ibm.means, world.means)) rows.push({ section: 'mean', metric: k, ibm: ibm.means[k] ?? 0, world: world.means[k] ?? 0 });
  for (const k of ['overall', ...keys(ibm.churn, world.churn).filter((k) => k !== 'overall')]) {
    const i = ibm.churn[k] ?? 0;
    const w = world.churn[k] ?? 0;
    rows.push({ section: 'churn', metric: k, ibm: i, world: w, ibmRelative: i / (ibm.churn.overall || 1), worldRelative: w / (world.churn.overall || 1) });
  }
  return { ibmCustomers: ibm.customers, worldCustomers: world.customers, rows };
}

/** The report as an aligned text table (Markdown-compatible). */
export function formatCalibration(report: CalibrationReport): string {
  const pct = (x: number) => (100 * x).toFixed(1) + '%';
  const num = (x: number) => x.toFixed(1);
  const lines = [
    `IBM: ${report.ibmCustomers} customers (churn = left within the snapshot month); world: ${report.worldCustomers} customers (churn = terminations per customer-month)`,
    '',
    '| metric | IBM | world |',
    '|---|---:|---:|',
  ];
  for (const r of report.rows.filter((r) => r.section !== 'churn')) {
    lines.push(`| ${r.section === 'share' ? 'share ' : 'mean '}${r.metric} | ${r.section === 'share' ? pct(r.ibm) : num(r.ibm)} | ${r.section === 'share' ? pct(r.world) : num(r.world)} |`);
  }
  lines.push('', '| churn driver | IBM churn | IBM × overall | world monthly churn | world × overall |', '|---|---:|---:|---:|---:|');
  for (const r of report.rows.filter((r) => r.section === 'churn')) {
    lines.push(`| ${r.metric} | ${pct(r.ibm)} | ${(r.ibmRelative ?? 0).toFixed(2)} | ${(100 * r.world).toFixed(2)}% | ${(r.worldRelative ?? 0).toFixed(2)} |`);
  }
  return lines.join('\n');
}
