import { z } from 'zod';
import { ok, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import { TwinloopError } from '../../domain/errors.js';
import { describeInputIssues } from '../../domain/input-issues.js';
import type { CustomerScores } from '../../decisioning/arbitration.js';
import { acceptedRequest, decisionActionRequest, type DecisionActionRequest } from '../../decisioning/decision-action.js';
import { decideForTwin, type Decision, type DecisionFunnel, type TwinSource } from '../../decisioning/decision-funnel.js';
import { DO_NOTHING } from '../../decisioning/decision-record.js';
import type { ActionClass, OfferCatalogue } from '../../decisioning/offer-catalogue.js';
import type { ActionRequestInput, Actor } from '../../decisioning/policy/index.js';
import { FEATURE_NAMES } from '../../twin/twin-features.js';
import type { GuardedExecutor } from '../governance/guarded-executor.js';
import type { StepDefinition, WorkflowContext, WorkflowDefinition, WorkflowStepView } from '../workflows/index.js';
import { awaitApproval, guardedActionStep, type GuardedOutcome } from './guarded-step.js';
import { DAY_MS } from '../../domain/time.js';
import { PRESENTED, type CustomerYes, type CustomerYesInput } from '../assist/customer-yes.js';

/**
 * Customer care on a billing complaint: next-best-action for the caller → the card's top action
 * is either done by the flow itself (when `actAlone` and the policy lets an agent do it on the
 * channel) or offered to the human agent, who accepts or declines (signal `agent-decision`) →
 * the action goes through the guarded executor (approval awaited when the policy asks one) →
 * after an executed credit or offer, a durable sleep, a care follow-up message, and a check that
 * the complaint ticket is closed (a trouble ticket for a person when it is not).
 */

/** Stable id of the customer care workflow, stored in the journal. */
export const CUSTOMER_CARE_WORKFLOW_ID = 'customer-care';
/** Bump when the steps change; keep registering the old version while its runs are in flight. */
export const CUSTOMER_CARE_WORKFLOW_VERSION = 1;
/** Stable step ids, stored in the journal. */
export const NEXT_BEST_ACTION_STEP_ID = 'next-best-action';
export const ACT_ALONE_STEP_ID = 'act-alone';
export const AGENT_ACTION_STEP_ID = 'agent-action';
export const FOLLOW_UP_MESSAGE_STEP_ID = 'follow-up-message';
export const RAISE_TICKET_STEP_ID = 'raise-ticket';
export const CHECK_TICKET_CLOSED_STEP_ID = 'check-ticket-closed';
/** Name of the signal carrying the human agent's answer: `{ decision: 'accept' | 'decline', agentId }`. */
export const AGENT_DECISION_SIGNAL = 'agent-decision';
/** Actor id of the flow when it acts alone or follows up. */
export const CARE_AGENT_ID = 'customer-care';
/** A call lasts minutes: an unanswered card is dropped after 15. */
export const DEFAULT_AGENT_DECISION_TIMEOUT_MS = 15 * 60_000;
/** Longer than any approval window of the default policy (credits 4 h, discounts 24 h), so a late approval still reaches the run. */
export const DEFAULT_CARE_APPROVAL_TIMEOUT_MS = 25 * 3_600_000;
/** Three days: long enough for the adjustment to show and the ticket to be worked. */
export const DEFAULT_FOLLOW_UP_DELAY_MS = 3 * DAY_MS;

/** The reason of a care case started without one. */
export const UNSPECIFIED_REASON = 'unspecified';

const inputSchema = z.strictObject({
  customerId: z.string().min(1),
  channel: z.enum(['call', 'chat', 'store']).default('call'),
  /**
   * Why the customer is in touch, the caller's to give; a case started without one says
   * 'unspecified' rather than claim a billing complaint nobody made (the reason reaches the
   * next-best-action's applicability and every page and audit line of the case).
   */
  reason: z.string().min(1).default(UNSPECIFIED_REASON),
  /** The complaint's ticket, for the record. */
  ticketId: z.string().min(1).optional(),
});

/** What starts a run. */
export type CustomerCareInput = z.infer<typeof inputSchema>;

/** The action on the card, as plain data (journaled): an offering of the catalogue, or nothing to do (class `none`). */
export type CareCard = CareCardFields & ({ actionClass: ActionClass } | { actionClass: 'none' });
interface CareCardFields {
  decisionId: string;
  actionId: string;
  name: string;
  message: string | null;
  /** What the action costs the operator (credit amount, offer cost). */
  cost: number;
  discountPct?: number;
  months?: number;
  features: Record<string, number>;
  /**
   * The decision's action request as every path that carries a decision out builds it
   * (decisionActionRequest: a check-in with its purpose and channel, an offer presented); absent
   * on a do-nothing card and on cards journaled before it was kept.
   */
  request?: DecisionActionRequest;
}

/** The human agent's answer on the card. */
export interface AgentDecision {
  decision: 'accept' | 'decline' | 'timed-out';
  agentId: string | null;
  /**
   * What the signer is, from their credential (POST /workflows/:id/signals/:name sets it with
   * agentId): only a person's accept is the customer's yes; an AI agent's carries the action out
   * as the agent, presented for the customer to answer. Absent (a signal journaled before it was
   * kept): a person, as every signal was then taken to be.
   */
  agentKind?: Actor['kind'];
  /**
   * Whether a person's accept is the customer's yes, judged when it came in (customerYes, decision
   * 0050: a person who serves customers, on the call the card was decided in, still in progress), as
   * the agent desktop's accept is. Not recorded: the offer is presented for the customer to answer.
   * Absent (a signal journaled before it was judged): a person's accept is the yes, as it was then.
   */
  customerYes?: { recorded: boolean; reason: string };
}

/** What a care case's accept is judged on (`customerYes`): the card's decision. */
export type CareCaseDecision = CustomerYesInput['decision'] & { channel: CustomerCareInput['channel'] };

/** What a care case's accept is judged on (`customerYes`): the card's decision, or undefined while the case has not decided yet. */
export function careCaseDecision(run: { input: unknown }, steps: readonly Pick<WorkflowStepView, 'stepId' | 'status' | 'output' | 'updatedAt'>[]): CareCaseDecision | undefined {
  const input = inputSchema.safeParse(run.input);
  const decided = steps.find((x) => x.stepId === NEXT_BEST_ACTION_STEP_ID && x.status === 'succeeded');
  const decisionId = (decided?.output as Partial<CareCard> | null | undefined)?.decisionId;
  if (!input.success || !decided || typeof decisionId !== 'string') return undefined;
  // The step's time is the decision's, on the operator's clock (the card is decided in it).
  return { decisionId, customerId: input.data.customerId, channel: input.data.channel, at: decided.updatedAt };
}

/**
 * Whether a person's accept signalled to run `workflowId` is the customer's yes (decision 0050):
 * `judge`'s answer on the care case's decision (customerYes for the signer), and not while the case
 * has not decided what to offer yet (nothing was heard on the line). Undefined for a run that is no
 * care case. The signal route asks it as the person answers; the run takes what it answered.
 */
export async function careCaseYes(
  runs: { get(workflowId: string): Promise<{ definitionId: string; input: unknown } | null>; steps(workflowId: string): Promise<WorkflowStepView[] | null> },
  workflowId: string,
  judge: (decision: CareCaseDecision) => CustomerYes,
): Promise<CustomerYes | undefined> {
  const run = await runs.get(workflowId);
  if (run?.definitionId !== CUSTOMER_CARE_WORKFLOW_ID) return undefined;
  const decision = careCaseDecision(run, (await runs.steps(workflowId)) ?? []);
  if (!decision) return { recorded: false, reason: `care case ${workflowId} has not decided what to offer yet, so no offer was heard on the line: ${PRESENTED}` };
  return judge(decision);
}

/** The flow's dependencies. */
export interface CustomerCareDeps {
  guarded: () => GuardedExecutor;
  /** Next-best-action for the customer in this contact (see `funnelCareCard`). */
  decide: (customerId: string, context: { channel: CustomerCareInput['channel']; reason: string; now: number }) => Promise<CareCard>;
  /** Open trouble tickets of the customer now (the twin's `open_tickets` feature). */
  openTickets: (customerId: string) => Promise<number>;
  /** Whether a twin holds the customer: a case for one nobody knows is refused NOT_FOUND at its start. Absent: not checked. */
  customerKnown?: (customerId: string) => boolean;
  /** Let the flow act without the human when the policy allows it to (default true). */
  actAlone?: boolean;
  agentDecisionTimeoutMs?: number;
  approvalTimeoutMs?: number;
  followUpDelayMs?: number;
}

/** How the action ended; every branch is explicit. */
export type CareOutcome = 'nothing-to-offer' | 'executed-alone' | 'accepted' | 'declined' | 'agent-timed-out' | 'refused' | 'approved' | 'approval-refused' | 'approval-timed-out' | 'advised';

/** What a finished run returns. */
export interface CustomerCareResult {
  outcome: CareOutcome;
  actionId: string;
  reason: string;
  agentId: string | null;
  followUp: { sent: GuardedOutcome['status']; openTickets: number; ticketRaised: boolean } | null;
  /** A person's accept: whether it was booked as the customer's yes, and why (absent otherwise). */
  customerYes?: { recorded: boolean; reason: string };
}

/** Builds the card from the funnel's choice (do-nothing when it chose nothing). */
export function funnelCareCard(funnel: DecisionFunnel, twins: TwinSource, scoresOf: (id: string) => CustomerScores | undefined): CustomerCareDeps['decide'] {
  return async (customerId, context) => careCardOf(decideForTwin(funnel, twins, scoresOf, customerId, { ...context, direction: 'inbound' }), funnel.catalogue, twins.features(customerId, context.now));
}

/** The card of a decision already taken (e.g. by the decision service, which also logs it). */
export function careCardOf(d: Decision, catalogue: OfferCatalogue, vector: Float64Array | undefined): CareCard {
  const features: Record<string, number> = {};
  if (vector) FEATURE_NAMES.forEach((n, i) => (features[n] = vector[i]));
  const offer = catalogue.byId.get(d.chosen.actionId);
  if (!offer || d.chosen.actionId === DO_NOTHING) return { decisionId: d.decisionId, actionId: DO_NOTHING, actionClass: 'none', name: 'Do nothing', message: null, cost: 0, features };
  const price = offer.offering.productOfferingPrice;
  return {
    decisionId: d.decisionId,
    actionId: offer.id,
    actionClass: offer.actionClass,
    name: offer.offering.name,
    message: d.chosen.treatment?.message ?? null,
    cost: price.cost.value,
    discountPct: price.priceType === 'discount' ? price.percentage : undefined,
    months: price.recurringChargePeriodLength,
    features,
    request: decisionActionRequest(d, offer),
  };
}

/**
 * The guarded request for the card's action (pure). `accepted`: the agent, a person, accepted it on
 * the line, the customer's yes (acceptedRequest, the one builder's: an offer is booked accepted, not
 * presented to be answered again; FORBIDDEN for an actor who is not a person).
 */
export function careRequest(card: CareCard & { actionClass: ActionClass }, input: CustomerCareInput, actor: Actor, options: { accepted?: boolean } = {}): ActionRequestInput {
  // The one builder's request (a card journaled before cards carried it: its fields as they were).
  const built: DecisionActionRequest = card.request ?? {
    id: card.decisionId,
    actionClass: card.actionClass,
    channel: input.channel,
    customerId: input.customerId,
    // Priced by the guarded executor: a catalogue offering at this customer's monthly price, a credit by its amount.
    params: { offerId: card.actionId, decisionId: card.decisionId, ...(card.actionClass === 'credit' ? { amount: card.cost } : {}) },
    why: { evidence: {} },
  };
  // Its id is the step's (guardedActionStep), the rest is the case's.
  const { id: _id, ...request } = options.accepted ? acceptedRequest(built, actor) : built;
  return {
    ...request,
    domain: 'care',
    params: { ...request.params, reason: input.reason, ticketId: input.ticketId },
    features: card.features,
    actor,
    why: { summary: `${input.reason}: next-best-action ${card.name}`, evidence: { ...request.why?.evidence, decisionId: card.decisionId } },
  };
}

/** Builds the customer care workflow. */
export function customerCareWorkflow(deps: CustomerCareDeps): WorkflowDefinition<CustomerCareInput, CustomerCareResult> {
  const actAlone = deps.actAlone ?? true;
  const agentTimeoutMs = deps.agentDecisionTimeoutMs ?? DEFAULT_AGENT_DECISION_TIMEOUT_MS;
  const approvalTimeoutMs = deps.approvalTimeoutMs ?? DEFAULT_CARE_APPROVAL_TIMEOUT_MS;
  const followUpDelayMs = deps.followUpDelayMs ?? DEFAULT_FOLLOW_UP_DELAY_MS;

  const decide: StepDefinition<{ input: CustomerCareInput; now: number }, CareCard> = {
    id: NEXT_BEST_ACTION_STEP_ID,
    version: 1,
    run: async ({ input, now }) => ok(await deps.decide(input.customerId, { channel: input.channel, reason: input.reason, now })),
  };
  const actAloneStep = guardedActionStep(ACT_ALONE_STEP_ID, deps.guarded);
  const agentAction = guardedActionStep(AGENT_ACTION_STEP_ID, deps.guarded);
  const followUpMessage = guardedActionStep(FOLLOW_UP_MESSAGE_STEP_ID, deps.guarded);
  const raiseTicket = guardedActionStep(RAISE_TICKET_STEP_ID, deps.guarded);
  const checkTickets: StepDefinition<{ customerId: string }, { open: number }> = {
    id: CHECK_TICKET_CLOSED_STEP_ID,
    version: 1,
    run: async ({ customerId }): Promise<ConnectorResult<{ open: number }>> => ok({ open: await deps.openTickets(customerId) }),
  };

  /** executed → `done`; pending → awaits the approver; every other answer ends the action. */
  async function settle(ctx: WorkflowContext, asked: GuardedOutcome, done: CareOutcome): Promise<{ outcome: CareOutcome; reason: string; executed: boolean }> {
    switch (asked.status) {
      case 'executed':
        return { outcome: done, reason: asked.reason, executed: true };
      case 'pending-approval': {
        const d = await awaitApproval(ctx, asked.approvalId!, approvalTimeoutMs, deps.guarded);
        if (d.status === 'executed') return { outcome: 'approved', reason: d.reason, executed: true };
        return { outcome: d.status === 'timed-out' ? 'approval-timed-out' : 'approval-refused', reason: d.reason, executed: false };
      }
      case 'advised':
        return { outcome: 'advised', reason: asked.reason, executed: false };
      default:
        return { outcome: 'refused', reason: asked.reason, executed: false };
    }
  }

  async function followUp(ctx: WorkflowContext, input: CustomerCareInput): Promise<NonNullable<CustomerCareResult['followUp']>> {
    await ctx.sleep('follow-up-delay', followUpDelayMs);
    const agent = { kind: 'agent' as const, id: CARE_AGENT_ID };
    const sent = await ctx.step(followUpMessage, {
      actionClass: 'communication',
      channel: input.channel,
      customerId: input.customerId,
      domain: 'care',
      params: { purpose: 'care', templateId: 'care-follow-up', notificationChannel: 'sms', ticketId: input.ticketId },
      actor: agent,
      why: { summary: `follow-up of a ${input.reason}` },
    });
    const { open } = await ctx.step(checkTickets, { customerId: input.customerId });
    let ticketRaised = false;
    if (open > 0) {
      const t = await ctx.step(raiseTicket, {
        actionClass: 'trouble_ticket',
        channel: input.channel,
        customerId: input.customerId,
        domain: 'care',
        params: { ticketId: input.ticketId, templateId: 'complaint-still-open' },
        actor: agent,
        why: { summary: `${open} ticket(s) still open ${Math.round(followUpDelayMs / 3_600_000)} h after a ${input.reason}` },
      });
      ticketRaised = t.status === 'executed';
    }
    return { sent: sent.status, openTickets: open, ticketRaised };
  }

  return {
    id: CUSTOMER_CARE_WORKFLOW_ID,
    version: CUSTOMER_CARE_WORKFLOW_VERSION,
    parseInput(raw) {
      const parsed = inputSchema.safeParse(raw);
      if (!parsed.success) throw new TwinloopError('BAD_INPUT', `customer care input is invalid: ${describeInputIssues(parsed.error.issues, raw)}; send { customerId, channel?, reason?, ticketId? }`);
      return parsed.data;
    },
    // Refused at the start (404), as POST /actions is, rather than a case that fails after its retries.
    async admit(input) {
      if (deps.customerKnown && !deps.customerKnown(input.customerId)) throw new TwinloopError('NOT_FOUND', `no customer ${input.customerId}: no twin holds them, so no care case can be opened for them; GET /twins lists the customers`);
    },
    async run(ctx, input) {
      const card = await ctx.step(decide, { input, now: await ctx.now('decided-at') });
      if (card.actionClass === 'none') return { outcome: 'nothing-to-offer', actionId: DO_NOTHING, reason: 'the next-best-action is to do nothing', agentId: null, followUp: null };

      let agentId: string | null = null;
      let settled: Awaited<ReturnType<typeof settle>> | null = null;
      let yes: AgentDecision['customerYes'];
      if (actAlone) {
        // The flow just asks; the policy decides whether an agent may do this here.
        const asked = await ctx.step(actAloneStep, careRequest(card, input, { kind: 'agent', id: CARE_AGENT_ID }));
        if (asked.status === 'executed' || asked.status === 'pending-approval' || asked.status === 'refused') settled = await settle(ctx, asked, 'executed-alone');
      }
      if (!settled) {
        const waited = await ctx.waitForSignal<AgentDecision>(AGENT_DECISION_SIGNAL, { timeoutMs: agentTimeoutMs, fallback: { decision: 'timed-out', agentId: null } });
        agentId = waited.payload.agentId;
        if (waited.payload.decision === 'timed-out') return { outcome: 'agent-timed-out', actionId: card.actionId, reason: `no answer from the agent within ${Math.round(agentTimeoutMs / 60_000)} minutes`, agentId, followUp: null };
        if (waited.payload.decision === 'decline') return { outcome: 'declined', actionId: card.actionId, reason: `declined by ${agentId ?? 'the agent'}`, agentId, followUp: null };
        const agent: Actor = { kind: waited.payload.agentKind ?? 'human', id: agentId ?? 'unknown-agent' };
        yes = agent.kind === 'human' ? waited.payload.customerYes : undefined;
        const asked = await ctx.step(agentAction, careRequest(card, input, agent, { accepted: agent.kind === 'human' && yes?.recorded !== false }));
        settled = await settle(ctx, asked, 'accepted');
      }
      const followsUp = settled.executed && (card.actionClass === 'credit' || card.actionClass === 'offer');
      return { outcome: settled.outcome, actionId: card.actionId, reason: settled.reason, agentId, followUp: followsUp ? await followUp(ctx, input) : null, ...(yes ? { customerYes: yes } : {}) };
    },
  };
}
