/**
 * The figures both sides of the calibration are reduced to: shares, means, and churn rates by
 * driver. One record per customer; `exposureMonths` turns churn counts into monthly rates on the
 * world side (IBM's snapshot counts each customer once).
 */

/** One customer, as both sides describe it. */
export interface ProfileRecord {
  contractMonths: number;
  paymentMethod: string;
  family: 'fibre' | 'dsl' | 'none';
  phone: boolean;
  tenureMonths: number;
  monthlyCharge: number;
  churned: boolean;
  exposureMonths: number;
  /** False for customers who joined during the window: they count for churn, not for the shares and means of the starting base. */
  inBase?: boolean;
}

/** Summary figures of one side. */
export interface CalibrationSide {
  customers: number;
  shares: Record<string, number>;
  means: Record<string, number>;
  /** Churn per exposure month by group; `overall` included. */
  churn: Record<string, number>;
}

/** Tenure bands (months) the churn-by-tenure rows use. */
export const TENURE_BANDS: readonly [number, number, string][] = [
  [0, 6, 'tenure 0-5'],
  [6, 12, 'tenure 6-11'],
  [12, 24, 'tenure 12-23'],
  [24, 48, 'tenure 24-47'],
  [48, Infinity, 'tenure 48+'],
];

const CONTRACT_LABEL = (m: number) => (m === 0 ? 'month-to-month' : m === 12 ? 'one year' : m === 24 ? 'two year' : `${m} months`);

/** Reduces records to shares, means and churn rates by group. */
export function summarise(records: readonly ProfileRecord[]): CalibrationSide {
  const n = records.filter((r) => r.inBase !== false).length;
  const shares: Record<string, number> = {};
  const churnN: Record<string, number> = {};
  const churnE: Record<string, number> = {};
  const add = (key: string, r: ProfileRecord) => {
    churnN[key] = (churnN[key] ?? 0) + (r.churned ? 1 : 0);
    churnE[key] = (churnE[key] ?? 0) + r.exposureMonths;
  };
  const share = (key: string) => (shares[key] = (shares[key] ?? 0) + 1 / n);
  const sums: Record<string, [number, number]> = {};
  const mean = (key: string, v: number) => {
    const s = (sums[key] ??= [0, 0]);
    s[0] += v;
    s[1]++;
  };
  for (const r of records) {
    const contract = `contract ${CONTRACT_LABEL(r.contractMonths)}`;
    const internet = `internet ${r.family}`;
    const payment = `payment ${r.paymentMethod}`;
    const band = TENURE_BANDS.find(([lo, hi]) => r.tenureMonths >= lo && r.tenureMonths < hi)?.[2] ?? 'tenure 48+';
    if (r.inBase !== false) {
      for (const k of [contract, internet, payment, band]) share(k);
      if (r.phone) share('phone service');
      mean('tenure months', r.tenureMonths);
      mean('monthly charge', r.monthlyCharge);
      mean(`monthly charge, ${internet}`, r.monthlyCharge);
    }
    for (const k of ['overall', contract, internet, payment, band]) add(k, r);
  }
  const churn: Record<string, number> = {};
  for (const k of Object.keys(churnE)) churn[k] = churnE[k] ? churnN[k] / churnE[k] : 0;
  const means: Record<string, number> = {};
  for (const [k, [s, c]] of Object.entries(sums)) means[k] = c ? s / c : 0;
  return { customers: records.length, shares, means, churn };
}
