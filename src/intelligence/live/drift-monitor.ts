import { searchBin } from '../learners/feature-binning.js';
/**
 * Population stability index (PSI) of live distributions against the training window's:
 * PSI = Σ_b (a_b − e_b)·ln(a_b / e_b) over bins b, with e the training share and a the live share.
 * Rule of thumb (credit-scoring practice): < 0.1 stable, 0.1–0.2 moderate shift, > 0.2 a shift
 * worth acting on (retrain or investigate), hence the default alert threshold.
 */

/** Bins fitted on training values: `edges` are upper bounds (value ≤ edge), the last bin is open. */
export interface DistributionBaseline {
  readonly edges: readonly number[];
  readonly fractions: readonly number[];
}

/** What a model version stores for its drift monitor. */
export interface DriftBaseline {
  readonly score: DistributionBaseline;
  readonly features: readonly { readonly name: string; readonly baseline: DistributionBaseline }[];
}

/** Default alert threshold: PSI above 0.2 is a significant shift. */
export const DEFAULT_PSI_THRESHOLD = 0.2;
/** Ten quantile bins, the usual PSI resolution: fine enough to see shape, coarse enough to be stable. */
export const PSI_BINS = 10;
/** Floor for empty bins so ln(a/e) stays finite (0.01 %). */
const EPSILON = 1e-4;

/** Quantile bins of training values; repeated quantiles (discrete features) merge into one bin. */
export function fitBaseline(values: ArrayLike<number>, bins = PSI_BINS): DistributionBaseline {
  const sorted = Float64Array.from(values).filter((v) => !Number.isNaN(v)).sort();
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    if (sorted.length === 0) break;
    const q = sorted[Math.min(sorted.length - 1, Math.floor((b * sorted.length) / bins))];
    if (edges.length === 0 || q > edges[edges.length - 1]) edges.push(q);
  }
  // A last edge at the maximum would leave the open bin empty in training; drop it.
  if (edges.length && edges[edges.length - 1] >= sorted[sorted.length - 1]) edges.pop();
  return { edges, fractions: Array.from(shares(edges, values)) };
}


/** Share of values per bin (NaN values are left out). */
export function shares(edges: readonly number[], values: ArrayLike<number>, include?: (i: number) => boolean, count = values.length): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (Number.isNaN(v) || (include && !include(i))) continue;
    counts[searchBin(edges, v)]++;
    n++;
  }
  if (n > 0) for (let b = 0; b < counts.length; b++) counts[b] /= n;
  return counts;
}

/** PSI of the first `count` live values (those `include` keeps) against a baseline; 0 when there are none. */
export function psi(baseline: DistributionBaseline, values: ArrayLike<number>, include?: (i: number) => boolean, count = values.length): number {
  const live = shares(baseline.edges, values, include, count);
  if (live.every((x) => x === 0)) return 0;
  let total = 0;
  for (let b = 0; b < live.length; b++) {
    const e = Math.max(baseline.fractions[b] ?? 0, EPSILON);
    const a = Math.max(live[b], EPSILON);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

/** One monitored distribution's verdict. */
export interface DriftItem {
  readonly subject: string;
  readonly psi: number;
  readonly status: 'stable' | 'moderate' | 'drift';
}

/** The drift report `GET /models/:id` shows. */
export interface DriftReport {
  readonly modelId: string;
  readonly at: string;
  readonly threshold: number;
  readonly population: number;
  readonly score: DriftItem;
  readonly features: readonly DriftItem[];
  readonly drifting: readonly string[];
}

/** Raised when a subject's PSI passes the threshold (once per crossing). */
export interface DriftAlert {
  readonly modelId: string;
  readonly at: number;
  readonly subject: string;
  readonly psi: number;
  readonly threshold: number;
  readonly message: string;
}

const status = (value: number, threshold: number): DriftItem['status'] => (value > threshold ? 'drift' : value > threshold / 2 ? 'moderate' : 'stable');
const round = (x: number): number => Math.round(x * 1e4) / 1e4;

/** Live values the monitor compares: scores and the monitored features, one entry per twin slot. */
export interface LiveDistributions {
  readonly size: number;
  readonly scores: ArrayLike<number>;
  /** Values of the baseline's features, in the baseline's order. */
  readonly features: readonly ArrayLike<number>[];
  /** Twins that belong to the scored population (not churned). */
  readonly include: (slot: number) => boolean;
}

/**
 * Compares live distributions with a model's baseline and raises an alert the first time a
 * subject's PSI passes the threshold (again only after it has come back under it).
 */
export class DriftMonitor {
  private readonly alerting = new Set<string>();

  constructor(
    readonly modelId: string,
    private readonly baseline: DriftBaseline,
    private readonly options: { threshold?: number; onAlert?: (alert: DriftAlert) => void; clock?: () => number } = {},
  ) {}

  get threshold(): number {
    return this.options.threshold ?? DEFAULT_PSI_THRESHOLD;
  }

  /** Computes the report and fires alerts for new crossings. */
  check(live: LiveDistributions): DriftReport {
    const threshold = this.threshold;
    const now = this.options.clock?.() ?? Date.now();
    let population = 0;
    for (let i = 0; i < live.size; i++) if (live.include(i)) population++;
    const item = (subject: string, base: DistributionBaseline, values: ArrayLike<number>): DriftItem => {
      const value = round(psi(base, values, live.include, live.size));
      return { subject, psi: value, status: status(value, threshold) };
    };
    const score = item('score', this.baseline.score, live.scores);
    const features = this.baseline.features.map((f, k) => item(f.name, f.baseline, live.features[k]));
    const drifting: string[] = [];
    for (const it of [score, ...features]) {
      if (it.status !== 'drift') {
        this.alerting.delete(it.subject);
        continue;
      }
      drifting.push(it.subject);
      if (this.alerting.has(it.subject)) continue;
      this.alerting.add(it.subject);
      this.options.onAlert?.({
        modelId: this.modelId,
        at: now,
        subject: it.subject,
        psi: it.psi,
        threshold,
        message: `model ${this.modelId}: ${it.subject === 'score' ? 'churn score' : `feature ${it.subject}`} distribution drifted (PSI ${it.psi.toFixed(3)} > ${threshold}); consider retraining (twinloop model train-twins)`,
      });
    }
    return { modelId: this.modelId, at: new Date(now).toISOString(), threshold, population, score, features, drifting };
  }
}
