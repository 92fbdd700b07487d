import {
  ACTION_TEMPLATES,
  DEFAULT_OFFERS,
  type ActionTemplate,
  type PlannableOffer,
  type TargetingLimit,
  type TargetingRank,
  type TemplateId,
} from './action-templates.js';
import { describeExpectation, expectedAtHorizon, meetsTarget, relativeShortfall, type PlanOutcome } from './expectation-math.js';
import type { Horizon, Intent, IntentChannel, Segment } from './intent-schema.js';

/**
 * The planner: turns an intent into candidate plans (templates × offers × channel mixes ×
 * targeting, within the intent's constraints and budget), scores each with an injected
 * simulation, and picks the best whose cost's upper bound fits the budget and that meets the
 * expectations, or else the best effort with the shortfall named.
 */

/** One action of a plan: a template with its parameters filled in. */
export interface PlannedAction {
  readonly templateId: TemplateId;
  readonly offerId?: string;
  /** Bill credit per customer (compensation only), in the budget's currency. */
  readonly creditAmount?: number;
  readonly channels: readonly IntentChannel[];
  readonly targeting: { readonly rank: TargetingRank; readonly limit: TargetingLimit };
  /** Share of the targeted customers held out, untouched, to measure the effect. */
  readonly controlGroupShare: number;
  readonly maxContactsPerCustomer: number;
}

/** A plan: what to do, for whom, until when. */
export interface Plan {
  readonly id: string;
  readonly intentId: string;
  readonly segment: Segment;
  readonly horizon: Horizon;
  readonly actions: readonly PlannedAction[];
}

/** The simulation the planner scores plans with (the simulation lab provides it). */
export type SimulatePlan = (plan: Plan) => Promise<PlanOutcome>;

/**
 * Simulates several plans at once (outcomes in the plans' order): the simulation lab reads the
 * population once for all of them, where one run per plan reads it once per plan. `draws`, when
 * given, runs only the first `draws` of each plan's draws (the same seeded draws as the full run's
 * first ones): the planner's screening pass. A simulation that ignores it runs them all.
 */
export type SimulatePlans = (plans: readonly Plan[], options?: { readonly draws?: number }) => Promise<PlanOutcome[]>;

/** What the planner needs. */
export interface PlannerDeps {
  readonly simulate: SimulatePlan;
  /** When given, the candidates are simulated in batches through it instead of one by one. */
  readonly simulateMany?: SimulatePlans;
  /** Offers the plans may use; default DEFAULT_OFFERS. */
  readonly offers?: readonly PlannableOffer[];
  /**
   * The offerings the catalogue has now: a plan names no other (an offer, or a message sent as the
   * offering of its template's id, a check-in), since its run would be refused at its start. Absent: not checked.
   */
  readonly known?: (offerId: string) => boolean;
  /** Top-k sizes tried; default DEFAULT_TOP_K. */
  readonly topK?: readonly number[];
  /** Control-group share of every action; default DEFAULT_CONTROL_GROUP_SHARE. */
  readonly controlGroupShare?: number;
  /** Draws of the screening pass (with `simulateMany`); default SCREEN_DRAWS; 0: every candidate simulated in full. */
  readonly screenDraws?: number;
  /** Most single-action candidates simulated; default DEFAULT_MAX_CANDIDATES. */
  readonly maxCandidates?: number;
  /** Prefix of plan ids, so that a re-plan's ids differ from the first plan's; default `<intent id>-p`. */
  readonly idPrefix?: string;
}

/** Top-k sizes tried when targeting by rank: a focused, a medium and a broad campaign. */
export const DEFAULT_TOP_K: readonly number[] = [250, 1000, 4000];
/** Shares of the budget tried for budget-limited targeting: half leaves room to re-plan. */
export const BUDGET_SHARES: readonly number[] = [0.5, 1];
/** A 10% hold-out measures the effect with little value forgone. */
export const DEFAULT_CONTROL_GROUP_SHARE = 0.1;
/** Bounds simulation work: each candidate is a full Monte Carlo run in the simulation lab. */
export const DEFAULT_MAX_CANDIDATES = 48;
/** Draws of a plan's full run: the planner scores dozens of plans, so each is a quick run. */
export const PLAN_DRAWS = 60;
/**
 * Draws of the screening pass: every candidate is first simulated on this many of its draws, and
 * only those not clearly beaten go on to the full run (on the default world the full run of ~50
 * candidates took most of "this month" at the world's pace; a finalist's outcome is unchanged).
 */
export const SCREEN_DRAWS = 12;
/** Screening pays only with several candidates: fewer are simulated in full at once. */
const MIN_TO_SCREEN = 6;
/** A plan beats others in screening only when its cost's upper bound is this far inside the budget (the full run's upper bound may be higher). */
const SCREEN_BUDGET_MARGIN = 0.8;
/** Standard errors apart two means must be for one plan to beat another in screening (a normal's 3: about 1 in 700 per pair). */
const SCREEN_Z = 3;
/** A normal's 5th to 95th percentile spans 3.29 standard deviations. */
const P05_P95_SDS = 3.29;
/** How many of the best single-action plans are paired into two-action plans. */
const PAIR_FROM_TOP = 3;

/** How one expectation fares under a plan. */
export interface ExpectationCheck {
  readonly expectationId: string;
  readonly expected?: number;
  readonly met: boolean;
  readonly shortfall?: string;
}

/** A simulated candidate. */
export interface ScoredPlan {
  readonly plan: Plan;
  readonly outcome: PlanOutcome;
  /** The cost's upper bound fits the budget (always true without a budget). */
  readonly fitsBudget: boolean;
  readonly checks: readonly ExpectationCheck[];
  readonly meetsExpectations: boolean;
  /** Its outcome is the screening pass's (SCREEN_DRAWS draws): a plan clearly beaten there is not simulated in full. */
  readonly screenedOnly?: boolean;
}

/** The planner's decision: a plan (meeting the expectations or the best effort), or why none. */
export type PlanSelection =
  | { readonly status: 'meets-expectations' | 'best-effort'; readonly chosen: ScoredPlan; readonly shortfalls: readonly string[]; readonly candidates: readonly ScoredPlan[] }
  | { readonly status: 'no-plan'; readonly reason: string; readonly candidates: readonly ScoredPlan[] };

/** Generates, simulates and chooses among plans for an intent. */
export async function planIntent(intent: Intent, deps: PlannerDeps): Promise<PlanSelection> {
  const prefix = deps.idPrefix ?? `${intent.id}-p`;
  const singles = candidateActions(intent, deps);
  if (singles.length === 0) {
    return { status: 'no-plan', reason: noCandidateReason(intent, deps), candidates: [] };
  }
  let n = 0;
  const toPlan = (actions: readonly PlannedAction[]): Plan => ({ id: `${prefix}${++n}`, intentId: intent.id, segment: intent.segment, horizon: intent.horizon, actions });
  const scored: ScoredPlan[] = await scoreAll(intent, singles.map((action) => toPlan([action])), deps);
  // Two actions reach a customer twice at most; pair only when the contact limit allows it.
  if (intent.constraints.maxContactsPerCustomer >= 2) {
    const top = rank(scored.filter((s) => s.fitsBudget));
    const firsts: ScoredPlan[] = [];
    for (const s of top) if (firsts.length < PAIR_FROM_TOP && !firsts.some((f) => f.plan.actions[0].templateId === s.plan.actions[0].templateId)) firsts.push(s);
    const pairs: Plan[] = [];
    for (let i = 0; i < firsts.length; i++) {
      for (let j = i + 1; j < firsts.length; j++) pairs.push(toPlan([halve(firsts[i].plan.actions[0]), halve(firsts[j].plan.actions[0])]));
    }
    if (pairs.length) scored.push(...(await scoreAll(intent, pairs, deps)));
  }
  return choose(intent, scored);
}

/**
 * Chooses among scored plans (pure; exported for tests and for re-ranking stored candidates).
 * Doing nothing is always a candidate: expected net value 0, nobody kept, nothing spent. A plan
 * expected to give less than it is never proposed: a best effort only among plans expected to pay,
 * and a plan that meets the expectations at a loss only when doing nothing does not meet them (the
 * person asked for what only spending gives). On the default world "keep high-value customers at
 * risk this month" proposed a check-in expected at −421 when doing nothing met its "net_value
 * atLeast 0".
 */
export function choose(intent: Intent, scored: readonly ScoredPlan[]): PlanSelection {
  const fitting = scored.filter((s) => s.fitsBudget);
  const idleMeets = nothingMeets(intent, scored);
  const meeting = rank(fitting.filter((s) => s.meetsExpectations && (pays(s) || !idleMeets)));
  if (meeting.length) return { status: 'meets-expectations', chosen: meeting[0], shortfalls: [], candidates: scored };
  if (!fitting.length) {
    const cheapest = Math.min(...scored.map((s) => s.outcome.cost.high));
    return {
      status: 'no-plan',
      reason: `no candidate plan's cost upper bound fits the budget of ${intent.budget?.amount} ${intent.budget?.currency}; the cheapest costs up to ${round(cheapest)}: raise the budget or narrow the segment`,
      candidates: scored,
    };
  }
  const paying = fitting.filter(pays);
  if (!paying.length) return { status: 'no-plan', reason: nothingPaysReason(intent, fitting, idleMeets), candidates: scored };
  const best = [...paying].sort((a, b) => unmet(a) - unmet(b) || totalShortfall(intent, a) - totalShortfall(intent, b) || byValue(a, b))[0];
  return { status: 'best-effort', chosen: best, shortfalls: best.checks.filter((c) => !c.met).map((c) => c.shortfall ?? c.expectationId), candidates: scored };
}

/** A plan expected to pay: its expected net value above doing nothing's (0; the lab's net value is the difference a plan makes). */
const pays = (s: ScoredPlan) => s.outcome.netValue.mean > 0;

/** Doing nothing as an outcome: no one contacted, kept or charged; the segment's churn as it is without a plan. */
function nothingOutcome(scored: readonly ScoredPlan[]): PlanOutcome {
  const zero = { mean: 0, low: 0, high: 0 };
  const seen = scored.find((s) => s.outcome.baselineChurners && s.outcome.segmentSize !== undefined)?.outcome;
  return { netValue: zero, churnersAvoided: zero, cost: zero, acceptances: zero, targeted: 0, ...(seen ? { baselineChurners: seen.baselineChurners, segmentSize: seen.segmentSize } : {}) };
}

/** Whether doing nothing meets every expectation (one it cannot be judged on counts as missed). */
function nothingMeets(intent: Intent, scored: readonly ScoredPlan[]): boolean {
  const idle = nothingOutcome(scored);
  return intent.intentExpectation.every((e) => {
    const v = expectedAtHorizon(e, idle);
    return v !== undefined && meetsTarget(e, v);
  });
}

/** Why no plan is proposed when none within the budget is expected to pay: the best of them, its figures, and what doing nothing gives. */
function nothingPaysReason(intent: Intent, fitting: readonly ScoredPlan[], idleMeets: boolean): string {
  const best = rank(fitting)[0];
  const v = best.outcome.netValue;
  const idle = idleMeets ? `, which meets ${intent.intentExpectation.map(describeExpectation).join(' and ')}` : '';
  return (
    `no plan of the catalogue's offers is expected to pay for this segment: the best of the ${fitting.length} simulated within the budget, ${describeActions(best.plan)}, ` +
    `is expected to give a net value of ${round(v.mean)} (90 %: ${round(v.low)} to ${round(v.high)}) by the horizon at a cost up to ${round(best.outcome.cost.high)}, ` +
    `less than doing nothing (0)${idle}; a plan's net value counts the revenue its customers keep up to the horizon only: give the intent a longer horizon, narrow its segment to customers worth keeping, or add an offer that pays`
  );
}

/** A candidate plan the planner simulated and did not choose, and why not. */
export interface PlanAlternative {
  readonly planId: string;
  /** Its actions, e.g. `retention-offer-digital(retain-10) top 1000`. */
  readonly actions: string;
  readonly outcome: Pick<PlanOutcome, 'netValue' | 'cost' | 'churnersAvoided' | 'targeted'>;
  readonly fitsBudget: boolean;
  readonly meetsExpectations: boolean;
  /** The expectations it would miss. */
  readonly shortfalls: readonly string[];
  readonly whyNot: string;
  /** Candidates simulated to this very outcome, collapsed into this row (`sameOutcome`). */
  readonly same?: readonly SamePlan[];
}

/**
 * A candidate whose simulated outcome is the very one of another plan's, named beside it rather than
 * listed as a plan of its own: they differ in what the simulation does not tell apart (a digital
 * channel for another: each costs the same and moves churn the same in it). `intent plans` listed
 * three identical rows of the chosen plan, each "a lower expected net value (6637.2) than … (6637.2)".
 */
export interface SamePlan {
  readonly planId: string;
  readonly actions: string;
}

/** Whether two candidates came to the very same simulated outcome (and so the same verdicts). */
const sameOutcome = (a: ScoredPlan, b: ScoredPlan): boolean =>
  a.fitsBudget === b.fitsBudget && a.meetsExpectations === b.meetsExpectations && a.screenedOnly === b.screenedOnly && JSON.stringify(outcomeKey(a.outcome)) === JSON.stringify(outcomeKey(b.outcome));
const outcomeKey = (o: PlanOutcome) => [o.netValue, o.cost, o.churnersAvoided, o.acceptances, o.targeted];

/** The candidates simulated to the chosen plan's very outcome: named with it, not listed as alternatives. */
export function sameAsChosen(selection: Extract<PlanSelection, { chosen: ScoredPlan }>): SamePlan[] {
  const chosen = selection.chosen;
  return selection.candidates.filter((c) => c.plan.id !== chosen.plan.id && sameOutcome(c, chosen)).map((c) => ({ planId: c.plan.id, actions: describeActions(c.plan) }));
}

/** Most alternatives a plan keeps: the best of them (the planner simulates up to about 50). */
export const MAX_ALTERNATIVES = 20;

/**
 * The candidates a selection did not choose, best first (those meeting the expectations, then by
 * expected net value), each with why it lost: over budget, short of an expectation, or less value.
 */
export function alternativesOf(intent: Intent, selection: Extract<PlanSelection, { chosen: ScoredPlan }>): PlanAlternative[] {
  const chosen = selection.chosen;
  // Candidates of the very same outcome make one row, the first of them (best first) naming the others; those of the chosen plan's are named with it (`sameAsChosen`).
  const others = selection.candidates.filter((c) => c.plan.id !== chosen.plan.id && !sameOutcome(c, chosen));
  const ordered = [...others].sort((a, b) => Number(b.fitsBudget && b.meetsExpectations) - Number(a.fitsBudget && a.meetsExpectations) || byValue(a, b));
  const rows: { c: ScoredPlan; same: ScoredPlan[] }[] = [];
  for (const c of ordered) {
    const row = rows.find((r) => sameOutcome(r.c, c));
    if (row) row.same.push(c);
    else rows.push({ c, same: [] });
  }
  return rows.slice(0, MAX_ALTERNATIVES).map(({ c, same }) => {
    const shortfalls = c.checks.filter((x) => !x.met).map((x) => x.shortfall ?? x.expectationId);
    const whyNot = !c.fitsBudget
      ? `its cost may reach ${round(c.outcome.cost.high)}, over the budget of ${intent.budget?.amount} ${intent.budget?.currency}`
      : chosen.meetsExpectations && !c.meetsExpectations
        ? `it misses ${shortfalls.join('; ')}; ${chosen.plan.id} meets every expectation`
        : !chosen.meetsExpectations && unmet(c) > unmet(chosen)
          ? `it misses more expectations (${unmet(c)}) than ${chosen.plan.id} (${unmet(chosen)})`
          : lostOnValue(intent, c, chosen);
    return {
      planId: c.plan.id,
      actions: describeActions(c.plan),
      outcome: { netValue: c.outcome.netValue, cost: c.outcome.cost, churnersAvoided: c.outcome.churnersAvoided, ...(c.outcome.targeted !== undefined ? { targeted: c.outcome.targeted } : {}) },
      fitsBudget: c.fitsBudget,
      meetsExpectations: c.meetsExpectations,
      shortfalls,
      whyNot,
      ...(same.length ? { same: same.map((x) => ({ planId: x.plan.id, actions: describeActions(x.plan) })) } : {}),
    };
  });
}

/**
 * Why a plan within budget lost to the chosen one on value, as it did: a lower expected net value
 * when it is lower as shown (to the cent), else fewer churners avoided, else the same figures shown
 * and the chosen one's simulation a hair better or first in order. Never "a lower expected net value
 * (6637.2) than … (6637.2)".
 */
function lostOnValue(intent: Intent, c: ScoredPlan, chosen: ScoredPlan): string {
  const [mine, theirs] = [c.outcome, chosen.outcome];
  // A best effort is chosen on its shortfall before its value (`choose`).
  const [short, chosenShort] = [totalShortfall(intent, c), totalShortfall(intent, chosen)];
  if (!chosen.meetsExpectations && short > chosenShort) return `it falls further short of the expectations than ${chosen.plan.id} (by ${round(short * 100)}% of the targets against ${round(chosenShort * 100)}%)`;
  if (round(mine.netValue.mean) < round(theirs.netValue.mean)) return `a lower expected net value (${round(mine.netValue.mean)}) than ${chosen.plan.id} (${round(theirs.netValue.mean)})`;
  if (round(mine.churnersAvoided.mean) < round(theirs.churnersAvoided.mean)) return `the same expected net value (${round(mine.netValue.mean)}) as ${chosen.plan.id}, with fewer churners avoided (${round(mine.churnersAvoided.mean)} against ${round(theirs.churnersAvoided.mean)})`;
  return `the same expected net value (${round(mine.netValue.mean)}) and churners avoided as ${chosen.plan.id}, which was chosen as ${mine.netValue.mean < theirs.netValue.mean ? 'its net value is higher past the cent' : 'the first of them'}`;
}

/** A plan's actions in a few words: template, offer and targeting of each. */
export function describeActions(plan: Plan): string {
  return plan.actions
    .map((a) => `${a.templateId}${a.offerId ? `(${a.offerId})` : ''}${a.creditAmount ? `(credit ${a.creditAmount})` : ''} ${a.targeting.limit.kind === 'top_k' ? `top ${a.targeting.limit.k}` : `budget ${round(a.targeting.limit.amount)}`} by ${a.targeting.rank} via ${a.channels.join('+')}`)
    .join(' + ');
}

/**
 * Simulates plans (in one batch when the simulation offers it) and judges each outcome. With a
 * batch simulation and enough candidates, a screening pass on SCREEN_DRAWS draws comes first; a
 * candidate is left at its screened outcome only when a finalist beats it beyond doubt after the
 * full run (see `beats`), so the plan chosen is always one simulated in full, and the one the full
 * run of every candidate would choose.
 */
async function scoreAll(intent: Intent, plans: readonly Plan[], deps: PlannerDeps): Promise<ScoredPlan[]> {
  const many = deps.simulateMany;
  if (!many) {
    const out: ScoredPlan[] = [];
    for (const plan of plans) out.push(judge(intent, plan, await deps.simulate(plan)));
    return out;
  }
  const run = async (list: readonly Plan[], draws?: number) => {
    if (list.length === 0) return [];
    const outcomes = await many(list, draws === undefined ? undefined : { draws });
    if (outcomes.length !== list.length) throw new Error(`the simulation answered ${outcomes.length} outcomes for ${list.length} plans`);
    return list.map((plan, i) => judge(intent, plan, outcomes[i]));
  };
  const screenDraws = deps.screenDraws ?? SCREEN_DRAWS;
  if (plans.length < MIN_TO_SCREEN || screenDraws <= 0) return run(plans);
  const screened = (await run(plans, screenDraws)).map((s) => ({ ...s, screenedOnly: true }));
  const beaten = (d: ScoredPlan, by: readonly ScoredPlan[], cDraws: number) => by.some((c) => c !== d && beats(intent, c, d, { c: cDraws, d: screenDraws }));
  const byId = new Map<string, ScoredPlan>();
  for (const s of await run(screened.filter((d) => !beaten(d, screened, screenDraws)).map((s) => s.plan))) byId.set(s.plan.id, s);
  // A finalist's full run may fall short of its screening: whoever it no longer beats is run in full too.
  const finals = [...byId.values()];
  for (const s of await run(screened.filter((d) => !byId.has(d.plan.id) && !beaten(d, finals, PLAN_DRAWS)).map((s) => s.plan))) byId.set(s.plan.id, s);
  return screened.map((s) => byId.get(s.plan.id) ?? s);
}

/**
 * Whether `c` beats `d` beyond doubt: `c` fits the budget with room to spare and meets every
 * expectation, and its mean net value is above `d`'s by more than SCREEN_Z standard errors of each
 * (a draw's spread from its 5th-95th percentiles, over the square root of the draws run), so
 * `choose` would rank `c` above `d` had `d` been run in full too.
 */
function beats(intent: Intent, c: ScoredPlan, d: ScoredPlan, draws: { c: number; d: number }): boolean {
  const roomy = !intent.budget || c.outcome.cost.high <= intent.budget.amount * SCREEN_BUDGET_MARGIN;
  const se = (s: ScoredPlan, n: number) => (s.outcome.netValue.high - s.outcome.netValue.low) / P05_P95_SDS / Math.sqrt(n);
  return roomy && c.meetsExpectations && c.outcome.netValue.mean - SCREEN_Z * se(c, draws.c) > d.outcome.netValue.mean + SCREEN_Z * se(d, draws.d);
}

function judge(intent: Intent, plan: Plan, outcome: PlanOutcome): ScoredPlan {
  const fitsBudget = !intent.budget || outcome.cost.high <= intent.budget.amount;
  const checks = intent.intentExpectation.map((e): ExpectationCheck => {
    const expected = expectedAtHorizon(e, outcome);
    if (expected === undefined) return { expectationId: e.id, met: false, shortfall: `${describeExpectation(e)}: cannot be judged, the simulation gave no figure for ${e.targetName}` };
    const met = meetsTarget(e, expected);
    return { expectationId: e.id, expected, met, ...(met ? {} : { shortfall: `${describeExpectation(e)}: expected ${round(expected)} at the horizon` }) };
  });
  return { plan, outcome, fitsBudget, checks, meetsExpectations: checks.every((c) => c.met) };
}

function candidateActions(intent: Intent, deps: PlannerDeps): PlannedAction[] {
  // A template without offers is sent as the catalogue offering of its id: planned only when there is one.
  const runnable = (t: ActionTemplate) => t.offerKinds.length > 0 || !deps.known || deps.known(t.id);
  const perTemplate = ACTION_TEMPLATES.filter((t) => t.goals.includes(intent.goal) && runnable(t)).map((t) => actionsFor(t, intent, deps));
  // Round-robin over templates, so that the candidate cap never drops a whole template.
  const out: PlannedAction[] = [];
  const cap = deps.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  for (let i = 0; out.length < cap && perTemplate.some((list) => i < list.length); i++) {
    for (const list of perTemplate) if (i < list.length && out.length < cap) out.push(list[i]);
  }
  return out;
}

function actionsFor(t: ActionTemplate, intent: Intent, deps: PlannerDeps): PlannedAction[] {
  const c = intent.constraints;
  const mixes = uniqueMixes(t.channelMixes.map((mix) => mix.filter((ch) => c.channels.includes(ch))).filter((mix) => mix.length > 0));
  const offers: (PlannableOffer | undefined)[] = t.offerKinds.length
    ? (deps.offers ?? DEFAULT_OFFERS).filter((o) => t.offerKinds.includes(o.kind) && !c.excludedOffers.includes(o.id) && o.discountPct <= c.maxDiscountPct && (!deps.known || deps.known(o.id)))
    : // A template that carries no offer goes out as the catalogue offering of its own id (a check-in): excluding that offering excludes it.
      c.excludedOffers.includes(t.id)
      ? []
      : [undefined];
  const credits: (number | undefined)[] = t.creditAmounts ? [...t.creditAmounts] : [undefined];
  const budget = intent.budget;
  const limits: TargetingLimit[] = budget
    ? BUDGET_SHARES.map((s) => ({ kind: 'budget', amount: round(budget.amount * s) }))
    : (deps.topK ?? DEFAULT_TOP_K).map((k) => ({ kind: 'top_k', k }));
  const out: PlannedAction[] = [];
  for (const limit of limits) {
    for (const rank of t.rankings) {
      for (const offer of offers) {
        for (const creditAmount of credits) {
          for (const channels of mixes) {
            out.push({
              templateId: t.id,
              ...(offer ? { offerId: offer.id } : {}),
              ...(creditAmount !== undefined ? { creditAmount } : {}),
              channels,
              targeting: { rank, limit },
              controlGroupShare: deps.controlGroupShare ?? DEFAULT_CONTROL_GROUP_SHARE,
              maxContactsPerCustomer: 1,
            });
          }
        }
      }
    }
  }
  return out;
}

function uniqueMixes(mixes: IntentChannel[][]): IntentChannel[][] {
  const seen = new Set<string>();
  return mixes.filter((m) => {
    const key = [...m].sort().join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function noCandidateReason(intent: Intent, deps: PlannerDeps): string {
  const templates = ACTION_TEMPLATES.filter((t) => t.goals.includes(intent.goal));
  const blocked = templates.map((t) => {
    const mixOk = t.channelMixes.some((mix) => mix.some((ch) => intent.constraints.channels.includes(ch)));
    if (!mixOk) return `${t.id} needs one of the channels ${[...new Set(t.channelMixes.flat())].join(', ')}`;
    return `${t.id} has no offer allowed by the exclusions and the ${intent.constraints.maxDiscountPct}% discount cap (catalogue: ${(deps.offers ?? DEFAULT_OFFERS).map((o) => o.id).join(', ')})`;
  });
  return `no action template can serve goal ${intent.goal} under the constraints: ${blocked.join('; ')}; relax the channel or offer constraints`;
}

function halve(a: PlannedAction): PlannedAction {
  const limit: TargetingLimit = a.targeting.limit.kind === 'budget' ? { kind: 'budget', amount: round(a.targeting.limit.amount / 2) } : { kind: 'top_k', k: Math.max(1, Math.floor(a.targeting.limit.k / 2)) };
  return { ...a, targeting: { ...a.targeting, limit } };
}

const byValue = (a: ScoredPlan, b: ScoredPlan) =>
  b.outcome.netValue.mean - a.outcome.netValue.mean || b.outcome.churnersAvoided.mean - a.outcome.churnersAvoided.mean || a.plan.id.localeCompare(b.plan.id);
const rank = (list: readonly ScoredPlan[]) => [...list].sort(byValue);
const unmet = (s: ScoredPlan) => s.checks.filter((c) => !c.met).length;
function totalShortfall(intent: Intent, s: ScoredPlan): number {
  return intent.intentExpectation.reduce((sum, e, i) => {
    const v = s.checks[i].expected;
    return sum + (v === undefined ? 1 : relativeShortfall(e, v));
  }, 0);
}
const round = (x: number) => Math.round(x * 100) / 100;
