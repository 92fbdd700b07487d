import { z } from 'zod';
import { ok, rejected, transient } from '../../domain/connectors/connector-result.js';
import type { CreditBureauConnector, CreditReport } from '../../domain/connectors/credit-bureau.js';
import type { IdentityVerification, IdentityVerificationConnector } from '../../domain/connectors/identity-verification.js';
import type { NotificationsConnector } from '../../domain/connectors/notifications.js';
import type { Order, OrderManagementConnector } from '../../domain/connectors/order-management.js';
import type { ProvisioningConnector, ProvisioningJob } from '../../domain/connectors/provisioning.js';
import { TwinloopError } from '../../domain/errors.js';
import { describeInputIssues } from '../../domain/input-issues.js';
import { channelSchema } from '../../domain/events.js';
import type { StepDefinition, WorkflowDefinition } from '../workflows/index.js';
import { PROVISIONING_POLL_RETRY, provisioningPollStep } from './provisioning-poll.js';

/**
 * Customer onboarding as one durable flow: applicant → ID verification → credit check (deposit
 * or plan limit on a low score) → plan selection (recommended from expected use) → order capture
 * → provisioning and activation → welcome message. On failure the saga cancels the order and, if
 * the line was already activated, opens a human task to release the number (the provisioning
 * connector has no deactivation call).
 */

/** Stable id of the onboarding workflow, stored in the journal. */
export const ONBOARDING_WORKFLOW_ID = 'onboarding';
/** Bump when the steps change; keep registering the old version while its runs are in flight. */
export const ONBOARDING_WORKFLOW_VERSION = 1;

/** Stable step ids, stored in the journal. */
export const VERIFY_IDENTITY_STEP_ID = 'verify-identity';
export const CHECK_CREDIT_STEP_ID = 'check-credit';
export const SELECT_PLAN_STEP_ID = 'select-plan';
export const CAPTURE_ORDER_STEP_ID = 'capture-order';
export const ACTIVATE_LINE_STEP_ID = 'activate-line';
export const AWAIT_ACTIVATION_STEP_ID = 'await-activation';
export const SEND_WELCOME_STEP_ID = 'send-welcome';
/** The onboarding flow's step ids, in the order they run. */
export const ONBOARDING_STEPS = [
  VERIFY_IDENTITY_STEP_ID,
  CHECK_CREDIT_STEP_ID,
  SELECT_PLAN_STEP_ID,
  CAPTURE_ORDER_STEP_ID,
  ACTIVATE_LINE_STEP_ID,
  AWAIT_ACTIVATION_STEP_ID,
  SEND_WELCOME_STEP_ID,
] as const;

const inputSchema = z.strictObject({
  applicant: z.strictObject({
    applicantId: z.string().min(1),
    fullName: z.string().min(1),
    birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    documentType: z.enum(['passport', 'id_card', 'driving_licence']),
    documentNumber: z.string().min(1),
    preferredPlanId: z.string().min(1).optional(),
  }),
  /** Monthly use the applicant expects; drives the plan recommendation. */
  expectedUse: z.strictObject({ dataMb: z.number().nonnegative(), voiceMin: z.number().nonnegative() }).optional(),
  /** Where the applicant asked for the line (a TMF622 order's sales channel); kept on the run, not acted on. */
  channel: channelSchema.optional(),
});

/** What starts an onboarding run (validated once, when started). */
export type OnboardingInput = z.infer<typeof inputSchema>;

/** A plan the flow may recommend (the operator's catalogue). */
export interface PlanOption {
  id: string;
  monthlyPrice: number;
  dataAllowanceMb: number;
  voiceAllowanceMin: number;
}

/** Credit policy: how the bureau band shapes the offer. */
export interface CreditPolicy {
  /** Identity checks riskier than this are refused as likely fraud. */
  maxFraudRisk: number;
  /** Bands that must pay a deposit, and how much. */
  depositBands: readonly CreditReport['band'][];
  depositAmount: number;
  /** Bands limited to plans up to `limitedMaxMonthlyPrice`. */
  limitedBands: readonly CreditReport['band'][];
  limitedMaxMonthlyPrice: number;
}

/** Default credit policy: C pays a deposit of 50, D is limited to plans up to 30 a month; fraud risk above 0.5 is refused. */
export const DEFAULT_CREDIT_POLICY: CreditPolicy = { maxFraudRisk: 0.5, depositBands: ['C'], depositAmount: 50, limitedBands: ['D'], limitedMaxMonthlyPrice: 30 };

/** The back ends and catalogue the flow works with, passed in (sandbox or real adapters). */
export interface OnboardingDependencies {
  identity: IdentityVerificationConnector;
  credit: CreditBureauConnector;
  orders: OrderManagementConnector;
  provisioning: ProvisioningConnector;
  notifications: NotificationsConnector;
  plans: readonly PlanOption[];
  creditPolicy?: CreditPolicy;
}

/** What a finished onboarding returns. */
export interface OnboardingResult {
  customerId: string;
  subscriptionId: string | null;
  orderId: string;
  planId: string;
  depositAmount: number;
  verificationId: string;
}

/** The terms a credit report leads to. */
export interface CreditTerms {
  band: CreditReport['band'];
  depositAmount: number;
  maxMonthlyPrice: number | null;
}

/** Credit band → deposit and plan limit (pure). */
export function creditTerms(report: CreditReport, policy: CreditPolicy): CreditTerms {
  return {
    band: report.band,
    depositAmount: policy.depositBands.includes(report.band) ? policy.depositAmount : 0,
    maxMonthlyPrice: policy.limitedBands.includes(report.band) ? policy.limitedMaxMonthlyPrice : null,
  };
}

/**
 * The recommended plan (pure): the cheapest plan within the credit limit that covers the expected
 * use; without expected use, the applicant's preferred plan if allowed; else the cheapest allowed.
 * Null when no plan is allowed.
 */
export function recommendPlan(plans: readonly PlanOption[], terms: CreditTerms, input: OnboardingInput): PlanOption | null {
  const allowed = plans.filter((p) => terms.maxMonthlyPrice === null || p.monthlyPrice <= terms.maxMonthlyPrice).sort((a, b) => a.monthlyPrice - b.monthlyPrice);
  if (allowed.length === 0) return null;
  const use = input.expectedUse;
  if (use) {
    const covering = allowed.find((p) => p.dataAllowanceMb >= use.dataMb && p.voiceAllowanceMin >= use.voiceMin);
    return covering ?? allowed[allowed.length - 1];
  }
  return allowed.find((p) => p.id === input.applicant.preferredPlanId) ?? allowed[0];
}

/** Builds the onboarding workflow over its dependencies. */
export function onboardingWorkflow(deps: OnboardingDependencies): WorkflowDefinition<OnboardingInput, OnboardingResult> {
  if (deps.plans.length === 0) throw new TwinloopError('BAD_INPUT', 'onboarding needs at least one plan in its catalogue');
  const policy = deps.creditPolicy ?? DEFAULT_CREDIT_POLICY;

  const verifyIdentity: StepDefinition<OnboardingInput['applicant'], IdentityVerification> = {
    id: VERIFY_IDENTITY_STEP_ID,
    version: 1,
    async run(applicant, ctx) {
      const { preferredPlanId: _preferred, ...claim } = applicant;
      const r = await deps.identity.verify({ ...claim, idempotencyKey: ctx.idempotencyKey });
      if (r.status === 'ok' && r.value.fraudRisk > policy.maxFraudRisk) return rejected(`fraud_risk_${r.value.fraudRisk}`);
      return r;
    },
  };

  const checkCredit: StepDefinition<OnboardingInput['applicant'], CreditTerms> = {
    id: CHECK_CREDIT_STEP_ID,
    version: 1,
    async run(a, ctx) {
      const r = await deps.credit.check({ applicantId: a.applicantId, fullName: a.fullName, birthDate: a.birthDate, idempotencyKey: ctx.idempotencyKey });
      return r.status === 'ok' ? ok(creditTerms(r.value, policy)) : r;
    },
  };

  const selectPlan: StepDefinition<{ input: OnboardingInput; terms: CreditTerms }, PlanOption> = {
    id: SELECT_PLAN_STEP_ID,
    version: 1,
    run: ({ input, terms }) => {
      const plan = recommendPlan(deps.plans, terms, input);
      return Promise.resolve(plan ? ok(plan) : rejected<PlanOption>('no_plan_within_credit_limit'));
    },
  };

  const captureOrder: StepDefinition<{ applicantId: string; planId: string }, Order> = {
    id: CAPTURE_ORDER_STEP_ID,
    version: 1,
    run: (req, ctx) => deps.orders.create({ order: { type: 'new_line', applicantId: req.applicantId, planId: req.planId }, idempotencyKey: ctx.idempotencyKey }),
    // Without an order id there is nothing to cancel; a refused cancel (already provisioning) is final.
    compensate: async (_req, order, ctx) => (order ? deps.orders.cancel({ orderId: order.orderId, idempotencyKey: ctx.idempotencyKey }) : undefined),
  };

  // Activation completes asynchronously, possibly after the flow stopped waiting for it. The
  // connector cannot deactivate a line: undoing an activation means a person releases the number.
  // So the undo belongs to the request, not to the wait: it looks where the job stands (waiting,
  // on the poll's schedule, while it is pending) and asks for the release once it completed.
  const activateLine: StepDefinition<{ orderId: string }, ProvisioningJob> = {
    id: ACTIVATE_LINE_STEP_ID,
    version: 1,
    retry: PROVISIONING_POLL_RETRY,
    run: (req, ctx) => deps.provisioning.activate({ orderId: req.orderId, idempotencyKey: ctx.idempotencyKey }),
    async compensate(_req, job, ctx) {
      if (!job) return undefined;
      const now = await deps.provisioning.status(job.provisioningId);
      if (now.status !== 'ok') return now;
      if (now.value.state === 'pending') return transient('activation_pending');
      if (now.value.state === 'failed' || !now.value.customerId) return undefined;
      return deps.notifications.send({ customerId: now.value.customerId, channel: 'human_task', purpose: 'care', templateId: 'release-number', idempotencyKey: ctx.idempotencyKey });
    },
  };

  const awaitActivation = provisioningPollStep<{ provisioningId: string }>(AWAIT_ACTIVATION_STEP_ID, deps.provisioning, 'activation');

  const sendWelcome: StepDefinition<{ customerId: string }, { notificationId: string }> = {
    id: SEND_WELCOME_STEP_ID,
    version: 1,
    async run(req, ctx) {
      const r = await deps.notifications.send({ customerId: req.customerId, channel: 'sms', purpose: 'service', templateId: 'welcome', idempotencyKey: ctx.idempotencyKey });
      return r.status === 'ok' ? ok({ notificationId: r.value.notificationId }) : r;
    },
  };

  return {
    id: ONBOARDING_WORKFLOW_ID,
    version: ONBOARDING_WORKFLOW_VERSION,
    parseInput: (raw) => {
      const parsed = inputSchema.safeParse(raw);
      if (!parsed.success) throw new TwinloopError('BAD_INPUT', `onboarding input is invalid: ${describeInputIssues(parsed.error.issues, raw)}`);
      return parsed.data;
    },
    async run(ctx, input) {
      const verification = await ctx.step(verifyIdentity, input.applicant);
      const terms = await ctx.step(checkCredit, input.applicant);
      const plan = await ctx.step(selectPlan, { input, terms });
      const order = await ctx.step(captureOrder, { applicantId: input.applicant.applicantId, planId: plan.id });
      const job = await ctx.step(activateLine, { orderId: order.orderId });
      const done = await ctx.step(awaitActivation, { provisioningId: job.provisioningId });
      await ctx.step(sendWelcome, { customerId: done.customerId! });
      return {
        customerId: done.customerId!,
        subscriptionId: done.subscriptionId ?? null,
        orderId: order.orderId,
        planId: plan.id,
        depositAmount: terms.depositAmount,
        verificationId: verification.verificationId,
      };
    },
  };
}
