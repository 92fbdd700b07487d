import { requireOffering } from '../../decisioning/offer-catalogue.js';
import { cents } from '../../decisioning/action-pricing.js';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { ok } from '../../domain/connectors/connector-result.js';
import { DEFAULT_CHURN_PREVENTION_POLICY, type ActionRequestInput } from '../../decisioning/policy/index.js';
import { fnv1a32 } from '../../domain/string-hash.js';
import { createRng } from '../../intelligence/random.js';
import { TWIN_SCORE_FIELDS } from '../../intelligence/live/score-fields.js';
import { featureFilterSchema, type FeatureFilter } from '../../twin/feature-filter.js';
import type { GuardedExecutor } from '../governance/guarded-executor.js';
import { planRetention, type RetentionCandidate } from '../retention/retention-planner.js';
import type { StepDefinition, WorkflowDefinition } from '../workflows/index.js';
import { guardedActionStep, type GuardedOutcome } from './guarded-step.js';
import { targetingScore } from '../retention/retention-planner.js';
import { CONTACT_RULES } from '../../decisioning/contact-policy.js';
import { contextKeyOf } from '../../decisioning/acceptance-model.js';
import { DO_NOTHING, runDecisionId, type DecisionRecord } from '../../decisioning/decision-record.js';
import type { Channel } from '../../domain/events.js';
import type { LeftAloneReason } from './churn-prevention-policy.js';
import type { AuditTrail } from '../governance/audit-trail.js';
import { CHURN_REPORT_STEP_ID, churnReportStep, churnSettledStep, requestsPaidOnAcceptance, type ChurnRunReport, type ContactedCustomer, type SettlementReader } from './churn-prevention-report.js';
import { waitUnlessStopped, type RunStop } from './run-stop.js';
import { periodIdOf } from './churn-prevention-schedule.js';
import { differenceInterval } from './campaign-bandit.js';
import { contaminationOf, type Contamination, type HoldoutRegister, type RunRef } from '../governance/holdout-register.js';

/**
 * Flow 4, proactive churn prevention, one run per period: sleep until the scan time → scan the
 * twins → keep high-value, high-risk customers with a positive expected value (sleeping dogs and
 * not-worth-it customers left alone, by planRetention) → plan under budget → check the plan by
 * simulation (shrink it while the net value's lower bound is negative, refuse if nothing is left)
 * → hold out a seeded control group → act through the guarded executor (offer in the app, or a
 * human task where the customer is worth a call or the policy only advises the offer) → sleep to
 * the horizon → measure churn of treated vs control. When it is stopped (`STOP_RUN_SIGNAL`,
 * run-stop.ts: the intent that started it closed), the customers not yet contacted are left alone
 * (`stopped`), and a run waiting for its horizon measures at once.
 */

export const CHURN_PREVENTION_WORKFLOW_ID = 'churn-prevention';
export const CHURN_PREVENTION_WORKFLOW_VERSION = 1;
export const CHURN_POLICY_STEP_ID = 'churn-policy';
export const CHURN_SCAN_STEP_ID = 'churn-scan';
export const CHURN_SIMULATE_STEP_ID = 'churn-simulate';
export const CHURN_OFFER_STEP_ID = 'churn-offer';
export const CHURN_TASK_STEP_ID = 'churn-human-task';
export const CHURN_MEASURE_STEP_ID = 'churn-measure';
export const CHURN_DECISION_STEP_ID = 'churn-decision';
/** Reads who among the candidates another run holds out as its control group. */
export const CHURN_HELD_OUT_STEP_ID = 'churn-held-out';
/** Registers the run's control group as held out until its horizon. */
export const CHURN_HOLD_STEP_ID = 'churn-hold';
/** Reads the contacts of the run's control group by others, at the horizon. */
export const CHURN_CONTAMINATION_STEP_ID = 'churn-contamination';
/** The agent named in every action request and audit entry. */
export const CHURN_PREVENTION_ACTOR = { kind: 'agent', id: 'churn-prevention' } as const;
/** Shrink rounds before the plan is refused: each halves it, so 4 rounds go down to 1/16. */
export const MAX_SHRINK_ROUNDS = 4;

/** The workflow id of a period's run: starting it twice for one period is a no-op. */
export const churnPreventionWorkflowId = (periodId: string): string => `churn-prevention-${periodId}`;

/** The next scan period at or after `nowMs`, for periods of `periodMs` from the epoch. */
export function nextScanPeriod(nowMs: number, periodMs: number): { periodId: string; scanAt: number } {
  const scanAt = Math.ceil(nowMs / periodMs) * periodMs;
  return { periodId: periodIdOf(scanAt), scanAt };
}

const offerSchema = z.object({
  offerId: z.string().min(1),
  cost: z.number().nonnegative(),
  discountPct: z.number().min(0).max(100).optional(),
  /** Share of churn avoided when a customer accepts this offer (default: the input's retentionEffect). */
  retentionEffect: z.number().min(0).max(1).optional(),
});
/** One offer a run may make, priced and with its effect. */
export type ChurnOffer = z.infer<typeof offerSchema>;

/** Most customer ids a result lists per reason (the counts are always whole). */
export const LISTED_PER_REASON = 200;

/** The run's input. */
export const churnPreventionInputSchema = z.object({
  periodId: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,60}$/i),
  /** ms since epoch; the run sleeps until then. */
  scanAt: z.number().int(),
  /** How long after the scan churn is measured. */
  horizonMs: z.number().int().positive(),
  /** Expected spend allowed (planner units: contact + offer cost × acceptance); executed worst-case cost never exceeds it. */
  budget: z.number().nonnegative(),
  controlShare: z.number().min(0).max(0.9).default(0.1),
  seed: z.number().int().default(1),
  offer: offerSchema,
  /** The offer set: each customer gets the one with the best expected value (default: `offer` alone). */
  offers: z.array(offerSchema).min(1).max(10).optional(),
  /** Read the churn prevention policy at scan time (floor, value floor, budget, offers, control share) over these values. */
  usePolicy: z.boolean().optional(),
  contactCost: z.number().nonnegative().default(0.05),
  /** Share of churn avoided when a customer accepts (planRetention's retention effect). */
  retentionEffect: z.number().min(0).max(1).default(0.5),
  /** "High risk" and "high value" floors applied before the planner. */
  minChurn: z.number().min(0).max(1).default(DEFAULT_CHURN_PREVENTION_POLICY.floor),
  minValue: z.number().nonnegative().default(0),
  /** Customers worth at least this get a human task (a call) instead of a digital offer. */
  assistedValueAbove: z.number().nonnegative().optional(),
  /**
   * Whom the run may look at: an intent's segment as resolved when it was planned (the one filter
   * vocabulary, over twin features and live scores); empty = every active customer.
   */
  segment: z.array(featureFilterSchema(TWIN_SCORE_FIELDS)).optional(),
});
export type ChurnPreventionInput = z.infer<typeof churnPreventionInputSchema>;

/** One customer as the scan reports it (from twins, live scores and the acceptance model). */
export interface ScannedCustomer {
  readonly customerId: string;
  readonly churn: number;
  readonly value: number;
  readonly acceptance: number;
  /** Acceptance per offer id, where it differs by offer (default `acceptance`). */
  readonly acceptanceByOffer?: Readonly<Record<string, number>>;
  /**
   * Each offer's price for this customer, as the guarded executor prices it (`offeringPrice` at
   * their monthly price), where the scan knows it: the run plans and checks its budget with it.
   * Absent for an offer: the offer's planning `cost`, and the executor refuses what is above the
   * run's budget left (`runBudgetLeft`) either way.
   */
  readonly costByOffer?: Readonly<Record<string, number>>;
  /** Positive: contacting raises churn (sleeping dog). */
  readonly contactHarm?: number;
  /**
   * False when the customer gave no marketing consent (the contact rules' `marketingConsentRefusal`,
   * read by the scan): a run leaves them alone before it plans (`no-consent`), as next-best-action's
   * funnel does, rather than plan them, log a decision and see the executor refuse the contact.
   * Absent: consented, or not known to the scan (the executor's contact check still judges).
   */
  readonly marketingConsent?: boolean;
  /** Features for the policy's segments, for an executor that does not read the customer's facts itself (the running operator's does, and ignores these). */
  readonly features?: Readonly<Record<string, number>>;
}

/** What the simulation is asked about. */
export interface ChurnPlanSummary {
  readonly periodId: string;
  /** The offer most customers of the plan get. */
  readonly offerId: string;
  /** How many customers of the plan get each offer of the set, which ones, and their mean acceptance of it. */
  readonly offers?: readonly { offerId: string; customers: number; customerIds?: readonly string[]; acceptance?: number }[];
  readonly customerIds: readonly string[];
  readonly expectedCost: number;
  readonly expectedNetValue: number;
  readonly horizonMs: number;
}

/** The simulated net value of a plan. */
export interface SimulatedPlanValue {
  readonly netValue: { readonly mean: number; readonly low: number; readonly high: number };
  /**
   * Each customer's expected net value (mean and the low end of its interval over what is not
   * known): when given, the gate contacts only those whose low end is at least 0.
   */
  readonly customers?: readonly SimulatedCustomerValue[];
  readonly simulationId?: string;
}

/** One customer's expected net value in the simulation check. */
export interface SimulatedCustomerValue {
  readonly customerId: string;
  readonly mean: number;
  readonly low: number;
}

/** What happened to one customer by the horizon. */
export interface CustomerOutcome {
  readonly customerId: string;
  readonly churned: boolean;
  /** Whether the customer accepted the offer (unknown for the control group). */
  readonly accepted?: boolean;
}

/** What the flow needs. */
export interface ChurnPreventionDeps {
  readonly guarded: () => Pick<GuardedExecutor, 'execute'>;
  /**
   * Why no churn model serves (and when one will), null once one does: a run, which scans the
   * customers by their scores, is refused at its start with it, whoever starts it (a person over
   * HTTP, an intent's plan, the proactive schedule). Absent: not checked at the start.
   */
  readonly noChurnModel?: () => Error | null;
  /** Reads the twins (and scores) at scan time: the active customers that pass the segment's filters (all active ones for none). */
  readonly scan: (segment: readonly FeatureFilter[], offerIds: readonly string[]) => Promise<readonly ScannedCustomer[]>;
  /** The simulation lab's verdict on a plan. */
  readonly simulate: (summary: ChurnPlanSummary) => Promise<SimulatedPlanValue>;
  /** The policy's values at scan time, for runs with `usePolicy` (the proactive scan). */
  readonly policy?: () => Promise<Pick<ChurnPreventionInput, 'minChurn' | 'minValue' | 'budget' | 'controlShare' | 'offers'>>;
  /** Churn (and acceptance) of the given customers since `sinceMs`. */
  readonly outcomes: (customerIds: readonly string[], sinceMs: number) => Promise<readonly CustomerOutcome[]>;
  /** Where each run's report (whom it contacted, whom it left alone and why) is recorded once it has acted. */
  readonly audit?: () => Pick<AuditTrail, 'record'>;
  /**
   * The first time at or after `now` an outbound contact is allowed (the policy's quiet hours):
   * a run's contacts take time, and under a fast simulated clock they would drift into the night
   * and be refused; the run waits (durably) instead.
   */
  readonly contactAllowedAt?: (now: number) => number;
  /** Where its offers paid on acceptance stand (offer-settlement.ts), read at the horizon: what the accepted ones cost is the run's too. */
  readonly settlements?: SettlementReader;
  /** Whether the catalogue has this offering: a run whose offers name one it has not is refused at its start. Absent: not checked. */
  readonly offerKnown?: (offerId: string) => boolean;
  /**
   * Logs the run's choice for one customer in the operator's one decision log (the decision
   * service's `logDecision`, as next-best-action's decisions are): its offer, or nothing for a
   * customer held out. The contact names it (`params.decisionId`), so the answer, the delivery and
   * the stay or churn come back against it (`twinloop policy evaluate`). Resolves once logged.
   */
  readonly logDecision?: (record: DecisionRecord) => Promise<void>;
  /**
   * Who is held out as a control group (holdout-register.ts): a run leaves alone the customers
   * another run holds out (`held-out`), holds its own control group out until its horizon, and
   * measures without those of its control someone contacted anyway. Absent: none of that.
   */
  readonly holdouts?: Pick<HoldoutRegister, 'load' | 'heldBy' | 'hold' | 'contactsOf'>;
}

/** How one treated customer was contacted. */
export type ContactRoute = 'digital' | 'assisted';

/** The result record (the intent observer reads it). */
export interface ChurnPreventionResult {
  readonly periodId: string;
  readonly status: 'measured' | 'refused-by-simulation' | 'nothing-to-do';
  readonly reason: string;
  readonly scanned: number;
  readonly left: Readonly<Record<'below-floors' | 'not-worth-it' | 'contact-harms' | 'budget' | 'budget-cap', number>>;
  /** Customers the planner left alone because contact harms: never contacted. */
  readonly contactHarmIds: readonly string[];
  readonly simulation: readonly { customers: number; low: number; mean: number; simulationId?: string }[];
  /** Customers the simulation check left out, with their expected net value (the first LISTED_PER_REASON). */
  readonly notClearlyPositive?: readonly SimulatedCustomerValue[];
  readonly treatedIds: readonly string[];
  readonly controlIds: readonly string[];
  readonly contacts: Readonly<Record<'digital' | 'assisted' | 'pending-approval' | 'refused', number>>;
  /** Whom the run contacted: the offer, the route and what it cost. */
  readonly contacted: readonly ContactedCustomer[];
  /** Whom it left alone and why: a count per reason and the first LISTED_PER_REASON ids. */
  readonly leftAlone: Readonly<Partial<Record<LeftAloneReason, { count: number; customerIds: string[] }>>>;
  /** The values the run used (the policy's at scan time, for a proactive run). */
  readonly settings?: { minChurn: number; minValue: number; budget: number; controlShare: number; offers: string[] };
  /**
   * What the executed actions cost when carried out (and the pending approvals would), without the
   * offers' acceptance-paid parts: those are `reserved` until the customers answer (the report
   * routes read what the answers settled since, churn-prevention-report.ts).
   */
  readonly spend: number;
  /** The contacted offers' acceptance-paid parts, reserved when they were presented (at the horizon: those still unanswered). */
  readonly reserved?: number;
  /** What the offers accepted by the horizon committed (their acceptance-paid parts): a cost of the run beside `spend`. */
  readonly acceptedCost?: number;
  readonly budget: number;
  /** Why the run stopped before its horizon (the intent that started it closed), when it did. */
  readonly stoppedBecause?: string;
  readonly measured?: {
    readonly treatedChurnRate: number;
    readonly controlChurnRate: number;
    /** Control churn − treated churn (positive: the plan kept customers). */
    readonly uplift: number;
    /** Its 90 % interval (Newcombe's, over the two groups' sizes); null when either group is empty. */
    readonly upliftInterval: { readonly low: number; readonly high: number; readonly level: 0.9 } | null;
    /** What the uplift can be read as: an effect whose interval excludes none, or too few to read. */
    readonly reading: string;
    readonly retainedEstimate: number;
    readonly acceptanceRate: number;
    readonly accepted: number;
    readonly valueRetainedEstimate: number;
    /** A treated customer's mean value (what one kept is worth); absent in runs measured before it was kept. */
    readonly meanValue?: number;
    /**
     * Customers of the control group contacted anyway while held out (a person's act, a contact
     * asked before the hold): how many, by what. The control churn and the uplift are measured
     * without them.
     */
    readonly contaminated?: Contamination;
  };
}

/** Seeded, order-free control assignment: a customer's place in the draw hangs on its id, not on list order. */
export function inControlGroup(customerId: string, seed: number, share: number): boolean {
  return createRng(seed ^ fnv1a32(customerId)).next() < share;
}

/** Builds the churn prevention workflow over its dependencies. */
export function churnPreventionWorkflow(deps: ChurnPreventionDeps): WorkflowDefinition<ChurnPreventionInput, ChurnPreventionResult> {
  const scan: StepDefinition<{ periodId: string; segment?: FeatureFilter[]; offerIds?: string[] }, ScannedCustomer[]> = { id: CHURN_SCAN_STEP_ID, version: 1, run: async (i) => ok([...(await deps.scan(i.segment ?? [], i.offerIds ?? []))]) };
  const policyStep: StepDefinition<{ periodId: string }, Awaited<ReturnType<NonNullable<ChurnPreventionDeps['policy']>>>> = { id: CHURN_POLICY_STEP_ID, version: 1, run: async () => ok(await deps.policy!()) };
  const simulate: StepDefinition<ChurnPlanSummary, SimulatedPlanValue> = { id: CHURN_SIMULATE_STEP_ID, version: 1, run: async (s) => ok(await deps.simulate(s)) };
  const measure: StepDefinition<{ ids: string[]; since: number }, CustomerOutcome[]> = {
    id: CHURN_MEASURE_STEP_ID,
    version: 1,
    run: async ({ ids, since }) => ok([...(await deps.outcomes(ids, since))]),
  };
  const decisionStep: StepDefinition<DecisionRecord, { decisionId: string }> = {
    id: CHURN_DECISION_STEP_ID,
    version: 1,
    run: async (record) => {
      await deps.logDecision?.(record);
      return ok({ decisionId: record.decisionId });
    },
  };
  const heldOutStep: StepDefinition<{ periodId: string; at: number; customerIds: string[] }, Record<string, string>> = {
    id: CHURN_HELD_OUT_STEP_ID,
    version: 1,
    run: async ({ periodId, at, customerIds }) => {
      const self = churnRunRef(periodId);
      // Read again from the store: another process (a partition worker) may have held some out since this one started.
      await deps.holdouts!.load(at);
      const held: Record<string, string> = {};
      for (const id of customerIds) {
        const by = deps.holdouts!.heldBy(id, at, self);
        if (by) held[id] = `${by.flow} ${by.runId}`;
      }
      return ok(held);
    },
  };
  const holdStep: StepDefinition<{ periodId: string; from: number; until: number; customerIds: string[] }, null> = {
    id: CHURN_HOLD_STEP_ID,
    version: 1,
    run: async ({ periodId, from, until, customerIds }) => (await deps.holdouts!.hold({ ...churnRunRef(periodId), from, until, customerIds }), ok(null)),
  };
  const contaminationStep: StepDefinition<{ periodId: string; controlIds: string[] }, Contamination | null> = {
    id: CHURN_CONTAMINATION_STEP_ID,
    version: 1,
    run: async ({ periodId, controlIds }) => ok(contaminationOf(await deps.holdouts!.contactsOf(churnRunRef(periodId)), controlIds) ?? null),
  };
  const reportStep = churnReportStep(deps.audit);
  const offerStep = guardedActionStep(CHURN_OFFER_STEP_ID, deps.guarded);
  const taskStep = guardedActionStep(CHURN_TASK_STEP_ID, deps.guarded);

  // A back end's final refusal of one customer's offer (e.g. campaign_delivery_refused) is that
  // customer's outcome, not the run's: it is counted as refused and the run goes on.
  const refusedOnFailure = async (requestId: string, act: () => Promise<GuardedOutcome>): Promise<GuardedOutcome> => {
    try {
      return await act();
    } catch (e) {
      if (!(e instanceof TwinloopError)) throw e;
      // The executor audited the failure; its entry's seq is not known here (-1).
      return { status: 'refused', reason: e.message, requestId, auditSeq: -1 };
    }
  };

  return {
    id: CHURN_PREVENTION_WORKFLOW_ID,
    version: CHURN_PREVENTION_WORKFLOW_VERSION,
    // The run's report is read for as long as the run is listed (GET /churn-prevention/runs); its per-customer steps are not.
    keptSteps: [CHURN_REPORT_STEP_ID],
    parseInput: (raw) => churnPreventionInputSchema.parse(raw),
    async admit(input) {
      const noModel = deps.noChurnModel?.();
      if (noModel) throw noModel;
      requireOffering(deps.offerKnown, input.offer.offerId, 'offer.offerId');
      input.offers?.forEach((o, i) => requireOffering(deps.offerKnown, o.offerId, `offers.${i}.offerId`));
    },
    async run(ctx, raw) {
      const stoppedFirst = await waitUnlessStopped(ctx, 'scan-time', raw.scanAt);
      if (stoppedFirst) {
        const zero = { digital: 0, assisted: 0, 'pending-approval': 0, refused: 0 };
        const left = { 'below-floors': 0, 'not-worth-it': 0, 'contact-harms': 0, budget: 0, 'budget-cap': 0 };
        const reason = `stopped before its scan: ${stoppedFirst.reason}`;
        return { periodId: raw.periodId, status: 'nothing-to-do', reason, stoppedBecause: stoppedFirst.reason, scanned: 0, left, contactHarmIds: [], simulation: [], treatedIds: [], controlIds: [], contacts: zero, contacted: [], leftAlone: {}, spend: 0, budget: raw.budget };
      }
      // A proactive run reads the policy as it stands at its scan time: an edit applies from the next scan.
      const input = raw.usePolicy && deps.policy ? { ...raw, ...(await ctx.step(policyStep, { periodId: raw.periodId })) } : raw;
      const offers = input.offers ?? [input.offer];
      /** The offer's price for this customer as the executor will ask it (read at the scan, so a replay reads the same), else its planning cost. */
      const priceFor = (c: ScannedCustomer, o: ChurnOffer) => c.costByOffer?.[o.offerId] ?? o.cost;
      const scanned = await ctx.step(scan, { periodId: input.periodId, segment: input.segment, offerIds: offers.map((o) => o.offerId) });
      const byId = new Map(scanned.map((c) => [c.customerId, c]));
      const leftAlone = reasons();
      const aboveFloors = scanned.filter((c) => c.churn >= input.minChurn && c.value >= input.minValue);
      // Held out by another run (a campaign's control group, an earlier run's): contacted, that run would measure nothing.
      const heldOut = deps.holdouts ? await ctx.step(heldOutStep, { periodId: input.periodId, at: input.scanAt, customerIds: aboveFloors.map((c) => c.customerId) }) : {};
      const above: ScannedCustomer[] = [];
      for (const c of scanned) {
        if (!(c.churn >= input.minChurn && c.value >= input.minValue)) leftAlone.add('low-risk', c.customerId);
        // Nobody may offer them anything: neither planned, held out as control, nor logged as a choice.
        else if (c.marketingConsent === false) leftAlone.add('no-consent', c.customerId);
        else if (heldOut[c.customerId] !== undefined) leftAlone.add('held-out', c.customerId);
        else above.push(c);
      }
      // Each customer's best offer of the set. The planner's expected-value rule reads acceptance ×
      // churn × effect × value: the offer's own effect rides in the acceptance, the rule's effect is 1.
      const offerOf = new Map<string, ChurnOffer>();
      const candidates: RetentionCandidate[] = above.flatMap((c) => {
        // With per-offer acceptances, only the offers listed are open to the customer (eligibility).
        const open = c.acceptanceByOffer ? offers.filter((o) => c.acceptanceByOffer![o.offerId] !== undefined) : offers;
        if (open.length === 0) return [];
        const options = open.map((o) => {
          const acceptance = c.acceptanceByOffer?.[o.offerId] ?? c.acceptance;
          const candidate = { customerId: c.customerId, churn: c.churn, value: c.value, acceptance: acceptance * (o.retentionEffect ?? input.retentionEffect), contactHarm: c.contactHarm, expectedCost: input.contactCost + priceFor(c, o) * acceptance };
          return { o, candidate, score: targetingScore(candidate, { kind: 'expected-value', retentionEffect: 1 }) };
        });
        const best = options.reduce((a, b) => (b.score > a.score ? b : a));
        offerOf.set(c.customerId, best.o);
        return [best.candidate];
      });
      for (const c of above) if (!offerOf.has(c.customerId)) leftAlone.add('not-eligible', c.customerId);
      const plan = planRetention(candidates, input.budget, { kind: 'expected-value', retentionEffect: 1 });
      const planned = new Set(plan.chosen.map((c) => c.customerId));
      for (const c of candidates) {
        if (planned.has(c.customerId)) continue;
        if ((c.contactHarm ?? 0) > 0) leftAlone.add('sleeping-dog', c.customerId);
        else if (targetingScore(c, { kind: 'expected-value', retentionEffect: 1 }) <= 0) leftAlone.add('negative-expected-value', c.customerId);
        else leftAlone.add('budget', c.customerId);
      }
      const contactHarmIds = above.filter((c) => (c.contactHarm ?? 0) > 0).map((c) => c.customerId);
      const left = { 'below-floors': leftAlone.count('low-risk'), ...plan.left, 'budget-cap': 0 };
      const settings = { minChurn: input.minChurn, minValue: input.minValue, budget: input.budget, controlShare: input.controlShare, offers: offers.map((o) => o.offerId) };
      const base = { periodId: input.periodId, scanned: scanned.length, contactHarmIds, budget: input.budget, treatedIds: [], controlIds: [], spend: 0, contacts: { digital: 0, assisted: 0, 'pending-approval': 0, refused: 0 }, contacted: [], settings };

      // Simulation check. With each customer's expected net value (the lab's, over what is not
      // known), only those clearly worth it stay: the low end of their interval is at least 0.
      // Without it, the plan is halved (worst scored out) while its lower bound is negative.
      const acceptanceOf = (c: { customerId: string }) => {
        const s = byId.get(c.customerId)!;
        return s.acceptanceByOffer?.[offerOf.get(c.customerId)!.offerId] ?? s.acceptance;
      };
      let chosen = plan.chosen;
      const simulation: ChurnPreventionResult['simulation'][number][] = [];
      const cut = new Map<string, SimulatedCustomerValue>();
      for (let round = 0; chosen.length > 0; round++) {
        const summary: ChurnPlanSummary = {
          periodId: input.periodId,
          ...offerMix(chosen.map((c) => ({ customerId: c.customerId, offerId: offerOf.get(c.customerId)!.offerId, acceptance: acceptanceOf(c) }))),
          customerIds: chosen.map((c) => c.customerId),
          expectedCost: chosen.reduce((a, c) => a + c.expectedCost, 0),
          expectedNetValue: chosen.reduce((a, c) => a + c.score, 0),
          horizonMs: input.horizonMs,
        };
        const sim = await ctx.step(simulate, summary, { key: `simulate-${round}` });
        simulation.push({ customers: chosen.length, low: sim.netValue.low, mean: sim.netValue.mean, simulationId: sim.simulationId });
        const weak = new Set((sim.customers ?? []).filter((v) => v.low < 0).map((v) => v.customerId));
        if (sim.netValue.low >= 0 && weak.size === 0) break;
        for (const v of sim.customers ?? []) if (weak.has(v.customerId)) cut.set(v.customerId, v);
        const last = round + 1 >= MAX_SHRINK_ROUNDS;
        if (sim.customers) {
          // The customers' values barely move with the plan around them: the last round keeps those clearly worth it.
          chosen = chosen.filter((c) => !weak.has(c.customerId));
          if (last || weak.size === 0) break;
        } else chosen = last ? [] : chosen.slice(0, Math.floor(chosen.length / 2));
      }
      const kept = new Set(chosen.map((c) => c.customerId));
      for (const c of plan.chosen) if (!kept.has(c.customerId)) leftAlone.add('simulation', c.customerId);
      // Every run reports whom it contacted and whom it left alone as soon as it has acted (journaled, audited).
      const report = (r: Omit<ChurnRunReport, 'periodId' | 'scanned' | 'budget' | 'settings' | 'simulation' | 'leftAlone' | 'notClearlyPositive'>) =>
        ctx.step(reportStep, { periodId: input.periodId, scanned: scanned.length, budget: input.budget, settings, simulation, ...(cut.size ? { notClearlyPositive } : {}), leftAlone: leftAlone.done(), ...r });
      if (plan.chosen.length === 0) {
        const reason = 'no candidate with a positive expected value within the floors and budget';
        await report({ status: 'nothing-to-do', reason, contacted: [], spend: 0 });
        return { ...base, left, simulation, leftAlone: leftAlone.done(), status: 'nothing-to-do', reason };
      }
      const notClearlyPositive = [...cut.values()].sort((a, b) => b.mean - a.mean).slice(0, LISTED_PER_REASON);
      if (chosen.length === 0) {
        const worst = simulation[simulation.length - 1];
        const reason = cut.size
          ? `no customer's simulated net value was clearly positive (the best: ${notClearlyPositive[0].customerId}, expected ${round1(notClearlyPositive[0].mean)}, low end ${round1(notClearlyPositive[0].low)}); nobody was contacted`
          : `the simulated net value's lower bound stayed negative (${Math.round(worst.low)} for ${worst.customers} customers after ${simulation.length} rounds); nobody was contacted`;
        await report({ status: 'refused-by-simulation', reason, contacted: [], spend: 0 });
        return { ...base, left, simulation, notClearlyPositive, leftAlone: leftAlone.done(), status: 'refused-by-simulation', reason };
      }
      const simulationId = simulation[simulation.length - 1].simulationId;

      const controlIds: string[] = [];
      const treatedIds: string[] = [];
      const contacts = { digital: 0, assisted: 0, 'pending-approval': 0, refused: 0 };
      const contacted: ContactedCustomer[] = [];
      let spend = 0;
      let reserved = 0;
      const horizonAt = input.scanAt + input.horizonMs;
      /** The run was stopped (the intent that started it closed). */
      let stop: RunStop | undefined;
      /**
       * Logs the run's choice for a customer (journaled: once, whatever replays), the offer or nothing
       * (held out, drawn with the control share: the propensities the estimators weigh by); answers
       * the decision id the contact carries, or undefined when the flow logs nothing.
       */
      const decide = async (c: (typeof chosen)[number], chosenAction: string, channel: Channel, at: number): Promise<string | undefined> => {
        if (!deps.logDecision) return undefined;
        const offerId = offerOf.get(c.customerId)!.offerId;
        const treat = 1 - input.controlShare;
        const record: DecisionRecord = {
          decisionId: runDecisionId('churn-prevention', input.periodId, c.customerId),
          customerId: c.customerId,
          at,
          channel,
          contextKey: contextKeyOf(channel, byId.get(c.customerId)!.churn),
          candidates: [
            { actionId: offerId, score: c.score, expectedValue: c.score, propensity: treat },
            { actionId: DO_NOTHING, score: 0, expectedValue: 0, propensity: input.controlShare },
          ],
          chosen: chosenAction,
          propensity: chosenAction === DO_NOTHING ? input.controlShare : treat,
        };
        return (await ctx.step(decisionStep, record, { key: `decision-${c.customerId}` })).decisionId;
      };
      // The control group is held out until the horizon before anybody is contacted: the other
      // flows leave its customers alone, and a contact of one anyway is noted for the measure.
      if (deps.holdouts) {
        const held = chosen.filter((c) => inControlGroup(c.customerId, input.seed, input.controlShare)).map((c) => c.customerId);
        await ctx.step(holdStep, { periodId: input.periodId, from: input.scanAt, until: horizonAt, customerIds: held });
      }
      for (const c of chosen) {
        if (stop) {
          leftAlone.add('stopped', c.customerId);
          continue;
        }
        if (inControlGroup(c.customerId, input.seed, input.controlShare)) {
          controlIds.push(c.customerId);
          leftAlone.add('control-group', c.customerId);
          // Holding a customer out is the run's choice too: its outcome (not acted on, and the stay or churn measured) is the baseline.
          if (deps.logDecision) await decide(c, DO_NOTHING, 'app', await ctx.now(`now-${c.customerId}`));
          continue;
        }
        const s = byId.get(c.customerId)!;
        const offer = offerOf.get(c.customerId)!;
        const assisted = input.assistedValueAbove !== undefined && s.value >= input.assistedValueAbove;
        // Worst case: the offer is accepted. What is spent and what is reserved for the offers still
        // unanswered never pass the budget together: checked here at the customer's own price as the
        // scan read it (else the offer's planning cost), and by the policy at the price the executor
        // moves (runBudgetLeft below), which binds whatever the scan knew.
        const worst = assisted ? input.contactCost : priceFor(s, offer);
        const budgetLeftNow = cents(Math.max(0, input.budget - spend - reserved));
        if (worst > budgetLeftNow + 1e-9) {
          left['budget-cap']++;
          leftAlone.add('budget', c.customerId);
          continue;
        }
        const request = (extra: Pick<ActionRequestInput, 'actionClass' | 'channel' | 'cost' | 'params'>): ActionRequestInput => ({
          ...extra,
          customerId: c.customerId,
          // What the run contacts counts up to its horizon: past it the policy carries nothing out
          // (an approval decided later included).
          expiresAt: horizonAt,
          // The run's budget left, which the policy checks at the price it moves (guardrail run-budget).
          runBudgetLeft: budgetLeftNow,
          domain: 'churn_prevention',
          features: { ...(s.features ?? {}) },
          actor: CHURN_PREVENTION_ACTOR,
          why: { summary: `churn ${pc(s.churn)}, value ${Math.round(s.value)}, acceptance ${pc(s.acceptanceByOffer?.[offer.offerId] ?? s.acceptance)}: expected net ${Math.round(c.score)} with ${offer.offerId}`, simulationId, evidence: { churn: s.churn, value: s.value, acceptance: s.acceptance, score: c.score, periodId: input.periodId, offerId: offer.offerId } },
        });
        // Nothing is presented after a stop. The quiet-hours wait is journaled under one key whether
        // or not it waits (a look for a stop when contacts are allowed at once), so a replay takes
        // the same path whatever the policy says by then.
        const now = await ctx.now(`now-${c.customerId}`);
        // No contact at or past the horizon, where the run measures what its contacts made: the
        // customers whose turn comes after it (a long run) are left alone, said so; quiet hours
        // that end after it are waited for only up to it, and the contact then asked is expired
        // (the policy refuses it, `expiresAt`). Both are read from the journal on a replay (the
        // time, the wait and the refusal), whatever the quiet hours say by then.
        if (now >= horizonAt) {
          leftAlone.add('past-horizon', c.customerId);
          continue;
        }
        stop = await waitUnlessStopped(ctx, `quiet-${c.customerId}`, Math.min(deps.contactAllowedAt?.(now) ?? now, horizonAt));
        if (stop) {
          leftAlone.add('stopped', c.customerId);
          continue;
        }
        const decisionId = await decide(c, offer.offerId, assisted ? 'call' : 'app', now);
        const logged = decisionId ? { decisionId } : {};
        let outcome: GuardedOutcome | undefined;
        let route: ContactRoute = 'assisted';
        if (!assisted) {
          outcome = await refusedOnFailure(`offer-${c.customerId}`, () => ctx.step(
            offerStep,
            request({
              // A discount offer is judged by the policy as the discount it is (caps, approvals, budget),
              // and presented to the customer, who accepts or declines it.
              // Priced by the guarded executor from the catalogue at this customer's monthly price.
              actionClass: offer.discountPct ? 'discount' : 'offer',
              channel: 'app',
              params: { offerId: offer.offerId, campaignId: churnPreventionWorkflowId(input.periodId), present: true, ...logged },
            }),
            { key: `offer-${c.customerId}` },
          ));
          route = 'digital';
        }
        // The policy only advises the offer in the app (or the customer is worth a call): a human presents it.
        if (!outcome || outcome.status === 'advised') {
          outcome = await ctx.step(
            taskStep,
            request({ actionClass: 'communication', channel: 'call', cost: input.contactCost, params: { notificationChannel: 'human_task', purpose: 'retention', direction: 'outbound', templateId: 'retention-call', offerId: offer.offerId, campaignId: churnPreventionWorkflowId(input.periodId), ...logged } }),
            { key: `task-${c.customerId}` },
          );
          route = 'assisted';
        }
        const cost = outcome.cost ?? (route === 'digital' ? offer.cost : input.contactCost);
        if (outcome.status === 'executed') {
          contacts[route]++;
          // What the contact cost now; an offer's acceptance-paid part is reserved until the customer answers.
          spend += cost;
          reserved += outcome.onAcceptance ?? 0;
          treatedIds.push(c.customerId);
          contacted.push({ customerId: c.customerId, offerId: offer.offerId, route, cost, ...(outcome.onAcceptance ? { requestId: outcome.requestId, onAcceptance: outcome.onAcceptance } : {}) });
        } else if (outcome.status === 'pending-approval') {
          // Counted against the budget now: if a person approves it later, it will be spent.
          contacts['pending-approval']++;
          spend += cost;
          leftAlone.add('pending-approval', c.customerId);
        } else {
          contacts.refused++;
          const guardrail = outcome.guardrail ?? '';
          if (guardrail === 'run-budget') left['budget-cap']++;
          leftAlone.add(refusalReason(guardrail), c.customerId);
        }
      }

      // Money in cents: a sum of contacts' costs carries the floating point's crumbs (0.15000000000000002).
      spend = cents(spend);
      reserved = cents(reserved);
      await report({ status: 'acted', contacted, spend, ...(reserved > 0 ? { reserved } : {}) });
      // A stop (the intent closed) measures at once: what the contacts made did so far.
      stop = (await waitUnlessStopped(ctx, 'horizon', horizonAt)) ?? stop;
      const outcomes = await ctx.step(measure, { ids: [...treatedIds, ...controlIds], since: input.scanAt });
      const paidOnAcceptance = requestsPaidOnAcceptance(contacted);
      const settled = deps.settlements && paidOnAcceptance.length ? await ctx.step(churnSettledStep(deps.settlements), { requestIds: paidOnAcceptance }) : undefined;
      const of = new Map(outcomes.map((o) => [o.customerId, o]));
      // A held-out customer someone contacted anyway measures nothing: the control is read without them.
      const contaminated = deps.holdouts ? ((await ctx.step(contaminationStep, { periodId: input.periodId, controlIds })) ?? undefined) : undefined;
      const spoiled = new Set(contaminated?.customerIds ?? []);
      const cleanControl = controlIds.filter((id) => !spoiled.has(id));
      const rate = (ids: readonly string[]) => (ids.length ? ids.filter((id) => of.get(id)?.churned).length / ids.length : 0);
      const treatedChurnRate = rate(treatedIds);
      const controlChurnRate = rate(cleanControl);
      const accepted = treatedIds.filter((id) => of.get(id)?.accepted).length;
      const uplift = controlChurnRate - treatedChurnRate;
      const churnedIn = (ids: readonly string[]) => ids.filter((id) => of.get(id)?.churned).length;
      const ci = differenceInterval(churnedIn(cleanControl), cleanControl.length, churnedIn(treatedIds), treatedIds.length, Z_90);
      const upliftInterval = ci ? { low: round4(ci.low), high: round4(ci.high), level: 0.9 as const } : null;
      const groups = `${treatedIds.length} treated vs ${cleanControl.length} held out${contaminated ? ` (${contaminatedText(contaminated)})` : ''}`;
      const reading = !upliftInterval
        ? `too few to read: ${groups}, so there is no group to compare`
        : upliftInterval.low > 0
          ? `kept customers: the 90 % interval of the uplift, [${pc(upliftInterval.low)}, ${pc(upliftInterval.high)}], is above none (${groups})`
          : upliftInterval.high < 0
            ? `lost customers: the 90 % interval of the uplift, [${pc(upliftInterval.low)}, ${pc(upliftInterval.high)}], is below none (${groups})`
            : `too few to read: the 90 % interval of the uplift, [${pc(upliftInterval.low)}, ${pc(upliftInterval.high)}], holds no effect as well as this one (${groups})`;
      const meanValue = treatedIds.length ? treatedIds.reduce((a, id) => a + (byId.get(id)?.value ?? 0), 0) / treatedIds.length : 0;
      return {
        ...base,
        left,
        simulation,
        ...(cut.size ? { notClearlyPositive } : {}),
        treatedIds,
        controlIds,
        contacts,
        contacted,
        leftAlone: leftAlone.done(),
        spend,
        ...(settled ? { reserved: settled.reserved, acceptedCost: settled.committed } : reserved > 0 ? { reserved } : {}),
        status: 'measured',
        ...(stop ? { stoppedBecause: stop.reason } : {}),
        reason: `${treatedIds.length} treated, ${controlIds.length} held out${contaminated ? `, ${contaminatedText(contaminated)}` : ''}; churn ${pc(treatedChurnRate)} treated vs ${pc(controlChurnRate)} control; ${reading}`,
        measured: {
          treatedChurnRate,
          controlChurnRate,
          uplift,
          upliftInterval,
          reading,
          retainedEstimate: uplift * treatedIds.length,
          acceptanceRate: treatedIds.length ? accepted / treatedIds.length : 0,
          accepted,
          valueRetainedEstimate: uplift * treatedIds.length * meanValue,
          meanValue,
          ...(contaminated ? { contaminated } : {}),
        },
      };
    },
  };
}

/** The plan's offers, most given first: the main one, who gets each and their mean acceptance of it. */
function offerMix(assigned: readonly { customerId: string; offerId: string; acceptance: number }[]): Pick<ChurnPlanSummary, 'offerId' | 'offers'> {
  const groups = new Map<string, { ids: string[]; acceptance: number }>();
  for (const a of assigned) {
    const g = groups.get(a.offerId) ?? { ids: [], acceptance: 0 };
    g.ids.push(a.customerId);
    g.acceptance += a.acceptance;
    groups.set(a.offerId, g);
  }
  const offers = [...groups].map(([offerId, g]) => ({ offerId, customers: g.ids.length, customerIds: g.ids, acceptance: g.acceptance / g.ids.length })).sort((a, b) => b.customers - a.customers);
  return { offerId: offers[0].offerId, offers };
}

/** A run's identity in the holdout register: its contacts carry its workflow id as `campaignId`. */
const churnRunRef = (periodId: string): RunRef => ({ flow: 'churn-prevention', runId: churnPreventionWorkflowId(periodId) });
/** "2 of the control contacted anyway (human care-1: offer retain-10 ×2), measured without them". */
const contaminatedText = (c: Contamination) =>
  `${c.count} of the control contacted anyway (${Object.entries(c.by).map(([what, n]) => `${what}${n > 1 ? ` ×${n}` : ''}`).join('; ')}), measured without them`;

const round1 = (x: number) => Math.round(x * 10) / 10;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
/** z of a two-sided 90 % interval: the intervals the simulation lab and the reports show are 90 % ones. */
const Z_90 = 1.645;

/** Refusals that concern whether the customer may be contacted at all (consent, opt-outs, quiet hours, caps). */
const CONTACT_RULE_NAMES: ReadonlySet<string> = new Set(CONTACT_RULES);

/**
 * Why a customer whose contact the policy refused was left alone: the contact rule that refused it
 * (quiet hours is not consent: a customer with consent whose contact met quiet hours read "consent"),
 * marketing-consent as `no-consent`, the budgets as `budget`, an expired request as `past-horizon`.
 */
export function refusalReason(guardrail: string): LeftAloneReason {
  if (guardrail === 'marketing-consent') return 'no-consent';
  if (CONTACT_RULE_NAMES.has(guardrail)) return guardrail as LeftAloneReason;
  if (guardrail === 'budget' || guardrail === 'run-budget') return 'budget';
  return guardrail === 'expired' ? 'past-horizon' : 'refused';
}

/** Collects the customers left alone by reason: every one counted, the first LISTED_PER_REASON named. */
function reasons() {
  const by: Partial<Record<LeftAloneReason, { count: number; customerIds: string[] }>> = {};
  return {
    add(reason: LeftAloneReason, customerId: string) {
      const r = (by[reason] ??= { count: 0, customerIds: [] });
      r.count++;
      if (r.customerIds.length < LISTED_PER_REASON) r.customerIds.push(customerId);
    },
    count: (reason: LeftAloneReason) => by[reason]?.count ?? 0,
    done: () => by,
  };
}

const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
