import { heldError, TwinloopError } from '../../domain/errors.js';
import { cents } from '../../decisioning/action-pricing.js';
import type { DecisionRecord } from '../../decisioning/decision-record.js';
import { budgetLeft, campaignRefused, type CampaignAllocation, type CampaignClosing, type CampaignEnding, type CampaignInput, type CampaignStats } from '../../agents/flows/campaign-management-flow.js';
import type { TwinEvent } from '../../domain/events.js';
import type { RecordStore } from '../../store/record-store.js';
import { MIN_FAILURES_TO_PAUSE } from '../../agents/flows/campaign-bandit.js';
import { CONTACT_RULES, marketingConsentRefusal } from '../../decisioning/contact-policy.js';
import { contactKindOf } from '../../decisioning/action-contact.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import { walkTwinsInPartitionOrder, type PartitionKey } from '../../twin/partition-order.js';
import { twinMatcher } from '../../twin/twin-query.js';
import type { OfferKind } from '../../twin/twin-responses.js';
import { describeLeftOut, drawControlGroup, planCampaignAudience, type AudienceCandidate } from '../../agents/flows/campaign-audience.js';
import { ACTION_ASKS, type Ask, type GuardedExecutor, type GuardedResult } from '../../agents/governance/guarded-executor.js';
import { approvalIdOf } from '../../agents/governance/approval-queue.js';
import { offerSettlementBook } from '../../agents/governance/offer-settlement-book.js';
import { contaminationOf } from '../../agents/governance/holdout-register.js';
import type { FeatureFilter } from '../../twin/feature-filter.js';
import type { OperatorServices } from './operator-services.js';
import { offeringParams } from '../../decisioning/offering-params.js';
import { answerAfter, answerOfAction, CAMPAIGN_ANSWERS, NO_SHARED_ANSWERS, sharedAnswers } from './campaign-answers.js';
import { contactIdOf, decisionIdOf } from './campaign-decision-ids.js';

import { campaignOffersOf, noCampaignOffers, settledTotal, tallyCampaignOffers, type Settled } from './campaign-offer-tally.js';
import { CAMPAIGN_HOLDS, controlTurnsOf, judgeControlTurns, MAX_HISTORY, statsOf, watched, type CampaignDeliveryView, type CampaignHold, type CampaignState, type VariantState } from './campaign-state.js';

/** A variant's offering in the catalogue (absent: an offer only the back end knows). */
type OfferingOf = ReturnType<OperatorServices['decisions']['catalogue']['byId']['get']>;

/**
 * The delivery side of managed campaigns: it draws the audience (active twins ranked by what an
 * acceptance can reach, churn × value × the expected acceptance their response profiles give the
 * variants' offer kinds; likely sleeping dogs left out: `campaign-audience.ts`; a seeded control
 * share held out), presents each tick's slice of offers through the
 * guarded executor in the shares the campaign flow allocated, and counts the answers from the
 * offer events that come back, which are what the flow's `stats` reads. Its state is kept in the
 * record store so a restart neither re-contacts nor forgets anyone.
 */

/** Share of the remaining budget one tick may spend: a campaign paces itself over its ticks. */
const TICK_SPEND_SHARE = 0.25;
/**
 * What one contact counts against a tick's pacing at least, so that an offering that costs
 * nothing when presented still paces the tick (without it, one tick would contact the whole
 * audience). A pacing figure only: what a contact books is what the executor charged for it.
 */
const MIN_PACING_COST = 0.05;
/**
 * Contacts a round makes between two reads of the campaign's hold (POST /campaigns/:id/pause): the
 * hold is read from the store, a round trip on PostgreSQL, once per batch of this many contacts
 * rather than before each one, and a pause stops the round before its next batch. The bound: a
 * pause made while a batch is under way lets at most this many contacts of it go (the last read's
 * batch); next to a contact's own writes (its decision, the executor's audit and ledger, the
 * campaign's state), a tenth of a read each.
 */
export const HOLD_READ_EVERY_CONTACTS = 10;
/**
 * Contacts a round asks the guarded executor for at once (decision 0089): each is judged by the policy
 * on its own, with an equal share of what the campaign has left (`batchShare`), and the campaign is
 * saved once a batch rather than after each contact. Ten: the contacts one at a time took a tick of a
 * few hundred contacts ~27.5 s on the default world at load (each its own policy check, audit, ledger
 * and back-end call, waited for in turn, and a save of the campaign), and a pause (read once a batch,
 * HOLD_READ_EVERY_CONTACTS) still lets at most this many go.
 */
export const CONTACTS_PER_BATCH = 10;

/**
 * Each contact's equal share of what a campaign has left when `n` contacts are asked at once, in
 * whole cents rounded down: asked together, the batch can never commit more than is left.
 */
export function batchShare(left: number, n: number): number {
  return n <= 1 ? left : Math.floor((left * 100) / n + 1e-6) / 100;
}
/** Largest audience drawn for a campaign. */
const MAX_AUDIENCE = 20_000;
/** Who may be in a campaign's audience, besides its segment: a customer who has not churned and holds a plan. */
const CANDIDATE_FILTERS: readonly FeatureFilter[] = [
  { field: 'churned', op: '!=', value: 1 },
  { field: 'active_plans', op: '>', value: 0 },
];

/** Failed contacts after which a variant stops for the tick: enough for the flow to judge it undeliverable. */
const MAX_FAILURES_PER_TICK = MIN_FAILURES_TO_PAUSE;
/** Refusals that concern the customer, not the variant: the customer is left out of the campaign. */
const CUSTOMER_GUARDRAILS: ReadonlySet<string> = new Set([...CONTACT_RULES, 'cost-cap'].filter((r) => r !== 'quiet-hours'));
/**
 * Most customers of one campaign waiting for a person at once. People decide approvals one by one,
 * in hours of their time, while the campaign ticks daily in the world's (an hour of the approver's
 * is 150 world days at 3,600×): past this, a variant whose contacts go to a person asks nobody new
 * until some are decided, rather than adding one approval a variant a tick for as long as it runs.
 */
export const MAX_WAITING_FOR_A_PERSON = 25;
/** Why a customer is given up whose price is above what the campaign could ever have left (its budget less what it spent). */
export const OVER_BUDGET = 'over-budget';
/** The guarded executor's refusal of an offering that may not go to the customer (offer-eligibility.ts): another variant may. */
const OFFER_ELIGIBILITY = 'offer-eligibility';
/** Refusals that say "not now" for everyone: the tick stops and its customers wait for the next one. */
const NOT_NOW_GUARDRAILS: ReadonlySet<string> = new Set(['budget', 'quiet-hours']);

/** Customers a campaign may still contact: in its queue, waiting for a person, or set aside until the budget fits them. */
const toContactOf = (s: CampaignState): number => s.queue.length + Object.keys(s.waiting ?? {}).length + Object.keys(s.dear ?? {}).length;

/** What a campaign's contacts waiting for a person hold of its budget. */
const waitingTotal = (s: CampaignState): number => cents(Object.keys(s.waiting ?? {}).reduce((a, id) => a + (s.waitingCost?.[id] ?? 0), 0));

/** Books a contact the executor carried out: the customer is treated with the variant, at what it charged (returned). */
function bookCarriedOut(state: CampaignState, v: CampaignInput['variants'][number], customerId: string, decisionId: string, r: GuardedResult): number {
  state.treated[customerId] = v.id;
  const vs = state.variants[v.id];
  // Booked as the executor charged it (what the budget ledger committed), never more.
  const charged = r.cost ?? 0;
  vs.spent += charged;
  state.spent += charged;
  // Its acceptance-paid part waits for the answer (offer-settlement.ts): the campaign counts it once settled.
  if (r.onAcceptance) (state.offers ??= noCampaignOffers()).awaiting[decisionId] = v.id;
  return charged;
}

/**
 * Whether a variant whose balance (its parts of the ticks so far less what it spent) is below one
 * contact may still make one now, running one contact ahead of its parts: when it has something of
 * its part (a balance above 0, no debt left) and its share of what the campaign has left pays for a
 * contact, so it takes no more than its share. Pure; the overdraft is carried as a debt.
 */
export function mayRunAhead(balance: number, share: number, campaignLeft: number, contactPrice: number): boolean {
  return balance > 0 && share * campaignLeft >= contactPrice;
}

/**
 * Why each active variant that has tried nobody yet has not, in words a marketer reads beside its
 * row (absent for those that tried someone, or are paused): its share of what is left below one
 * contact, the audience used up before it paid for one, or its parts still adding up to one.
 */
export function idleVariants(state: CampaignState, variants: CampaignStats['variants'], left: number, offerCost: (offerId: string) => number): Record<string, string> {
  const last = state.history?.at(-1);
  if (!last) return {};
  const out: Record<string, string> = {};
  for (const v of state.input.variants) {
    const st = variants.find((x) => x.variantId === v.id);
    const share = last.shares[v.id] ?? 0;
    if (!st || (st.tried ?? 0) > 0 || st.presented > 0 || share <= 0 || last.paused.includes(v.id)) continue;
    const price = Math.max(MIN_PACING_COST, offerCost(v.offerId));
    const at = `one contact (${price.toFixed(2)} at a typical price; each customer's own price is charged)`;
    const carried = Math.max(0, state.variants[v.id]?.carried ?? 0);
    out[v.id] =
      share * left < price
        ? `contacted nobody: its share of what the campaign has left (${Math.round(share * 100)} % of ${left.toFixed(2)}) is below ${at}; it contacts once its share grows or a reservation comes back`
        : state.queue.length === 0 && Object.keys(state.dear ?? {}).length === 0
          ? `contacted nobody: the audience was used up by the other variants before its part of the ticks paid for ${at}`
          : `contacted nobody yet: its part of the ticks so far (${carried.toFixed(2)} carried over) is below ${at}; it contacts when it pays for one`;
  }
  return out;
}

/** The decision id of a campaign's contact of a customer with a variant (contactIdOf: one of its own for each variant once an offer was refused for them). */
const contactOf = (state: Pick<CampaignState, 'input' | 'reasked'>, customerId: string, variantId: string): string =>
  contactIdOf(state.input.campaignId, customerId, variantId, state.reasked?.[customerId] !== undefined);

/** Counts a contact that did not reach the customer against its variant, by why (the rule that refused it, or the executor's status). */
function countNotContacted(vs: VariantState, why: string): void {
  const counts = (vs.notContacted ??= {});
  counts[why] = (counts[why] ?? 0) + 1;
}

/** Counts a customer of the audience left out, by why. */
function countLeftOut(state: CampaignState, why: string): void {
  const left = (state.left ??= {});
  left[why] = (left[why] ?? 0) + 1;
}

/** Why a customer is left out when the back end refused their contact for good (they had left, say), or without saying why. */
export const BACK_END_REFUSED = 'refused-by-back-end';
/**
 * Why a customer is left out when the back end refused the offer of every variant still running
 * that was asked for them (its refusal about the offer, RefusalSubject `offer`: one it does not
 * sell), not them: with another variant running, they are contacted with it instead.
 */
export const OFFER_REFUSED = 'offer-refused-by-back-end';
/** Why a customer drawn into a campaign's audience is left out at their turn: they no longer pass its segment's filters. */
export const LEFT_SEGMENT = 'left-segment';
/** Why a customer drawn into a campaign's audience is left out at their turn: churned, or no plan held, since. */
export const NO_LONGER_ACTIVE = 'no-longer-active';
/**
 * Why a customer is left out of a campaign: none of its variants' offerings may go to them now (its
 * eligibility rule, offer-eligibility.ts), when drawn or at their turn. A customer one variant's offer
 * excludes is contacted with another's it admits.
 */
export const NOT_ELIGIBLE = 'not-eligible';

/** What a campaign's draw of its audience reads of it. */
export type AudienceInput = Pick<CampaignInput, 'campaignId' | 'variants' | 'audience' | 'audienceMax' | 'controlShare' | 'seed'>;

/** A campaign's audience as drawn now (`CampaignDelivery.audienceOf`). */
export interface AudienceCount {
  /** Its segment's active customers. */
  readonly segment: number;
  /** Those it may contact, the control group drawn among them. */
  readonly mayContact: number;
  /** Its control group: its share of those it may contact, rounded (`controlGroupSize`). */
  readonly control: number;
  /** The segment's customers left out before drawing, by why (`no-consent`, `held-out`, `sleeping-dog`: `describeLeftOut`). */
  readonly left: Readonly<Record<string, number>>;
}

/** Why a customer whose contact waited for a person is left out when the campaign's end withdrew its approval. */
export const WITHDRAWN_AT_END = 'withdrawn';

/**
 * A campaign contact's candidates as logged: each offer its variants present, with the share of
 * the tick the flow allocated to it (the chance a customer at the head of the queue gets it); no
 * expected value is reckoned per customer (0: the estimators' direct model adds nothing).
 */
function variantChoice(allocation: CampaignAllocation, variants: CampaignInput['variants'], chosen: string): Pick<DecisionRecord, 'candidates' | 'chosen' | 'propensity'> {
  const shares = new Map<string, number>();
  let total = 0;
  for (const v of variants) {
    const share = allocation.paused.includes(v.id) ? 0 : Math.max(0, allocation.shares[v.id] ?? 0);
    shares.set(v.offerId, (shares.get(v.offerId) ?? 0) + share);
    total += share;
  }
  const propensity = (offerId: string) => (total > 0 ? Math.min(1, (shares.get(offerId) ?? 0) / total) : 0);
  return { candidates: [...shares.keys()].map((actionId) => ({ actionId, score: 0, expectedValue: 0, propensity: propensity(actionId) })), chosen, propensity: propensity(chosen) };
}

/**
 * Why a campaign is not run on its draw, in Twinloop's words (its own check, not a back end's): a
 * control share that holds out nobody of its audience measures nothing; undefined when it may run.
 */
function controlRefusal(input: Pick<AudienceInput, 'campaignId' | 'controlShare'>, drawn: { segment: number; audience: readonly string[]; control: readonly string[]; left: Readonly<Record<string, number>> }): string | undefined {
  const { segment, audience, control, left } = drawn;
  if (input.controlShare <= 0 || control.length > 0) return undefined;
  // Left out before drawing, not those past a plan's selection (`audienceMax`): they were never its audience.
  const leftOut = Object.values(left).reduce((a, b) => a + b, 0);
  return (
    `campaign ${input.campaignId} is not run: its control share ${input.controlShare} of an audience of ${audience.length} holds out nobody, so nothing would measure what it changes` +
    `${leftOut > 0 ? ` (${segment} in its segment, ${leftOut} left out before drawing: ${describeLeftOut(left)})` : ''}` +
    `; widen its audience, or start it with controlShare 0 to run it without a control group`
  );
}

export interface CampaignDelivery {
  /** Registers a campaign (idempotent) before its flow starts. */
  open(input: CampaignInput): Promise<void>;
  /**
   * Whom the campaign would contact and hold out if it opened now, counted by the draw its open
   * keeps (segment, consent, other runs' holdouts, likely sleeping dogs): what an intent's plan says
   * of its control group. Nothing is kept or held.
   */
  audienceOf(input: AudienceInput): Promise<AudienceCount>;
  /**
   * Why the campaign would not be run if it opened now (its control share holds out nobody of the
   * audience its open would draw), or undefined: checked when it is started, so the start is
   * refused with the reason instead of a run that fails at its first step. Nothing is kept or held.
   */
  refusalOf(input: AudienceInput): Promise<string | undefined>;
  apply(campaignId: string, allocation: CampaignAllocation): Promise<void>;
  /**
   * Closes a campaign that ended (safe to repeat; the flow's last step): each contact still waiting
   * for a person has its approval withdrawn with the ending's reason (audited; nobody can approve it
   * any more, and one approved but held by the customer's quiet hours is not carried out after them),
   * left out as `withdrawn`; one a person approved before the end is booked to the campaign.
   */
  close(campaignId: string, ending: CampaignEnding): Promise<CampaignClosing>;
  stats(campaignId: string): Promise<CampaignStats>;
  /**
   * A campaign's delivery as last saved (variants' answers, control, allocation over time), or
   * null when no campaign of that id was opened. Read from the record store, so any process sees
   * it; the churn among its customers is asked where their twins are (on a partition worker, of
   * their owners) unless `churn` is false (a list that shows none: counted as none churned).
   */
  view(campaignId: string, o?: { readonly churn?: boolean }): Promise<CampaignDeliveryView | null>;
  /** The customers a campaign treated so far (each contact carried out), as last saved; [] when none or no such campaign. */
  treatedIds(campaignId: string): Promise<string[]>;
  observe(events: readonly TwinEvent[]): void;
  /**
   * A page of the audience's candidates among the twins this process holds that `keep` answers for
   * (a worker's live partitions): at most `limit`, after `after` in the partition order, and the
   * last one's key when more may follow (null on the last page). A worker's part of a campaign
   * spanning the workers is read this way, a page per request, never all its candidates at once.
   */
  candidatesPage(segment: readonly FeatureFilter[], after: PartitionKey | null, limit: number, keep: (customerId: string) => boolean, variants?: readonly CampaignVariantRef[]): AudiencePage;
  /** Which of `customerIds` held here (and `here` answers for, when given) have churned. */
  churnedHere(customerIds: readonly string[], here?: (customerId: string) => boolean): string[];
}

/**
 * How a campaign reaches the whole population when this process holds only some of it (a
 * partition worker, docs/scale.md): the audience's candidates of every partition, each once; the
 * churned among its customers, each asked of its owner; and the guarded executor of each
 * customer's owner (consent, contact rules, price and budgets judged where the twin is).
 */
/** A campaign variant as its audience's eligibility reads it. */
export type CampaignVariantRef = Pick<CampaignInput['variants'][number], 'id' | 'offerId' | 'channel'>;

export interface CampaignAcrossWorkers {
  /** The candidates of a segment, each with the `variants` whose offering may not go to them (read by their owner). */
  audience(segment: readonly FeatureFilter[], variants: readonly CampaignVariantRef[]): Promise<AudienceCandidate[]>;
  /** Which of some customers have churned, each asked of its owner. */
  churnedAmong(customerIds: readonly string[]): Promise<ReadonlySet<string>>;
  guarded(): Pick<GuardedExecutor, 'execute'>;
}

/** What the delivery side reads of a twin when it draws an audience (undefined: not a candidate). */
export interface AudienceReader {
  /** Churn × value when a churn model serves, else undefined (the value proxy is used). */
  atStake(customerId: string): number | undefined;
  profile(customerId: string): AudienceCandidate['profile'];
  /** The offer kind a catalogue offering is answered as on the twins. */
  kindOf(offerId: string): OfferKind;
  /**
   * The churn model serving now (its id), or null while none does (absent: not known, a draw that
   * cannot read the scores fails as it is). A worker's page of the audience says it (`candidatesPage`).
   */
  model?(): string | null;
}

/**
 * A page of a worker's audience candidates (`CampaignDelivery.candidatesPage`), with the churn model
 * whose scores valued it: null when none serves there, and then no candidate (none could be valued
 * as the other workers' are, nor a segment on the scores read): the campaign waits for it.
 */
export interface AudiencePage {
  readonly items: AudienceCandidate[];
  readonly next: PartitionKey | null;
  readonly model: string | null;
}

/**
 * Whether a campaign's draw failed for want of a churn model, which comes: none served here (a
 * one-process draw on the scores, UNAVAILABLE), or, over the workers, none on some worker
 * (`campaignAcrossWorkers`, context `noChurnModel`), read as the churn scan reads each worker's model.
 */
export function noChurnModelYet(err: unknown, servingHere: boolean | undefined): err is TwinloopError {
  return err instanceof TwinloopError && err.code === 'UNAVAILABLE' && (err.context.noChurnModel === true || servingHere === false);
}

/** How long a campaign waiting for the first churn model waits between looks (its open step, not counted as a try). */
export const MODEL_WAIT_MS = 30_000;

/**
 * Builds the delivery side over the services and the record store; `across` on a partition
 * worker, where the campaign's audience, churn and actions are the owners' of its customers, and
 * the answers to its offers come back to them (each owner keeps its customers' in CAMPAIGN_ANSWERS).
 */
export function campaignDelivery(
  services: () => OperatorServices,
  records: RecordStore,
  /** What a contact of an offering costs: a typical customer's price, or `customerId`'s own when it is known here. */
  offerCost: (offerId: string, customerId?: string) => number,
  reader?: AudienceReader,
  across?: () => CampaignAcrossWorkers,
  log: (line: string) => void = () => undefined,
  /** Contacts asked at once (default CONTACTS_PER_BATCH); 1 asks them one at a time, as before batches (`bench campaign-tick`'s baseline). */
  contactsPerBatch: number = CONTACTS_PER_BATCH,
): CampaignDelivery {
  if (!Number.isInteger(contactsPerBatch) || contactsPerBatch < 1) throw new TwinloopError('BAD_INPUT', `contactsPerBatch: ${contactsPerBatch} is not a whole number of contacts of at least 1`);
  // Said, not capped in silence: a batch ends where a person's pause is read next, so a larger batch asked for would never be one.
  if (contactsPerBatch > HOLD_READ_EVERY_CONTACTS) throw new TwinloopError('BAD_INPUT', `contactsPerBatch: ${contactsPerBatch} is more than the ${HOLD_READ_EVERY_CONTACTS} contacts after which a campaign reads whether a person paused it (HOLD_READ_EVERY_CONTACTS): a batch is at most that many`);
  const states = new Map<string, CampaignState>();
  /** Each decision id's campaign, variant and customer: an answer is counted for the customer its decision was made for. */
  const byDecision = new Map<string, { campaignId: string; variantId: string; customerId: string }>();
  const load = async (id: string): Promise<CampaignState | undefined> => {
    if (!states.has(id)) {
      const r = await records.get<CampaignState>('campaigns', id);
      if (r) {
        states.set(id, r.body);
        for (const [customerId, variantId] of Object.entries(r.body.treated)) byDecision.set(contactOf(r.body, customerId, variantId), { campaignId: id, variantId, customerId });
      }
    }
    return states.get(id);
  };
  const save = (s: CampaignState) => records.put('campaigns', s.input.campaignId, s).then(() => undefined);
  /** Each campaign's saves of answers heard, one after another (the state saved is the one in memory, the latest). */
  const answersSaved = new Map<string, Promise<void>>();
  const saveAnswers = (s: CampaignState) => {
    const id = s.input.campaignId;
    const next = (answersSaved.get(id) ?? Promise.resolve()).then(() => save(s)).catch((err: Error) => log(`campaign ${id}: its answers heard were not saved yet (${err.message}); the next tick saves them`));
    answersSaved.set(id, next);
  };
  const candidateFilters = (segment: readonly FeatureFilter[]) => [...segment, ...CANDIDATE_FILTERS];
  /**
   * The audience's candidates among the twins `keep` answers for, in the partition order after
   * `after`, up to `limit`: each read from the walk's features (the three a value proxy needs),
   * never a twin's whole feature list. One process reads them all at once, a worker a page at a time.
   */
  /** What a variant's contact asks of the guarded executor (its params). */
  const contactParams = (v: CampaignInput['variants'][number], offering: OfferingOf, campaignId: string, decisionId: string) => ({
    offerId: v.offerId,
    campaignId,
    decisionId,
    variantId: v.id,
    direction: 'outbound' as const,
    // An offer the back end knows is presented; a check-in goes out as a message on the planned channel.
    // An offer of a variant planned on a message channel (an intent's SMS variant) goes out as that message.
    ...(offering
      ? offeringParams(offering, { purpose: 'retention', notificationChannel: v.notificationChannel ?? 'sms', body: offering.offering.treatments[0]?.message, ...(v.notificationChannel ? { presentedBy: v.notificationChannel } : {}) })
      : { present: true as const, ...(v.notificationChannel ? { notificationChannel: v.notificationChannel } : {}) }),
  });
  const candidatesWalk = (segment: readonly FeatureFilter[], after: PartitionKey | null, limit: number, keep: (customerId: string) => boolean, variants: readonly CampaignVariantRef[] = []) => {
    const items: AudienceCandidate[] = [];
    const barredOf = barredVariants(variants);
    const { next } = walkTwinsInPartitionOrder(services().twins.engine, candidateFilters(segment), after ?? undefined, limit, keep, (customerId, f) => {
      const barred = variants.length ? barredOf(customerId) : [];
      return items.push({
        customerId,
        // Without a churn model, a value proxy: spend, more of it for a complainer, and overage.
        atStake: reader?.atStake(customerId) ?? f[FEATURE_INDEX.arpu_3m] * (1 + f[FEATURE_INDEX.complaints_90d]) + f[FEATURE_INDEX.months_over_allowance_3m],
        profile: reader?.profile(customerId),
        // The contact rules' one consent check (contact-policy.ts), read where the twin is.
        ...(marketingConsentRefusal(f) ? { marketingConsent: false as const } : {}),
        ...(barred.length ? { barredVariants: barred } : {}),
      }) > 0;
    }, services().scoreFields);
    return { items, next };
  };
  /**
   * Why a customer of a campaign's queue may not be contacted now (`LEFT_SEGMENT`: no longer passes
   * the campaign's audience filters, the one filter vocabulary read on the twin's features and live
   * scores now; `NO_LONGER_ACTIVE`: churned or without a plan since), or undefined when they still may.
   * The audience is drawn once, when the campaign opens, and contacted over weeks: an intent's
   * campaign contacted 6 of 81 after their churn score had slipped under its segment's 0.1. Over
   * partition workers (`across`) the twins are their owners' and this is not checked yet: the
   * campaign contacts whom it drew, as before.
   */
  /**
   * The variants whose offering may not go to a customer now (offer-eligibility.ts, the funnel's and
   * the guarded executor's one answer, read on their channel as an outbound contact): the campaign
   * contacts them with another variant, or leaves them out (NOT_ELIGIBLE). None for a customer whose
   * twin is not held here (over partition workers: the owner's executor refuses them).
   */
  const barredVariants = (variants: readonly CampaignVariantRef[]) => (customerId: string): string[] =>
    variants.filter((v) => services().decisions.offerIneligibility(customerId, v.offerId, { channel: v.channel, direction: 'outbound' }) !== undefined).map((v) => v.id);
  const eligibilityNow = (state: CampaignState) => {
    if (across) return () => undefined;
    const inSegment = twinMatcher(state.input.audience ?? [], services().scoreFields);
    const active = twinMatcher(CANDIDATE_FILTERS, services().scoreFields);
    const engine = services().twins.engine;
    return (customerId: string): string | undefined => {
      const f = engine.has(customerId) ? engine.features(customerId) : undefined;
      if (!f) return undefined;
      if (!active(customerId, f)) return NO_LONGER_ACTIVE;
      try {
        return inSegment(customerId, f) ? undefined : LEFT_SEGMENT;
      } catch (err) {
        // No model serves yet (a restart loading its history): a segment on the scores cannot be
        // read now, and the customer is contacted as drawn (throwing failed the tick at every try).
        if (err instanceof TwinloopError && err.code === 'UNAVAILABLE') return undefined;
        throw err;
      }
    };
  };
  /** Every candidate of the segment held by this process (the whole population, on one process). */
  const candidatesHere = (segment: readonly FeatureFilter[], variants: readonly CampaignVariantRef[]): AudienceCandidate[] => candidatesWalk(segment, null, Infinity, () => true, variants).items;
  // A worker that serves no churn model answers no candidates, saying so: valued on the proxy they
  // were drawn beside the others' churn × value, and a segment on the scores failed the read (503).
  const candidatesPage: CampaignDelivery['candidatesPage'] = (segment, after, limit, keep, variants) => {
    const model = reader?.model?.() ?? null;
    if (reader?.model && model === null) return { items: [], next: null, model };
    return { ...candidatesWalk(segment, after, limit, keep, variants), model };
  };
  const churnedHere = (ids: readonly string[], here?: (customerId: string) => boolean) => ids.filter((id) => (!here || here(id)) && services().twins.engine.features(id)?.[FEATURE_INDEX.churned] === 1);
  const churnedAmong = async (ids: readonly string[]): Promise<ReadonlySet<string>> => new Set(across ? await across().churnedAmong(ids) : churnedHere(ids));
  // The answers to the offers come back to each customer's owner: kept in the shared store only when that is another process.
  const answersKept = (state: CampaignState) => (across ? sharedAnswers(records, state.input.campaignId, state.treated, state.reasked) : Promise.resolve(NO_SHARED_ANSWERS));
  const book = offerSettlementBook(records);
  /** The variant a customer's contact was first asked with, when the executor keeps an ask under its id (absent: never asked, or refused). */
  const firstAskedVariant = async (state: CampaignState, decisionId: string): Promise<CampaignInput['variants'][number] | undefined> => {
    const kept = (await records.get<Ask>(ACTION_ASKS, decisionId))?.body;
    const params = kept && !kept.released ? (kept.content?.params as Record<string, unknown> | undefined) : undefined;
    return typeof params?.variantId === 'string' ? state.input.variants.find((x) => x.id === params.variantId) : undefined;
  };
  /** Asks the guarded executor (the customer's owner's, over the workers) for the contact of a customer with a variant, under the customer's decision id. */
  const askContact = (campaignId: string, v: CampaignInput['variants'][number], offering: OfferingOf, customerId: string, decisionId: string, runBudgetLeft: number) =>
    (across?.().guarded() ?? services().guarded).execute({
      id: decisionId,
      // Judged as what the offering is (a discount meets the discount rules), presented to the customer.
      // Priced by the executor from the catalogue at this customer's monthly price.
      actionClass: offering?.actionClass ?? 'offer',
      channel: v.channel,
      customerId,
      domain: 'campaigns',
      params: contactParams(v, offering, campaignId, decisionId),
      actor: { kind: 'agent', id: 'campaign-manager' },
      runBudgetLeft,
      // The same at every tick: a customer whose contact waits for a person is asked again at the
      // next tick under the same decision id, and a request id asked again with another summary
      // is an idempotency conflict (guarded-executor.ts requestContent), which failed the tick.
      why: { summary: `campaign ${campaignId}, variant ${v.id}` },
    });
  /** Its control customers someone contacted anyway while it held them out (holdout-register.ts), or undefined. */
  const contaminationOfCampaign = async (state: CampaignState) =>
    state.control.length ? contaminationOf(await services().holdouts.contactsOf({ flow: 'campaign', runId: state.input.campaignId }), state.control) : undefined;
  /** Where the campaign's offers paid on acceptance stand, brought up to date in `state` (reading only what may have changed). */
  const settledOf = async (state: CampaignState): Promise<Settled> => {
    state.offers ??= await campaignOffersOf(records, state.input.campaignId, state.treated);
    return tallyCampaignOffers(book, state.input.campaignId, state.offers);
  };

  /**
   * Whom a campaign contacts and holds out, drawn now: the one draw its open keeps and an intent's
   * plan counts its control group by (`audienceOf`), so the plan says the control its campaign holds.
   */
  /** Whether a draw failed for want of a churn model, here or on a worker (`noChurnModelYet`): a campaign waits for it. */
  const waitsForModel = (err: unknown): err is TwinloopError => noChurnModelYet(err, reader?.model ? reader.model() !== null : undefined);
  const draw = async (input: AudienceInput) => {
    // The audience is the campaign's segment (an intent's, as resolved when planned), over every
    // partition on a worker; the control group is drawn from that audience, not from the whole base.
    const variantRefs = input.variants.map(({ id, offerId, channel }) => ({ id, offerId, channel }));
    const drawn = across ? await across().audience(input.audience ?? [], variantRefs) : candidatesHere(input.audience ?? [], variantRefs);
    // A customer with no marketing consent is left out before the audience is drawn when every
    // variant is a marketing contact (the executor's contact rules would refuse each one after a
    // decision was logged, a211226 for churn prevention); one a variant may reach stays in.
    const catalogue = services().decisions.catalogue;
    const marketingOnly = input.variants.every((v) => {
      const offering = catalogue.byId.get(v.offerId);
      return contactKindOf({ actionClass: offering?.actionClass ?? 'offer', params: contactParams(v, offering, input.campaignId, '') }) === 'marketing';
    });
    const consentedAll = marketingOnly ? drawn.filter((c) => c.marketingConsent !== false) : drawn;
    const noConsent = drawn.length - consentedAll.length;
    // Nor one whom no variant's offering may go to (its eligibility rule): contacted with none, they
    // would be counted in the audience and the control group a campaign measures against. Read where
    // the twin is (over partition workers, by its owner).
    const consented = consentedAll.filter((c) => (c.barredVariants?.length ?? 0) < input.variants.length);
    const notEligible = consentedAll.length - consented.length;
    // A customer another run holds out as its control group (a churn-prevention run, another
    // campaign) is left out before drawing: contacted, that run would measure nothing.
    const now = services().clock.now();
    const self = { flow: 'campaign' as const, runId: input.campaignId };
    // Read again from the store: another process (a partition worker) may have held some out since this one started.
    await services().holdouts.load(now);
    const candidates = consented.filter((c) => !services().holdouts.heldBy(c.customerId, now, self));
    const heldOut = consented.length - candidates.length;
    const kindOf = (offerId: string) => reader?.kindOf(offerId) ?? 'other';
    const planned = planCampaignAudience(candidates, [...new Set(input.variants.map((v) => kindOf(v.offerId)))], Math.min(MAX_AUDIENCE, input.audienceMax ?? MAX_AUDIENCE));
    const audience = planned.audience.map((r) => r.customerId);
    const control = drawControlGroup(audience, input.controlShare, input.seed, input.campaignId);
    const left: Record<string, number> = { ...(noConsent > 0 ? { 'no-consent': noConsent } : {}), ...(notEligible > 0 ? { [NOT_ELIGIBLE]: notEligible } : {}), ...(heldOut > 0 ? { 'held-out': heldOut } : {}), ...(planned.sleepingDogs > 0 ? { 'sleeping-dog': planned.sleepingDogs } : {}) };
    const inAudience = new Set(audience);
    const barred = Object.fromEntries(candidates.flatMap((c) => (c.barredVariants?.length && inAudience.has(c.customerId) ? [[c.customerId, [...c.barredVariants]]] : [])));
    return { now, self, segment: drawn.length, audience, control, left, kindOf, acceptanceByKind: planned.acceptanceByKind, barred };
  };

  return {
    async audienceOf(input) {
      const { segment, audience, control, left } = await draw(input);
      return { segment, mayContact: audience.length, control: control.length, left };
    },
    async refusalOf(input) {
      try {
        return controlRefusal(input, await draw(input));
      } catch (err) {
        // No churn model serves yet: the audience cannot be counted now; the campaign is taken and
        // opens (and is counted, refused there if it holds out nobody) once one serves.
        if (waitsForModel(err)) return undefined;
        throw err;
      }
    },
    async open(input) {
      if (await load(input.campaignId)) return;
      // A campaign started before the first churn model serves (a first start trains one once its
      // history is in) waits for it: a hold, which its open step waits out without spending a try.
      // Its open failed 5 times with NO_SCORES_TO_FILTER, the run then "retries are used up; check the back end".
      const drawn = await draw(input).catch((err: unknown) => {
        if (!waitsForModel(err)) throw err;
        // Its window over with no model served: opened now it would run after its end (review MINOR on 55671c5).
        if (services().clock.now() >= input.endAt) throw campaignRefused(`campaign ${input.campaignId} ended (${new Date(input.endAt).toISOString()}) before a churn model served: its audience is drawn on the customers' churn scores and none was ever served (GET /models says why), so nobody was contacted and nothing was spent`);
        const none = err.context.noChurnModel === true ? err.message : 'none serves yet';
        throw heldError(`campaign ${input.campaignId} opens once a churn model serves: its audience is drawn on the customers' churn scores, and ${none} (a first start trains one once its history is in: the server log says when, GET /models lists it); it looks again every ${MODEL_WAIT_MS / 1000} s`, MODEL_WAIT_MS);
      });
      const { now, self, audience, control, left, kindOf, acceptanceByKind, barred } = drawn;
      // A share that holds out nobody measures nothing: the campaign is refused, saying why, rather than run blind
      // (its start was refused for it already; the audience may have shrunk since).
      const refusal = controlRefusal(input, drawn);
      if (refusal) throw campaignRefused(refusal);
      const held = new Set(control);
      // Held out until the campaign ends: its control's churn is read for as long as it runs.
      await services().holdouts.hold({ ...self, from: now, until: input.endAt, customerIds: control });
      const priorAcceptance: Record<string, number> = {};
      for (const v of input.variants) {
        const p = acceptanceByKind[kindOf(v.offerId)];
        if (p !== undefined) priorAcceptance[v.id] = p;
      }
      const state: CampaignState = {
        input: { campaignId: input.campaignId, variants: input.variants, budget: input.budget, controlShare: input.controlShare, seed: input.seed, ...(input.audience?.length ? { audience: input.audience } : {}) },
        queue: audience.filter((id) => !held.has(id)),
        control,
        // Each control customer is compared from their turn, judged then as the treated are (judgeControlTurns).
        controlTurns: controlTurnsOf(audience, control),
        queueAtOpen: audience.length - control.length,
        controlJudged: {},
        ...(Object.keys(left).length > 0 ? { left } : {}),
        ...(across && Object.keys(barred).length > 0 ? { barredAtDraw: barred } : {}),
        priorAcceptance,
        treated: {},
        variants: Object.fromEntries(input.variants.map((v) => [v.id, { presented: 0, accepted: 0, declined: 0, spent: 0 }])),
        answers: {},
        spent: 0,
        offers: noCampaignOffers(),
        lastAppliedTick: -1,
      };
      states.set(input.campaignId, state);
      await save(state);
    },
    async apply(campaignId, allocation) {
      const state = await load(campaignId);
      if (!state || allocation.tick <= (state.lastAppliedTick ?? -1)) return;
      // A person's hold (POST /campaigns/:id/pause) is read from the store before each batch of
      // contacts (HOLD_READ_EVERY_CONTACTS), so a pause made in any process stops a tick under way
      // at the end of its batch: those not reached yet stay at the head of the queue, and the first
      // tick after the resume goes on from them.
      const heldNow = async () => (await records.get<CampaignHold>(CAMPAIGN_HOLDS, campaignId))?.body.held === true;
      let held = await heldNow();
      /** Contacts tried since the hold was last read. */
      let sinceRead = 0;
      // Offers accepted and offers still waiting for an answer count against the campaign's budget as
      // spent, and so do the contacts waiting for a person: approving them all spends no more than it has.
      const booked = settledTotal(await settledOf(state));
      const waitingCost = (state.waitingCost ??= {});
      // What the campaign may still commit, as each contact is asked: the policy refuses a contact whose
      // price (the customer's own) is above it (runBudgetLeft, guardrail run-budget), so the campaign
      // never spends past its budget whatever its pacing estimated.
      let campaignLeft = Math.min(allocation.remainingBudget, budgetLeft(state.input.budget, state.spent + booked.committed, booked.reserved + waitingTotal(state)));
      // The most it could ever have left: every reservation back. A customer dearer than that is given up.
      const ceiling = budgetLeft(state.input.budget, state.spent + booked.committed, 0);
      const leftOut = (why: string) => countLeftOut(state, why);
      const eligibility = eligibilityNow(state);
      // Read now where the twins are here; over partition workers, as their owners read it at the draw.
      const barredFor = across ? (customerId: string) => state.barredAtDraw?.[customerId] ?? [] : barredVariants(state.input.variants);
      // Customers too dear for what was left: back at the head of the queue once they fit, given up once they never can.
      const dear = (state.dear ??= {});
      const fitAgain: string[] = [];
      for (const [customerId, price] of Object.entries(dear)) {
        if (price > ceiling) leftOut(OVER_BUDGET);
        else if (price <= campaignLeft) fitAgain.push(customerId);
        else continue;
        delete dear[customerId];
      }
      state.queue.unshift(...fitAgain);
      const tickBudget = campaignLeft * TICK_SPEND_SHARE;
      // Set when a refusal holds for every contact now (quiet hours, the budget): nothing more this tick.
      let notNow = false;
      // Each active variant's part of the tick. The contacts go out interleaved, the next one always for
      // the variant that has used the least of its part: a tick cut short (quiet hours, the budget, a
      // hold) has served every variant in its share. Served one variant after the other, the first
      // used the tick and a refusal for everyone ended it before the next was reached (npm start's
      // nc-retention: bonus-app, 49-69 % of the budget, presented nobody in 28 ticks).
      // A variant's part of a tick below one contact's price is carried over to the next ticks until it
      // pays for one (at most one contact's worth is carried): without it a campaign whose parts were
      // all below a contact contacted nobody however much was left (a budget of 20 split between two
      // variants at 8 a contact tried nobody in its 40 ticks), and it still paces itself over its ticks.
      // A variant whose share of what the campaign has left pays for a contact may also run one contact
      // ahead of its parts as soon as it has any (mayRunAhead): what it overdraws is carried as a debt its
      // next parts repay first. Waiting for its parts to add up to a whole contact, a dear variant beside
      // a cheap one found the audience used up by the cheap one first: on --world small, retain-10 (30 a
      // contact at a typical price) beside data-bonus (3) held 49-82 % of the split for 30 ticks and
      // tried nobody, the bonus having reached the whole audience at the first tick.
      const lanes = state.input.variants.flatMap((v) => {
        const share = allocation.shares[v.id] ?? 0;
        if (share <= 0 || allocation.paused.includes(v.id)) {
          delete state.variants[v.id].carried;
          return [];
        }
        const planned = tickBudget * share + (state.variants[v.id].carried ?? 0);
        // A planning estimate to pace the tick; each contact is then counted at the price the executor charged.
        const unit = Math.max(MIN_PACING_COST, offerCost(v.offerId));
        return [{ v, share, planned, budget: planned, unit, failures: 0, done: false, offering: services().decisions.catalogue.byId.get(v.offerId) }];
      });
      /**
       * The lane to serve next, of the variants not in `refused` (those whose offer the back end refused
       * for the customer at the head) nor in `probing` (those that have their one contact in the batch being
       * formed), against what the campaign has left less what the batch being formed is paced at (`inFlight`).
       */
      const nextLane = (refused?: readonly string[], probing?: ReadonlySet<string>) => {
        let best: (typeof lanes)[number] | undefined;
        const left = campaignLeft - inFlight;
        // A variant whose contacts go to a person asks nobody new while the campaign has its most waiting.
        const full = Object.keys(state.waiting ?? {}).length >= MAX_WAITING_FOR_A_PERSON;
        // Nor one whose contact costs more than the campaign has left (a part carried over may be more than that).
        for (const l of lanes) if (!l.done && !refused?.includes(l.v.id) && !probing?.has(l.v.id) && !(full && state.variants[l.v.id].waitsForPerson) && (l.budget >= l.unit || mayRunAhead(l.budget, l.share, left, l.unit)) && left >= l.unit && (!best || l.budget / l.planned > best.budget / best.planned)) best = l;
        return best;
      };
      /** What the contacts of the batch being formed are paced at, taken from what the campaign has left until their answers say what they moved. */
      let inFlight = 0;
      const notContacted = countNotContacted;
      /** Books a contact the executor carried out (bookContact), and takes what it moved from what the campaign has left. */
      const bookContact = (v: CampaignInput['variants'][number], customerId: string, decisionId: string, r: GuardedResult) => {
        const charged = bookCarriedOut(state, v, customerId, decisionId, r);
        campaignLeft = Math.max(0, cents(campaignLeft - charged - (r.onAcceptance ?? 0)));
        return charged;
      };
      /** Asks the executor for each contact of a batch at once, each with its equal share of what the campaign has left (`batchShare`); throws the first error once every ask is answered. */
      const askAll = async (asks: readonly { v: CampaignInput['variants'][number]; offering: OfferingOf; customerId: string; decisionId: string }[]) => {
        const share = batchShare(campaignLeft, asks.length);
        const settled = await Promise.allSettled(asks.map((a) => askContact(campaignId, a.v, a.offering, a.customerId, a.decisionId, share)));
        const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        // What was carried out before the error is heard again at the retry, under the same ids: nothing twice.
        if (failed) throw failed.reason;
        return settled.map((s) => (s as PromiseFulfilledResult<GuardedResult>).value);
      };
      // Customers whose contact waits for a person are asked again first, each with the variant it
      // was first asked with: the same request under its decision id hears the approval's answer
      // (another variant's offer under that id is an idempotency conflict, which failed every tick).
      // Kept by the campaign, not dropped, so that a contact a person approves is booked to it and
      // its budget (the executor carries it out at the approval; this ask books what it charged).
      // Asked a batch at a time (decision 0089), the campaign saved once a batch.
      const waitingNow = Object.entries(state.waiting ?? {}).flatMap(([customerId, variantId]) => {
        const v = state.input.variants.find((x) => x.id === variantId);
        return v ? [{ customerId, v, offering: services().decisions.catalogue.byId.get(v.offerId), decisionId: contactOf(state, customerId, v.id) }] : [];
      });
      for (let at = 0; at < waitingNow.length && !held; at += contactsPerBatch) {
        const group = waitingNow.slice(at, at + contactsPerBatch);
        for (const w of group) byDecision.set(w.decisionId, { campaignId, variantId: w.v.id, customerId: w.customerId });
        const answered = await askAll(group);
        let changed = false;
        group.forEach(({ customerId, v, decisionId }, i) => {
          const r = answered[i];
          if (r.status === 'pending-approval') return;
          changed = true;
          delete state.waiting![customerId];
          // Carried out (booked below) or not: no longer held for it.
          campaignLeft = cents(campaignLeft + (waitingCost[customerId] ?? 0));
          delete waitingCost[customerId];
          if (r.status === 'executed') {
            const charged = bookContact(v, customerId, decisionId, r);
            const lane = lanes.find((l) => l.v.id === v.id);
            if (lane) lane.budget -= Math.max(MIN_PACING_COST, charged + (r.onAcceptance ?? 0));
          } else {
            // Rejected by the person, expired, or refused when approved: the customer is left out, by why.
            const why = r.status === 'refused' ? (r.verdict?.guardrail ?? 'refused') : r.status;
            leftOut(why);
            notContacted(state.variants[v.id], why);
          }
        });
        if (changed) await save(state);
      }
      /** Whether a variant not in `refused` still runs (not paused, with a share): another arm for a customer whose offers those were. */
      const anotherArm = (refused: readonly string[]) => state.input.variants.some((x) => !refused.includes(x.id) && !allocation.paused.includes(x.id) && (allocation.shares[x.id] ?? 0) > 0);
      /** Customers with refused offers put to the back of the queue this tick because no lane left in it could reach them. */
      const passed = new Set<string>();
      /** A contact of a batch: who, with which variant, under which id, served by which lane and paced at what. */
      type Contact = { customerId: string; v: CampaignInput['variants'][number]; offering: OfferingOf; decisionId: string; lane: (typeof lanes)[number]; paced: number };
      /** Where a contact's customer goes once its answer is heard: out of the queue, back at its head (asked again this tick or the next), or to its back. */
      type Placement = 'out' | 'head' | 'back';
      /**
       * Takes the next batch's contacts off the head of the queue (at most `contactsPerBatch`), each
       * with the variant of the lane that has used the least of its part, as the contacts one at a
       * time were chosen, paced at its lane's typical price until its answer says what it moved.
       * While a variant still running is not known to carry its contacts out (its last one went to a
       * person, was only advised, or it has carried none out yet), a batch holds one contact of each
       * variant: its answer says whether it waits for a person, and such a variant asks one new approval
       * a tick, as before batches (the approvers' queue grows by a contact a variant a tick, not ten).
       * A batch ends where the hold is read next (HOLD_READ_EVERY_CONTACTS), so a pause lets no more go.
       */
      const formBatch = async (): Promise<{ contacts: Contact[]; last: boolean; changed: boolean }> => {
        const contacts: Contact[] = [];
        // A lane that asks nobody new while the campaign has its most waiting for a person (nextLane) probes
        // nothing: counted, it held every batch of the tick to one contact a variant (batching lost).
        const full = Object.keys(state.waiting ?? {}).length >= MAX_WAITING_FOR_A_PERSON;
        const probe = lanes.some((l) => !l.done && state.variants[l.v.id].waitsForPerson !== false && !(full && state.variants[l.v.id].waitsForPerson));
        const probing = new Set<string>();
        let changed = false;
        const size = Math.min(contactsPerBatch, HOLD_READ_EVERY_CONTACTS - sinceRead);
        while (contacts.length < size && state.queue.length > 0) {
          let lane = nextLane(undefined, probing);
          if (!lane) break;
          const customerId = state.queue[0];
          // One the back end refused a variant's offer for: contacted with another variant, each under an id of its own.
          const again = state.reasked?.[customerId];
          // A customer asked before with another variant whose answer a crash kept the campaign from
          // saving (it came between the executor's answer and the save) is asked again as first asked:
          // the executor keeps each request id's first ask (another variant under it is a conflict).
          // One whose offer was refused is asked again with the variant saved before it was asked.
          const first = again ? state.input.variants.find((x) => x.id === again.with) : await firstAskedVariant(state, decisionIdOf(campaignId, customerId));
          // Drawn when the campaign opened, checked again now: one who left its segment since (a
          // churn score slipped under the intent's 0.1) or is no longer active is not contacted. One
          // asked already (a crash before the save) is asked again instead, to book what was done.
          const gone = first ? undefined : eligibility(customerId);
          if (gone) {
            state.queue.shift();
            leftOut(gone);
            changed = true;
            continue;
          }
          // The variants whose offering may not go to them now (its eligibility rule) are passed over as
          // the refused ones are: another variant reaches them, or they are left out, not eligible.
          const barred = first ? [] : barredFor(customerId);
          const refused = barred.length > 0 ? [...(again?.refused ?? []), ...barred] : again?.refused;
          if (refused && !first && refused.includes(lane.v.id)) {
            const other = nextLane(refused, probing);
            if (!other) {
              state.queue.shift();
              changed = true;
              // No variant still running reaches them: left out, the offers refused (or not theirs to have), not them.
              // One that runs but has no part left in this tick reaches them at a later one.
              if (!anotherArm(refused)) leftOut(barred.length > 0 && !anotherArm(barred) ? NOT_ELIGIBLE : OFFER_REFUSED);
              else if (!passed.has(customerId)) {
                passed.add(customerId);
                state.queue.push(customerId);
              } else {
                state.queue.unshift(customerId);
                return { contacts, last: true, changed };
              }
              continue;
            }
            lane = other;
          }
          const v = first && first.id !== lane.v.id ? first : lane.v;
          if (again && !again.with) {
            // Saved before it is asked (with the batch), so a crash after the answer asks it again with this variant.
            again.with = v.id;
            changed = true;
          }
          state.queue.shift();
          const decisionId = contactOf(state, customerId, v.id);
          const offering = v === lane.v ? lane.offering : services().decisions.catalogue.byId.get(v.offerId);
          // Paced at the customer's own price (what the executor will check, when this process holds their
          // twin): the batch takes the contacts one at a time would have made, had each been carried out.
          const paced = Math.max(MIN_PACING_COST, offerCost(v.offerId, customerId));
          lane.budget -= paced;
          inFlight += paced;
          if (probe) probing.add(lane.v.id);
          contacts.push({ customerId, v, offering, decisionId, lane, paced });
        }
        return { contacts, last: false, changed };
      };
      /** Books one contact's answer as the contacts one at a time did, and says where its customer goes. */
      const settle = (c: Contact, r: GuardedResult): Placement => {
        const { customerId, v, decisionId, lane } = c;
        const vs = state.variants[v.id];
        const guardrail = r.status === 'refused' ? (r.verdict?.guardrail ?? 'refused') : undefined;
        // Every refusal is saved as it is made: the counts read through the API agree with the audit trail's refusals.
        if (guardrail === 'run-budget') {
          // This customer's price is above what the campaign has left: set aside, asked again once it
          // fits (an answer may free a reservation), given up once it never can; the variant stops for the tick.
          notContacted(vs, guardrail);
          const price = r.cost ?? Infinity;
          if (price > ceiling) leftOut(OVER_BUDGET);
          else dear[customerId] = price;
          lane.done = true;
          return 'out';
        }
        if (guardrail !== undefined && NOT_NOW_GUARDRAILS.has(guardrail)) {
          notContacted(vs, guardrail);
          notNow = true;
          return 'head';
        }
        if (guardrail === OFFER_ELIGIBILITY) {
          // The owner's executor found the offering may not go to them (over partition workers, or their
          // facts changed since the check above): another variant still running is tried on them, under
          // an id of its own (contactOf), as for an offer the back end refused; with none, left out.
          notContacted(vs, guardrail);
          const barredNow = ((state.reasked ??= {})[customerId] ??= { refused: [] });
          if (!barredNow.refused.includes(v.id)) barredNow.refused.push(v.id);
          delete barredNow.with;
          if (anotherArm(barredNow.refused)) return 'back';
          leftOut(NOT_ELIGIBLE);
          return 'out';
        }
        if (guardrail !== undefined && CUSTOMER_GUARDRAILS.has(guardrail)) {
          // The customer may not be contacted (no consent, opted out, capped): left out, with the rule.
          leftOut(guardrail);
          notContacted(vs, guardrail);
          return 'out';
        }
        if (r.status === 'failed' || r.status === 'refused') {
          // The variant itself failed (the back end cannot deliver it, a cap on what it is): counted
          // for the flow to pause it; the customer goes to the back of the queue for another variant.
          vs.failed = (vs.failed ?? 0) + 1;
          vs.lastFailure = r.reason;
          notContacted(vs, guardrail ?? 'failed');
          if (++lane.failures >= MAX_FAILURES_PER_TICK) lane.done = true;
          // Refused for good (a customer who has left: customer_not_active), the request's answer
          // is kept under the customer's one decision id (guarded-executor.ts): asked again, with any
          // variant, it cannot pass, so the customer is left out, by why. Put back in the queue, a
          // customer who had left was asked every tick for the rest of the campaign. A refusal of the
          // variant's offer (about: offer) is not the customer's: another variant still running is
          // tried on them, under an id of its own (contactOf); with none, they are left out saying so.
          if (r.status === 'failed' && r.retryable === false && r.about === 'offer') {
            const refused = ((state.reasked ??= {})[customerId] ??= { refused: [] });
            if (!refused.refused.includes(v.id)) refused.refused.push(v.id);
            delete refused.with;
            if (anotherArm(refused.refused)) return 'back';
            leftOut(OFFER_REFUSED);
            return 'out';
          }
          if (r.status === 'failed' && r.retryable === false) {
            leftOut(BACK_END_REFUSED);
            return 'out';
          }
          return 'back';
        }
        // Advised or waiting for a person: this variant stops for the tick (one new approval a variant a tick).
        if (r.status !== 'executed') {
          notContacted(vs, r.status);
          lane.done = true;
          if (r.status !== 'pending-approval') return 'head';
          // Out of the queue, so the campaign goes on with the next customers at the next tick; asked
          // again at each tick with this variant (above) until the person answers. What it would
          // cost is held against the budget meanwhile.
          (state.waiting ??= {})[customerId] = v.id;
          const heldCost = cents(r.cost ?? 0);
          waitingCost[customerId] = heldCost;
          campaignLeft = Math.max(0, cents(campaignLeft - heldCost));
          vs.waitsForPerson = true;
          return 'out';
        }
        vs.waitsForPerson = false;
        const charged = bookContact(v, customerId, decisionId, r);
        // The tick's budget pays for every offer being accepted: its acceptance-paid part too.
        lane.budget -= Math.max(MIN_PACING_COST, charged + (r.onAcceptance ?? 0));
        return 'out';
      };
      // The contacts go out a batch at a time (decision 0089): each contact judged by the policy on its
      // own (consent, contact rules, quiet hours, budgets), the batch asked at once, each contact with an
      // equal share of what the campaign has left so the batch never spends past it, and the campaign
      // (who is left in its queue, what was booked) saved once a batch. A crash in a batch loses none of
      // it (its customers are still at the head of the queue as last saved) and repeats none (asked again
      // under their decision ids, those carried out are answered as they were, charged once).
      while (!held && !notNow && state.queue.length > 0) {
        if (sinceRead >= HOLD_READ_EVERY_CONTACTS) {
          sinceRead = 0;
          if ((held = await heldNow())) break;
        }
        const { contacts, last, changed } = await formBatch();
        if (contacts.length === 0) {
          if (changed) await save(state);
          if (last || !nextLane()) break;
          continue;
        }
        // A variant chosen for a customer asked again after a refused offer is kept before it is asked, with the batch still in the queue.
        if (contacts.some((c) => state.reasked?.[c.customerId]?.with !== undefined)) await save({ ...state, queue: [...contacts.map((c) => c.customerId), ...state.queue] });
        // Each contact is a decision like next-best-action's, in the one log: its answer comes back
        // against it (a customer tried again with another variant keeps the first one's).
        const at = services().clock.now();
        await Promise.all(
          contacts.map((c) => {
            byDecision.set(c.decisionId, { campaignId, variantId: c.v.id, customerId: c.customerId });
            return services().decisions.logDecision({ decisionId: c.decisionId, customerId: c.customerId, at, channel: c.v.channel, ...variantChoice(allocation, state.input.variants, c.v.offerId) });
          }),
        );
        sinceRead += contacts.length;
        const answered = await askAll(contacts);
        const leftBefore = campaignLeft;
        inFlight = 0;
        const heads: string[] = [];
        const backs: string[] = [];
        /** Contacts refused only because of the split (their price fits what the campaign had left): asked again, alone. */
        const alone: Contact[] = [];
        const place = (c: Contact, where: Placement) => (where === 'head' ? heads : where === 'back' ? backs : undefined)?.push(c.customerId);
        contacts.forEach((c, i) => {
          const r = answered[i];
          const vs = state.variants[c.v.id];
          vs.tried = (vs.tried ?? 0) + 1;
          c.lane.budget += c.paced;
          if (contacts.length > 1 && r.status === 'refused' && r.verdict?.guardrail === 'run-budget' && (r.cost ?? Infinity) <= leftBefore) alone.push(c);
          else place(c, settle(c, r));
        });
        for (const c of alone) {
          if (notNow || c.lane.done) {
            heads.push(c.customerId);
            continue;
          }
          const [r] = await askAll([c]);
          place(c, settle(c, r));
        }
        state.queue.unshift(...heads);
        state.queue.push(...backs);
        await save(state);
        if (last) break;
      }
      // The control customers whose turn came with this tick's are judged as they were: in the comparison, or left out.
      judgeControlTurns(state, eligibility);
      // What each variant did not use of its part, up to one contact's worth, waits for the next tick; what
      // it overdrew running a contact ahead (mayRunAhead) is a debt its next parts repay before it contacts again.
      for (const l of lanes) state.variants[l.v.id].carried = cents(Math.min(l.unit, l.budget));
      state.lastAppliedTick = allocation.tick;
      const history = (state.history ??= []);
      // Spent as the campaign's spent reads (view): the contacts' costs and its accepted offers' committed
      // parts (an allocation row read "spent 0" while 61.8 of an accepted discount was committed).
      const spentNow = cents(state.spent + settledTotal(await settledOf(state)).committed);
      history.push({ tick: allocation.tick, at: allocation.at ?? null, shares: allocation.shares, paused: allocation.paused, held, remainingBudget: allocation.remainingBudget, spent: spentNow });
      if (history.length > MAX_HISTORY) history.splice(0, history.length - MAX_HISTORY);
      await save(state);
      // Those judged out of the comparison are held out no longer: nothing measures them, and other
      // flows may reach them again (after the save, so a crash between leaves them held until the
      // next tick's release, never released while still compared).
      const judgedOut = Object.entries(state.controlJudged ?? {}).flatMap(([id, v]) => (v === true ? [] : [id]));
      if (judgedOut.length > 0) await services().holdouts.release({ flow: 'campaign', runId: campaignId }, judgedOut);
    },
    async close(campaignId, ending) {
      const state = await load(campaignId);
      if (!state) return { withdrawn: 0, booked: 0 };
      // Kept as it goes: a crash part-way resumes with the customers still waiting, and counts each once.
      const closed = (state.closed ??= { at: services().clock.now(), endedBy: ending.endedBy, reason: ending.reason, withdrawn: 0, booked: 0 });
      const waitingCost = (state.waitingCost ??= {});
      for (const [customerId, variantId] of Object.entries(state.waiting ?? {})) {
        const v = state.input.variants.find((x) => x.id === variantId);
        const decisionId = contactOf(state, customerId, variantId);
        // Withdrawn where it waits (the approval queue, shared by every process); one decided meanwhile
        // is heard by asking again, through the customer's owner on a partition worker: approved and
        // carried out, it is the campaign's contact, booked to it; rejected or refused, left out by why.
        const pending = (await services().approvals.get(approvalIdOf(decisionId)))?.status === 'pending';
        const w = pending || !v ? await services().guarded.withdraw(approvalIdOf(decisionId), closed.reason) : undefined;
        const r = w?.withdrawn || !v ? w : await askContact(campaignId, v, services().decisions.catalogue.byId.get(v.offerId), customerId, decisionId, waitingCost[customerId] ?? 0);
        // Approved but held by the customer's quiet hours: not carried out after the end either.
        const heard = r?.status === 'pending-approval' ? await services().guarded.withdraw(approvalIdOf(decisionId), closed.reason) : r;
        delete state.waiting![customerId];
        delete waitingCost[customerId];
        const vs = v && state.variants[v.id];
        if (heard?.status === 'executed' && v) {
          bookCarriedOut(state, v, customerId, decisionId, heard as GuardedResult);
          closed.booked++;
        } else {
          const why = heard && 'withdrawn' in heard && heard.withdrawn ? WITHDRAWN_AT_END : heard?.status === 'refused' ? ((heard as GuardedResult).verdict?.guardrail ?? 'refused') : (heard?.status ?? WITHDRAWN_AT_END);
          if (why === WITHDRAWN_AT_END) closed.withdrawn++;
          countLeftOut(state, why);
          if (vs) countNotContacted(vs, why);
        }
        await save(state);
      }
      closed.done = true;
      await save(state);
      log(`campaign ${campaignId}: closed (${closed.reason}): ${closed.withdrawn} approval${closed.withdrawn === 1 ? '' : 's'} withdrawn, ${closed.booked} contact${closed.booked === 1 ? '' : 's'} approved before the end booked`);
      return { withdrawn: closed.withdrawn, booked: closed.booked };
    },
    async stats(campaignId) {
      const state = await load(campaignId);
      if (!state) return { variants: [] };
      return { ...statsOf(state, await churnedAmong(watched(state)), await answersKept(state), await settledOf(state), await contaminationOfCampaign(state)), toContact: toContactOf(state) };
    },
    async view(campaignId, o = {}) {
      const r = await records.get<CampaignState>('campaigns', campaignId);
      if (!r) return null;
      const s = r.body;
      const settled = await settledOf(s);
      const contaminated = await contaminationOfCampaign(s);
      const stats = statsOf(s, o.churn === false ? new Set() : await churnedAmong(watched(s)), await answersKept(s), settled, contaminated);
      const total = settledTotal(settled);
      const spent = cents(s.spent + total.committed);
      const reserved = cents(total.reserved + waitingTotal(s));
      return {
        campaignId,
        idle: idleVariants(s, stats.variants, budgetLeft(s.input.budget, spent, reserved), offerCost),
        budget: s.input.budget,
        spent,
        reserved,
        controlShare: s.input.controlShare,
        audienceLeft: s.queue.length,
        audienceUsedUp: toContactOf(s) === 0,
        awaitingApproval: Object.keys(s.waiting ?? {}).length,
        awaitingBudget: Object.keys(s.dear ?? {}).length,
        treated: Object.keys(s.treated).length,
        leftOut: s.left ?? {},
        ...(s.closed ? { closed: { at: s.closed.at, endedBy: s.closed.endedBy, reason: s.closed.reason, withdrawn: s.closed.withdrawn, booked: s.closed.booked } } : {}),
        variants: stats.variants,
        control: stats.control && (contaminated ? { ...stats.control, contaminated } : stats.control),
        history: s.history ?? [],
      };
    },
    async treatedIds(campaignId) {
      return Object.keys((await records.get<CampaignState>('campaigns', campaignId))?.body.treated ?? {});
    },
    candidatesPage,
    churnedHere,
    observe(events) {
      const changed = new Set<CampaignState>();
      for (const e of events) {
        if (e.kind !== 'offer' || !e.data.decisionId?.startsWith('cmp:')) continue;
        if (across) {
          // The customer is this worker's; the campaign may run on another: its answer is kept where
          // every process reads it, once per decision and answer (a redelivered event writes the same
          // record). A presentation is counted where the contact was made.
          if (answerOfAction(e.data.action) === undefined) continue;
          const key = `${e.data.decisionId}|${e.data.action}`;
          void records
            .put(CAMPAIGN_ANSWERS, key, { customerId: e.customerId, at: Date.parse(e.time) })
            .catch((err: Error) => log(`campaign answer ${key} (customer ${e.customerId}) not kept in the shared store (${err.message}): the campaign's report counts it out`));
          continue;
        }
        const link = byDecision.get(e.data.decisionId);
        const state = link && states.get(link.campaignId);
        const answer = answerOfAction(e.data.action);
        if (!state || !link || !answer) continue;
        // One answer per customer, saved as heard: the API and the console read the saved state.
        const answers = (state.answers ??= {});
        const after = answerAfter(answers[link.customerId], answer);
        if (answers[link.customerId] === after) continue;
        answers[link.customerId] = after;
        changed.add(state);
      }
      for (const state of changed) saveAnswers(state);
    },
  };
}
