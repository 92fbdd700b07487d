import { TwinloopError } from '../domain/errors.js';
import { DAYS_PER_MONTH } from '../domain/time.js';
import { RISK_BAND_NAMES } from '../intelligence/live/population-risk.js';
import { FEATURE_COUNT, FEATURE_INDEX, refusesMarketing, type FeatureName } from '../twin/twin-features.js';
import { contactedHazard, MAX_HAZARD, type KernelParams, type KernelPopulation } from './monte-carlo-kernel.js';
import { twinExpectedNet } from './twin-expected-net.js';
import { compileFilters, type FeatureFilter } from '../twin/feature-filter.js';
import { TARGET_FIELDS, type OfferAssumptions, type Scenario, type SegmentBy } from './scenario.js';
import { unitHash } from './sim-random.js';
import { allocateShared, withScenarioColumns, type SharedPopulation } from './shared-population.js';
import { hazardOf, monthlyRevenueOf, type TwinSource } from './twin-population.js';
import { contractEndsWithin, decayLevel, laterFactor } from './hazard-decay.js';
import type { IncidentEffectUsed } from './simulation-result.js';

/** A scenario compiled against a population: kernel parameters and the per-twin columns. */
export interface ScenarioPlan {
  readonly scenario: Scenario;
  readonly params: KernelParams;
  readonly population: SharedPopulation;
  readonly segmentLabels: readonly string[];
  /** Twins the scenario touches (after targeting, budget and control group). */
  readonly treated: number;
  /** Ids of the treated twins (what an executor of the scenario contacts or changes). */
  readonly treatedIds: readonly string[];
  /** Ids of the control group (selected, held out). */
  readonly controlIds: readonly string[];
  /**
   * Twins an offer's target held that it may not contact (no marketing consent): left out before
   * the reach draw or the ranking, as the contact rules leave them out of a campaign (0 for a
   * price change or a network fix, which contact no one).
   */
  readonly withoutConsent: number;
  /** The mean factor the treated twins' hazards are held at: the scenario's level times their fall (hazard-weighted). */
  readonly treatedLevel: number;
  /** A network scenario's effect of an incident on churn, and where it came from (absent for other kinds). */
  readonly incidentEffect?: IncidentEffectUsed;
}

/**
 * Churn-risk bands over the model's window probability: what `segmentBy: churn_risk_band` splits
 * by. The overview's bands (RISK_BAND_NAMES), not bands of its own: the lab's 5–15 % and the
 * overview's 5–10 % and 10–20 % named different customers by the same word.
 */
export const RISK_BANDS: readonly { readonly label: string; readonly below: number }[] = RISK_BAND_NAMES.map((b) => ({ label: `risk ${b.name}`, below: b.below }));

const PRICE_FEATURES: readonly FeatureName[] = ['monthly_price', 'bill_last', 'bill_avg_3m', 'arpu_3m'];

/** A scenario's target rule over a twin's features, churn probability and revenue (laid out as TARGET_FIELDS). */
function targetTest(rules: readonly FeatureFilter[]): (f: Float64Array, probability: number, revenue: number) => boolean {
  if (rules.length === 0) return () => true;
  const test = compileFilters(rules, TARGET_FIELDS);
  const values = new Float64Array(TARGET_FIELDS.names.length);
  return (f, probability, revenue) => {
    values.set(f);
    values[FEATURE_COUNT] = probability;
    values[FEATURE_COUNT + 1] = revenue;
    return test(values);
  };
}

/** Segments keyed by label, in order of first appearance (sorted at the end). */
class Segmenter {
  private readonly index = new Map<string, number>();
  constructor(readonly by: SegmentBy) {}
  of(f: Float64Array, p: number): number {
    const label = this.label(f, p);
    let i = this.index.get(label);
    if (i === undefined) {
      i = this.index.size;
      if (i >= 255) throw new TwinloopError('BAD_INPUT', `segmentBy ${this.by} yields more than 255 segments; choose a coarser split`);
      this.index.set(label, i);
    }
    return i;
  }
  labels(): string[] {
    return [...this.index.keys()];
  }
  private label(f: Float64Array, p: number): string {
    switch (this.by) {
      case 'none': return 'all';
      case 'is_prepaid': return f[FEATURE_INDEX.is_prepaid] ? 'prepaid' : 'postpaid';
      case 'is_business': return f[FEATURE_INDEX.is_business] ? 'business' : 'consumer';
      case 'contract_months': return `contract ${f[FEATURE_INDEX.contract_months]} months`;
      default: return RISK_BANDS.find((b) => p < b.below)!.label;
    }
  }
}

/** A network scenario's incidents per 30 days without it, its default (the population's mean) filled in. */
type IncidentRate = { readonly mean: number; readonly sd: number };

/** Days per month over the days of the twins' 30-day windows: a monthly rate from a 30-day one. */
const MONTH_OVER_WINDOW = DAYS_PER_MONTH / 30;

function paramsOf(s: Scenario, segments: number, rate: IncidentRate | null): KernelParams {
  // The scenario's own level (a group's check); the fall after the pick is each twin's (the `fall` column).
  const common = { months: s.horizonMonths, seed: s.seed, segments, level: s.hazardLevel, calibrationSd: s.hazardCalibrationSd };
  switch (s.kind) {
    case 'offer_launch':
    case 'retention_campaign':
      return {
        ...common,
        fixedCost: 0,
        mode: 'offer',
        acceptance: s.offer.acceptance,
        acceptedMultiplier: s.offer.acceptedHazardMultiplier,
        contactedIncrease: s.offer.contactedHazardIncrease,
        effectMonths: s.offer.effectMonths,
        offerMonths: s.offer.months,
        costPerAcceptance: s.offer.costPerAcceptance,
      };
    case 'price_change': {
      const r = s.response;
      if (r.kind === 'estimated') return { ...common, fixedCost: 0, mode: 'structural', effectSd: r.uncertainty };
      // Configured: each twin's ratio is e^pricePct and θ the elasticity, drawn per draw, so an
      // elasticity of none (a cut's prior) keeps its uncertainty.
      return { ...common, fixedCost: 0, mode: 'structural', effectMean: r.elasticity.mean, effectSd: r.elasticity.sd, ...(r.effectMonths !== undefined ? { effectMonths: r.effectMonths } : {}) };
    }
    case 'network_improvement': {
      // The effect's uncertainty: the model's effect of an incident and the estimate of how many come.
      const rateSd = rate && rate.mean > 0 ? rate.sd / rate.mean : 0;
      const effectEvents = s.cellIncidentsPer30d === undefined ? 0 : s.cellIncidentsPer30d * MONTH_OVER_WINDOW * s.horizonMonths * (s.incidentReductionPct / 100);
      const e = s.incidentEffect;
      // A learned effect: the twins' ratios are e^(−prevented), θ is β with its own and the rate's uncertainty.
      if (e) return { ...common, fixedCost: s.cost, mode: 'structural', effectMean: e.mean, effectSd: Math.sqrt(e.sd ** 2 + (e.mean * rateSd) ** 2), effectEvents };
      const effectSd = Math.sqrt(s.uncertainty ** 2 + rateSd ** 2);
      return { ...common, fixedCost: s.cost, mode: 'structural', effectSd, effectEvents };
    }
  }
}

/**
 * The model's expected hazard for a twin over a coming 30-day window holding k ~ Poisson(`mu`)
 * network incidents of `minutes` minutes each (the rest of its features as they are).
 */
function hazardWithIncidents(source: TwinSource, f: Float64Array, scratch: Float64Array, mu: number, minutes: number): number {
  let pk = Math.exp(-mu);
  let mass = 0;
  let total = 0;
  for (let k = 0; k <= 50 && mass < 0.99999; k++) {
    if (k > 0) pk *= mu / k;
    scratch.set(f);
    scratch[FEATURE_INDEX.network_incidents_30d] = k;
    scratch[FEATURE_INDEX.network_minutes_30d] = k * minutes;
    total += pk * hazardOf(source.scorer!.probability(scratch), source.horizonDays);
    mass += pk;
  }
  return total / mass;
}

const logit = (p: number) => Math.log(p / (1 - p));
/** Probabilities are kept off 0 and 1 before their log-odds are taken. */
const clampProbability = (p: number) => Math.min(1 - 1e-6, Math.max(1e-6, p));

/** A twin's shift of an offer's acceptance log-odds for its churn probability `p` (0 without `acceptanceByRisk`). */
function acceptShiftOf(o: OfferAssumptions, p: number): number {
  const r = o.acceptanceByRisk;
  return r ? r.slope * (logit(clampProbability(p)) - logit(r.atChurn)) : 0;
}

/**
 * A twin's share of a contact effect fitted by hazard: (h / atHazard)^power, with `h` the twin's
 * monthly hazard kept off 0 (a hazard of 0 would take a negative power to infinity). The one
 * formula the lab, the pilot's fit and the validation's truth log read.
 */
export function contactScale(h: number, power: number, atHazard: number): number {
  return Math.pow(Math.max(1e-6, h) / atHazard, power);
}

/** A twin's share of an offer's contact effect for its monthly hazard `h` (1 without `contactedIncreaseByRisk`). */
export function contactScaleOf(o: OfferAssumptions, h: number): number {
  const r = o.contactedIncreaseByRisk;
  return r && r.power !== 0 ? contactScale(h, r.power, r.atHazard) : 1;
}

/** An offer's mean acceptance for a twin of churn probability `p` whose profile shifts it by `known` (log-odds). */
function twinAcceptance(o: OfferAssumptions, p: number, known: number): number {
  const a = o.acceptance.mean;
  const shift = acceptShiftOf(o, p) + known;
  return shift === 0 || a <= 0 || a >= 1 ? a : 1 / (1 + Math.exp(-(logit(a) + shift)));
}

/** The population's mean `network_incidents_30d`: the default incident rate of network scenarios. */
function meanIncidents(source: TwinSource): IncidentRate {
  let sum = 0;
  let n = 0;
  source.forEach((_, f) => {
    sum += f[FEATURE_INDEX.network_incidents_30d];
    n++;
  });
  const mean = n > 0 ? sum / n : 0;
  return { mean, sd: mean / 2 };
}

/** The model's hazard ratio for a twin whose `features` are changed by `edit` (1 when nothing is known). */
function rescoredRatio(source: TwinSource, f: Float64Array, p: number, scratch: Float64Array, edit: (x: Float64Array) => void): number {
  if (!source.scorer) return 1;
  scratch.set(f);
  edit(scratch);
  const h0 = hazardOf(p, source.horizonDays);
  const h1 = hazardOf(source.scorer.probability(scratch), source.horizonDays);
  return h0 > 0 ? h1 / h0 : 1;
}

/** Per-scenario state while the population is read. */
interface Builder {
  readonly s: Scenario;
  readonly seg: Segmenter;
  readonly inTarget: (f: Float64Array, probability: number, revenue: number) => boolean;
  readonly cols: KernelPopulation;
  readonly shared: SharedPopulation;
  /** retention_campaign: rank score per twin, −Infinity outside the target. */
  readonly rank: Float64Array | null;
  /** retention_campaign or price_change with `customers`: the only twins it may reach. */
  readonly only: ReadonlySet<string> | null;
}

/**
 * Reads the population once and compiles every scenario against it: who is touched, at what
 * cost per contact, with which model-estimated hazard ratio and revenue change. Hazards and
 * revenues are stored once and shared by all the scenarios' kernels.
 */
export function compileScenarios(source: TwinSource, stated: readonly Scenario[]): ScenarioPlan[] {
  if (stated.length === 0) throw new TwinloopError('BAD_INPUT', 'no scenario to simulate; give at least one');
  // A network scenario that states no effect of an incident takes the one the operator's history
  // shows, when the source knows it: the churn model's re-scoring may have learned none at all.
  const needsEffect = (s: Scenario) => s.kind === 'network_improvement' && !s.incidentEffect;
  const learned = stated.some(needsEffect) ? source.incidentEffect?.() : undefined;
  const scenarios = learned ? stated.map((s) => (needsEffect(s) ? { ...s, incidentEffect: { mean: learned.mean, sd: learned.sd } } : s)) : stated;
  const effectUsed = (j: number): IncidentEffectUsed | undefined => {
    const s = stated[j];
    if (s.kind !== 'network_improvement') return undefined;
    if (s.incidentEffect) return { from: 'scenario', mean: s.incidentEffect.mean, sd: s.incidentEffect.sd };
    if (!learned) return { from: 'churn-model' };
    const { mean, sd, churnsExposed, daysExposed, churnsUnexposed, daysUnexposed, days } = learned;
    return { from: 'history', mean, sd, churnsExposed, daysExposed, churnsUnexposed, daysUnexposed, days };
  };
  const cap = source.capacity;
  const { shared: base, view } = allocateShared(cap);
  const builders: Builder[] = scenarios.map((s) => {
    const { shared, view: cols } = withScenarioColumns(base);
    return { s, seg: new Segmenter(s.segmentBy), inTarget: targetTest(s.target), cols, shared, rank: s.kind === 'retention_campaign' ? new Float64Array(cap).fill(-Infinity) : null, only: (s.kind === 'retention_campaign' || s.kind === 'price_change') && s.customers ? new Set(s.customers) : null };
  });
  // Network scenarios without their own incident rate use the population's (one more pass, only then).
  const needsMean = scenarios.some((s) => s.kind === 'network_improvement' && !s.incidentsPer30d);
  const populationRate = needsMean ? meanIncidents(source) : null;
  const rates = scenarios.map((s) => (s.kind === 'network_improvement' ? (s.incidentsPer30d ?? populationRate) : null));
  const ids: string[] = [];
  const withoutConsent = new Array<number>(builders.length).fill(0);
  const probability = new Float64Array(cap);
  // Whose contract ends within the model's horizon: their cell of the model's fall after a pick.
  const contractEnds = new Uint8Array(cap);
  const scratch = new Float64Array(FEATURE_COUNT);
  let n = 0;
  source.forEach((id, f, p) => {
    if (n >= cap) throw new TwinloopError('INTERNAL', `the twin source visited more than its capacity ${cap}`);
    const i = n++;
    ids.push(id);
    probability[i] = p;
    contractEnds[i] = contractEndsWithin(f[FEATURE_INDEX.contract_days_left], source.horizonDays) ? 1 : 0;
    const h = hazardOf(p, source.horizonDays);
    const rev = monthlyRevenueOf(f);
    const price = f[FEATURE_INDEX.monthly_price];
    // What the twin's profile says of its answer to an offer, beside its churn risk.
    const known = source.acceptanceShift?.(id) ?? 0;
    view.hazard[i] = h;
    view.revenue[i] = rev;
    const sd = source.revenueSd?.(id) ?? 0;
    view.revenueVar[i] = sd > 0 ? sd * sd : 0;
    for (let j = 0; j < builders.length; j++) {
      const b = builders[j];
      const { s, cols } = b;
      cols.segment[i] = b.seg.of(f, p);
      // Every twin's own fall, treated or not: the world without the scenario is the same in every scenario of the run.
      if (source.hazardDecay) cols.fall[i] = laterFactor(source.hazardDecay, p, contractEnds[i] === 1, s.horizonMonths);
      if (!b.inTarget(f, p, rev)) continue;
      // An offer is marketing: whoever refused it is never contacted, so the plan neither counts
      // their answer nor the contact's effect on them (a plan that did was optimistic by them).
      if ((s.kind === 'offer_launch' || (s.kind === 'retention_campaign' && (!b.only || b.only.has(id)))) && refusesMarketing(f)) {
        withoutConsent[j]++;
        continue;
      }
      if (s.kind === 'offer_launch') {
        let contacts = 0;
        let cost = 0;
        s.channels.forEach((ch, c) => {
          if (unitHash(s.seed, i, c) < ch.reach) {
            contacts++;
            cost += ch.costPerContact;
          }
        });
        if (contacts === 0) continue;
        cols.treated[i] = 1;
        cols.contacts[i] = contacts;
        cols.contactCost[i] = cost / contacts;
        cols.discountLoss[i] = (price * s.offer.discountPct) / 100;
        cols.acceptShift[i] = acceptShiftOf(s.offer, p) + known;
        cols.contactScale[i] = contactScaleOf(s.offer, h);
      } else if (s.kind === 'retention_campaign') {
        if (b.only && !b.only.has(id)) continue;
        const o = s.offer;
        const m = s.horizonMonths;
        // churn × value: expected revenue at risk; uplift: the offer's expected net value for the
        // twin at the priors' means (what expectedNetValue computes per draw: the contact's own
        // effect on those who decline counts, so a twin likely to be provoked ranks low).
        b.rank![i] = s.targeting.rank === 'churn_value'
          ? h * rev * m
          : twinExpectedNet(h, Math.min(MAX_HAZARD, h * o.acceptedHazardMultiplier.mean), contactedHazard(h, o.contactedHazardIncrease.mean * contactScaleOf(o, h)), twinAcceptance(o, p, known), rev, (price * o.discountPct) / 100, s.contactPolicy.maxContacts, s.costPerContact, o.costPerAcceptance, o.effectMonths, o.months, m);
        cols.contacts[i] = s.contactPolicy.maxContacts;
        cols.contactCost[i] = s.costPerContact;
        cols.discountLoss[i] = (price * o.discountPct) / 100;
        cols.acceptShift[i] = acceptShiftOf(o, p) + known;
        cols.contactScale[i] = contactScaleOf(o, h);
      } else if (s.kind === 'price_change') {
        if (b.only && !b.only.has(id)) continue;
        cols.treated[i] = 1;
        cols.revenueDelta[i] = (price * s.pricePct) / 100;
        const r = s.response;
        cols.relHazard[i] = r.kind === 'configured'
          ? Math.exp(s.pricePct)
          : rescoredRatio(source, f, p, scratch, (x) => PRICE_FEATURES.forEach((k) => (x[FEATURE_INDEX[k]] *= 1 + s.pricePct / 100)));
      } else {
        if (s.customers && !s.customers.includes(id)) continue;
        cols.treated[i] = 1;
        // The incidents it would feel in a coming month against the share left by the fix: the
        // future is changed, not the past (its recent incidents say little about its next ones).
        const mu = rates[j]!.mean;
        cols.relHazard[i] = s.incidentEffect
          ? Math.exp(-mu * (s.incidentReductionPct / 100))
          : source.scorer && mu > 0
          ? hazardWithIncidents(source, f, scratch, mu * (1 - s.incidentReductionPct / 100), s.minutesPerIncident) / Math.max(1e-12, hazardWithIncidents(source, f, scratch, mu, s.minutesPerIncident))
          : 1;
      }
    }
  });
  const withN = (s: SharedPopulation): SharedPopulation => ({ ...s, n });
  return builders.map((b, j) => {
    const s = b.s;
    const control: string[] = [];
    if (s.kind === 'retention_campaign') selectTopK(s, b.rank!, n, b.cols, control, ids);
    const treatedIds: string[] = [];
    const treatedP: number[] = [];
    const treatedH: number[] = [];
    const treatedEnds: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!b.cols.treated[i]) continue;
      treatedIds.push(ids[i]);
      treatedP.push(probability[i]);
      treatedH.push(hazardOf(probability[i], source.horizonDays));
      treatedEnds.push(contractEnds[i]);
    }
    const labels = b.seg.labels();
    const decay = source.hazardDecay ? decayLevel(source.hazardDecay, treatedP, treatedH, s.horizonMonths, treatedEnds) : 1;
    const incidentEffect = effectUsed(j);
    return { scenario: s, params: paramsOf(s, Math.max(1, labels.length), rates[j]), population: withN(b.shared), segmentLabels: labels.length ? labels : ['all'], treated: treatedIds.length, treatedIds, controlIds: control, withoutConsent: withoutConsent[j], treatedLevel: s.hazardLevel * decay, ...(incidentEffect ? { incidentEffect } : {}) };
  });
}

/** Twins a budget pays for: expected cost per selected twin is its contacts plus an acceptance. */
export function budgetK(s: Extract<Scenario, { kind: 'retention_campaign' }>): number {
  if (s.targeting.k !== undefined) return s.targeting.k;
  const a = s.offer.acceptance.mean;
  let attempts = 0;
  for (let j = 0; j < s.contactPolicy.maxContacts; j++) attempts += (1 - a) ** j;
  const perTwin = s.costPerContact * attempts + a * s.offer.costPerAcceptance;
  // Control twins cost nothing, so the budget stretches over more selected twins.
  return perTwin > 0 ? Math.floor(s.targeting.budget! / (perTwin * (1 - s.controlShare))) : Number.MAX_SAFE_INTEGER;
}

function selectTopK(s: Extract<Scenario, { kind: 'retention_campaign' }>, rank: Float64Array, n: number, cols: KernelPopulation, control: string[], ids: readonly string[]): void {
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => rank[i] > -Infinity);
  order.sort((x, y) => rank[y] - rank[x] || x - y);
  const k = Math.min(order.length, budgetK(s));
  for (let j = 0; j < k; j++) {
    const i = order[j];
    if (unitHash(s.seed, i, 101) < s.controlShare) control.push(ids[i]);
    else cols.treated[i] = 1;
  }
}
