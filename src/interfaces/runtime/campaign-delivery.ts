import { cents } from '../../decisioning/action-pricing.js';
import type { CampaignAllocation, CampaignInput, CampaignStats } from '../../agents/flows/campaign-management-flow.js';
import type { TwinEvent } from '../../domain/events.js';
import { fnv1a32 } from '../../domain/string-hash.js';
import { MAX_PAGE_SIZE, type RecordStore } from '../../store/record-store.js';
import { MIN_FAILURES_TO_PAUSE } from '../../agents/flows/campaign-bandit.js';
import { CONTACT_RULES } from '../../decisioning/contact-policy.js';
import { FEATURE_INDEX } from '../../twin/twin-features.js';
import { walkTwinsInPartitionOrder, type PartitionKey } from '../../twin/partition-order.js';
import type { OfferKind } from '../../twin/twin-responses.js';
import { planCampaignAudience, type AudienceCandidate } from '../../agents/flows/campaign-audience.js';
import type { GuardedExecutor } from '../../agents/governance/guarded-executor.js';
import { OFFER_SETTLEMENTS, type OfferSettlement } from '../../agents/governance/offer-settlement.js';
import type { FeatureFilter } from '../../twin/feature-filter.js';
import type { OperatorServices } from './operator-services.js';
import { offeringParams } from './decision-actions.js';

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
/** What one contact counts against a campaign's pacing at least, so that a free offering still paces. */
const MIN_CONTACT_COST = 0.05;
/** Largest audience drawn for a campaign. */
const MAX_AUDIENCE = 20_000;
/** Who may be in a campaign's audience, besides its segment: a customer who has not churned and holds a plan. */
const CANDIDATE_FILTERS: readonly FeatureFilter[] = [
  { field: 'churned', op: '!=', value: 1 },
  { field: 'active_plans', op: '>', value: 0 },
];

interface VariantState {
  presented: number;
  accepted: number;
  declined: number;
  spent: number;
  /** Contacts the back end failed or refused, or the policy refused for the variant itself. */
  failed?: number;
  lastFailure?: string;
}

/** Failed contacts after which a variant stops for the tick: enough for the flow to judge it undeliverable. */
const MAX_FAILURES_PER_TICK = MIN_FAILURES_TO_PAUSE;
/** Refusals that concern the customer, not the variant: the customer is left out of the campaign. */
const CUSTOMER_GUARDRAILS: ReadonlySet<string> = new Set([...CONTACT_RULES, 'cost-cap'].filter((r) => r !== 'quiet-hours'));
/** Refusals that say "not now" for everyone: the tick stops and its customers wait for the next one. */
const NOT_NOW_GUARDRAILS: ReadonlySet<string> = new Set(['budget', 'quiet-hours']);

/** One tick's split as the delivery side applied it: the allocation over time. */
export interface AllocationPoint {
  readonly tick: number;
  /** Event time of the tick (ms), null when the flow did not say. */
  readonly at: number | null;
  readonly shares: Readonly<Record<string, number>>;
  readonly paused: readonly string[];
  /** A person held the campaign: nobody was contacted this tick. */
  readonly held: boolean;
  readonly remainingBudget: number;
  /** Spent so far, after the tick. */
  readonly spent: number;
}
/** Ticks of allocation kept per campaign (a daily campaign's year and more). */
const MAX_HISTORY = 500;

/** Where a person's hold on a campaign is kept (by campaign id), read at every tick. */
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
  readonly treated: number;
  readonly leftOut: Readonly<Record<string, number>>;
  readonly variants: CampaignStats['variants'];
  readonly control: CampaignStats['control'];
  readonly history: readonly AllocationPoint[];
}

interface CampaignState {
  input: Pick<CampaignInput, 'campaignId' | 'variants' | 'budget' | 'controlShare' | 'seed'>;
  /** Ticks already applied: the flow's step is at-least-once, a repeated tick contacts nobody new. */
  lastAppliedTick: number;
  queue: string[];
  control: string[];
  treated: Record<string, string>;
  /** Customers of the audience left out, by the rule that refused them (consent, opt-out, caps…, `sleeping-dog` when drawn). */
  left?: Record<string, number>;
  /** Expected acceptance of each variant's offer kind over the audience, from their profiles (the bandit's prior). */
  priorAcceptance?: Record<string, number>;
  variants: Record<string, VariantState>;
  /** What the contacts cost when made (offers' acceptance-paid parts are counted from their settlements). */
  spent: number;
  /** The split of every tick applied, oldest first (at most MAX_HISTORY). */
  history?: AllocationPoint[];
}

const hash = (s: string, seed: number): number => fnv1a32(s, seed) / 4294967296;

/** Where the answers to a campaign's offers are kept when its customers' owners are other processes (partition workers): by `<decisionId>|<answer>`. */
const CAMPAIGN_ANSWERS = 'campaign-answers';
type Answer = 'presented' | 'accepted' | 'declined';

/** Longest decision id: an offer event's (its answers come back under it). */
const MAX_DECISION_ID = 128;
/** How much of a campaign's id its every decision id starts with: room left for a hash, and a prefix to list its answers by. */
const CAMPAIGN_ID_KEPT = 64;
/** The second seed of a decision id's 64-bit hash (two FNV-1a of 32 bits; any fixed value but 0). */
const SECOND_HASH_SEED = 0x5bd1e995;
const hex32 = (n: number) => n.toString(16).padStart(8, '0');

/**
 * The decision id a campaign's contact of a customer goes under (the guarded executor's request
 * id: asked again, answered from the first time): `cmp:<campaign>:<customer>`, and when that is
 * longer than an event carries, the campaign id's first 64 characters and a 64-bit hash of both
 * ids. Cut short instead, every customer of a long campaign id had the same id (answered, after
 * the first, from the first customer's contact).
 */
const decisionIdOf = (campaignId: string, customerId: string): string => {
  const whole = `cmp:${campaignId}:${customerId}`;
  if (whole.length <= MAX_DECISION_ID) return whole;
  const key = `${campaignId}:${customerId}`;
  return `cmp:${campaignId.slice(0, CAMPAIGN_ID_KEPT)}~${hex32(fnv1a32(key))}${hex32(fnv1a32(key, SECOND_HASH_SEED))}`;
};
/** What every decision id of a campaign starts with (others' too may: the ids themselves tell them apart). */
const decisionPrefixOf = (campaignId: string) => `cmp:${campaignId.slice(0, CAMPAIGN_ID_KEPT)}`;

/**
 * The answers to a campaign's offers that its customers' owners kept in the shared store (on
 * partition workers the offer events come back to the customer's owner, not to the process
 * running the campaign), per variant, counted once per customer and answer.
 */
async function sharedAnswers(records: RecordStore, state: CampaignState): Promise<Map<string, Record<Answer, number>>> {
  const variantOf = new Map(Object.entries(state.treated).map(([customerId, variantId]) => [decisionIdOf(state.input.campaignId, customerId), variantId]));
  const out = new Map<string, Record<Answer, number>>();
  const prefix = decisionPrefixOf(state.input.campaignId);
  for (let after: string | undefined; ; ) {
    const page = await records.list<unknown>(CAMPAIGN_ANSWERS, { prefix, limit: MAX_PAGE_SIZE, ...(after ? { after } : {}) });
    for (const r of page) {
      const cut = r.id.lastIndexOf('|');
      const variantId = variantOf.get(r.id.slice(0, cut));
      // As one process counts them (observe): anything but presented and accepted (declined, ignored after its window) is a no.
      const action = r.id.slice(cut + 1);
      const answer: Answer = action === 'presented' || action === 'accepted' ? action : 'declined';
      if (!variantId) continue;
      const counts = out.get(variantId) ?? { presented: 0, accepted: 0, declined: 0 };
      counts[answer]++;
      out.set(variantId, counts);
    }
    if (page.length < MAX_PAGE_SIZE) return out;
    after = page[page.length - 1].id;
  }
}

/** Per variant: what its accepted offers' acceptance-paid parts committed, and what is still reserved for those unanswered. */
type Settled = ReadonlyMap<string, { committed: number; reserved: number }>;

/**
 * The settlements of a campaign's offers (its decision ids are their request ids), per variant:
 * kept in the record store by whichever process presented them, so every process reads the same.
 */
async function settledOf(records: RecordStore, state: CampaignState): Promise<Settled> {
  const variantOf = new Map(Object.entries(state.treated).map(([customerId, variantId]) => [decisionIdOf(state.input.campaignId, customerId), variantId]));
  const out = new Map<string, { committed: number; reserved: number }>();
  for (let after: string | undefined; ; ) {
    const page = await records.list<OfferSettlement>(OFFER_SETTLEMENTS, { prefix: decisionPrefixOf(state.input.campaignId), limit: MAX_PAGE_SIZE, ...(after ? { after } : {}) });
    for (const r of page) {
      const variantId = variantOf.get(r.id);
      if (!variantId) continue;
      const t = out.get(variantId) ?? { committed: 0, reserved: 0 };
      if (r.body.state === 'committed') t.committed += r.body.amount;
      else if (r.body.state === 'reserved') t.reserved += r.body.amount;
      out.set(variantId, t);
    }
    if (page.length < MAX_PAGE_SIZE) return out;
    after = page[page.length - 1].id;
  }
}
const settledTotal = (settled: Settled) => [...settled.values()].reduce((a, t) => ({ committed: a.committed + t.committed, reserved: a.reserved + t.reserved }), { committed: 0, reserved: 0 });

/** The customers whose churn a campaign's stats read: its treated and its control group. */
const watched = (state: CampaignState) => [...Object.keys(state.treated), ...state.control];

/** No answers kept by other owners: a campaign whose customers are all this process's counts its answers as they come. */
const NO_SHARED_ANSWERS: ReadonlyMap<string, Record<Answer, number>> = new Map();

/** The stats the flow reads, from a saved state, the churned among its customers and the answers kept by other owners. */
function statsOf(state: CampaignState, churnedSet: ReadonlySet<string>, shared: ReadonlyMap<string, Record<Answer, number>>, settled: Settled): CampaignStats {
  const churned = (id: string) => churnedSet.has(id);
  const treatedBy = new Map<string, { n: number; churned: number }>();
  for (const [customerId, variantId] of Object.entries(state.treated)) {
    const t = treatedBy.get(variantId) ?? { n: 0, churned: 0 };
    t.n++;
    if (churned(customerId)) t.churned++;
    treatedBy.set(variantId, t);
  }
  return {
    variants: state.input.variants.map((v) => ({
      variantId: v.id,
      ...state.variants[v.id],
      ...(shared.has(v.id)
        ? { presented: state.variants[v.id].presented + shared.get(v.id)!.presented, accepted: state.variants[v.id].accepted + shared.get(v.id)!.accepted, declined: state.variants[v.id].declined + shared.get(v.id)!.declined }
        : {}),
      spent: cents(state.variants[v.id].spent + (settled.get(v.id)?.committed ?? 0)),
      reserved: cents(settled.get(v.id)?.reserved ?? 0),
      treated: treatedBy.get(v.id)?.n ?? 0,
      treatedChurned: treatedBy.get(v.id)?.churned ?? 0,
      ...(state.priorAcceptance?.[v.id] === undefined ? {} : { priorAcceptance: state.priorAcceptance[v.id] }),
    })),
    control: { customers: state.control.length, churned: state.control.filter(churned).length },
  };
}

export interface CampaignDelivery {
  /** Registers a campaign (idempotent) before its flow starts. */
  open(input: CampaignInput): Promise<void>;
  apply(campaignId: string, allocation: CampaignAllocation): Promise<void>;
  stats(campaignId: string): Promise<CampaignStats>;
  /**
   * A campaign's delivery as last saved (variants' answers, control, allocation over time), or
   * null when no campaign of that id was opened. Read from the record store, so any process sees
   * it; the churn among its customers is asked where their twins are (on a partition worker, of
   * their owners) unless `churn` is false (a list that shows none: counted as none churned).
   */
  view(campaignId: string, o?: { readonly churn?: boolean }): Promise<CampaignDeliveryView | null>;
  observe(events: readonly TwinEvent[]): void;
  /**
   * A page of the audience's candidates among the twins this process holds that `keep` answers for
   * (a worker's live partitions): at most `limit`, after `after` in the partition order, and the
   * last one's key when more may follow (null on the last page). A worker's part of a campaign
   * spanning the workers is read this way, a page per request, never all its candidates at once.
   */
  candidatesPage(segment: readonly FeatureFilter[], after: PartitionKey | null, limit: number, keep: (customerId: string) => boolean): { items: AudienceCandidate[]; next: PartitionKey | null };
  /** Which of `customerIds` held here (and `here` answers for, when given) have churned. */
  churnedHere(customerIds: readonly string[], here?: (customerId: string) => boolean): string[];
}

/**
 * How a campaign reaches the whole population when this process holds only some of it (a
 * partition worker, docs/scale.md): the audience's candidates of every partition, each once; the
 * churned among its customers, each asked of its owner; and the guarded executor of each
 * customer's owner (consent, contact rules, price and budgets judged where the twin is).
 */
export interface CampaignAcrossWorkers {
  audience(segment: readonly FeatureFilter[]): Promise<AudienceCandidate[]>;
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
}

/**
 * Builds the delivery side over the services and the record store; `across` on a partition
 * worker, where the campaign's audience, churn and actions are the owners' of its customers, and
 * the answers to its offers come back to them (each owner keeps its customers' in CAMPAIGN_ANSWERS).
 */
export function campaignDelivery(
  services: () => OperatorServices,
  records: RecordStore,
  offerCost: (offerId: string) => number,
  reader?: AudienceReader,
  across?: () => CampaignAcrossWorkers,
  log: (line: string) => void = () => undefined,
): CampaignDelivery {
  const states = new Map<string, CampaignState>();
  const byDecision = new Map<string, { campaignId: string; variantId: string }>();
  const load = async (id: string): Promise<CampaignState | undefined> => {
    if (!states.has(id)) {
      const r = await records.get<CampaignState>('campaigns', id);
      if (r) {
        states.set(id, r.body);
        for (const [customerId, variantId] of Object.entries(r.body.treated)) byDecision.set(decisionIdOf(id, customerId), { campaignId: id, variantId });
      }
    }
    return states.get(id);
  };
  const save = (s: CampaignState) => records.put('campaigns', s.input.campaignId, s).then(() => undefined);
  const candidateFilters = (segment: readonly FeatureFilter[]) => [...segment, ...CANDIDATE_FILTERS];
  /**
   * The audience's candidates among the twins `keep` answers for, in the partition order after
   * `after`, up to `limit`: each read from the walk's features (the three a value proxy needs),
   * never a twin's whole feature list. One process reads them all at once, a worker a page at a time.
   */
  const candidatesWalk = (segment: readonly FeatureFilter[], after: PartitionKey | null, limit: number, keep: (customerId: string) => boolean) => {
    const items: AudienceCandidate[] = [];
    const { next } = walkTwinsInPartitionOrder(services().twins.engine, candidateFilters(segment), after ?? undefined, limit, keep, (customerId, f) =>
      items.push({
        customerId,
        // Without a churn model, a value proxy: spend, more of it for a complainer, and overage.
        atStake: reader?.atStake(customerId) ?? f[FEATURE_INDEX.arpu_3m] * (1 + f[FEATURE_INDEX.complaints_90d]) + f[FEATURE_INDEX.months_over_allowance_3m],
        profile: reader?.profile(customerId),
      }) > 0,
    services().scoreFields);
    return { items, next };
  };
  /** Every candidate of the segment held by this process (the whole population, on one process). */
  const candidatesHere = (segment: readonly FeatureFilter[]): AudienceCandidate[] => candidatesWalk(segment, null, Infinity, () => true).items;
  const candidatesPage: CampaignDelivery['candidatesPage'] = candidatesWalk;
  const churnedHere = (ids: readonly string[], here?: (customerId: string) => boolean) => ids.filter((id) => (!here || here(id)) && services().twins.engine.features(id)?.[FEATURE_INDEX.churned] === 1);
  const churnedAmong = async (ids: readonly string[]): Promise<ReadonlySet<string>> => new Set(across ? await across().churnedAmong(ids) : churnedHere(ids));
  // The answers to the offers come back to each customer's owner: kept in the shared store only when that is another process.
  const answersKept = (state: CampaignState) => (across ? sharedAnswers(records, state) : Promise.resolve(NO_SHARED_ANSWERS));

  return {
    async open(input) {
      if (await load(input.campaignId)) return;
      // The audience is the campaign's segment (an intent's, as resolved when planned), over every
      // partition on a worker; the control group is drawn from that audience, not from the whole base.
      const candidates = across ? await across().audience(input.audience ?? []) : candidatesHere(input.audience ?? []);
      const kindOf = (offerId: string) => reader?.kindOf(offerId) ?? 'other';
      const planned = planCampaignAudience(candidates, [...new Set(input.variants.map((v) => kindOf(v.offerId)))], MAX_AUDIENCE);
      const audience = planned.audience.map((r) => r.customerId);
      const control = audience.filter((id) => hash(id, input.seed) < input.controlShare);
      const held = new Set(control);
      const priorAcceptance: Record<string, number> = {};
      for (const v of input.variants) {
        const p = planned.acceptanceByKind[kindOf(v.offerId)];
        if (p !== undefined) priorAcceptance[v.id] = p;
      }
      const state: CampaignState = {
        input: { campaignId: input.campaignId, variants: input.variants, budget: input.budget, controlShare: input.controlShare, seed: input.seed },
        queue: audience.filter((id) => !held.has(id)),
        control,
        ...(planned.sleepingDogs > 0 ? { left: { 'sleeping-dog': planned.sleepingDogs } } : {}),
        priorAcceptance,
        treated: {},
        variants: Object.fromEntries(input.variants.map((v) => [v.id, { presented: 0, accepted: 0, declined: 0, spent: 0 }])),
        spent: 0,
        lastAppliedTick: -1,
      };
      states.set(input.campaignId, state);
      await save(state);
    },
    async apply(campaignId, allocation) {
      const state = await load(campaignId);
      if (!state || allocation.tick <= (state.lastAppliedTick ?? -1)) return;
      // A person's hold (POST /campaigns/:id/pause) is read afresh every tick: while it stands nobody is contacted.
      const held = (await records.get<CampaignHold>(CAMPAIGN_HOLDS, campaignId))?.body.held === true;
      // Offers accepted and offers still waiting for an answer count against the campaign's budget as spent.
      const booked = settledTotal(await settledOf(records, state));
      const tickBudget = Math.min(allocation.remainingBudget, state.input.budget - state.spent - booked.committed - booked.reserved) * TICK_SPEND_SHARE;
      // Set when a refusal holds for every contact now (quiet hours, the budget): nothing more this tick.
      let notNow = false;
      for (const v of held ? [] : state.input.variants) {
        if (notNow) break;
        const share = allocation.shares[v.id] ?? 0;
        if (share <= 0 || allocation.paused.includes(v.id)) continue;
        // A planning estimate to pace the tick; each contact is then counted at the price the executor charged.
        const unit = Math.max(MIN_CONTACT_COST, offerCost(v.offerId));
        let budget = tickBudget * share;
        const offering = services().decisions.catalogue.byId.get(v.offerId);
        const sentAsMessage = offering !== undefined && offering.actionClass === 'communication' && !offering.offering.sandboxOfferId;
        let failures = 0;
        while (budget >= unit && state.queue.length > 0) {
          const customerId = state.queue[0];
          const decisionId = decisionIdOf(campaignId, customerId);
          byDecision.set(decisionId, { campaignId, variantId: v.id });
          const r = await (across?.().guarded() ?? services().guarded).execute({
            id: decisionId,
            // Judged as what the offering is (a discount meets the discount rules), presented to the customer.
            // Priced by the executor from the catalogue at this customer's monthly price.
            actionClass: offering?.actionClass ?? 'offer',
            channel: v.channel,
            customerId,
            domain: 'campaigns',
            // An offer the back end knows is presented; a check-in goes out as a message on the planned channel.
            params: {
              offerId: v.offerId,
              campaignId,
              decisionId,
              variantId: v.id,
              direction: 'outbound',
              ...(offering ? offeringParams(offering, { purpose: 'retention', notificationChannel: v.notificationChannel ?? 'sms', body: offering.offering.treatments[0]?.message }) : { present: true }),
            },
            actor: { kind: 'agent', id: 'campaign-manager' },
            why: { summary: `campaign ${campaignId}, variant ${v.id}, tick ${allocation.tick}` },
          });
          if (r.status === 'refused' && NOT_NOW_GUARDRAILS.has(r.verdict?.guardrail ?? '')) {
            notNow = true;
            break;
          }
          if (r.status === 'refused' && CUSTOMER_GUARDRAILS.has(r.verdict?.guardrail ?? '')) {
            // The customer may not be contacted (no consent, opted out, capped): left out, with the rule.
            state.queue.shift();
            const left = (state.left ??= {});
            left[r.verdict!.guardrail!] = (left[r.verdict!.guardrail!] ?? 0) + 1;
            continue;
          }
          if (r.status === 'failed' || r.status === 'refused') {
            // The variant itself failed (the back end cannot deliver it, a cap on what it is): counted
            // for the flow to pause it; the customer goes to the back of the queue for another variant.
            const vs = state.variants[v.id];
            vs.failed = (vs.failed ?? 0) + 1;
            vs.lastFailure = r.reason;
            state.queue.push(state.queue.shift()!);
            await save(state);
            if (++failures >= MAX_FAILURES_PER_TICK) break;
            continue;
          }
          // Advised or waiting for a person: this variant stops for the tick.
          if (r.status !== 'executed') break;
          state.queue.shift();
          state.treated[customerId] = v.id;
          // A message has no answer to come back as an offer event: it is counted as presented when sent.
          if (sentAsMessage) state.variants[v.id].presented++;
          const charged = Math.max(MIN_CONTACT_COST, r.cost ?? unit);
          state.variants[v.id].spent += charged;
          state.spent += charged;
          // The tick's budget pays for every offer being accepted: its acceptance-paid part too.
          budget -= charged + (r.onAcceptance ?? 0);
          await save(state);
        }
      }
      state.lastAppliedTick = allocation.tick;
      const history = (state.history ??= []);
      history.push({ tick: allocation.tick, at: allocation.at ?? null, shares: allocation.shares, paused: allocation.paused, held, remainingBudget: allocation.remainingBudget, spent: state.spent });
      if (history.length > MAX_HISTORY) history.splice(0, history.length - MAX_HISTORY);
      await save(state);
    },
    async stats(campaignId) {
      const state = await load(campaignId);
      if (!state) return { variants: [] };
      return statsOf(state, await churnedAmong(watched(state)), await answersKept(state), await settledOf(records, state));
    },
    async view(campaignId, o = {}) {
      const r = await records.get<CampaignState>('campaigns', campaignId);
      if (!r) return null;
      const s = r.body;
      const settled = await settledOf(records, s);
      const stats = statsOf(s, o.churn === false ? new Set() : await churnedAmong(watched(s)), await answersKept(s), settled);
      const total = settledTotal(settled);
      return {
        campaignId,
        budget: s.input.budget,
        spent: cents(s.spent + total.committed),
        reserved: cents(total.reserved),
        controlShare: s.input.controlShare,
        audienceLeft: s.queue.length,
        treated: Object.keys(s.treated).length,
        leftOut: s.left ?? {},
        variants: stats.variants,
        control: stats.control,
        history: s.history ?? [],
      };
    },
    candidatesPage,
    churnedHere,
    observe(events) {
      for (const e of events) {
        if (e.kind !== 'offer' || !e.data.decisionId?.startsWith('cmp:')) continue;
        if (across) {
          // The customer is this worker's; the campaign may run on another: its answer is kept where
          // every process reads it, once per decision and answer (a redelivered event writes the same record).
          const key = `${e.data.decisionId}|${e.data.action}`;
          void records
            .put(CAMPAIGN_ANSWERS, key, { customerId: e.customerId, at: Date.parse(e.time) })
            .catch((err: Error) => log(`campaign answer ${key} (customer ${e.customerId}) not kept in the shared store (${err.message}): the campaign's report counts it out`));
          continue;
        }
        const link = byDecision.get(e.data.decisionId);
        const state = link && states.get(link.campaignId);
        if (!state || !link) continue;
        const v = state.variants[link.variantId];
        if (e.data.action === 'presented') v.presented++;
        else if (e.data.action === 'accepted') v.accepted++;
        else v.declined++;
      }
    },
  };
}
