import { randomUUID } from 'node:crypto';
import { CHANNELS, type Channel } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';
import { fnv1a32 } from '../domain/string-hash.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import { contextKeyOf, PriorAcceptance, type AcceptanceModel } from './acceptance-model.js';
import { argmax, choose, DEFAULT_THOMPSON, expectedValue, offerValue, type CustomerScores, type Exploration, type OfferValue, type UpliftEstimate } from './arbitration.js';
import type { ContactLedger } from './contact-ledger.js';
import { actionContactRefusal, type Asker, type ContactFacts } from './action-contact.js';
import { contactSummaryOf, resolveContactPolicy, type ContactGate, type ContactPolicy, type ContactPolicyInput } from './contact-policy.js';
import { offeringParams } from './offering-params.js';
import { betaBelief, type Choice } from './decision-choice.js';
import { DO_NOTHING, type DecisionRecord } from './decision-record.js';
import { prepareGamma, sampleBetaPrepared } from './offer-learner.js';
import type { CompiledOffer, OfferCatalogue } from './offer-catalogue.js';
import { fillRuleValues, ineligibilityReason, ineligibleBy } from './offer-eligibility.js';
import { RULE_VALUE_COUNT } from './rule-compiler.js';
import { scoreBasisOf, scoresOrUnscored, type ScoreBasis } from './score-basis.js';

/** Who is in contact, where, why and when. */
export interface DecisionContext {
  readonly channel: Channel;
  /** Why the customer is in contact, e.g. `billing_question` (rules and weights may use it). */
  readonly reason?: string;
  readonly direction: 'inbound' | 'outbound';
  /** Event time of the decision, ms since epoch. */
  readonly now: number;
}

/** Every funnel step, in the order a candidate meets them. */
const FUNNEL_STEPS = ['eligibility', 'applicability', 'suitability', 'contact-policy', 'arbitration'] as const;

/** The funnel step that removed a candidate. */
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

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
  /** The churn risk and lifetime value the offers were valued on, or why there were none. */
  readonly basedOn: ScoreBasis;
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

/**
 * Who asks for a decision, and the customer's channel consents: what the contact step judges each
 * offering with, as the guarded executor judges the request that carries it out
 * (`actionContactRefusal`): an offering a check-in SMS carries is refused where the customer opted out
 * of SMS, or in quiet hours whoever is on the line. Absent: a person deciding in the context's
 * direction (the operator's own surfaces), consents not known (no opt-out).
 */
export interface DecisionAsker {
  readonly actor: Asker['actor'] & { readonly id?: string };
  /** Whether an interaction with the customer is in progress on the decision's channel (`Asker.inContact`), where known. */
  readonly inContact?: boolean;
  /** The customer's channel consents (their profile's: false opted out), read only for a message on those channels. */
  readonly consents?: ContactFacts['consents'];
}

const SERVING_PERSON: DecisionAsker = { actor: { kind: 'human' } };
const CONSENTS_UNKNOWN = () => ({ sms: null, email: null });

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
  /** The acceptance each candidate was valued with (read once a decision; the learner does not change within one). */
  private readonly accepts: Float64Array;
  /** Mean scores in ranked order, and the ranked order itself (index 0: DO_NOTHING), reused by every decision. */
  private readonly rankedMean: Float64Array;
  private readonly order: number[] = [];
  /** Each candidate's Beta posterior for the Thompson draws, when the acceptance model is a Beta posterior (`betaDraws`). */
  private readonly alphas: Float64Array;
  private readonly betas: Float64Array;
  /** Per candidate, its two Gamma shapes prepared for the draws (`prepareGamma`: d, c and 1/shape of each). */
  private readonly shapes: Float64Array;
  /** Scratch for a twin's features (`decideForTwin` reads them into it); a decision keeps no reference to it. */
  readonly features = new Float64Array(FEATURE_COUNT);
  /**
   * Per offering, the params of the request that would carry it out (`offeringParams`, as
   * `decisionActionRequest` builds it), in each direction a decision is made in: what the contact
   * step judges, built once.
   */
  private readonly contactParams: readonly Readonly<Record<'inbound' | 'outbound', Readonly<Record<string, unknown>>>>[];
  /** The contact gates of the current decision, by channel and direction (`ContactFacts.gates`): judged once a decision, not once an offering. */
  private readonly gates = new Map<string, ContactGate>();
  /** The catalogue facts the contact rules read of an offering: how long it runs, whether it is a service message. */
  private readonly offerMonths = (offerId: string) => this.catalogue.byId.get(offerId)?.months;
  private readonly serviceMessage = (offerId: string) => this.catalogue.byId.get(offerId)?.marketing === false;
  /** The acceptance of the offering `unsuitable` last valued. */
  private lastAcceptance = 0;
  /**
   * Per offering and funnel step, the discard an unexplained decision lists (no reason in words):
   * the same for every decision, so built once instead of forty small objects a decision.
   */
  private readonly quietDiscards: readonly Readonly<Record<FunnelStep, DiscardedAction>>[];
  /** Whether the Thompson draws are the acceptance model's Beta posterior draws (the offer learner's), drawn here without a closure per candidate. */
  private readonly betaDraws: boolean;
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
    this.accepts = new Float64Array(n);
    this.rankedMean = new Float64Array(n);
    this.alphas = new Float64Array(n);
    this.betas = new Float64Array(n);
    this.shapes = new Float64Array(6 * n);
    this.quietDiscards = options.catalogue.offers.map((o) => Object.freeze(Object.fromEntries(FUNNEL_STEPS.map((step) => [step, Object.freeze({ actionId: o.id, step, reason: undefined })])) as Record<FunnelStep, DiscardedAction>));
    this.contactParams = options.catalogue.offers.map((o) => {
      const params = { offerId: o.id, ...offeringParams(o, { purpose: 'care', notificationChannel: 'sms' }) };
      return { inbound: { ...params, direction: 'inbound' }, outbound: { ...params, direction: 'outbound' } };
    });
    this.betaDraws = this.acceptance.sample !== undefined && this.acceptance.drawsFromPosterior === true && this.acceptance.posterior !== undefined;
  }

  /**
   * Decides for one customer: `features` in FEATURE_NAMES order, `scores` from live scoring.
   * Never throws for a policy reason: refusals are in `discarded` and DO_NOTHING stays available.
   * `explain` (default: the funnel's option) writes every reason in words now; without it the
   * choice is the same (same draws, same propensities) and `reasonsOf` writes a ranked action's
   * reasons when asked: a caller that shows the choice alone pays for no sentences.
   */
  decide(customerId: string, features: Float64Array, scores: CustomerScores, context: DecisionContext, explain = this.explain, asker: DecisionAsker = SERVING_PERSON): Decision {
    if (features.length < FEATURE_COUNT) throw new TwinloopError('BAD_INPUT', `features has ${features.length} values, expected ${FEATURE_COUNT} in FEATURE_NAMES order`);
    const channelCode = CHANNELS.indexOf(context.channel);
    if (channelCode < 0) throw new TwinloopError('BAD_INPUT', `unknown channel '${context.channel}': use one of ${CHANNELS.join(', ')}`);
    const now = context.now;
    const churn = Number.isFinite(scores.churn) ? scores.churn : 0;
    const clv = Number.isFinite(scores.clv) ? scores.clv : 0;
    const reasonCode = this.catalogue.vocabulary.reasonCode(context.reason);
    const vals = fillRuleValues(this.values, features, { churn, clv, atRisk: scores.atRisk }, { channel: context.channel, direction: context.direction, reasonCode });
    const contextKey = contextKeyOf(context.channel, churn);
    const summary = contactSummaryOf(this.options.ledger, customerId, features, now, this.policy);
    // The contact step asks the one judgement of a contact (`actionContactRefusal`), each offering as
    // the request that would carry it out, who asks and the customer's consents: before, it applied the
    // rules on the decision's channel alone, and ranked a check-in the executor then refused (an SMS
    // opt-out, quiet hours for the SMS whoever is on the line).
    this.gates.clear();
    // One ask a decision, each offering's class and params set in turn (no object an offering).
    const ask: { actionClass: CompiledOffer['actionClass']; channel: Channel; customerId: string; params: Readonly<Record<string, unknown>>; actor: DecisionAsker['actor']; inContact?: boolean } = { actionClass: 'offer', channel: context.channel, customerId, params: {}, actor: asker.actor, inContact: asker.inContact };
    const facts: ContactFacts = { summary, features, consents: asker.consents ?? CONSENTS_UNKNOWN, offerMonths: this.offerMonths, serviceMessage: this.serviceMessage, gates: this.gates };
    const monthlyPrice = features[FEATURE_INDEX.monthly_price];
    const discarded: DiscardedAction[] = [];
    this.notWorth = 0;
    const cand = this.cand;
    cand.length = 1;
    const v = this.v;

    const offers = this.catalogue.offers;
    for (let i = 0; i < offers.length; i++) {
      const o = offers[i];
      // Unexplained, a discard is the offering's prebuilt one for its step (no reason in words).
      const quiet = explain ? undefined : this.quietDiscards[i];
      // Eligibility: the offering is live and valid now, the customer is still a customer, the rule holds
      // (offer-eligibility.ts: the one answer every path that offers it reads, the guarded executor's too).
      const barred = ineligibleBy(o, vals, now);
      if (barred !== undefined) discarded.push(quiet ? quiet.eligibility : { actionId: o.id, step: 'eligibility', reason: ineligibilityReason(barred, o, vals, this.catalogue.vocabulary) });
      // Applicability: the offering fits this channel and moment.
      else if ((o.channelMask & (1 << channelCode)) === 0) discarded.push(quiet ? quiet.applicability : { actionId: o.id, step: 'applicability', reason: `not offered on ${context.channel} (channels: ${(o.offering.channel ?? []).map((c) => c.id).join(', ')})` });
      else if (o.applicable && !o.applicable(vals)) discarded.push(quiet ? quiet.applicability : { actionId: o.id, step: 'applicability', reason: `applicability rule not met: ${o.offering.applicability}` });
      else {
        const why = this.unsuitable(o, features, churn, clv, monthlyPrice, contextKey, explain);
        if (why !== null) discarded.push(quiet ? quiet.suitability : { actionId: o.id, step: 'suitability', reason: why });
        else {
          [ask.actionClass, ask.params] = [o.actionClass, this.contactParams[i][context.direction]];
          const blocked = actionContactRefusal(this.policy, ask, facts, now);
          if (blocked) discarded.push(quiet ? quiet['contact-policy'] : { actionId: o.id, step: 'contact-policy', reason: blocked.reason });
          else {
            const k = cand.length;
            cand.push(o);
            const w = o.channelWeights[channelCode] * (o.reasonWeights.size ? (o.reasonWeights.get(reasonCode) ?? 1) : 1) * o.lever;
            this.weight[k] = w;
            this.gain[k] = w * v.gainIfAccepted;
            this.fixed[k] = w * v.contactCost;
            this.accepts[k] = this.lastAcceptance;
            this.ev[k] = expectedValue(this.lastAcceptance, v.gainIfAccepted, v.contactCost);
            this.mean[k] = w * this.ev[k];
          }
        }
      }
    }

    // Arbitration: order by mean score, keep the best, drop those that cannot beat doing nothing.
    this.mean[0] = 0;
    const order = this.arbitrate(discarded, explain);
    const n = order.length;
    const mean = this.rankedMean;
    for (let i = 0; i < n; i++) mean[i] = this.mean[order[i]];
    const bestAt = argmax(mean, n);
    // Per posterior draw, how far its best score is above the draw of the best-expected action:
    // its average is the value of information (paired, so never negative and with little noise).
    let regretSum = 0;
    let drawCount = 0;
    const draw = n > 1 ? this.drawFor(order, n, contextKey) : undefined;
    const sampler = draw
      ? (out: Float64Array) => {
          out[0] = 0;
          let best = 0;
          for (let i = 1; i < n; i++) {
            const k = order[i];
            out[i] = draw(i, this.random) * this.gain[k] - this.fixed[k];
            if (out[i] > best) best = out[i];
          }
          regretSum += best - out[bestAt];
          drawCount++;
        }
      : undefined;
    // Choose over [DO_NOTHING, ...ranked by mean]; index 0 of `order` is DO_NOTHING.
    const chosenAt = choose(this.exploration, mean, n, this.prop, this.random, sampler, this.drawBuf);

    const ranked: RankedAction[] = [];
    // Unexplained: what each ranked offering was ranked on beyond its score and expected value
    // (id, acceptance, weight), for its reasons in words later (`reasonsOf`).
    const basis: (string | number)[] | undefined = explain ? undefined : [];
    let chosen: RankedAction | undefined;
    for (let i = 0; i < n; i++) {
      const k = order[i];
      let action: RankedAction;
      if (k === 0) action = this.doNothing(this.prop[i], explain);
      else {
        const o = cand[k];
        const score = this.mean[k];
        if (basis) basis.push(o.id, this.accepts[k], this.weight[k]);
        const reasons = basis ? [] : this.reasonsFor({ offer: o, acceptance: this.accepts[k], weight: this.weight[k], expectedValue: this.ev[k], score }, features, churn, clv, monthlyPrice, contextKey, context);
        action = { actionId: o.id, name: o.offering.name, treatment: treatmentFor(o, customerId), score, expectedValue: this.ev[k], propensity: this.prop[i], reasons };
      }
      ranked.push(action);
      if (i === chosenAt) chosen = action;
    }
    ranked.sort(byScore);
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
    // With an uplift model the reasons read the features later: a copy, as the caller may reuse its array.
    const held = basis && this.options.uplift ? Float64Array.from(features) : features;
    const reasonsOf = (actionId: string): readonly string[] => {
      if (!basis) return ranked.find((r) => r.actionId === actionId)?.reasons ?? [];
      if (actionId === DO_NOTHING) return DO_NOTHING_REASONS;
      const at = basis.indexOf(actionId);
      const r = at < 0 ? undefined : ranked.find((x) => x.actionId === actionId);
      const offer = this.catalogue.byId.get(actionId);
      if (!r || !offer) return [];
      return this.reasonsFor({ offer, acceptance: basis[at + 1] as number, weight: basis[at + 2] as number, expectedValue: r.expectedValue, score: r.score }, held, churn, clv, monthlyPrice, contextKey, context);
    };
    return { decisionId, customerId, at: now, context, contextKey, ranked, discarded, chosen: pick, choice, basedOn: scoreBasisOf(scores), record, explained: explain, reasonsOf };
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

  /**
   * The reduction in churn probability if the customer accepts `o`: the uplift model's, else churn
   * × the offering's retention effect. Churn and CLV apart, so the hot path builds no scores object
   * unless an uplift model reads it.
   */
  private deltaChurnOf(o: CompiledOffer, features: Float64Array, churn: number, clv: number): number {
    return this.options.uplift ? this.options.uplift(o, features, { churn, clv }) : churn * o.retentionEffect;
  }

  /**
   * What one offering is worth to this customer if made now, whatever the guards say: the
   * acceptance the funnel expects in `contextKey` and the value parts it ranks on (a what-if reads
   * it for every offering; deciding reads the same numbers).
   */
  valueOf(o: CompiledOffer, features: Float64Array, scores: CustomerScores, contextKey: string): { acceptance: number; value: OfferValue } {
    const value = offerValue(o, this.deltaChurnOf(o, features, scores.churn, scores.clv), scores.clv, features[FEATURE_INDEX.monthly_price], { deltaChurn: 0, deltaLtv: 0, acceptCost: 0, contactCost: 0, gainIfAccepted: 0 });
    return { acceptance: this.acceptance.mean(o.id, contextKey), value };
  }

  /** Suitability: fills `this.v` and `this.lastAcceptance` and returns why the offering does not suit (in words when `explain`, else ''), or null. */
  private unsuitable(o: CompiledOffer, features: Float64Array, churn: number, clv: number, monthlyPrice: number, contextKey: string, explain: boolean): string | null {
    if (o.discountShare > o.margin) return explain ? `a ${(o.discountShare * 100).toFixed(0)} % discount exceeds the ${(o.margin * 100).toFixed(0)} % margin the plan allows` : '';
    if (SUITABLE_CLASSES_NEED_PLAN.has(o.actionClass) && features[FEATURE_INDEX.active_plans] === 0) return explain ? 'no active plan to discount or change' : '';
    if (monthlyPrice >= o.topMonthlyPrice) return explain ? `already on the top plan (monthly price ${money(monthlyPrice)} ≥ ${money(o.topMonthlyPrice)})` : '';
    const deltaChurn = this.deltaChurnOf(o, features, churn, clv);
    offerValue(o, deltaChurn, clv, monthlyPrice, this.v);
    const acceptance = this.acceptance.mean(o.id, contextKey);
    this.lastAcceptance = acceptance;
    const ev = expectedValue(acceptance, this.v.gainIfAccepted, this.v.contactCost);
    if (!(ev > 0)) {
      this.notWorth++;
      return explain ? `expected value ${money(ev)} ≤ 0: it costs more than it is expected to return` : '';
    }
    return null;
  }

  /**
   * Orders candidates by mean score (DO_NOTHING first), discarding those beyond maxCandidates or
   * not above 0. The order is this funnel's scratch array (valid until the next decision), sorted
   * stably by insertion: ties keep their catalogue order, as Array.prototype.sort's stable sort did.
   */
  private arbitrate(discarded: DiscardedAction[], explain: boolean): number[] {
    const order = this.order;
    order.length = 1;
    order[0] = 0;
    const mean = this.mean;
    for (let k = 1; k < this.cand.length; k++) {
      if (mean[k] > 0) {
        // Insertion into the sorted tail order[1..]: after every entry of an equal or higher score.
        let at = order.length;
        order.push(k);
        while (at > 1 && mean[order[at - 1]] < mean[k]) {
          order[at] = order[at - 1];
          at--;
        }
        order[at] = k;
      } else discarded.push(explain ? { actionId: this.cand[k].id, step: 'arbitration', reason: `score ${money(mean[k])} (weight ${this.weight[k]}) cannot beat doing nothing` } : this.quietDiscards[this.cand[k].index].arbitration);
    }
    for (let i = this.maxCandidates; i < order.length - 1; i++) {
      const k = order[i + 1];
      discarded.push(explain ? { actionId: this.cand[k].id, step: 'arbitration', reason: `ranked ${i + 1}: only the best ${this.maxCandidates} candidates are kept` } : this.quietDiscards[this.cand[k].index].arbitration);
    }
    if (order.length - 1 > this.maxCandidates) order.length = this.maxCandidates + 1;
    return order;
  }

  /**
   * The posterior draw of ranked position i (1 … n − 1) for the Thompson draws, or undefined when
   * the acceptance model cannot sample (the choice is then by the mean). Each cell's posterior is
   * read once a decision; a Beta posterior (the offer learner's) is drawn here directly, the same
   * numbers from the same uniforms as its `sample`.
   */
  private drawFor(order: readonly number[], n: number, contextKey: string): ((i: number, u: () => number) => number) | undefined {
    const acc = this.acceptance;
    if (!acc.sample) return undefined;
    const cand = this.cand;
    if (this.betaDraws) {
      const alphas = this.alphas;
      const betas = this.betas;
      for (let i = 1; i < n; i++) {
        const p = acc.posterior!(cand[order[i]].id, contextKey);
        alphas[i] = p.alpha;
        betas[i] = p.beta;
      }
      const shapes = this.shapes;
      for (let i = 1; i < n; i++) {
        prepareGamma(alphas[i], shapes, 6 * i);
        prepareGamma(betas[i], shapes, 6 * i + 3);
      }
      return (i, u) => sampleBetaPrepared(alphas[i], betas[i], shapes, 6 * i, u);
    }
    // Bound here, past the Beta draws' path, which needs no function a decision.
    const sample = acc.sample.bind(acc);
    const draws: ((u: () => number) => number)[] = [() => 0];
    for (let i = 1; i < n; i++) {
      const id = cand[order[i]].id;
      draws.push(acc.sampler ? acc.sampler(id, contextKey) : (u) => sample(id, contextKey, u));
    }
    return (i, u) => draws[i](u);
  }

  private doNothing(propensity: number, explain: boolean): RankedAction {
    return { actionId: DO_NOTHING, name: 'Do nothing', treatment: null, score: 0, expectedValue: 0, propensity, reasons: explain ? [...DO_NOTHING_REASONS] : [] };
  }

  /** A ranked offering's reasons in words, from what it was ranked on. */
  private reasonsFor(b: ReasonBasis, features: Float64Array, churn: number, clv: number, monthlyPrice: number, contextKey: string, context: DecisionContext): string[] {
    const o = b.offer;
    const deltaChurn = this.deltaChurnOf(o, features, churn, clv);
    const v = offerValue(o, deltaChurn, clv, monthlyPrice, { deltaChurn: 0, deltaLtv: 0, acceptCost: 0, contactCost: 0, gainIfAccepted: 0 });
    const reasons = [`P(accept) ${b.acceptance.toFixed(3)} in context ${contextKey}`];
    reasons.push(
      this.options.uplift
        ? `Δ lifetime value ${money(v.deltaLtv)} = uplift ${deltaChurn.toFixed(4)} × CLV ${money(clv)}`
        : `Δ lifetime value ${money(v.deltaLtv)} = churn ${churn.toFixed(3)} × retention effect ${o.retentionEffect} × CLV ${money(clv)}`,
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

/** Ranked actions best score first; DO_NOTHING before an offering of the same score. */
const byScore = (a: RankedAction, b: RankedAction): number => b.score - a.score || (a.actionId === DO_NOTHING ? -1 : b.actionId === DO_NOTHING ? 1 : 0);

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
  /** The twin's features at `at`, written into `out` when the source can (TwinEngine does), else into an array of its own. */
  features(customerId: string, at?: number, out?: Float64Array): Float64Array | undefined;
}

/**
 * Decides for a customer held by a twin engine, with scores from a scores function (e.g.
 * `(id) => liveScoring.scoreOf(id)`); a customer without scores is decided on none, and the
 * decision says so with `whyUnscored` (`basedOn`). Throws NOT_FOUND for a customer the engine does not hold.
 */
export function decideForTwin(
  funnel: DecisionFunnel,
  twins: TwinSource,
  scoresOf: (customerId: string) => CustomerScores | undefined,
  customerId: string,
  context: DecisionContext,
  explain?: boolean,
  whyUnscored?: string,
  asker?: DecisionAsker,
): Decision {
  // Into the funnel's scratch array: a decision reads the features while it decides, and keeps them only when an uplift model reads them later (a copy).
  const features = twins.features(customerId, context.now, funnel.features);
  if (!features) throw new TwinloopError('NOT_FOUND', `no twin for customer '${customerId}': check the id, or send its customer event first`);
  return funnel.decide(customerId, features, scoresOrUnscored(scoresOf(customerId), whyUnscored), context, explain, asker);
}
