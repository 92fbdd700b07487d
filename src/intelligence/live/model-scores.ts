import { DAYS_PER_MONTH } from '../../domain/time.js';
import type { TwinEngine } from '../../twin/twin-engine.js';
import { FEATURE_INDEX as F, type FeatureName } from '../../twin/twin-features.js';
import type { TabularModelDocument } from '../model/model-document.js';
import type { ChurnModelMetadata } from '../twin-training/train-churn-from-twins.js';
import { recalibrate, type Recalibration } from '../evaluation/recalibration.js';
import { createChurnScorer, recalibratedScorer, type ChurnScorer } from './churn-scorer.js';
import { DriftMonitor, type DriftAlert, type DriftBaseline } from './drift-monitor.js';
import { churnIntervalInto, churnLevel, type ChurnLevel } from './score-interval.js';
import { monthlyRevenueOf, revenueTrendOf, type ClvSettings } from './twin-signals.js';
import { fastClv } from './fast-clv.js';

/** The champion a LiveScoring serves. */
export interface LiveModel {
  readonly id: string;
  readonly version: number;
  readonly document: TabularModelDocument;
  readonly metadata: ChurnModelMetadata;
}

/** What every model's scores are read with: the same for each model a LiveScoring serves. */
export interface ModelScoresSettings {
  readonly clv: ClvSettings;
  readonly driftThreshold?: number;
  readonly onDriftAlert?: (alert: DriftAlert) => void;
}

const MONTHS_PER_DAY = 1 / DAYS_PER_MONTH;

/**
 * One model's scores of every twin, in typed arrays indexed by twin slot: the scores served, or
 * those of a model about to be served while a pass fills them in (so that a promotion never
 * serves one twin by the new model and the next by the old). `fresh` marks the slots this model
 * has scored: a slot not yet scored is scored when read.
 */
export class ModelScores {
  /** Calibrated churn probability within the model's horizon, per slot. */
  churn = new Float64Array(0);
  clvValue = new Float64Array(0);
  clvLow = new Float64Array(0);
  clvHigh = new Float64Array(0);
  /** 1 when the twin is in the scored population (has an active or suspended plan, not churned). */
  active = new Uint8Array(0);
  /** 1 when the twin's customer has left (churned: every plan terminated); with `active`, what the overview counts the twins as. */
  churned = new Uint8Array(0);
  /** 1 when this model has scored the slot. */
  fresh = new Uint8Array(0);
  /** Values of the drift-monitored features, one array per feature. */
  monitored: Float64Array[];
  /** Slots scored (the fresh ones), and one past the highest of them. */
  count = 0;
  end = 0;
  /**
   * True once a pass over every twin ended with this model. Until then its scores are those of the
   * slots reached so far, the oldest customers first (the table's order): their tenure and history
   * are not the population's, and a drift read on them is no drift.
   */
  whole = false;
  /** The model's own probabilities: what its out-of-time level (intervals) and drift baseline were read on. */
  readonly raw: ChurnScorer;
  /** What is served: `raw` recalibrated out of time (decision 0029), as the simulation lab scores. */
  readonly scorer: ChurnScorer;
  readonly drift: DriftMonitor;
  readonly level: ChurnLevel;
  readonly windowMonths: number;
  private readonly recalibration: Recalibration | undefined;
  private readonly monitoredIndex: Int32Array;
  private readonly bounds = new Float64Array(2);

  constructor(
    readonly model: LiveModel,
    engine: TwinEngine,
    private readonly settings: ModelScoresSettings,
  ) {
    this.raw = createChurnScorer(model.document);
    this.recalibration = model.metadata.outOfTime;
    this.scorer = recalibratedScorer(this.raw, this.recalibration);
    // Checks and alerts are dated on the event clock, the one clock the twins (and the console) read time on.
    this.drift = new DriftMonitor(model.id, servedDrift(model.metadata.drift, model.metadata.outOfTime), { threshold: settings.driftThreshold, onAlert: settings.onDriftAlert, clock: () => engine.eventClockOrNow() });
    this.monitoredIndex = Int32Array.from(model.metadata.drift.features, (m) => (m.name in F ? F[m.name as FeatureName] : -1));
    this.monitored = Array.from(this.monitoredIndex, () => new Float64Array(0));
    this.level = churnLevel(model.metadata);
    this.windowMonths = model.metadata.horizonDays * MONTHS_PER_DAY;
    this.grow(engine.table.size);
  }

  /**
   * Scores one twin from its feature vector `f` (read at the event clock): churn probability, CLV
   * and its interval, population flag and monitored feature values. The hot path (`bench scoring`).
   */
  score(slot: number, f: Float64Array): void {
    if (slot >= this.churn.length) this.grow(slot + 1);
    if (this.fresh[slot] === 0) {
      this.fresh[slot] = 1;
      this.count++;
      if (slot >= this.end) this.end = slot + 1;
    }
    const alive = f[F.churned] === 0 && f[F.active_plans] + f[F.suspended_products] > 0;
    this.active[slot] = alive ? 1 : 0;
    this.churned[slot] = f[F.churned] === 0 ? 0 : 1;
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
    const g = revenueTrendOf(f, this.settings.clv);
    const w = this.windowMonths;
    const s = this.settings.clv;
    this.clvValue[slot] = fastClv(R, g, hazard(p, w), s);
    this.clvLow[slot] = fastClv(R, g, hazard(hi, w), s);
    this.clvHigh[slot] = fastClv(R, g, hazard(lo, w), s);
  }

  /**
   * The served churn probability of a feature row that is no twin's (a twin as it would be: its
   * contract's end moved, its term taken away), and the lifetime value at that probability.
   */
  assess(f: Float64Array): { readonly churn: number; readonly clv: number } {
    const p = this.scorer.probability(f);
    return { churn: p, clv: fastClv(monthlyRevenueOf(f), revenueTrendOf(f, this.settings.clv), hazard(p, this.windowMonths), this.settings.clv) };
  }

  /** Whether this model has scored the slot. */
  has(slot: number): boolean {
    return this.fresh[slot] === 1;
  }

  private grow(min: number): void {
    const size = Math.max(min, this.churn.length * 2, 1024);
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(size);
      b.set(a);
      return b;
    };
    this.churn = f64(this.churn);
    this.clvValue = f64(this.clvValue);
    this.clvLow = f64(this.clvLow);
    this.clvHigh = f64(this.clvHigh);
    this.monitored = this.monitored.map(f64);
    this.active = u8(this.active);
    this.churned = u8(this.churned);
    this.fresh = u8(this.fresh);
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
