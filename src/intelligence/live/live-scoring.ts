import type { Intake } from '../../twin/intake.js';
import type { TwinEngine } from '../../twin/twin-engine.js';
import { FEATURE_COUNT, FEATURE_INDEX as F, FEATURE_NAMES, type FeatureName } from '../../twin/twin-features.js';
import type { TwinView } from '../../twin/twin-view.js';
import type { ContributionUnits } from '../explain/blended-contributions.js';
import type { TabularModelDocument } from '../model/model-document.js';
import type { ChurnModelMetadata } from '../twin-training/train-churn-from-twins.js';
import { recalibrate, type Recalibration } from '../evaluation/recalibration.js';
import { createChurnScorer, recalibratedScorer, type ChurnScorer } from './churn-scorer.js';
import type { DriftBaseline } from './drift-monitor.js';
import { DriftMonitor, type DriftAlert, type DriftReport } from './drift-monitor.js';
import { DEFAULT_REASON_COUNT, topReasons, type Reason } from './readable-reasons.js';
import { churnInterval, churnIntervalInto, churnLevel, type ChurnLevel } from './score-interval.js';
import {
  clvScore,
  complaintSignal,
  DEFAULT_CLV_SETTINGS,
  DEFAULT_OFFER_PRIOR,
  monthlyRevenueOf,
  offerPropensitySignal,
  offersPresented,
  paymentSignal,
  revenueTrendOf,
  usageTrendSignal,
  type ClvScore,
  type ClvSettings,
} from './twin-signals.js';
import { fastClv } from './fast-clv.js';
import { DAY_MS } from '../../domain/time.js';

/** The champion a LiveScoring serves. */
export interface LiveModel {
  readonly id: string;
  readonly version: number;
  readonly document: TabularModelDocument;
  readonly metadata: ChurnModelMetadata;
}

export interface LiveScoringOptions {
  readonly clv?: ClvSettings;
  readonly driftThreshold?: number;
  readonly onDriftAlert?: (alert: DriftAlert) => void;
  /**
   * Least wall time between two full re-scores. Every twin's windows move when the event clock
   * crosses a day, but touched twins are re-scored at once; the rest catch up at most this often.
   */
  readonly fullRescoreIntervalMs?: number;
  readonly reasons?: number;
}

/** A twin's churn score: with reasons, or null with a note when the twin has no active plan. */
export type ChurnScore =
  | {
      readonly probability: number;
      /** 90 % interval of the customer's own probability; the probability lies strictly inside (see `churnInterval`). */
      readonly interval: readonly [number, number];
      readonly horizonDays: number;
      readonly logOdds: number;
      /** The model's log-odds for the average training row: baseline + Σ contributions = logOdds. */
      readonly baseline: number;
      readonly units: ContributionUnits;
      readonly reasons: readonly Reason[];
    }
  | { readonly probability: null; readonly note: string; readonly reasons: readonly Reason[] };

/** The `scores` block of `GET /twins/:id`: every score of one twin with its reasons. */
export interface TwinScores {
  readonly churn: ChurnScore;
  readonly clv: ClvScore;
  readonly usageTrend: ReturnType<typeof usageTrendSignal>;
  readonly complaints: ReturnType<typeof complaintSignal>;
  readonly payments: ReturnType<typeof paymentSignal>;
  readonly offerPropensity: ReturnType<typeof offerPropensitySignal>;
  readonly model: { readonly id: string; readonly version: number; readonly learner: string; readonly horizonDays: number };
}

/** The live numbers of one twin without reasons (typed-array reads: for decisioning hot paths). */
export interface LiveScore {
  readonly churn: number;
  readonly clv: number;
  readonly clvLow: number;
  readonly clvHigh: number;
  /** False for a churned twin or one without a plan (its churn figure is meaningless). */
  readonly active: boolean;
}

/** A full re-score of 20k twins takes ~0.2 s: once a minute is negligible load. */
export const DEFAULT_FULL_RESCORE_INTERVAL_MS = 60_000;
/** Population offer records needed before their acceptance rate replaces the default prior. */
const MIN_OFFERS_FOR_PRIOR = 20;
const MONTHS_PER_DAY = 12 / 365.25;

/**
 * Live churn and lifetime-value scores of every twin, kept in typed arrays indexed by twin slot:
 * all twins are scored at start, then the twins touched by each applied batch are re-scored
 * (`attach(intake)`). Reasons are computed on demand for one twin (`decorate`).
 */
export class LiveScoring {
  /** Calibrated churn probability within the model's horizon, per slot. */
  churn = new Float64Array(0);
  clvValue = new Float64Array(0);
  clvLow = new Float64Array(0);
  clvHigh = new Float64Array(0);
  /** 1 when the twin is in the scored population (has an active or suspended plan, not churned). */
  active = new Uint8Array(0);
  /** Values of the drift-monitored features, one array per feature. */
  monitored: Float64Array[] = [];
  /** The model's own probabilities: what its out-of-time level (intervals) and drift baseline were read on. */
  private raw: ChurnScorer;
  /** What is served: `raw` recalibrated out of time (decision 0029), as the simulation lab scores. */
  private scorer: ChurnScorer;
  private recalibration: Recalibration | undefined;
  private drift: DriftMonitor;
  private monitoredIndex: Int32Array;
  private level: ChurnLevel;
  private windowMonths: number;
  private offerPrior = DEFAULT_OFFER_PRIOR;
  private readonly features = new Float64Array(FEATURE_COUNT);
  private readonly bounds = new Float64Array(2);
  private readonly settings: ClvSettings;
  private lastFull = 0;
  private lastFullDay = 0;
  private scored = 0;

  constructor(
    private readonly engine: TwinEngine,
    private current: LiveModel,
    private readonly options: LiveScoringOptions = {},
  ) {
    this.settings = options.clv ?? DEFAULT_CLV_SETTINGS;
    this.raw = createChurnScorer(current.document);
    this.recalibration = current.metadata.outOfTime;
    this.scorer = recalibratedScorer(this.raw, this.recalibration);
    this.drift = this.monitorFor(current);
    this.monitoredIndex = this.indexOfMonitored(current);
    this.level = churnLevel(current.metadata);
    this.windowMonths = current.metadata.horizonDays * MONTHS_PER_DAY;
    this.scoreAll();
  }

  /** The model serving the scores. */
  get model(): LiveModel {
    return this.current;
  }

  /** How many twins hold a score (every twin once `scoreAll` has run; newer twins as events reach them). */
  scoredCount(): number {
    return this.scored;
  }

  /** Serves another model (a promoted champion) and re-scores every twin with it. */
  useModel(model: LiveModel): void {
    this.current = model;
    this.raw = createChurnScorer(model.document);
    this.recalibration = model.metadata.outOfTime;
    this.scorer = recalibratedScorer(this.raw, this.recalibration);
    this.drift = this.monitorFor(model);
    this.monitoredIndex = this.indexOfMonitored(model);
    this.level = churnLevel(model.metadata);
    this.windowMonths = model.metadata.horizonDays * MONTHS_PER_DAY;
    this.scored = 0;
    this.scoreAll();
  }

  /** Scores every twin (and refreshes the population's offer acceptance prior). */
  scoreAll(): void {
    const n = this.engine.table.size;
    let presented = 0;
    let accepted = 0;
    for (let slot = 0; slot < n; slot++) {
      this.rescoreSlot(slot);
      presented += offersPresented(this.features);
      accepted += this.features[F.offers_accepted_90d];
    }
    if (presented >= MIN_OFFERS_FOR_PRIOR) this.offerPrior = accepted / presented;
    this.lastFull = Date.now();
    this.lastFullDay = Math.floor(this.engine.eventClock / DAY_MS);
  }

  /** Re-scores the named twins (unknown ids are ignored). */
  rescore(customerIds: Iterable<string>): void {
    for (const id of customerIds) {
      const slot = this.engine.table.slotOf(id);
      if (slot !== undefined) this.rescoreSlot(slot);
    }
  }

  /**
   * Re-scores one twin from its current features: the hot path (see `bench scoring`). Writes
   * churn probability, CLV and its interval, population flag and monitored feature values.
   */
  rescoreSlot(slot: number): void {
    if (slot >= this.churn.length) this.grow(slot + 1);
    if (slot >= this.scored) this.scored = slot + 1;
    const f = this.features;
    this.engine.features(this.engine.table.idAt(slot), this.engine.eventClock, f);
    const alive = f[F.churned] === 0 && f[F.active_plans] + f[F.suspended_products] > 0;
    this.active[slot] = alive ? 1 : 0;
    const raw = this.raw.probability(f);
    const p = this.recalibration ? recalibrate(raw, this.recalibration) : raw;
    this.churn[slot] = p;
    for (let k = 0; k < this.monitoredIndex.length; k++) this.monitored[k][slot] = this.monitoredIndex[k] >= 0 ? f[this.monitoredIndex[k]] : Number.NaN;
    if (!alive) {
      this.clvValue[slot] = this.clvLow[slot] = this.clvHigh[slot] = 0;
      return;
    }
    churnIntervalInto(this.level, raw, p, this.bounds);
    const lo = this.bounds[0];
    const hi = this.bounds[1];
    const R = monthlyRevenueOf(f);
    const g = revenueTrendOf(f, this.settings);
    const w = this.windowMonths;
    const s = this.settings;
    this.clvValue[slot] = fastClv(R, g, hazard(p, w), s);
    this.clvLow[slot] = fastClv(R, g, hazard(hi, w), s);
    this.clvHigh[slot] = fastClv(R, g, hazard(lo, w), s);
  }

  /** Subscribes to the intake: every applied batch re-scores the twins it touched. */
  attach(intake: Intake): () => void {
    const interval = this.options.fullRescoreIntervalMs ?? DEFAULT_FULL_RESCORE_INTERVAL_MS;
    let stamp = new Uint32Array(0);
    let batch = 0;
    return intake.onApplied((events) => {
      // A batch often holds many events of one twin: each twin is re-scored once, after all of them.
      batch = (batch + 1) >>> 0 || 1;
      if (stamp.length < this.engine.table.size) {
        const grown = new Uint32Array(Math.max(this.engine.table.size, stamp.length * 2, 1024));
        grown.set(stamp);
        stamp = grown;
      }
      for (const e of events) {
        const slot = this.engine.table.slotOf(e.event.customerId);
        if (slot === undefined || stamp[slot] === batch) continue;
        stamp[slot] = batch;
        this.rescoreSlot(slot);
      }
      const day = Math.floor(this.engine.eventClock / DAY_MS);
      if (day !== this.lastFullDay && Date.now() - this.lastFull >= interval) this.scoreAll();
    });
  }

  /** The drift report of the serving model (raises alerts for new crossings). */
  driftReport(): DriftReport {
    return this.drift.check({ size: this.scored, scores: this.churn, features: this.monitored, include: (i) => this.active[i] === 1 });
  }

  /** The live numbers of a twin, or undefined for an unknown customer. */
  scoreOf(customerId: string): LiveScore | undefined {
    const slot = this.engine.table.slotOf(customerId);
    if (slot === undefined) return undefined;
    if (slot >= this.scored) this.rescoreSlot(slot);
    return { churn: this.churn[slot], clv: this.clvValue[slot], clvLow: this.clvLow[slot], clvHigh: this.clvHigh[slot], active: this.active[slot] === 1 };
  }

  /**
   * Writes a twin's `churn` (NaN outside the scored population) and `clv` at `out[offset]` and
   * `out[offset + 1]` (the order of SCORE_FIELDS); NaN for both for an unknown customer. Allocates nothing.
   */
  scoresInto(customerId: string, out: Float64Array, offset: number): void {
    const slot = this.engine.table.slotOf(customerId);
    if (slot === undefined) {
      out[offset] = out[offset + 1] = Number.NaN;
      return;
    }
    if (slot >= this.scored) this.rescoreSlot(slot);
    out[offset] = this.active[slot] === 1 ? this.churn[slot] : Number.NaN;
    out[offset + 1] = this.clvValue[slot];
  }

  /** The `scores` block of a twin answer, with reasons computed now for this one twin. */
  decorate(view: TwinView): { scores: TwinScores } {
    const slot = this.engine.table.slotOf(view.customerId);
    const f = new Float64Array(FEATURE_COUNT);
    FEATURE_NAMES.forEach((n: FeatureName, i) => (f[i] = view.features[n]));
    const model = { id: this.current.id, version: this.current.version, learner: this.current.document.learner, horizonDays: this.current.metadata.horizonDays };
    if (slot !== undefined && slot >= this.scored) this.rescoreSlot(slot);
    const alive = f[F.churned] === 0 && f[F.active_plans] + f[F.suspended_products] > 0;
    const signals = {
      usageTrend: usageTrendSignal(f),
      complaints: complaintSignal(f),
      payments: paymentSignal(f),
      offerPropensity: offerPropensitySignal(f, this.offerPrior),
    };
    if (!alive) {
      const why = f[F.churned] ? 'already churned: every plan is terminated' : 'no active plan yet';
      const clv: ClvScore = { value: 0, low: 0, high: 0, monthlyRevenue: 0, monthlyTrend: 0, monthlyHazard: 1, reasons: [why] };
      return { scores: { churn: { probability: null, note: why, reasons: [] }, clv, ...signals, model } };
    }
    const e = this.scorer.explain(f);
    const units = e.units === 'calibrated log-odds' ? 'log-odds' : 'model log-odds';
    const interval = churnInterval(this.level, this.raw.probability(f), e.probability);
    const value = clvScore(f, e.probability, interval, this.windowMonths, this.settings);
    return {
      scores: {
        churn: {
          probability: Math.round(e.probability * 1e4) / 1e4,
          interval: [Math.round(interval[0] * 1e4) / 1e4, Math.round(interval[1] * 1e4) / 1e4],
          horizonDays: this.current.metadata.horizonDays,
          logOdds: Math.round(e.logOdds * 1e4) / 1e4,
          baseline: Math.round(e.expected * 1e4) / 1e4,
          units: e.units,
          reasons: topReasons(e.contributions, this.options.reasons ?? DEFAULT_REASON_COUNT, units),
        },
        clv: value,
        ...signals,
        model,
      },
    };
  }

  private monitorFor(model: LiveModel): DriftMonitor {
    // Checks and alerts are dated on the event clock, the one clock the twins (and the console) read time on.
    return new DriftMonitor(model.id, servedDrift(model.metadata.drift, model.metadata.outOfTime), { threshold: this.options.driftThreshold, onAlert: this.options.onDriftAlert, clock: () => this.engine.eventClockOrNow() });
  }

  private indexOfMonitored(model: LiveModel): Int32Array {
    const idx = Int32Array.from(model.metadata.drift.features, (m) => (m.name in F ? F[m.name as FeatureName] : -1));
    this.monitored = Array.from(idx, () => new Float64Array(this.churn.length));
    return idx;
  }

  private grow(min: number): void {
    const size = Math.max(min, this.churn.length * 2, 1024);
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.churn = f64(this.churn);
    this.clvValue = f64(this.clvValue);
    this.clvLow = f64(this.clvLow);
    this.clvHigh = f64(this.clvHigh);
    this.monitored = this.monitored.map(f64);
    const active = new Uint8Array(size);
    active.set(this.active);
    this.active = active;
  }
}

/** Monthly hazard equivalent to probability p over w months (see `monthlyHazardFromWindow`). */
function hazard(p: number, w: number): number {
  return 1 - Math.pow(1 - Math.min(Math.max(p, 0), 1), 1 / w);
}

/**
 * The drift baseline of the served scores: the model's validation scores were recorded raw, and
 * the twins are served them recalibrated, a monotone map, so the score's quantile edges are mapped
 * through it and every bin keeps its share (the features' baselines are unchanged).
 */
function servedDrift(drift: DriftBaseline, r: Recalibration | undefined): DriftBaseline {
  if (!r) return drift;
  return { ...drift, score: { ...drift.score, edges: drift.score.edges.map((e) => recalibrate(e, r)) } };
}
