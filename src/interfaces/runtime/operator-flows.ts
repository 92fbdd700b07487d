import { TwinloopError } from '../../domain/errors.js';
import { HARM_THRESHOLD } from '../../agents/retention/learning-planner.js';
import { CAMPAIGN_MANAGEMENT_WORKFLOW_ID, campaignManagementWorkflow, type CampaignInput } from '../../agents/flows/campaign-management-flow.js';
import { proactiveSchedule } from '../../agents/flows/churn-prevention-schedule.js';
import { CHURN_PREVENTION_WORKFLOW_ID, churnPreventionWorkflow, churnPreventionWorkflowId, type ChurnOffer, type ChurnPlanSummary, type ChurnPreventionInput, type ScannedCustomer, type SimulatedCustomerValue } from '../../agents/flows/churn-prevention-flow.js';
import type { GuardedExecutor } from '../../agents/governance/guarded-executor.js';
import { recordDocuments } from '../../store/document-store.js';
import { careCardOf, customerCareWorkflow, DEFAULT_AGENT_DECISION_TIMEOUT_MS, DEFAULT_CARE_APPROVAL_TIMEOUT_MS } from '../../agents/flows/customer-care-flow.js';
import { createIntentObserver, createPlanExecutor, flowInputOf, observationOfCampaignMeasure, observationOfChurnSteps } from '../../agents/flows/intent-execution.js';
import { DEFAULT_ORDER_APPROVAL_TIMEOUT_MS, orderFulfilmentWorkflow } from '../../agents/flows/order-fulfilment-flow.js';
import { compensatedByRun, noticesIdOfRun, resolvesAtClearOfRun, serviceOperationsWorkflows } from '../../agents/flows/service-operations-flow.js';
import { alarmsOnPlace } from '../../agents/flows/suspected-incidents.js';
import type { Alarm } from '../../domain/connectors/network-alarms.js';
import type { ApprovedPlan, ExecutePlan, ObserveIntent, PlanAudience } from '../../agents/intents/intent-service.js';
import type { Intent } from '../../agents/intents/intent-schema.js';
import type { AnyWorkflowDefinition, WorkflowEngine } from '../../agents/workflows/index.js';
import { contextKeyOf } from '../../decisioning/acceptance-model.js';
import { contactHoursOpenAt, DEFAULT_CONTACT_POLICY, marketingConsentRefusal, outsideQuietHours } from '../../decisioning/contact-policy.js';
import { discountPctOf, offerCostFor } from '../../decisioning/offer-catalogue.js';
import { offeringPrice } from '../../decisioning/action-pricing.js';
import type { Clock } from '../../domain/clock.js';
import { compileScenarios, estimate, expectedNetValue, parseScenarios } from '../../simulation/index.js';
import type { Intelligence } from '../../intelligence/live/live-intelligence.js';
import { liveScoreFields, SCORE_FIELDS } from '../../intelligence/live/score-fields.js';
import type { FeatureFilter } from '../../twin/feature-filter.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../../twin/twin-features.js';
import type { RuleContext } from '../../decisioning/offer-eligibility.js';
import { walkTwinsInPartitionOrder, type PartitionKey } from '../../twin/partition-order.js';
import { campaignDelivery, type CampaignAcrossWorkers, type CampaignDelivery } from './campaign-delivery.js';
import { CAMPAIGN_HOLDS, type CampaignHold } from './campaign-state.js';
import type { Bss } from './bss.js';
import { liveTwinSource, type OperatorServices } from './operator-services.js';
import { DAY_MS } from '../../domain/time.js';
import { OFFER_KINDS, offerKindSlot, type OfferKind } from '../../twin/twin-responses.js';
import { startStandingOf } from '../auth/start-standing.js';

/** The contact a churn scan reads an offer's rule in: outbound, in the app. */
const APP_OUTBOUND: RuleContext = { channel: 'app', direction: 'outbound' };

/** Draws of the simulation check a churn-prevention plan gets before it runs (its parameters' uncertainty only: no dice). */
const CHECK_DRAWS = 200;
/**
 * Months over which the check counts what a contact earns: a customer kept this month pays for
 * the months after it (the lab's longest horizon; the lifetime value the plan ranks by spans 36).
 * The cadence, a month, is when the next scan comes, not how long a retained customer is worth keeping.
 */
const CHECK_HORIZON_MONTHS = 12;
/**
 * How well an offer's retention effect is known: the catalogue's figure is a planning assumption,
 * so one standard deviation is half of it (its 90 % interval runs from a sixth of it to nearly
 * double). A contact passes the check when it pays even near the low end: clearly worth it.
 */
const EFFECT_RELATIVE_SD = 0.5;
/** How well the learner's acceptance mean is known (a quarter of it; a few hundred answers per context). */
const ACCEPTANCE_RELATIVE_SD = 0.25;

/**
 * A typical monthly price: the flows plan one cost per offer for a whole audience, where the
 * decision funnel uses each customer's own price.
 */
const TYPICAL_MONTHLY_PRICE = 50;

/**
 * What the offer costs the operator when a typical customer accepts it, or `customerId` when this
 * process holds their twin (at their monthly price, as the guarded executor prices it).
 */
function offerCostOf(s: OperatorServices, offerId: string, customerId?: string): number {
  const offer = s.decisions.catalogue.byId.get(offerId);
  if (!offer) return 0;
  const monthly = customerId === undefined ? undefined : s.twins.engine.features(customerId)?.[FEATURE_INDEX.monthly_price];
  return offerCostFor(offer, monthly ?? TYPICAL_MONTHLY_PRICE);
}


/** A churn-prevention plan's simulation check over some of its customers: each draw's net value summed over them, and each one's expected net value. */
export interface ChurnCheckPart {
  readonly perDraw: readonly number[];
  readonly customers: readonly SimulatedCustomerValue[];
}

/** A page of a churn scan: its customers, where the next page starts (null: none), and the churn model whose scores it read. */
export interface ChurnScanPage {
  readonly items: ScannedCustomer[];
  readonly next: PartitionKey | null;
  readonly model: string;
}

/**
 * A partition worker's part of a churn-prevention run that spans the workers (docs/scale.md):
 * the scan and the simulation check over the customers this process answers for.
 */
export interface ChurnWorkHere {
  /**
   * A page of the scanned customers among those `here` answers for, in the partition order after
   * `after`; `next` null on the last; `model`: the churn model whose scores it read. UNAVAILABLE
   * while no model is served here (an empty page would drop this process's customers from the scan).
   */
  scanPage(segment: readonly FeatureFilter[], offerIds: readonly string[], after: PartitionKey | null, limit: number, here: (customerId: string) => boolean): ChurnScanPage;
  /** The check of the plan's customers among those `here` answers for (the others are left out). */
  check(summary: ChurnPlanSummary, here: (customerId: string) => boolean): ChurnCheckPart;
  /** Every scanned customer of this process (one process's whole run), a slice at a time, the event loop let go between slices. */
  scan(segment: readonly FeatureFilter[], offerIds: readonly string[]): Promise<ScannedCustomer[]>;
}

/**
 * How a churn-prevention run reaches the whole population when this process holds only some of
 * it (a partition worker): each worker's part of the scan and the check, put together, and the
 * guarded executor of each customer's owner (consent and money checked where the twin is).
 */
export interface ChurnAcrossWorkers {
  scan(segment: readonly FeatureFilter[], offerIds: readonly string[]): Promise<ScannedCustomer[]>;
  check(summary: ChurnPlanSummary): Promise<ChurnCheckPart>;
  guarded(): Pick<GuardedExecutor, 'execute'>;
}

/** How the flows of a partition worker reach the population held by the others (docs/scale.md). */
export interface PopulationAcrossWorkers {
  readonly churn: ChurnAcrossWorkers;
  readonly campaigns: CampaignAcrossWorkers;
}

/** The flows and the intent execution, built on the running services. */
export interface OperatorFlows {
  readonly definitions: readonly AnyWorkflowDefinition[];
  /** This process's part of a churn-prevention run spanning the workers. */
  readonly churnHere: ChurnWorkHere;
  readonly execute: ExecutePlan;
  readonly observe: ObserveIntent;
  /** Whom a plan's campaign would contact and hold out if it opened now (`CampaignDelivery.audienceOf` on its flow input). */
  readonly audienceOf: (approved: ApprovedPlan, intent: Intent) => Promise<PlanAudience>;
  readonly campaigns: CampaignDelivery;
  /**
   * Makes sure the proactive churn-prevention scan runs (one run at a time, one per period of the
   * policy's cadence, each ending at its period's end: churn-prevention-schedule.ts); call it now
   * and then. Returns the id of the run in force (started now, or the last one, not ended yet), or
   * undefined when disabled.
   */
  scheduleChurnPrevention(): Promise<string | undefined>;
  /** Stops listening to the intake. */
  close(): void;
}

/** Where the first proactive scan's time is kept (the record store's `settings`): later scans follow it by the policy's cadence. */
const CHURN_SCAN_ANCHOR_ID = 'churn-prevention-anchor';
/** Churn-prevention runs (newest first) among which the proactive scan's last one is looked for: intents start runs of their own. */
const RUNS_LOOKED_AT = 100;
/**
 * How long one slice of a process's whole churn scan may hold the event loop: a request that
 * arrives meanwhile waits at most this (on an idle core) before the scan lets it in.
 */
const SCAN_SLICE_MS = 10;
/**
 * Times a whole churn scan starts again when a new model is served between two of its slices (one
 * process; a promotion lands at most once a model check, minutes apart): then it says so instead.
 * Over the workers, whose pages read two models while a promotion reaches them one by one, the
 * scan waits instead (churn-across-workers.ts).
 */
const SCAN_RESTARTS = 3;
/** Where each live score sits among the extra fields a walk reads after a twin's features. */
const SCORE_AT = { churn: SCORE_FIELDS.indexOf('churn'), clv: SCORE_FIELDS.indexOf('clv'), at_risk: SCORE_FIELDS.indexOf('at_risk') } as const;
/** Offer whose acceptance stands in when a run names none: the modest loyalty discount of the default catalogue. */
export const CHURN_SCAN_OFFER = 'retain-10';

/**
 * The business flows the server runs, wired to its services: each reads the twins, decides with
 * the decision service (so its decisions are logged like any other), checks plans with the
 * simulation lab and acts only through the guarded executor.
 */

/**
 * The contact policy's hours as the policy in force says when asked: when outbound contact is next
 * allowed, and when the allowed hours next open. What the flows that contact over time plan by
 * (churn prevention's contacts, a campaign's ticks) and what a campaign's start answers.
 */
export function contactHoursIn(s: Pick<OperatorServices, 'actionPolicy'>): { contactAllowedAt: (now: number) => number; contactHoursOpenAt: (now: number) => number | undefined } {
  const policy = () => s.actionPolicy.current().contact ?? DEFAULT_CONTACT_POLICY;
  return { contactAllowedAt: (now) => outsideQuietHours(now, policy()), contactHoursOpenAt: (now) => contactHoursOpenAt(now, policy()) };
}
export function operatorFlows(
  bss: Bss | undefined,
  intelligence: Intelligence,
  clock: Clock,
  options: {
    /**
     * Operator time per real time (the sandbox's speed): the flows' waits for people (an agent's
     * answer on a card, a supervisor's approval) are scaled by it, so people get their real minutes.
     */
    humanTimeScale?: number;
    /** On a partition worker: the population's scans, checks and owners' executors (read when a run needs them). */
    across?: () => PopulationAcrossWorkers;
    /** Where a flow says what it could not keep (a campaign answer the shared store refused). */
    log?: (line: string) => void;
    /** Contacts a campaign's tick asks at once (`campaignDelivery`'s default when absent). */
    campaignContactsPerBatch?: number;
  } = {},
): (s: OperatorServices) => OperatorFlows {
  return (s) => {
    const engine = s.twins.engine;
    const humanScale = Math.max(1, options.humanTimeScale ?? 1);
    const feature = (id: string, name: keyof typeof FEATURE_INDEX) => engine.features(id)?.[FEATURE_INDEX[name]];
    // The offer kind each offering is answered as on the twins (the back end's `treatment`), learnt
    // from the offer events; until one is seen, read from the offering's action class.
    const kindByOffer = new Map<string, OfferKind>();
    const kindOf = (offerId: string): OfferKind => {
      const seen = kindByOffer.get(offerId);
      if (seen) return seen;
      const o = s.decisions.catalogue.byId.get(offerId);
      return o?.actionClass === 'discount' ? 'discount' : o?.actionClass === 'plan_change' ? 'plan_upgrade' : o?.actionClass === 'credit' ? 'loyalty_credit' : 'other';
    };
    const campaigns = campaignDelivery(() => s, s.records, (offerId, customerId) => offerCostOf(s, offerId, customerId), {
      atStake: (id) => {
        const score = intelligence.live()?.scoreOf(id);
        return score?.active ? score.churn * score.clv : undefined;
      },
      profile: (id) => intelligence.profiles.contactRisk(id),
      kindOf,
      model: () => intelligence.live()?.model.id ?? null,
    }, options.across && (() => options.across!().campaigns), options.log, options.campaignContactsPerBatch);
    const detachCampaigns = s.twins.intake.onApplied((batch) => {
      for (const a of batch) {
        const e = a.event;
        if (e.kind === 'offer' && e.data.action === 'presented' && e.data.treatment && !kindByOffer.has(e.data.offerId)) kindByOffer.set(e.data.offerId, OFFER_KINDS[offerKindSlot(e.data.treatment)]);
      }
      campaigns.observe(batch.map((a) => a.event));
    });

    /** The policy's offers that the catalogue has, priced for a typical customer, with their effect. */
    const policyOffers = (ids: readonly string[]): ChurnOffer[] =>
      ids.flatMap((offerId) => {
        const o = s.decisions.catalogue.byId.get(offerId);
        return o ? [{ offerId, cost: offerCostOf(s, offerId), discountPct: discountPctOf(o), retentionEffect: o.retentionEffect }] : [];
      });
    /** A scan with no churn model served: the one refusal (`noChurnModel`; on a worker, that it serves the gateway's champion once trained there). */
    const noModelToScan = (): TwinloopError => s.noChurnModel() ?? new TwinloopError('INTERNAL', 'the churn scan found no churn model while one serves');
    /**
     * The scanned customers of the segment in the partition order after `after`, up to `limit`,
     * among those `here` answers for (everyone when absent); a customer with no active score is
     * walked past, not scanned. One process scans everyone at once; a worker a page per request.
     */
    const scanPage = (segment: readonly FeatureFilter[], offerIds: readonly string[], after: PartitionKey | null, limit: number, here?: (customerId: string) => boolean, until?: number, live = intelligence.live()): ChurnScanPage => {
      // No page rather than an empty one: a worker's empty answer was its customers dropped from a run's scan.
      if (!live) throw noModelToScan();
      const items: ScannedCustomer[] = [];
      // Each offer only where it may go to the customer now, read as an outbound contact in the app, by the
      // guarded executor's own answer (the twin's features at the clock's now, not as of its last event: a
      // rule on the last 30 days' usage read the two apart where the clock runs past the events).
      const offers = offerIds.flatMap((o) => s.decisions.catalogue.byId.get(o) ?? []);
      // Only the segment's customers are read (an intent's run); the proactive scan reads everyone.
      // Each walked twin's scores are read once, by the walk, from the model this page reads (`live`,
      // the one a whole scan's slices hold to), into the twin's values after its features.
      const { next } = walkTwinsInPartitionOrder(engine, segment, after ?? undefined, limit, here ?? (() => true), (id, f) => {
        const churn = f[FEATURE_COUNT + SCORE_AT.churn];
        // No churn value: outside the scored population (churned, no plan).
        if (Number.isNaN(churn)) return false;
        const score = { churn, clv: f[FEATURE_COUNT + SCORE_AT.clv], atRisk: f[FEATURE_COUNT + SCORE_AT.at_risk] === 1 };
        // A customer whose response profile says contact likely hurts carries the churn a contact
        // would add; the plan then leaves them alone (reason sleeping-dog).
        const risk = intelligence.profiles.contactRisk(id);
        const harmful = risk !== undefined && risk.sleepingDog >= HARM_THRESHOLD;
        items.push({
          customerId: id,
          churn: score.churn,
          value: score.clv,
          // Left alone before planning when they gave no marketing consent (the contact rules' one check).
          ...(marketingConsentRefusal(f) ? { marketingConsent: false } : {}),
          ...(harmful ? { contactHarm: Math.max(1e-6, risk.sleepingDog * score.churn * (risk.contactMultiplier - 1)) } : {}),
          acceptance: s.decisions.learner.mean(offerIds[0] ?? CHURN_SCAN_OFFER, contextKeyOf('app', score.churn)),
          acceptanceByOffer: Object.fromEntries(offers.filter((o) => s.decisions.offerIneligibility(id, o.id, APP_OUTBOUND) === undefined).map((o) => [o.id, s.decisions.learner.mean(o.id, contextKeyOf('app', score.churn))])),
          // Each offer at this customer's monthly price, as the guarded executor will price it: the run's budget is checked with it.
          costByOffer: Object.fromEntries(offers.map((o) => [o.id, offeringPrice(o, f[FEATURE_INDEX.monthly_price])])),
        });
        return true;
      }, liveScoreFields(() => live), until);
      return { items, next, model: live.model.id };
    };
    /**
     * Every scanned customer of this process, a slice of SCAN_SLICE_MS at a time with the event loop
     * let go between slices: in one go, the default world's first proactive run held the server's
     * thread 18.7 s (load 45) right after its ready line, every request waiting (BENCHMARKS.md).
     * Every slice reads the scores of the model served at the first: a new model served between two
     * slices starts the scan again with it, and a model no longer served is said (the step tries again).
     * A later slice that found no model answered the list so far as the whole scan, and the run
     * planned on part of its customers; one after a promotion mixed two models' scores.
     */
    const scanHere = async (segment: readonly FeatureFilter[], offerIds: readonly string[]): Promise<ScannedCustomer[]> => {
      for (let restarts = 0; ; restarts++) {
        const live = intelligence.live();
        // Refused as a worker refuses its pages: no empty scan a run would plan nobody on.
        if (!live) throw noModelToScan();
        const model = live.model.id;
        const items: ScannedCustomer[] = [];
        let after: PartitionKey | null = null;
        for (;;) {
          const page = scanPage(segment, offerIds, after, Infinity, undefined, performance.now() + SCAN_SLICE_MS, live);
          for (const item of page.items) items.push(item);
          if (page.next === null) return items;
          after = page.next;
          await new Promise<void>((resolve) => setImmediate(resolve));
          const now = intelligence.live();
          if (now === live && now.model.id === model) continue;
          if (!now) throw new TwinloopError('UNAVAILABLE', `the churn scan stopped after ${items.length} customers: the churn model ${model} it read is no longer served; the scan is tried again whole`);
          if (restarts >= SCAN_RESTARTS) throw new TwinloopError('UNAVAILABLE', `the churn scan could not read every customer with one model: a new one was served ${restarts + 1} times while it ran (now ${now.model.id}); the scan is tried again whole`);
          break;
        }
      }
    };
    // One scenario per offer of the plan, over exactly the customers who get it (those held here);
    // their expected net values add up draw by draw (docs/flows.md, "The simulation check").
    const checkHere = (summary: ChurnPlanSummary, here?: (customerId: string) => boolean): ChurnCheckPart => {
      const groups = (summary.offers ?? [{ offerId: summary.offerId, customers: summary.customerIds.length, customerIds: summary.customerIds }])
        .map((g) => ({ ...g, customerIds: (g.customerIds ?? summary.customerIds).filter((id) => !here || here(id)) }))
        .filter((g) => g.customerIds.length > 0);
      const perDraw = new Float64Array(CHECK_DRAWS);
      if (groups.length === 0) return { perDraw: [...perDraw], customers: [] };
      const scenarios = parseScenarios(
        groups.map((g) => {
          const offer = s.decisions.catalogue.byId.get(g.offerId);
          const acceptance = g.acceptance ?? s.decisions.learner.mean(g.offerId, 'app|medium-risk');
          const effect = offer?.retentionEffect ?? 0.3;
          return {
            kind: 'retention_campaign' as const,
            name: `check ${summary.periodId} ${g.offerId}`,
            horizonMonths: CHECK_HORIZON_MONTHS,
            draws: CHECK_DRAWS,
            seed: 1,
            hazardCalibrationSd: 0.1,
            targeting: { rank: 'churn_value' as const, k: Math.max(1, g.customerIds.length) },
            customers: g.customerIds,
            offer: {
              id: g.offerId,
              discountPct: (offer && discountPctOf(offer)) ?? 0,
              months: offer?.months ?? 0,
              costPerAcceptance: offer?.fixedCost ?? 0,
              acceptance: { mean: acceptance, sd: Math.min(0.5, ACCEPTANCE_RELATIVE_SD * acceptance) },
              acceptedHazardMultiplier: { mean: 1 - effect, sd: EFFECT_RELATIVE_SD * effect },
              effectMonths: 3,
            },
            costPerContact: 0.05,
            contactPolicy: { maxContacts: 1 },
            controlShare: 0,
          };
        }),
      ).scenarios;
      // Only the plan's customers are read into the lab (its scenarios touch no one else).
      const planned = new Set(groups.flatMap((g) => g.customerIds));
      const values = compileScenarios(liveTwinSource(s.twins, intelligence, {}, planned), scenarios).map((plan) => expectedNetValue(plan));
      for (const v of values) v.perDraw.forEach((x, d) => (perDraw[d] += x));
      return { perDraw: [...perDraw], customers: values.flatMap((v) => v.twins.map((t) => ({ customerId: t.id, mean: t.netValue.mean, low: t.netValue.p05 }))) };
    };
    const churnPrevention = churnPreventionWorkflow({
      // On a partition worker each action goes to its customer's owner, whose guarded executor checks it.
      guarded: () => options.across?.().churn.guarded() ?? s.guarded,
      noChurnModel: s.noChurnModel,
      audit: () => s.audit,
      // At the horizon the run reads what its offers' answers settled: the accepted ones' cost is the run's.
      settlements: (id) => s.settlements.get(id),
      // Each choice in the one decision log, as next-best-action's: its outcome comes back against it.
      logDecision: (record) => s.decisions.logDecision(record),
      // Leaves alone whom another run holds out, holds its control group out to its horizon.
      holdouts: s.holdouts,
      contactAllowedAt: contactHoursIn(s).contactAllowedAt,
      scan: async (segment, offerIds) => (options.across ? options.across().churn.scan(segment, offerIds) : scanHere(segment, offerIds)),
      policy: async () => {
        const p = await s.churnPolicy.get();
        const offers = policyOffers(p.offers);
        return { minChurn: p.floor, minValue: p.minValue, budget: p.budget, controlShare: p.controlShare, ...(offers.length ? { offers } : {}) };
      },
      simulate: async (summary) => {
        const part = options.across ? await options.across().churn.check(summary) : checkHere(summary);
        const total = estimate(Float64Array.from(part.perDraw));
        return { netValue: { mean: total.mean, low: total.p05, high: total.p95 }, customers: [...part.customers] };
      },
      offerKnown: (offerId) => s.decisions.catalogue.byId.has(offerId),
      outcomes: async (ids, sinceMs) => {
        const days = (clock.now() - sinceMs) / DAY_MS;
        return ids.map((customerId) => ({ customerId, churned: feature(customerId, 'churned') === 1, accepted: (feature(customerId, 'days_since_offer_accepted') ?? Infinity) <= days }));
      },
    });
    // However a campaign starts (an intent's plan, POST /workflows/campaign-management/start), its
    // first step registers its audience with the delivery side.
    // Every start, from any edge, is checked here: its offers against the live catalogue, a second run of its id refused (OneRunPer).
    const campaign = campaignManagementWorkflow({
      open: (input) => campaigns.open(input),
      refusalOf: (input) => campaigns.refusalOf(input),
      stats: (id) => campaigns.stats(id),
      audit: s.audit,
      apply: (id, allocation) => campaigns.apply(id, allocation),
      close: (id, ending) => campaigns.close(id, ending),
      offerKnown: (offerId) => s.decisions.catalogue.byId.has(offerId),
      now: () => clock.now(),
      // Its ticks go in the contact policy's hours, as the policy in force says at each tick.
      ...contactHoursIn(s),
      holdOf: async (id) => {
        const hold = (await s.records.get<CampaignHold>(CAMPAIGN_HOLDS, id))?.body;
        return hold?.held ? { by: hold.by.id, at: hold.at, reason: hold.reason } : undefined;
      },
    });
    const starter: Pick<WorkflowEngine, 'start' | 'get'> = s.workflows;
    // Every plan starts as its approver or owner, checked now against their keys (decision 0047).
    const execute = createPlanExecutor({ engine: starter, now: () => clock.now(), audit: s.audit, mayStart: (by, definitionId) => startStandingOf(s.records, by, definitionId) });
    // A plan's campaign as it would start now, drawn as its open draws it: what the plan says of its control group.
    const audienceOf = (approved: ApprovedPlan, intent: Intent) => campaigns.audienceOf(flowInputOf(approved, intent, { now: () => clock.now() }).input);
    /** The mean lifetime value of the customers held here, of those the live model scores (undefined when none is). */
    const meanValueOf = (ids: readonly string[]): number | undefined => {
      const live = intelligence.live();
      let sum = 0;
      let n = 0;
      for (const id of ids) {
        const clv = live?.scoreOf(id)?.clv;
        if (clv === undefined) continue;
        sum += clv;
        n++;
      }
      return n > 0 ? sum / n : undefined;
    };
    const observe = createIntentObserver({
      engine: starter,
      now: () => clock.now(),
      executionIdsOf: async (intent) => (await s.intents.get(intent.id)).executionIds,
      // A campaign is measured on its customers whether it runs or has ended (their churn goes on
      // to the intent's horizon); a churn prevention run of an older intent still going reports its
      // journaled contacts, and once finished its result.
      measure: async (run) => {
        if (run.definitionId === CAMPAIGN_MANAGEMENT_WORKFLOW_ID) {
          const campaignId = (run.input as CampaignInput).campaignId;
          const view = await campaigns.view(campaignId);
          if (!view) return undefined;
          const meanValue = meanValueOf(await campaigns.treatedIds(campaignId));
          return observationOfCampaignMeasure({ campaignId, stats: { variants: view.variants, control: view.control }, spent: view.spent, leftOut: view.leftOut, audienceLeft: view.audienceLeft, awaitingApproval: view.awaitingApproval, ...(meanValue !== undefined ? { meanValue } : {}) }, clock.now());
        }
        if (run.definitionId === CHURN_PREVENTION_WORKFLOW_ID && run.status !== 'succeeded') return observationOfChurnSteps((await s.workflows.steps(run.workflowId)) ?? [], clock.now());
        return undefined;
      },
    });

    const serviceOpsDeps = {
      guarded: () => s.guarded,
      cells: engine.cells,
      scores: (id: string) => {
        const score = intelligence.live()?.scoreOf(id);
        if (score) return { clv: score.clv, active: score.active };
        const f = engine.features(id);
        // Before a model serves, a year of the twin's revenue stands in for its value.
        return f ? { clv: 12 * f[FEATURE_INDEX.arpu_3m], active: f[FEATURE_INDEX.churned] === 0 } : undefined;
      },
      evidence: s.incidentEvidence,
      policy: s.serviceOpsPolicy,
      // Its notices wait for the contact policy's hours, as campaigns' contacts do (decision 0088).
      contactAllowedAt: contactHoursIn(s).contactAllowedAt,
      // A resolution is not told where the fault is back by then (version 8; version 10 at once too), nor
      // an outage to whom an earlier alarm there told of one not yet over (version 10).
      alarmsOnPlace: (alarm: Alarm) => alarmsOnPlace(alarm, s.alarms.all(), (siteId) => engine.cells.cellsOfSite(siteId)),
      // Another alarm's notices are read under the id its run asked them under (version 11: one key for one fault).
      noticesIdOf: (alarmId: string) => noticesIdOfRun(s.workflows, alarmId),
      // A resolution is kept from a customer another open alarm touches only when that alarm's run will tell them (version 11).
      resolvesAtClear: (alarmId: string, o?: { cleared?: boolean }) => resolvesAtClearOfRun(s.workflows, alarmId, o),
      // Alarms overlapping on a place pay a customer once: what another's run paid them is taken off (version 11, decision 0103 amended).
      compensatedBy: (alarmId: string) => compensatedByRun(s.workflows, alarmId),
      // No outage notice goes after the clear the inbox has heard of, whether or not the run has yet.
      clearedOf: (alarmId: string) => {
        const a = s.alarms.get(alarmId);
        return a?.state === 'cleared' ? (a.clearedTime ?? a.changedTime) : undefined;
      },
    };
    // Every version: a run started before the current one finishes as it began.
    const serviceOps = serviceOperationsWorkflows(serviceOpsDeps);
    const definitions: AnyWorkflowDefinition[] = [churnPrevention as AnyWorkflowDefinition, campaign as AnyWorkflowDefinition, ...(serviceOps as AnyWorkflowDefinition[])];
    if (bss) {
      const b = bss.connectors;
      definitions.push(
        orderFulfilmentWorkflow({
          guarded: () => s.guarded,
          approvalTimeoutMs: DEFAULT_ORDER_APPROVAL_TIMEOUT_MS * humanScale,
          orders: b.orderManagement,
          provisioning: b.provisioning,
          plans: bss.plans,
          customer: async (id) => {
            const view = engine.view(id);
            if (!view) return undefined;
            const plan = view.products.find((p) => p.kind === 'plan' && p.status === 'active');
            return { active: Boolean(plan), planId: plan?.productId ?? null };
          },
        }) as AnyWorkflowDefinition,
        customerCareWorkflow({
          guarded: () => s.guarded,
          agentDecisionTimeoutMs: DEFAULT_AGENT_DECISION_TIMEOUT_MS * humanScale,
          approvalTimeoutMs: DEFAULT_CARE_APPROVAL_TIMEOUT_MS * humanScale,
          // The card's decision is in the log before the flow acts on it: the guarded executor sees to it (decisionLogged).
          decide: async (customerId, context) => careCardOf(s.decisions.decide(customerId, { channel: context.channel, reason: context.reason, direction: 'inbound' }), s.decisions.catalogue, engine.features(customerId)),
          openTickets: async (id) => feature(id, 'open_tickets') ?? 0,
          customerKnown: (id) => engine.view(id) !== undefined,
        }) as AnyWorkflowDefinition,
      );
    }
    // Proactive scans are anchored at the first one (made as soon as a model serves), then one per
    // cadence of the policy: a fresh server acts within its first simulated day, not at an epoch boundary.
    const anchors = recordDocuments<{ at: number }>(s.records, 'settings');
    /** The run the schedule last said it waits for (its line is written once). */
    let waitingFor: string | undefined;
    const scheduleChurnPrevention = async (): Promise<string | undefined> => {
      const policy = await s.churnPolicy.get();
      if (policy.budget <= 0 || !intelligence.live()) return undefined;
      const offers = policyOffers(policy.offers);
      if (offers.length === 0) return undefined;
      // The newest event's time too: on a restart the sandbox's clock resumes a moment after the server starts.
      const now = Math.max(clock.now(), engine.eventClock);
      // Scans act by outbound contact: one scheduled in the policy's quiet hours would have every
      // contact refused (a first model at 21:09 put every monthly scan there), so the anchor and
      // each scan move to the quiet hours' end.
      const contact = s.actionPolicy.current().contact ?? DEFAULT_CONTACT_POLICY;
      const first = outsideQuietHours(now, contact);
      const anchor = (await anchors.get(CHURN_SCAN_ANCHOR_ID))?.at ?? (await anchors.put(CHURN_SCAN_ANCHOR_ID, { at: first }), first);
      const cadenceMs = policy.cadenceDays * DAY_MS;
      // One run at a time: the period's run starts once the last proactive one has ended, and measures at its period's end.
      const last = (await s.workflows.list({ definitionId: CHURN_PREVENTION_WORKFLOW_ID, limit: RUNS_LOOKED_AT })).find((r) => (r.input as Partial<ChurnPreventionInput> | undefined)?.usePolicy === true);
      const lastInput = last?.input as ChurnPreventionInput | undefined;
      const next = proactiveSchedule({
        now,
        anchor,
        cadenceMs,
        last: last && lastInput ? { workflowId: last.workflowId, status: last.status, periodId: lastInput.periodId, scanAt: lastInput.scanAt, horizonMs: lastInput.horizonMs } : undefined,
        outsideQuietHours: (t) => outsideQuietHours(t, contact),
      });
      if (next.kind === 'wait') {
        // Said once per run waited for, not every minute.
        if (waitingFor !== next.workflowId) options.log?.(`churn prevention: the next period's run is not started yet: ${next.reason}`);
        waitingFor = next.workflowId;
        return next.workflowId || undefined;
      }
      waitingFor = undefined;
      const { periodId, scanAt } = next;
      const input: ChurnPreventionInput = {
        periodId,
        scanAt,
        horizonMs: next.horizonMs,
        budget: policy.budget,
        controlShare: policy.controlShare,
        seed: 1,
        offer: offers[0],
        offers,
        usePolicy: true,
        contactCost: 0.05,
        retentionEffect: offers[0].retentionEffect ?? 0.3,
        minChurn: policy.floor,
        minValue: policy.minValue,
      };
      const started = await s.workflows.start(CHURN_PREVENTION_WORKFLOW_ID, input, { workflowId: churnPreventionWorkflowId(periodId) });
      return started.workflowId;
    };
    const close = () => {
      detachCampaigns();
    };
    return { definitions, churnHere: { scanPage, check: checkHere, scan: scanHere }, execute, observe, audienceOf, campaigns, scheduleChurnPrevention, close };
  };
}
