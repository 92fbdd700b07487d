import { cents } from '../../decisioning/action-pricing.js';
import type { CampaignInput, CampaignResult, CampaignStats } from '../../agents/flows/campaign-management-flow.js';
import type { Answer, AnswerCounts } from './campaign-answers.js';
import type { CampaignOffers, Settled } from './campaign-offer-tally.js';
import type { Contamination } from '../../agents/governance/holdout-register.js';

/**
 * A managed campaign's delivery as the record store keeps it (campaign-delivery.ts writes it
 * tick by tick), and what the flow, the API and the console read of it: its stats and its view.
 */

/** One variant's spend and failures (its presentations and answers are counted per customer: `statsOf`). */
export interface VariantState {
  /** Counters of states saved before answers were kept per customer (`answers`): no longer moved, added to those (0 in a state opened since). */
  presented: number;
  accepted: number;
  declined: number;
  spent: number;
  /** Contacts the back end failed or refused, or the policy refused for the variant itself. */
  failed?: number;
  lastFailure?: string;
  /** Contacts of the variant asked of the guarded executor (absent in states saved before it was counted). */
  tried?: number;
  /**
   * Its contacts that reached nobody, by why: the rule that refused them (quiet-hours, budget,
   * marketing-consent…), `failed` for the back end, `advised` or `pending-approval` for the executor's answer.
   */
  notContacted?: Record<string, number>;
  /** Whether its last contact asked went to a person for approval (while the campaign has its most waiting, it asks nobody new). */
  waitsForPerson?: boolean;
  /** What it did not use of its part of the last tick, up to one contact's pacing price: added to its part of the next (campaign-delivery.ts). */
  carried?: number;
}

/** One tick's split as the delivery side applied it: the allocation over time. */
export interface AllocationPoint {
  readonly tick: number;
  /** Event time of the tick (ms), null when the flow did not say. */
  readonly at: number | null;
  readonly shares: Readonly<Record<string, number>>;
  readonly paused: readonly string[];
  /** A person held the campaign: nobody was contacted this tick after the hold was read (before each contact; `spent` counts those made before it). */
  readonly held: boolean;
  readonly remainingBudget: number;
  /** Spent so far, after the tick. */
  readonly spent: number;
}
/** Ticks of allocation kept per campaign (a daily campaign's year and more). */
export const MAX_HISTORY = 500;

/** Where a person's hold on a campaign is kept (by campaign id), read before each contact. */
export const CAMPAIGN_HOLDS = 'campaign-holds';
/** A person paused (held) or resumed a campaign, and why. */
export interface CampaignHold {
  readonly held: boolean;
  readonly by: { readonly kind: string; readonly id: string };
  /** Event time (ms). */
  readonly at: number;
  readonly reason: string;
}

/** What the console and the API read of a campaign's delivery (its state as last saved). */
export interface CampaignDeliveryView {
  readonly campaignId: string;
  readonly budget: number;
  /** What the campaign's contacts cost when made, and its offers accepted since. */
  readonly spent: number;
  /** What its offers still waiting for an answer would cost if accepted: reserved in the budgets, released on a no. */
  readonly reserved: number;
  readonly controlShare: number;
  readonly audienceLeft: number;
  /**
   * Nobody left to contact: none in its audience not reached, waiting for a person or for the budget.
   * Its audience is drawn when it opens and nobody enters it later: it moves no more budget and waits for its end.
   */
  readonly audienceUsedUp: boolean;
  /** Customers whose contact waits for a person's approval (asked again at each tick with the variant first asked). */
  readonly awaitingApproval: number;
  /** Customers whose price is above what the campaign has left now, asked again when it fits (`CampaignState.dear`). */
  readonly awaitingBudget: number;
  readonly treated: number;
  readonly leftOut: Readonly<Record<string, number>>;
  /** Its close, once it ended: the approvals still waiting then were withdrawn with `reason`, those approved before it booked. */
  readonly closed?: Readonly<CampaignClosed>;
  readonly variants: CampaignStats['variants'];
  /** Why each active variant that has tried nobody yet has not (`idleVariants`), by variant id. */
  readonly idle: Readonly<Record<string, string>>;
  /** Its control group's churn, without the customers contacted anyway while held out (`contaminated` says how many and by what). */
  readonly control: (CampaignStats['control'] & { readonly contaminated?: Contamination }) | undefined;
  readonly history: readonly AllocationPoint[];
}

/** A campaign's delivery state, saved in the record store (`campaigns`, by campaign id). */
export interface CampaignState {
  /** As started; `audience` (its segment's filters) is checked again at each customer's turn (absent in states saved before it was kept, and for a campaign of every active customer). */
  input: Pick<CampaignInput, 'campaignId' | 'variants' | 'budget' | 'controlShare' | 'seed' | 'audience'>;
  /** Ticks already applied: the flow's step is at-least-once, a repeated tick contacts nobody new. */
  lastAppliedTick: number;
  queue: string[];
  /** Customers whose contact waits for a person, by the variant they were asked with (out of the queue until answered). */
  waiting?: Record<string, string>;
  /**
   * What each waiting customer's contact costs as the policy priced it when asked: held against the
   * budget while they wait (approved, the act may cost no more: guardrail run-budget), let go when
   * it is carried out (booked then) or refused, rejected or expired. Absent for those waiting since before it was kept.
   */
  waitingCost?: Record<string, number>;
  /**
   * Customers whose price was above what the campaign had left (guardrail run-budget), by that
   * price: out of the queue, asked no more until it fits what is left (answers may free a
   * reservation), given up (`left['over-budget']`) once it is above what the campaign could ever have left.
   */
  dear?: Record<string, number>;
  control: string[];
  /**
   * Each control customer's turn: how many of the queue were ranked before them when the campaign
   * opened. Absent in states saved before it was kept: their control is read whole, as drawn.
   */
  controlTurns?: Record<string, number>;
  /** The queue's length when it opened. */
  queueAtOpen?: number;
  /** The most of its queue dealt with so far (contacted, left out, waiting for a person): how far down the ranks it has reached. */
  reached?: number;
  /**
   * Control customers whose turn came, judged as a treated customer is at theirs: `true` in the
   * comparison from then, else why they are left out (`left-segment`, `no-longer-active`).
   */
  controlJudged?: Record<string, true | string>;
  treated: Record<string, string>;
  /**
   * Customers the back end refused a variant's offer for (the offer, not them: RefusalSubject
   * `offer`), by the variants refused (`refused`) and the variant their next contact goes with
   * (`with`, saved before it is asked: a crash after the ask asks again the same). Each contact of
   * theirs with a variant goes under an id of its own (contactIdOf); one whom no variant still
   * running can reach is left out as `offer-refused-by-back-end`.
   */
  reasked?: Record<string, { refused: string[]; with?: string }>;
  /**
   * Over partition workers: the variants whose offering each customer's owner found may not go to
   * them when the audience was drawn (no twin here to read it again at their turn); passed over at
   * the turn as one process passes over what it reads then. Only customers with one or more.
   */
  barredAtDraw?: Record<string, string[]>;
  /** Customers of the audience left out, by the rule that refused them (consent, opt-out, caps…, `sleeping-dog` when drawn). */
  left?: Record<string, number>;
  /** Expected acceptance of each variant's offer kind over the audience, from their profiles (the bandit's prior). */
  priorAcceptance?: Record<string, number>;
  variants: Record<string, VariantState>;
  /** Each answering customer's answer (one per customer, `answerAfter`); absent in states saved before it was kept. */
  answers?: Record<string, Answer>;
  /** What the contacts cost when made, as the executor charged them (offers' acceptance-paid parts are counted from their settlements). */
  spent: number;
  /** Its offers paid on acceptance: which wait, what the accepted committed (absent in states saved before: read once from the settlements). */
  offers?: CampaignOffers;
  /** The split of every tick applied, oldest first (at most MAX_HISTORY). */
  history?: AllocationPoint[];
  /** Its close once it ended (campaign-delivery.ts `close`): why, and what became of the contacts still waiting for a person; `done` once every one was settled. */
  closed?: CampaignClosed & { done?: true };
}

/** A campaign's close: when (event time, ms), why, the approvals withdrawn and the contacts approved before the end booked. */
export interface CampaignClosed {
  at: number;
  endedBy: CampaignResult['endedBy'];
  reason: string;
  withdrawn: number;
  booked: number;
}

/**
 * The control customers a campaign compares its treated with: those whose turn came and who were
 * still in its segment and active then, as a treated customer must be at theirs to be contacted
 * (campaign-delivery.ts `judgeControlTurns`); the whole control, as drawn, in a state saved before turns were kept.
 */
export const measuredControl = (state: CampaignState): string[] => (state.controlTurns ? state.control.filter((id) => state.controlJudged?.[id] === true) : state.control);

/**
 * Each control customer's turn, from the audience as drawn (best first): how many of the queue (the
 * audience less the control) are ranked before them.
 */
export function controlTurnsOf(audience: readonly string[], control: readonly string[]): Record<string, number> {
  const held = new Set(control);
  const turns: Record<string, number> = {};
  let ahead = 0;
  for (const id of audience) {
    if (held.has(id)) turns[id] = ahead;
    else ahead++;
  }
  return turns;
}

/**
 * Judges the control customers whose turn has come, as the treated are judged at theirs (the one
 * check, `whyNot`: left the segment, no longer active, or undefined when they still pass). A control
 * customer's turn comes once the campaign has dealt with the queue's customers ranked before them
 * and the next one (or with all of it): who would have been contacted about then. One who passes is
 * compared from then; one who does not is left out (`control-left-segment`, `control-no-longer-active`
 * in `left`), and released from the hold by the tick that judged them (`apply`). Without it, the treated who churned or left the segment before their turn were never
 * treated while the control kept everyone drawn, its churn since the campaign opened included.
 */
export function judgeControlTurns(state: CampaignState, whyNot: (customerId: string) => string | undefined): void {
  const turns = state.controlTurns;
  if (!turns || state.queueAtOpen === undefined) return;
  const reached = Math.max(state.reached ?? 0, state.queueAtOpen - state.queue.length);
  state.reached = reached;
  const judged = (state.controlJudged ??= {});
  for (const id of state.control) {
    const turn = turns[id] ?? 0;
    if (judged[id] !== undefined || (reached <= turn && reached < state.queueAtOpen)) continue;
    const why = whyNot(id);
    judged[id] = why ?? true;
    if (why) {
      const left = (state.left ??= {});
      left[`control-${why}`] = (left[`control-${why}`] ?? 0) + 1;
    }
  }
}

/** The customers whose churn a campaign's stats read: its treated and its control group compared. */
export const watched = (state: CampaignState) => [...Object.keys(state.treated), ...measuredControl(state)];

/**
 * The stats the flow reads, from a saved state, the churned among its customers and the answers
 * kept by other owners. One count each, from one source: a variant presented what it treated
 * (every contact made is a presentation: an offer presented, a message sent), and its customers'
 * answers are counted once per customer (`answers` here, or the other owners' `shared`).
 */
export function statsOf(state: CampaignState, churnedSet: ReadonlySet<string>, shared: ReadonlyMap<string, AnswerCounts>, settled: Settled, contaminated?: Contamination): CampaignStats {
  const spoiled = new Set(contaminated?.customerIds ?? []);
  // A control customer contacted anyway measures nothing: the control is read without them.
  const compared = measuredControl(state);
  const control = spoiled.size ? compared.filter((id) => !spoiled.has(id)) : compared;
  const awaitingTurn = state.controlTurns ? state.control.filter((id) => state.controlJudged?.[id] === undefined).length : 0;
  const churned = (id: string) => churnedSet.has(id);
  const treatedBy = new Map<string, { n: number; churned: number }>();
  for (const [customerId, variantId] of Object.entries(state.treated)) {
    const t = treatedBy.get(variantId) ?? { n: 0, churned: 0 };
    t.n++;
    if (churned(customerId)) t.churned++;
    treatedBy.set(variantId, t);
  }
  const answered = new Map<string, AnswerCounts>();
  for (const [customerId, answer] of Object.entries(state.answers ?? {})) {
    const variantId = state.treated[customerId];
    if (variantId === undefined) continue;
    const counts = answered.get(variantId) ?? { accepted: 0, declined: 0 };
    counts[answer]++;
    answered.set(variantId, counts);
  }
  return {
    variants: state.input.variants.map((v) => {
      const vs = state.variants[v.id];
      const waitingReserved = Object.entries(state.waiting ?? {}).reduce((a, [customerId, variantId]) => a + (variantId === v.id ? (state.waitingCost?.[customerId] ?? 0) : 0), 0);
      const count = (answer: Answer) => vs[answer] + (answered.get(v.id)?.[answer] ?? 0) + (shared.get(v.id)?.[answer] ?? 0);
      return {
        variantId: v.id,
        ...vs,
        presented: treatedBy.get(v.id)?.n ?? 0,
        accepted: count('accepted'),
        declined: count('declined'),
        spent: cents(vs.spent + (settled.get(v.id)?.committed ?? 0)),
        // Its offers waiting for an answer, and its contacts waiting for a person: either may still cost that.
        reserved: cents((settled.get(v.id)?.reserved ?? 0) + waitingReserved),
        treated: treatedBy.get(v.id)?.n ?? 0,
        treatedChurned: treatedBy.get(v.id)?.churned ?? 0,
        ...(state.priorAcceptance?.[v.id] === undefined ? {} : { priorAcceptance: state.priorAcceptance[v.id] }),
      };
    }),
    control: { customers: control.length, churned: control.filter(churned).length, ...(awaitingTurn > 0 ? { awaitingTurn } : {}) },
  };
}
