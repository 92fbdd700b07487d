import { TwinloopError } from '../../domain/errors.js';
import { DAY_MS } from '../../domain/time.js';
import type { Intake } from '../../twin/intake.js';
import type { TwinEngine } from '../../twin/twin-engine.js';
import { FEATURE_COUNT, FEATURE_INDEX as F, FEATURE_NAMES, type FeatureName } from '../../twin/twin-features.js';
import type { TwinView } from '../../twin/twin-view.js';
import type { ContributionUnits } from '../explain/blended-contributions.js';
import type { DriftAlert, DriftReport } from './drift-monitor.js';
import { ModelScores, type LiveModel, type ModelScoresSettings } from './model-scores.js';
import { DEFAULT_REASON_COUNT, topReasons, type Reason } from './readable-reasons.js';
import { churnInterval } from './score-interval.js';
import { AT_RISK_SHARE, riskiestShareLevel, type RiskiestShareLevel } from './churn-risk-levels.js';
import type { PopulationAtRiskLevel } from './population-at-risk.js';
import {
  clvScore,
  complaintSignal,
  DEFAULT_CLV_SETTINGS,
  DEFAULT_OFFER_PRIOR,
  offerPropensitySignal,
  offersPresented,
  paymentSignal,
  usageTrendSignal,
  type ClvScore,
  type ClvSettings,
} from './twin-signals.js';

export type { LiveModel } from './model-scores.js';

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
  /**
   * How long a pass over every twin (`refresh`, `useModel`) holds the event loop at once before it
   * lets other work run (default DEFAULT_PASS_SLICE_MS).
   */
  readonly passSliceMs?: number;
  /**
   * `now` (default) scores every twin in the constructor, in one go (offline callers: a CLI
   * command, an evaluation, a bench); `in-slices` scores none there: the caller runs `refresh()`,
   * and a twin read meanwhile is scored when read (the server).
   */
  readonly firstPass?: 'now' | 'in-slices';
  /**
   * Where the at-risk level comes from: `own-scores` (default) reads it off the scores held here,
   * the whole population in one process; `population` serves the level the gateway reads over
   * every partition worker and sends each of them (`servePopulationAtRisk`), so that a customer is
   * at risk or not whichever worker holds them (a worker holds a share of the population only).
   */
  readonly atRiskFrom?: 'own-scores' | 'population';
  /**
   * With `atRiskFrom: 'population'`: the slots of the twins this worker answers for now (its live
   * partitions; default every slot). Until the gateway's level for the served model comes (a
   * worker started, a model promoted: up to the gateway's next read), the level of their scores is
   * served, marked `over: 'this-worker'`, rather than nobody at risk.
   */
  readonly atRiskPart?: (slot: number) => boolean;
}

/**
 * The at-risk level served (`LiveScoring.atRiskLevel`), and what it was read over: `population`
 * (one process's own scores, or the gateway's read over every worker) or `this-worker` (a
 * partition worker's own customers, served until the gateway's level for its model comes: a
 * customer near the level may read otherwise on another worker for those seconds).
 */
export interface ServedAtRiskLevel extends RiskiestShareLevel {
  readonly over: 'population' | 'this-worker';
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
  /** Whether the twin is among the riskiest AT_RISK_SHARE of the scored customers (`LiveScoring.atRiskLevel`): "at risk". */
  readonly atRisk: boolean;
}

/** A full re-score of 20k twins takes ~0.2 s of CPU: once a minute is negligible load. */
export const DEFAULT_FULL_RESCORE_INTERVAL_MS = 60_000;
/**
 * A pass over every twin yields to the event loop after this long: about 500 twins on an idle core,
 * so a request waits a few ms behind a pass, not the whole of it (0.2 s idle, seconds on the
 * default world of a loaded machine, where the thread gets a tenth of a core).
 */
export const DEFAULT_PASS_SLICE_MS = 5;
/**
 * Longest wall time the at-risk level is served between two passes before it is read again from
 * the served scores (each pass reads it again too): the scores of the twins events touch move in
 * between, and a full re-score runs at most this often anyway.
 */
export const AT_RISK_LEVEL_MAX_AGE_MS = DEFAULT_FULL_RESCORE_INTERVAL_MS;
/** Population offer records needed before their acceptance rate replaces the default prior. */
const MIN_OFFERS_FOR_PRIOR = 20;

/**
 * Live churn and lifetime-value scores of every twin, kept in typed arrays indexed by twin slot:
 * every twin is scored by a pass over them all, then the twins touched by each applied batch are
 * re-scored (`attach(intake)`). Reasons are computed on demand for one twin (`decorate`).
 *
 * A pass (`refresh`, at most once a simulated day; `useModel`, at a promotion) goes a slice at a
 * time, yielding to the event loop between slices, one pass at a time. A new model's scores are
 * filled in beside the served ones and served all at once when every twin has one: until then
 * every read is the old model's.
 */
export class LiveScoring {
  /** The scores served. */
  private serving: ModelScores;
  /** A model's scores being filled in by a pass, served once it ends. */
  private pending: ModelScores | null = null;
  /** The pass running now (each new one increments `generation`; an older pass stops at its next slice). */
  private running: { readonly promise: Promise<void>; readonly generation: number } | null = null;
  private generation = 0;
  /** A refresh asked for while a pass ran: starts when it ends. */
  private queued: Promise<void> | null = null;
  private passes = 0;
  private offerPrior = DEFAULT_OFFER_PRIOR;
  private readonly features = new Float64Array(FEATURE_COUNT);
  private readonly settings: ModelScoresSettings;
  private readonly sliceMs: number;
  private lastFull = 0;
  private lastFullDay = 0;
  /** The at-risk level as last read, with the scores and pass it was read from and when (wall ms). */
  private atRisk: { readonly level: ServedAtRiskLevel | undefined; readonly from: ModelScores; readonly passes: number; readonly at: number } | null = null;
  /** The population's level as the gateway last sent it (`atRiskFrom: 'population'`). */
  private populationAtRisk: PopulationAtRiskLevel | undefined;

  constructor(
    private readonly engine: TwinEngine,
    model: LiveModel,
    private readonly options: LiveScoringOptions = {},
  ) {
    this.settings = { clv: options.clv ?? DEFAULT_CLV_SETTINGS, driftThreshold: options.driftThreshold, onDriftAlert: options.onDriftAlert };
    this.sliceMs = options.passSliceMs ?? DEFAULT_PASS_SLICE_MS;
    if (!(this.sliceMs >= 0)) throw new TwinloopError('BAD_INPUT', `passSliceMs must be 0 or more, got ${options.passSliceMs}`);
    this.serving = new ModelScores(model, engine, this.settings);
    if ((options.firstPass ?? 'now') === 'now') this.scoreAll();
  }

  /** The model serving the scores. */
  get model(): LiveModel {
    return this.serving.model;
  }

  /** The model served once the pass filling in its scores ends (the served model when none is). */
  get nextModel(): LiveModel {
    return (this.pending ?? this.serving).model;
  }

  /** Calibrated churn probability within the model's horizon, per slot (the served model's). */
  get churn(): Float64Array {
    return this.serving.churn;
  }
  get clvValue(): Float64Array {
    return this.serving.clvValue;
  }
  get clvLow(): Float64Array {
    return this.serving.clvLow;
  }
  get clvHigh(): Float64Array {
    return this.serving.clvHigh;
  }
  /** 1 when the twin is in the scored population (has an active or suspended plan, not churned) and scored. */
  get active(): Uint8Array {
    return this.serving.active;
  }
  /** 1 when the twin's customer has left (churned), as last scored. */
  get churned(): Uint8Array {
    return this.serving.churned;
  }
  /** Values of the drift-monitored features, one array per feature. */
  get monitored(): Float64Array[] {
    return this.serving.monitored;
  }

  /** How many twins hold a score of the serving model (every twin once a pass has run; newer twins as events reach them). */
  scoredCount(): number {
    return this.serving.count;
  }

  /** Passes over every twin completed so far (for tests and the benchmark). */
  passesCompleted(): number {
    return this.passes;
  }

  /**
   * Serves another model (a promoted champion): its scores of every twin are filled in by a pass
   * beside the served ones, a slice at a time, and served together when it ends (the promise).
   * A pass running then is superseded: its callers are answered when this one ends.
   */
  useModel(model: LiveModel): Promise<void> {
    // Asked again while its pass runs (the registry polled meanwhile): that pass answers.
    if (this.running && this.pending?.model.id === model.id) return this.running.promise;
    this.pending = new ModelScores(model, this.engine, this.settings);
    return this.startPass(this.pending);
  }

  /**
   * Re-scores every twin with the serving model, a slice at a time (the daily re-score after the
   * event clock crosses a day). One pass at a time: asked while one runs, it runs once that ends.
   */
  refresh(): Promise<void> {
    if (!this.running) return this.startPass(this.serving);
    this.queued ??= this.running.promise.then(() => {
      this.queued = null;
      return this.refresh();
    });
    return this.queued;
  }

  /**
   * Scores every twin now, in one go (and serves a model being filled in): for offline callers,
   * whose next line reads the scores. The server uses `refresh`, which lets requests in between.
   */
  scoreAll(): void {
    const target = this.pending ?? this.serving;
    this.generation++;
    this.running = null;
    this.lastFull = Date.now();
    this.lastFullDay = Math.floor(this.engine.eventClock / DAY_MS);
    const tally = { presented: 0, accepted: 0 };
    for (let slot = 0; slot < this.engine.table.size; slot++) this.passSlot(target, slot, tally);
    this.endPass(target, tally);
  }

  private startPass(target: ModelScores): Promise<void> {
    const generation = ++this.generation;
    const promise = this.pass(target, generation).finally(() => {
      if (this.running?.generation === generation) this.running = null;
    });
    this.running = { promise, generation };
    return promise;
  }

  /** One pass over every twin, yielding to the event loop after each slice; stops when superseded. */
  private async pass(target: ModelScores, generation: number): Promise<void> {
    this.lastFull = Date.now();
    this.lastFullDay = Math.floor(this.engine.eventClock / DAY_MS);
    const tally = { presented: 0, accepted: 0 };
    let slot = 0;
    // Twins added meanwhile are scored too: the table only grows.
    while (slot < this.engine.table.size) {
      const until = performance.now() + this.sliceMs;
      do this.passSlot(target, slot++, tally);
      while (slot < this.engine.table.size && performance.now() < until);
      if (slot >= this.engine.table.size) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Superseded (a newer model, or scoreAll): answered when the pass that replaced it ends.
      if (generation !== this.generation) return this.running?.promise;
    }
    this.endPass(target, tally);
  }

  /**
   * Scores a slot for a pass: every slot for the serving model's refresh; for a model being filled
   * in, only the slots no applied batch has scored since it began (those are current already).
   */
  private passSlot(target: ModelScores, slot: number, tally: { presented: number; accepted: number }): void {
    const f = this.features;
    this.engine.features(this.engine.table.idAt(slot), this.engine.eventClock, f);
    if (target === this.serving || !target.has(slot)) target.score(slot, f);
    tally.presented += offersPresented(f);
    tally.accepted += f[F.offers_accepted_90d];
  }

  private endPass(target: ModelScores, tally: { presented: number; accepted: number }): void {
    if (tally.presented >= MIN_OFFERS_FOR_PRIOR) this.offerPrior = tally.accepted / tally.presented;
    target.whole = true;
    if (target === this.pending) {
      this.serving = target;
      this.pending = null;
    }
    this.passes++;
  }

  /** Re-scores the named twins (unknown ids are ignored). */
  rescore(customerIds: Iterable<string>): void {
    for (const id of customerIds) {
      const slot = this.engine.table.slotOf(id);
      if (slot !== undefined) this.rescoreSlot(slot);
    }
  }

  /**
   * Re-scores one twin from its current features, with the serving model and with one being
   * filled in: the hot path (see `bench scoring`).
   */
  rescoreSlot(slot: number): void {
    const f = this.features;
    this.engine.features(this.engine.table.idAt(slot), this.engine.eventClock, f);
    this.serving.score(slot, f);
    this.pending?.score(slot, f);
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
      // In slices: the batch's caller (the intake, a request) is not held for the whole pass.
      if (day !== this.lastFullDay && Date.now() - this.lastFull >= interval && !this.running) void this.refresh();
    });
  }

  /**
   * The drift report of the serving model (raises alerts for new crossings); null until a pass has
   * scored every twin with it (the first serve goes in slices: a partial population is no baseline).
   */
  driftReport(): DriftReport | null {
    const s = this.serving;
    if (!s.whole) return null;
    return s.drift.check({ size: s.end, scores: s.churn, features: s.monitored, include: (i) => s.active[i] === 1 && s.fresh[i] === 1 });
  }

  /** The served churn probability and lifetime value of a feature row as a twin with it would be scored (`ModelScores.assess`). */
  assess(features: Float64Array): { readonly churn: number; readonly clv: number } {
    return this.serving.assess(features);
  }

  /** The live numbers of a twin, or undefined for an unknown customer. */
  scoreOf(customerId: string): LiveScore | undefined {
    const slot = this.engine.table.slotOf(customerId);
    if (slot === undefined) return undefined;
    const s = this.scoredAt(slot);
    const active = s.active[slot] === 1;
    const level = active ? this.atRiskLevel()?.churn : undefined;
    return { churn: s.churn[slot], clv: s.clvValue[slot], clvLow: s.clvLow[slot], clvHigh: s.clvHigh[slot], active, atRisk: level !== undefined && s.churn[slot] >= level };
  }

  /**
   * "At risk" now: the churn score from which the riskiest AT_RISK_SHARE of the scored customers
   * start, over the served scores (the one notion of it: an intent's `at-risk` is planned at it, the
   * catalogue's `at_risk` reads it). Read again after each pass, at a new model, and at most
   * AT_RISK_LEVEL_MAX_AGE_MS apart (a selection over the scores: under a millisecond for 24,000, `bench at-risk`); undefined while
   * nobody is scored. On a partition worker (`atRiskFrom: 'population'`), the population's level
   * the gateway last sent, when read off the model served here; until it has sent one, the level
   * of this worker's own customers (`atRiskPart`), marked `over: 'this-worker'`: a flow never sees
   * nobody at risk while the gateway's read is on its way.
   */
  atRiskLevel(): ServedAtRiskLevel | undefined {
    const own = this.options.atRiskFrom !== 'population';
    if (!own) {
      const p = this.populationAtRisk;
      // Read off another model's scores (one promoted since): this worker's own until the gateway's next read, never a level of other scores.
      if (p && p.modelId === this.serving.model.id) return { churn: p.churn, share: p.share, of: p.of, over: 'population' };
    }
    const now = Date.now();
    const kept = this.atRisk;
    if (kept && kept.from === this.serving && kept.passes === this.passes && now - kept.at < AT_RISK_LEVEL_MAX_AGE_MS) return kept.level;
    const scores = this.activeChurn(own ? undefined : this.options.atRiskPart);
    const churn = riskiestShareLevel(scores, AT_RISK_SHARE);
    const level = churn === undefined ? undefined : { churn, share: AT_RISK_SHARE, of: scores.length, over: own ? ('population' as const) : ('this-worker' as const) };
    this.atRisk = { level, from: this.serving, passes: this.passes, at: now };
    return level;
  }

  /**
   * Serves the population's at-risk level read over every worker (`atRiskFrom: 'population'`),
   * from the next read on; whether it was read off the model served here (if not, this worker's
   * own level is served until one is).
   */
  servePopulationAtRisk(level: PopulationAtRiskLevel): boolean {
    if (this.options.atRiskFrom !== 'population') throw new TwinloopError('CONFLICT', 'this process reads its at-risk level off its own scores (the whole population): it takes none from elsewhere');
    this.populationAtRisk = level;
    return level.modelId === this.serving.model.id;
  }

  /**
   * The read of one pass over twins (a twin list, a segment's count): it writes a twin's `churn`
   * (NaN outside the scored population), `clv` and `at_risk` (1 when its churn is at the at-risk
   * level or above, `atRiskLevel`; 0 otherwise, a twin outside the scored population included; NaN
   * while no level is known) from `out[offset]` (the order of SCORE_FIELDS); NaN for each for an
   * unknown customer. The level is read once, here, not once a twin; a read allocates nothing.
   */
  scoresReader(): (customerId: string, out: Float64Array, offset: number) => void {
    const level = this.atRiskLevel()?.churn;
    return (customerId, out, offset) => {
      const slot = this.engine.table.slotOf(customerId);
      if (slot === undefined) {
        out[offset] = out[offset + 1] = out[offset + 2] = Number.NaN;
        return;
      }
      const s = this.scoredAt(slot);
      const active = s.active[slot] === 1;
      out[offset] = active ? s.churn[slot] : Number.NaN;
      out[offset + 1] = s.clvValue[slot];
      out[offset + 2] = level === undefined ? Number.NaN : active && s.churn[slot] >= level ? 1 : 0;
    };
  }

  /**
   * The served churn probability of every twin in the scored population (an active or suspended
   * plan, not churned), in slot order, read off the typed arrays the scores are kept in: no twin's
   * features are computed again, except a twin no pass nor batch has scored yet, scored now as a
   * read of it would be. What a level relative to the base (its riskiest tenth) is read from;
   * with `include`, of the twins in the slots it keeps (a partition worker's live partitions).
   */
  activeChurn(include?: (slot: number) => boolean): Float64Array {
    const size = this.engine.table.size;
    for (let slot = 0; slot < size; slot++) if (!this.serving.has(slot)) this.rescoreSlot(slot);
    const { churn, active } = this.serving;
    const out = new Float64Array(size);
    let n = 0;
    for (let slot = 0; slot < size; slot++) if (active[slot] === 1 && (!include || include(slot))) out[n++] = churn[slot];
    return out.subarray(0, n);
  }

  /** The `scores` block of a twin answer, with reasons computed now for this one twin. */
  decorate(view: TwinView): { scores: TwinScores } {
    const slot = this.engine.table.slotOf(view.customerId);
    const f = new Float64Array(FEATURE_COUNT);
    FEATURE_NAMES.forEach((n: FeatureName, i) => (f[i] = view.features[n]));
    const s = this.serving;
    const model = { id: s.model.id, version: s.model.version, learner: s.model.document.learner, horizonDays: s.model.metadata.horizonDays };
    if (slot !== undefined) this.scoredAt(slot);
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
    const e = s.scorer.explain(f);
    const units = e.units === 'calibrated log-odds' ? 'log-odds' : 'model log-odds';
    const interval = churnInterval(s.level, s.raw.probability(f), e.probability);
    const value = clvScore(f, e.probability, interval, s.windowMonths, this.settings.clv);
    return {
      scores: {
        churn: {
          probability: Math.round(e.probability * 1e4) / 1e4,
          interval: [Math.round(interval[0] * 1e4) / 1e4, Math.round(interval[1] * 1e4) / 1e4],
          horizonDays: s.model.metadata.horizonDays,
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

  /** The served scores, with the slot scored now if no pass nor batch has yet. */
  private scoredAt(slot: number): ModelScores {
    if (!this.serving.has(slot)) this.rescoreSlot(slot);
    return this.serving;
  }
}
