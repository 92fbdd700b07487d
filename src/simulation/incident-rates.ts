/**
 * How many network incidents the customers of some cells will feel, estimated from the incidents
 * the operator has seen (its assurance system's `network_impact` records): what a network
 * improvement scenario needs to be about the future rather than the recent past. A cell's own
 * history is short (a few incidents a year), so each cell's rate is shrunk toward the network's
 * (empirical Bayes, Poisson counts): cells that had many incidents lately by chance are not
 * predicted to keep having them, cells that really are worse keep part of their excess.
 */

import { poissonTrend } from '../intelligence/evaluation/poisson-trend.js';
import { DAY_MS } from '../domain/time.js';

/** One customer's record of one incident (the event's customer, incident id, the incident's cell and start). */
export interface ImpactRecord {
  readonly customerId: string;
  readonly incidentId: string;
  readonly cellId: string;
  readonly startMs: number;
  readonly endMs?: number;
}

/** What the estimate reads besides the records. */
export interface IncidentHistory {
  readonly impacts: readonly ImpactRecord[];
  /** Every cell of the network the operator knows (with or without incidents): the pool. */
  readonly cells: readonly string[];
  /** Each customer's home cell (the twins' most used cell). */
  readonly homeOf: ReadonlyMap<string, string>;
  /** Length of the history the records cover, in days. */
  readonly days: number;
}

/** The rates a network scenario on `cells` for `customers` uses (its `incidentsPer30d`, `cellIncidentsPer30d`, `minutesPerIncident`). */
export interface NetworkImprovementRates {
  readonly incidentsPer30d: { readonly mean: number; readonly sd: number };
  readonly cellIncidentsPer30d: number;
  readonly minutesPerIncident: number;
}

/** Per-cell incident rates per 30 days, shrunk toward the network's, with their standard errors. */
export interface IncidentRates {
  /** The network's mean rate per cell per 30 days. */
  readonly pooled: number;
  /** Between-cell variance of the true rates beyond Poisson noise (0: the cells do not differ). */
  readonly between: number;
  /** Share of a cell's home customers an incident on it touches. */
  readonly homeTouchShare: number;
  readonly minutesPerIncident: number;
  rate(cellId: string): { readonly mean: number; readonly sd: number };
  /** The rates of an improvement of `cells` for the customers `customers` (see NetworkImprovementRates). */
  forImprovement(cells: readonly string[], customers: readonly string[]): NetworkImprovementRates;
}

/** Minutes per incident when no record has an end yet: the sandbox's median incident is about two hours. */
const DEFAULT_MINUTES = 120;

/** Estimates per-cell incident rates from the operator's records (see the module comment). */
export function estimateIncidentRates(h: IncidentHistory): IncidentRates {
  const windows = Math.max(1e-9, h.days / 30);
  const incidents = new Map<string, { cell: string; minutes: number }>();
  for (const r of h.impacts) {
    let inc = incidents.get(r.incidentId);
    if (!inc) incidents.set(r.incidentId, (inc = { cell: r.cellId, minutes: 0 }));
    if (r.endMs !== undefined) inc.minutes = Math.max(inc.minutes, (r.endMs - r.startMs) / 60_000);
  }
  // Repeated records of one incident for one customer (alarm, then clear) count the customer once.
  const touched = new Map<string, Set<string>>();
  for (const r of h.impacts) {
    if (h.homeOf.get(r.customerId) !== r.cellId) continue;
    let set = touched.get(r.incidentId);
    if (!set) touched.set(r.incidentId, (set = new Set()));
    set.add(r.customerId);
  }
  const homes = new Map<string, number>();
  for (const cell of h.homeOf.values()) homes.set(cell, (homes.get(cell) ?? 0) + 1);
  const count = new Map<string, number>(h.cells.map((c) => [c, 0]));
  let minutes = 0;
  let timed = 0;
  let touchedHome = 0;
  let homeExposure = 0;
  for (const [id, inc] of incidents) {
    count.set(inc.cell, (count.get(inc.cell) ?? 0) + 1);
    if (inc.minutes > 0) {
      minutes += inc.minutes;
      timed++;
    }
    const n = homes.get(inc.cell) ?? 0;
    if (n > 0) {
      touchedHome += touched.get(id)?.size ?? 0;
      homeExposure += n;
    }
  }
  const cells = [...count.keys()];
  const C = Math.max(1, cells.length);
  const pooled = incidents.size / (C * windows);
  // Method of moments: the spread of the cells' observed rates beyond what Poisson counts give.
  const noise = pooled / windows;
  const spread = cells.reduce((s, c) => s + (count.get(c)! / windows - pooled) ** 2, 0) / Math.max(1, C - 1);
  const between = Math.max(0, spread - noise);
  // Variance of the pooled mean itself: the Poisson noise and the cells' spread, over C cells.
  const pooledVar = (noise + between) / C;
  const rate = (cellId: string) => {
    const own = (count.get(cellId) ?? 0) / windows;
    if (between === 0) return { mean: pooled, sd: Math.sqrt(pooledVar) };
    const b = between / (between + noise);
    return { mean: pooled + b * (own - pooled), sd: Math.sqrt(b * noise + (1 - b) ** 2 * pooledVar) };
  };
  const homeTouchShare = homeExposure > 0 ? Math.min(1, touchedHome / homeExposure) : 1;
  const minutesPerIncident = timed > 0 ? minutes / timed : DEFAULT_MINUTES;
  return {
    pooled,
    between,
    homeTouchShare,
    minutesPerIncident,
    rate,
    forImprovement(improved, customers) {
      const set = new Set(improved);
      let mean = 0;
      let variance = 0;
      let cellRate = 0;
      const n = Math.max(1, customers.length);
      // Customers per improved home cell: an incident there touches its share of them.
      const onCell = new Map<string, number>();
      for (const id of customers) {
        const home = h.homeOf.get(id);
        if (home !== undefined && set.has(home)) onCell.set(home, (onCell.get(home) ?? 0) + 1);
      }
      for (const cell of set) {
        const r = rate(cell);
        cellRate += r.mean;
        const w = (homeTouchShare * (onCell.get(cell) ?? 0)) / n;
        mean += w * r.mean;
        variance += (w * r.sd) ** 2;
      }
      return { incidentsPer30d: { mean, sd: Math.sqrt(variance) }, cellIncidentsPer30d: cellRate, minutesPerIncident };
    },
  };
}

/** A customer's time on the network: from their first record to their churn (or the history's end). */
export interface CustomerSpan {
  readonly fromMs: number;
  readonly toMs: number;
  readonly churned: boolean;
}

/** The effect of an incident on churn, as the history shows it. */
export interface IncidentEffect {
  /** Log churn-hazard ratio per incident felt in the last 30 days (Poisson regression), and its standard error. */
  readonly mean: number;
  readonly sd: number;
  /** Churns and customer-days behind it, with and without a recent incident. */
  readonly churnsExposed: number;
  readonly churnsUnexposed: number;
  readonly daysExposed: number;
  readonly daysUnexposed: number;
}

/** Recent incidents counted as 0, 1, 2, 3 or more: few customers feel more, and their days would swing the fit. */
const MAX_COUNTED = 3;
/** Days an incident counts as recent: the window of `network_incidents_30d`. */
const RECENT_DAYS = 30;

/**
 * The churn hazard's response to incidents, learned from the history: every customer-day is
 * classed by how many incidents the customer felt in the 30 days before it (0 … 3+), and a
 * Poisson regression (hazard = base × e^(β k), base profiled out, Newton's method) of the churns
 * on those days gives β per incident with its standard error. Incidents fall where the network
 * fails, not where customers are about to leave, so days with and without them compare like with
 * like (a network whose failures follow its customers' other troubles would need the comparison
 * stratified). Unlike the churn model's coefficient, this is the one effect alone, with an
 * honest uncertainty that a prediction can carry.
 */
export function estimateIncidentEffect(impacts: readonly ImpactRecord[], spans: ReadonlyMap<string, CustomerSpan>): IncidentEffect {
  const starts = new Map<string, Map<string, number>>();
  for (const r of impacts) {
    let m = starts.get(r.customerId);
    if (!m) starts.set(r.customerId, (m = new Map()));
    if (!m.has(r.incidentId)) m.set(r.incidentId, Math.floor(r.startMs / DAY_MS));
  }
  const days = new Float64Array(MAX_COUNTED + 1);
  const churns = new Float64Array(MAX_COUNTED + 1);
  for (const [id, span] of spans) {
    const first = Math.floor(span.fromMs / DAY_MS);
    const last = Math.floor(span.toMs / DAY_MS);
    const felt = [...(starts.get(id)?.values() ?? [])].sort((a, b) => a - b);
    let lo = 0;
    let hi = 0;
    for (let d = first; d <= last; d++) {
      while (hi < felt.length && felt[hi] <= d) hi++;
      while (lo < hi && felt[lo] <= d - RECENT_DAYS) lo++;
      const k = Math.min(MAX_COUNTED, hi - lo);
      days[k]++;
      if (span.churned && d === last) churns[k]++;
    }
  }
  const { beta, sd } = poissonTrend(days, churns);
  const exposedDays = days.reduce((s, x, k) => s + (k > 0 ? x : 0), 0);
  const exposedChurns = churns.reduce((s, x, k) => s + (k > 0 ? x : 0), 0);
  return {
    mean: beta,
    sd,
    churnsExposed: exposedChurns,
    churnsUnexposed: churns[0],
    daysExposed: exposedDays,
    daysUnexposed: days[0],
  };
}
