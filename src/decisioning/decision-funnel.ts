import { randomUUID } from 'node:crypto';
import { CHANNELS, type Channel } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';
import { fnv1a32 } from '../domain/string-hash.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import { contextKeyOf, PriorAcceptance, type AcceptanceModel } from './acceptance-model.js';
import { argmax, choose, DEFAULT_THOMPSON, expectedValue, offerValue, type CustomerScores, type Exploration, type OfferValue, type UpliftEstimate } from './arbitration.js';
import type { ContactLedger } from './contact-ledger.js';
import { contactGate, contactSummaryOf, resolveContactPolicy, sameOfferCooldown, type ContactPolicy, type ContactPolicyInput } from './contact-policy.js';
import { betaBelief, type Choice } from './decision-choice.js';
import { DO_NOTHING, type DecisionRecord } from './decision-record.js';
import type { CompiledOffer, OfferCatalogue } from './offer-catalogue.js';
import { DIRECTION_CODE, RULE_SLOT, RULE_VALUE_COUNT } from './rule-compiler.js';

/** Who is in contact, where, why and when. */
export interface DecisionContext {
  readonly channel: Channel;
  /** Why the customer is in contact, e.g. `billing_question` (rules and weights may use it). */
  readonly reason?: string;
  readonly direction: 'inbound' | 'outbound';
  /** Event time of the decision, ms since epoch. */
  readonly now: number;
}

/** The funnel step that removed a candidate. */
export type FunnelStep = 'eligibility' | 'applicability' | 'suitability' | 'contact-policy' | 'arbitration';

/** A candidate that survived to the ranking. */
export interface RankedAction {
  readonly actionId: string;
  readonly name: string;
  /** The message variant this customer gets (stable per customer and offering); null for DO_NOTHING. */
  readonly treatment: { readonly id: string; readonly name: string; readonly message: string } | null;
  readonly score: number;
  readonly expectedValue: number;
  /** Probability this action was chosen (sums to 1 over `ranked`). */
  readonly propensity: number;
  readonly reasons: string[];
}

/** A candidate removed by a funnel step, and why (in words when the decision was explained). */
export interface DiscardedAction {
  readonly actionId: string;
  readonly step: FunnelStep;
  readonly reason?: string;
}

/** The answer of the funnel for one customer and contact. */
export interface Decision {
  readonly decisionId: string;
  readonly customerId: string;
  readonly at: number;
  readonly context: DecisionContext;
  readonly contextKey: string;
  /** Best mean score first; DO_NOTHING is always present. */
  readonly ranked: RankedAction[];
  readonly discarded: DiscardedAction[];
  readonly chosen: RankedAction;
  /** Why `chosen` was chosen: exploit, explore (with its cost and the value of information) or guarded. */
  readonly choice: Choice;
  /** The decision as logged for learning and off-policy evaluation. */
  readonly record: DecisionRecord;
  /**
   * Whether the reasons were written: when not, `ranked[].reasons` are empty (`reasonsOf` writes
   * them on demand) and `discarded` names each step without the reason in words.
   */
  readonly explained: boolean;
  /**
   * A ranked action's reasons in words, as `rankedOf` writes them when explaining, from the
   * figures this decision ranked on (not the learner's later ones): what an action request carries
   * as evidence when the decision was not explained.
   */
  readonly reasonsOf: (actionId: string) => readonly string[];
}

/** Funnel settings; only the catalogue is required. */
export interface FunnelOptions {
  readonly catalogue: OfferCatalogue;
  /** Acceptance probabilities; default PriorAcceptance over the catalogue's priors. */
  readonly acceptance?: AcceptanceModel;
  readonly contactPolicy?: ContactPolicyInput;
  /** Recent contacts; without one (or for customers it has not seen) the twin's features stand in. */
  readonly ledger?: ContactLedger;
  /** Replaces `churn × retentionEffect` as the churn reduction of an accepted offer. */
  readonly uplift?: UpliftEstimate;
  /** Default: Thompson sampling when the acceptance model can sample, else greedy. */
  readonly exploration?: Exploration;
  /** Candidates kept for the final choice, best mean score first (default 10); the rest are discarded at arbitration. */
  readonly maxCandidates?: number;
  /** Uniform numbers in [0, 1) (default Math.random); pass a seeded one for reproducible choices. */
  readonly random?: () => number;
  /** Decision ids (default random UUIDs). */
  readonly newId?: () => string;
  /** Write the reasons in words for ranked and discarded actions unless a decision says otherwise (default true; benches turn it off). */
  readonly explain?: boolean;
}

/** Candidates kept for the choice by default: more than an assist panel shows, few enough to draw quickly. */
export const DEFAULT_MAX_CANDIDATES = 10;
const SUITABLE_CLASSES_NEED_PLAN = new Set(['discount', 'plan_change']);
const money = (x: number) => x.toFixed(2);

/**
 * The next-best-action funnel: candidates pass eligibility → applicability → suitability →
 * contact policy → arbitration; DO_NOTHING is always a candidate. Rules are compiled once (in
 * the catalogue); a decision reuses typed scratch arrays and builds no JSON.
 */
export class DecisionFunnel {
  readonly catalogue: OfferCatalogue;
  readonly policy: ContactPolicy;
  private readonly acceptance: AcceptanceModel;
  private readonly exploration: Exploration;
  private readonly maxCandidates: number;
  private readonly random: () => number;
  private readonly newId: () => string;
  private readonly explain: boolean;
  private readonly values = new Float64Array(RULE_VALUE_COUNT);
  // Per-candidate scratch; index 0 is DO_NOTHING.
  private readonly cand: CompiledOffer[] = [];
  private readonly mean: Float64Array;
  private readonly gain: Float64Array;
  private readonly fixed: Float64Array;
  private readonly weight: Float64Array;
  private readonly ev: Float64Array;
  private readonly prop: Float64Array;
  private readonly drawBuf: Float64Array;
  /** Offerings of the current decision removed for their value (expected value ≤ 0), not by a guard. */
  private notWorth = 0;
  private readonly v: OfferValue = { deltaChurn: 0, deltaLtv: 0, acceptCost: 0, contactCost: 0, gainIfAccepted: 0 };

  constructor(private readonly options: FunnelOptions) {
    this.catalogue = options.catalogue;
    this.policy = resolveContactPolicy(options.contactPolicy);
    this.acceptance = options.acceptance ?? new PriorAcceptance(options.catalogue);
    this.exploration = options.exploration ?? (this.acceptance.sample ? DEFAULT_THOMPSON : { kind: 'greedy' });
    const ex = this.exploration;
    if (ex.kind === 'epsilon-greedy' && !(ex.epsilon >= 0 && ex.epsilon <= 1)) throw new TwinloopError('BAD_INPUT', `exploration epsilon must be in [0, 1], got ${ex.epsilon}`);
    if (ex.kind === 'thompson' && !(Number.isInteger(ex.draws) && ex.draws >= 1 && ex.floor >= 0 && ex.floor <= 1)) {
      throw new TwinloopError('BAD_INPUT', `thompson exploration needs an integer draws ≥ 1 and floor in [0, 1], got draws ${ex.draws}, floor ${ex.floor}`);
    }
    this.maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
    if (!(Number.isInteger(this.maxCandidates) && this.maxCandidates >= 1)) throw new TwinloopError('BAD_INPUT', `maxCandidates must be an integer ≥ 1, got ${this.maxCandidates}`);
    this.random = options.random ?? Math.random;
    this.newId = options.newId ?? randomUUID;
    this.explain = options.explain ?? true;
    const n = options.catalogue.offers.length + 1;
    this.mean = new Float64Array(n);
    this.gain = new Float64Array(n);
    this.fixed = new Float64Array(n);
    this.weight = new Float64Array(n);
    this.ev = new Float64Array(n);
    this.prop = new Float64Array(n);
    this.drawBuf = new Float64Array(n);
  }

  /**
   * Decides for one customer: `features` in FEATURE_NAMES order, `scores` from live scoring.
   * Never throws for a policy reason: refusals are in `discarded` and DO_NOTHING stays available.
   * `explain` (default: the funnel's option) writes every reason in words now; without it the
   * choice is the same (same draws, same propensities) and `reasonsOf` writes a ranked action's
   * reasons when asked: a caller that shows the choice alone pays for no sentences.
   */
  decide(customerId: string, features: Float64Array, scores: CustomerScores, context: DecisionContext, explain = this.explain): Decision {
    if (features.length < FEATURE_COUNT) throw new TwinloopError('BAD_INPUT', `features has ${features.length} values, expected ${FEATURE_COUNT} in FEATURE_NAMES order`);
    const channelCode = CHANNELS.indexOf(context.channel);
    if (channelCode < 0) throw new TwinloopError('BAD_INPUT', `unknown channel '${context.channel}': use one of ${CHANNELS.join(', ')}`);
    const now = context.now;
    const churn = Number.isFinite(scores.churn) ? scores.churn : 0;
    const clv = Number.isFinite(scores.clv) ? scores.clv : 0;
    const vals = this.values;
    vals.set(features.subarray(0, FEATURE_COUNT));
    vals[RULE_SLOT.churn] = churn;
    vals[RULE_SLOT.clv] = clv;
    vals[RULE_SLOT.channel] = channelCode;
    vals[RULE_SLOT.direction] = DIRECTION_CODE[context.direction];
    const reasonCode = this.catalogue.vocabulary.reasonCode(context.reason);
    vals[RULE_SLOT.reason] = reasonCode;
    const contextKey = contextKeyOf(context.channel, churn);
    const summary = contactSummaryOf(this.options.ledger, customerId, features, now, this.policy);
    const gate = contactGate(this.policy, summary, features, context);
    const capped = context.direction === 'outbound' || this.policy.capsApplyToInbound;
    const monthlyPrice = features[FEATURE_INDEX.monthly_price];
    const discarded: DiscardedAction[] = [];
    this.notWorth = 0;
    const cand = this.cand;
    cand.length = 1;
    const v = this.v;

    for (const o of this.catalogue.offers) {
      // Eligibility: the offering is live and valid now, the customer is still a customer, the rule holds.
      if (!o.live) discarded.push({ actionId: o.id, step: 'eligibility', reason: explain ? `lifecycleStatus is ${o.offering.lifecycleStatus}: only Active or Launched offerings are proposed` : undefined });
      else if (now < o.validFrom || now > o.validTo) discarded.push({ actionId: o.id, step: 'eligibility', reason: explain ? `outside validFor (${o.offering.validFor?.startDateTime ?? '…'} to ${o.offering.validFor?.endDateTime ?? '…'})` : undefined });
      else if (features[FEATURE_INDEX.churned] !== 0) discarded.push({ actionId: o.id, step: 'eligibility', reason: explain ? 'the customer has churned (every plan terminated)' : undefined });
      else if (!o.eligible(vals)) discarded.push({ actionId: o.id, step: 'eligibility', reason: explain ? `eligibility rule not met: ${o.offering.eligibility}` : undefined });
      // Applicability: the offering fits this channel and moment.
      else if ((o.channelMask & (1 << channelCode)) === 0) discarded.push({ actionId: o.id, step: 'applicability', reason: explain ? `not offered on ${context.channel} (channels: ${(o.offering.channel ?? []).map((c) => c.id).join(', ')})` : undefined });
      else if (o.applicable && !o.applicable(vals)) discarded.push({ actionId: o.id, step: 'applicability', reason: explain ? `applicability rule not met: ${o.offering.applicability}` : undefined });
      else {
        const why = this.unsuitable(o, features, { churn, clv }, monthlyPrice, contextKey, explain);
        if (why !== null) discarded.push({ actionId: o.id, step: 'suitability', reason: explain ? why : undefined });
        else {
          const blocked = (o.marketing ? gate.marketing : gate.service) ?? (o.marketing ? sameOfferCooldown(this.policy, summary, o.id, now, capped) : null);
          if (blocked) discarded.push({ actionId: o.id, step: 'contact-policy', reason: explain ? blocked.reason : undefined });
          else {
            const k = cand.length;
            cand.push(o);
            const w = o.channelWeights[channelCode] * (o.reasonWeights.size ? (o.reasonWeights.get(reasonCode) ?? 1) : 1) * o.lever;
            this.weight[k] = w;
            this.gain[k] = w * v.gainIfAccepted;
            this.fixed[k] = w * v.contactCost;
            this.ev[k] = expectedValue(this.acceptance.mean(o.id, contextKey), v.gainIfAccepted, v.contactCost);
            this.mean[k] = w * this.ev[k];
          }
        }
      }
    }

    // Arbitration: order by mean score, keep the best, drop those that cannot beat doing nothing.
    this.mean[0] = 0;
    const order = this.arbitrate(discarded, explain);
    const n = order.length;
    const mean = new Float64Array(n);
    for (let i = 0; i < n; i++) mean[i] = this.mean[order[i]];
    const acc = this.acceptance;
    const bestAt = argmax(mean, n);
    // Per posterior draw, how far its best score is above the draw of the best-expected action:
    // its average is the value of information (paired, so never negative and with little noise).
    let regretSum = 0;
    let drawCount = 0;
    const draws = n > 1 ? drawsOf(acc, order, n, cand, contextKey) : undefined;
    const sampler = draws
      ? (out: Float64Array) => {
          out[0] = 0;
          let best = 0;
          for (let i = 1; i < n; i++) {
            const k = order[i];
            out[i] = draws[i](this.random) * this.gain[k] - this.fixed[k];
            if (out[i] > best) best = out[i];
          }
          regretSum += best - out[bestAt];
          drawCount++;
        }
      : undefined;
    // Choose over [DO_NOTHING, ...ranked by mean]; index 0 of `order` is DO_NOTHING.
    const chosenAt = choose(this.exploration, mean, n, this.prop, this.random, sampler, this.drawBuf);

    const ranked: RankedAction[] = [];
    // Unexplained: what each ranked offering was ranked on, for its reasons in words later (`reasonsOf`).
    const basis = explain ? undefined : new Map<string, ReasonBasis>();
    let chosen: RankedAction | undefined;
    for (let i = 0; i < n; i++) {
      const k = order[i];
      let action: RankedAction;
      if (k === 0) action = this.doNothing(this.prop[i], explain);
      else {
        const o = cand[k];
        const b: ReasonBasis = { offer: o, acceptance: this.acceptance.mean(o.id, contextKey), weight: this.weight[k], expectedValue: this.ev[k], score: this.mean[k] };
        basis?.set(o.id, b);
        action = { actionId: o.id, name: o.offering.name, treatment: treatmentFor(o, customerId), score: b.score, expectedValue: b.expectedValue, propensity: this.prop[i], reasons: basis ? [] : this.reasonsFor(b, features, { churn, clv }, monthlyPrice, contextKey, context) };
      }
      ranked.push(action);
      if (i === chosenAt) chosen = action;
    }
    ranked.sort((a, b) => b.score - a.score || (a.actionId === DO_NOTHING ? -1 : b.actionId === DO_NOTHING ? 1 : 0));
    const decisionId = this.newId();
    const pick = chosen as RankedAction;
    const record: DecisionRecord = {
      decisionId,
      customerId,
      at: now,
      channel: context.channel,
      ...(context.reason !== undefined ? { reason: context.reason } : {}),
      contextKey,
      candidates: ranked.map((r) => ({ actionId: r.actionId, score: r.score, propensity: r.propensity, expectedValue: r.expectedValue })),
      chosen: pick.actionId,
      propensity: pick.propensity,
    };
    const choice = this.choiceOf(chosenAt, bestAt, order, mean, n, contextKey, discarded, drawCount > 0 ? regretSum / drawCount : undefined);
    const reasonsOf = (actionId: string): readonly string[] => {
      if (!basis) return ranked.find((r) => r.actionId === actionId)?.reasons ?? [];
      if (actionId === DO_NOTHING) return DO_NOTHING_REASONS;
      const b = basis.get(actionId);
      return b ? this.reasonsFor(b, features, { churn, clv }, monthlyPrice, contextKey, context) : [];
    };
    return { decisionId, customerId, at: now, context, contextKey, ranked, discarded, chosen: pick, choice, record, explained: explain, reasonsOf };
  }

  /** How the choice was made (see decision-choice.ts): exploit, explore (with its cost and the value of information) or guarded. */
  private choiceOf(chosenAt: number, bestAt: number, order: number[], mean: Float64Array, n: number, contextKey: string, discarded: DiscardedAction[], valueOfInformation: number | undefined): Choice {
    const id = (i: number) => (order[i] === 0 ? DO_NOTHING : this.cand[order[i]].id);
    const bestActionId = id(bestAt);
    const tally = (keep: (step: FunnelStep) => boolean) => {
      const out: Record<string, number> = {};
      for (const x of discarded) if (keep(x.step)) out[x.step] = (out[x.step] ?? 0) + 1;
      return out;
    };
    if (n === 1) {
      // Doing nothing is the best when offerings were removed for their value; only a guard's removals make it `guarded`.
      const notWorth = this.notWorth + discarded.filter((x) => x.step === 'arbitration').length;
      if (notWorth > 0 || discarded.length === 0) return { mode: 'exploit', bestActionId, cost: 0, exploration: this.exploration, ...(notWorth ? { removed: { 'expected value ≤ 0': notWorth } } : {}) };
      return { mode: 'guarded', bestActionId, cost: 0, exploration: this.exploration, removed: tally(() => true) };
    }
    if (chosenAt === bestAt) return { mode: 'exploit', bestActionId, cost: 0, exploration: this.exploration, ...(valueOfInformation === undefined ? {} : { valueOfInformation }) };
    const ex = this.exploration;
    const probabilityBest = ex.kind === 'thompson' && this.acceptance.sample ? Math.max(0, (this.prop[chosenAt] - ex.floor / n) / (1 - ex.floor || 1)) : undefined;
    const uncertain = order[chosenAt] === 0 ? bestActionId : id(chosenAt);
    const posterior = this.acceptance.posterior?.(uncertain, contextKey);
    return {
      mode: 'explore',
      bestActionId,
      exploration: this.exploration,
      cost: mean[bestAt] - mean[chosenAt],
      ...(probabilityBest === undefined ? {} : { probabilityBest }),
      ...(valueOfInformation === undefined ? {} : { valueOfInformation }),
      ...(posterior ? { belief: betaBelief(uncertain, posterior.alpha, posterior.beta) } : {}),
    };
  }

  /** The reduction in churn probability if the customer accepts `o`: the uplift model's, else churn × the offering's retention effect. */
  private deltaChurnOf(o: CompiledOffer, features: Float64Array, scores: CustomerScores): number {
    return this.options.uplift ? this.options.uplift(o, features, scores) : scores.churn * o.retentionEffect;
  }

  /**
   * What one offering is worth to this customer if made now, whatever the guards say: the
   * acceptance the funnel expects in `contextKey` and the value parts it ranks on (a what-if reads
   * it for every offering; deciding reads the same numbers).
   */
  valueOf(o: CompiledOffer, features: Float64Array, scores: CustomerScores, contextKey: string): { acceptance: number; value: OfferValue } {
    const value = offerValue(o, this.deltaChurnOf(o, features, scores), scores.clv, features[FEATURE_INDEX.monthly_price], { deltaChurn: 0, deltaLtv: 0, acceptCost: 0, contactCost: 0, gainIfAccepted: 0 });
    return { acceptance: this.acceptance.mean(o.id, contextKey), value };
  }

  /** Suitability: fills `this.v` and returns why the offering does not suit (in words when `explain`, else ''), or null. */
  private unsuitable(o: CompiledOffer, features: Float64Array, scores: CustomerScores, monthlyPrice: number, contextKey: string, explain: boolean): string | null {
    if (o.discountShare > o.margin) return explain ? `a ${(o.discountShare * 100).toFixed(0)} % discount exceeds the ${(o.margin * 100).toFixed(0)} % margin the plan allows` : '';
    if (SUITABLE_CLASSES_NEED_PLAN.has(o.actionClass) && features[FEATURE_INDEX.active_plans] === 0) return explain ? 'no active plan to discount or change' : '';
    if (monthlyPrice >= o.topMonthlyPrice) return explain ? `already on the top plan (monthly price ${money(monthlyPrice)} ≥ ${money(o.topMonthlyPrice)})` : '';
    offerValue(o, this.deltaChurnOf(o, features, scores), scores.clv, monthlyPrice, this.v);
    const ev = expectedValue(this.acceptance.mean(o.id, contextKey), this.v.gainIfAccepted, this.v.contactCost);
    if (!(ev > 0)) {
      this.notWorth++;
      return explain ? `expected value ${money(ev)} ≤ 0: it costs more than it is expected to return` : '';
    }
    return null;
  }

  /** Orders candidates by mean score (DO_NOTHING first), discarding those beyond maxCandidates or not above 0. */
  private arbitrate(discarded: DiscardedAction[], explain: boolean): number[] {
    const idx: number[] = [];
    for (let k = 1; k < this.cand.length; k++) {
      if (this.mean[k] > 0) idx.push(k);
      else discarded.push({ actionId: this.cand[k].id, step: 'arbitration', reason: explain ? `score ${money(this.mean[k])} (weight ${this.weight[k]}) cannot beat doing nothing` : undefined });
    }
    idx.sort((a, b) => this.mean[b] - this.mean[a]);
    for (let i = this.maxCandidates; i < idx.length; i++) {
      discarded.push({ actionId: this.cand[idx[i]].id, step: 'arbitration', reason: explain ? `ranked ${i + 1}: only the best ${this.maxCandidates} candidates are kept` : undefined });
    }
    if (idx.length > this.maxCandidates) idx.length = this.maxCandidates;
    return [0, ...idx];
  }

  private doNothing(propensity: number, explain: boolean): RankedAction {
    return { actionId: DO_NOTHING, name: 'Do nothing', treatment: null, score: 0, expectedValue: 0, propensity, reasons: explain ? [...DO_NOTHING_REASONS] : [] };
  }

  /** A ranked offering's reasons in words, from what it was ranked on. */
  private reasonsFor(b: ReasonBasis, features: Float64Array, scores: CustomerScores, monthlyPrice: number, contextKey: string, context: DecisionContext): string[] {
    const o = b.offer;
    const deltaChurn = this.deltaChurnOf(o, features, scores);
    const v = offerValue(o, deltaChurn, scores.clv, monthlyPrice, { deltaChurn: 0, deltaLtv: 0, acceptCost: 0, contactCost: 0, gainIfAccepted: 0 });
    const reasons = [`P(accept) ${b.acceptance.toFixed(3)} in context ${contextKey}`];
    reasons.push(
      this.options.uplift
        ? `Δ lifetime value ${money(v.deltaLtv)} = uplift ${deltaChurn.toFixed(4)} × CLV ${money(scores.clv)}`
        : `Δ lifetime value ${money(v.deltaLtv)} = churn ${scores.churn.toFixed(3)} × retention effect ${o.retentionEffect} × CLV ${money(scores.clv)}`,
    );
    if (o.revenue > 0) reasons.push(`revenue if accepted ${money(o.revenue)}`);
    if (v.acceptCost > 0) reasons.push(`cost if accepted ${money(v.acceptCost)}`);
    if (v.contactCost > 0) reasons.push(`cost per presentation ${money(v.contactCost)}`);
    reasons.push(`expected value ${money(b.expectedValue)} × weight ${b.weight} (${context.channel}${context.reason ? `, ${context.reason}` : ''}, lever ${o.lever}) = score ${money(b.score)}`);
    return reasons;
  }
}

/** Doing nothing's one reason (the same for every decision). */
const DO_NOTHING_REASONS: readonly string[] = ['baseline: no contact and no cost; chosen when no offering is expected to add value'];

/** What a ranked offering was ranked on: the figures its reasons state. */
interface ReasonBasis {
  readonly offer: CompiledOffer;
  readonly acceptance: number;
  readonly weight: number;
  readonly expectedValue: number;
  readonly score: number;
}

/**
 * Per ranked position (1 … n − 1; 0 is DO_NOTHING), the posterior draw of its candidate's cell,
 * or undefined when the acceptance model cannot sample (the choice is then by the mean). Each
 * cell's posterior is read once for the decision's draws (`AcceptanceModel.sampler`).
 */
function drawsOf(acc: AcceptanceModel, order: readonly number[], n: number, cand: readonly CompiledOffer[], contextKey: string): ((u: () => number) => number)[] | undefined {
  const sample = acc.sample?.bind(acc);
  if (!sample) return undefined;
  const draws: ((u: () => number) => number)[] = [() => 0];
  for (let i = 1; i < n; i++) {
    const id = cand[order[i]].id;
    draws.push(acc.sampler ? acc.sampler(id, contextKey) : (u) => sample(id, contextKey, u));
  }
  return draws;
}

/** The treatment a customer sees for an offering: a stable weighted split by customer id. */
export function treatmentFor(o: CompiledOffer, customerId: string): { id: string; name: string; message: string } {
  const ts = o.offering.treatments;
  if (ts.length === 1) return ts[0];
  let total = 0;
  for (let i = 0; i < o.treatmentWeights.length; i++) total += o.treatmentWeights[i];
  let x = (fnv1a32(`${customerId}|${o.id}`) / 2 ** 32) * total;
  for (let i = 0; i < ts.length; i++) {
    x -= o.treatmentWeights[i];
    if (x < 0) return ts[i];
  }
  return ts[ts.length - 1];
}

/** Reads what the funnel needs from a live twin engine (structurally: TwinEngine and LiveScoring fit). */
export interface TwinSource {
  features(customerId: string, at?: number): Float64Array | undefined;
}

/**
 * Decides for a customer held by a twin engine, with scores from a scores function (e.g.
 * `(id) => liveScoring.scoreOf(id)`). Throws NOT_FOUND for a customer the engine does not hold.
 */
export function decideForTwin(
  funnel: DecisionFunnel,
  twins: TwinSource,
  scoresOf: (customerId: string) => CustomerScores | undefined,
  customerId: string,
  context: DecisionContext,
  explain?: boolean,
): Decision {
  const features = twins.features(customerId, context.now);
  if (!features) throw new TwinloopError('NOT_FOUND', `no twin for customer '${customerId}': check the id, or send its customer event first`);
  const scores = scoresOf(customerId) ?? { churn: 0, clv: 0 };
  return funnel.decide(customerId, features, scores, context, explain);
}
