import { createHash, randomUUID } from 'node:crypto';
import { REFUSAL_SUBJECTS, type ActHold, type RefusalSubject } from '../../domain/connectors/connector-result.js';
import { systemClock, type Clock } from '../../domain/clock.js';
import { heldError, isHeld, isRetryable, TwinloopError } from '../../domain/errors.js';
import { describeInputIssues } from '../../domain/input-issues.js';
import { stableStringify, valueDifference } from '../../domain/event-canonical.js';
import { priceActionRequest, repriceActionRequest, type PricingSource } from '../../decisioning/action-pricing.js';
import type { ContactRefusal } from '../../decisioning/contact-policy.js';
import { carriedChannelOf } from '../../decisioning/action-contact.js';
import {
  actionRequestSchema,
  ANY,
  ASKER_MONEY_WINDOW_MS,
  askerMoneyLimit,
  MONEY_MOVES,
  parseActionParams,
  evaluate,
  isExecuteVerdict,
  type ActionPolicy,
  type ActionRequest,
  type Actor,
  type AddedTo,
  type AskerWindow,
  type BudgetLedger,
  type ExecuteVerdict,
  type MoneyWindow,
  type PolicyVerdict,
  unsettledAddedTo,
} from '../../decisioning/policy/index.js';
import { addedToOf, addsToNow } from './approval-adds-to.js';
import type { GuardedStatus, RequestStanding } from './request-standing.js';
import { approvalEvidence } from './approval-evidence.js';
import { approvalIdOf, fourEyesRefusal, WITHDRAWN_DECIDER, type ApprovalItem, type ApprovalQueue } from './approval-queue.js';
import type { ActionAuditEntry, AuditEntryType, AuditTrail } from './audit-trail.js';
import type { AuditRecord } from '../../store/governance-store.js';
import { memoryDocuments, memoryVersioned, type DocumentStore, type VersionedDocuments } from '../../store/document-store.js';
import { moneyWindowBook, type MoneyWindowDocument } from './money-window.js';

/** The class an asker's payouts (credits and compensations alike) are kept under in its window. */
const ASKER_PAYOUTS = 'payouts';
import { acceptanceBooking, isCost, onAcceptancePart, paidAtPresentation, presentsOffer, splitClaims, type OfferSettlement } from './offer-settlement.js';
import { keptContentToday } from './kept-request.js';

export type { GuardedStatus, RequestStanding } from './request-standing.js';

/**
 * The one way an action on a customer executes. Every interface (HTTP, CLI, MCP, agents) hands
 * its request here: the policy decides, the budget is reserved, the supplied executor runs only
 * on an 'execute' verdict, and every step is written to the audit trail. An executor receives the
 * verdict too, and `isExecuteVerdict` lets it check that the policy, not a caller, produced it.
 */

/**
 * What the executor reports: success (with the real cost when it differs) or a failure. A real
 * cost above what the policy checked is not booked (paidAtPresentation): it is an overrun; one
 * that is no cost (negative, NaN, infinite: `isCost`) is not booked either: the amount checked is.
 */
export type ExecutionOutcome =
  | { ok: true; actualCost?: number; detail?: Record<string, unknown> }
  | { ok: false; error: string; detail?: Record<string, unknown> };

/** Carries the action out (e.g. a connector call). Called only with a verdict the policy issued. */
export type ActionExecutor = (request: ActionRequest, verdict: ExecuteVerdict) => Promise<ExecutionOutcome>;


/** What became of a request. */
export interface GuardedResult {
  status: GuardedStatus;
  reason: string;
  requestId: string;
  approvalId?: string;
  /** Seq of the last audit entry written for this step. */
  auditSeq: number;
  /** For `failed`: whether the same request may succeed later (false: the back end refused it for good). */
  retryable?: boolean;
  /**
   * For a `failed` the back end refused for good, what its refusal is about when it said
   * (refusalSubjectOf): the customer, whom nothing reaches, or the offer, which another offer may
   * replace for them (under a request id of its own: this one holds the refusal here and at the back end).
   */
  about?: RefusalSubject;
  /**
   * What the action costs the operator, as priced and checked by the policy (absent when no
   * verdict was needed); for an executed offer paid on acceptance, what was paid when it was
   * presented, the rest being `onAcceptance`.
   */
  cost?: number;
  /** An executed offer's part paid only if the customer accepts: reserved until the answer settles it (offer-settlement.ts). */
  onAcceptance?: number;
  /** The verdict in brief (absent when no verdict was needed, e.g. a rejection). */
  verdict?: Pick<PolicyVerdict, 'verdict' | 'mode' | 'riskClass' | 'rule' | 'guardrail'>;
  /** True when the request id had already been executed: this is that first answer, and nothing was done (or charged) again. */
  repeated?: boolean;
  /**
   * When what holds the act back lifts by itself (ms, on the executor's clock: the world's): on a
   * refusal by the customer's quiet hours, their end; on an approved act waiting for them
   * (`pending-approval` after the approval, decision 0028), when it is judged again and carried out.
   */
  notBefore?: number;
  /**
   * For `pending-approval` waiting for a person: when the approval times out unanswered (ms, the
   * server's wall clock: an approval waits in people's time, decision 0028), and what then comes of it.
   */
  expiresAt?: number;
  onTimeout?: ApprovalItem['onTimeout'];
}

/** Everything the executor needs, passed explicitly. */
export interface GuardedExecutorOptions {
  /** The action policy, or where to read the current one (a policy stored as data changes without a restart). */
  policy: ActionPolicy | (() => ActionPolicy);
  /** Where prices come from (the catalogue, the customers' monthly prices); see `priceActionRequest`. */
  pricing?: PricingSource;
  /**
   * A customer's facts as the operator knows them (the twin's features and its live scores
   * `churn` and `clv`), or undefined for a customer without a twin. Given, the policy's segments
   * are matched on them and they are what the request keeps (`features`, in the audit and the
   * approval): the `features` a caller sends are not read, so no caller can put a customer in a
   * segment whose rule lets more through. Absent: the request's own features (tests of the policy alone).
   */
  facts?: (customerId: string) => Readonly<Record<string, number>> | null | undefined;
  /**
   * When a customer's last plan ended, if they have left (ms, event time; 0 or undefined: still a
   * customer, or no twin): an approval's evidence says so (`left`). Absent: not said.
   */
  leftAt?: (customerId: string) => number | undefined;
  /**
   * The contact rules for a request (consent, quiet hours, caps, channel opt-outs), or null when
   * it may reach the customer; absent: no contact rules (tests of the policy alone). Whether the
   * customer is in contact with the asker is the request's stamp (`ActionRequest.inContact`), set
   * when it was first judged: an approved request is judged as it was asked.
   */
  contact?: (request: ActionRequest, now: number) => ContactRefusal | null;
  /**
   * Whether the customer is in contact with the request's asker on its channel now (the operator's
   * omnichannel context, `DecisionService.inContactOf`), or undefined where that is not known or not
   * asked (an automated asker, a digital channel): read once, when a request is first judged, and
   * stamped on it (`ActionRequest.inContact`), which the approval keeps. Absent: never known.
   */
  inContact?: (request: ActionRequest) => boolean | undefined;
  /**
   * Brings what `contact` reads up to date before a request is judged (the control groups another
   * process has held out since: `HoldoutRegister.fresh`). Absent: nothing to bring.
   */
  contactFresh?: (request: ActionRequest, now: number) => Promise<void>;
  ledger: BudgetLedger;
  queue: ApprovalQueue;
  audit: AuditTrail;
  executor: ActionExecutor;
  clock: Clock;
  /**
   * The answers of executed requests by request id, kept so that a repeated request (a client's
   * retry, a workflow step replayed after a crash) is answered from it instead of being evaluated,
   * charged and carried out again. The running operator keeps them in the record store, so they
   * outlive a restart; default: in memory, for this executor's lifetime.
   */
  answers?: DocumentStore<KeptAnswer>;
  /**
   * What each request id was first asked for (its ask, with the request's content and its hash),
   * kept from the moment it is received: the same id with another request (an agent's retry with
   * another amount) is CONFLICT naming what differs, before anything is recorded, whether the first
   * is executed, waiting for approval or failed. An id whose request was refused or only advised
   * holds nothing and is released (a campaign tries a customer again under its decision id). The
   * running operator keeps them in the record store; default: in memory.
   */
  asks?: DocumentStore<Ask>;
  /**
   * The offers presented whose acceptance-paid part is reserved until the customer answers, by
   * request id (offer-settlement.ts settles them). The running operator keeps them in the record
   * store; default: in memory.
   */
  settlements?: DocumentStore<OfferSettlement>;
  /**
   * Makes a decision durable before a request that carries it out (`params.decisionId`) is
   * recorded, queued for approval or acted on: the decision log is written in batches, and an
   * action whose decision a crash lost would have an outcome nothing refers to. One place for
   * every path (POST /decisions, accepting a card, the care flow, MCP).
   */
  decisionLogged?: (decisionId: string) => Promise<void>;
  /**
   * Why the back ends take no act now, if they do not (the sandbox during its first start's pass,
   * decision 0021). An approval is then refused UNAVAILABLE before it is decided: decided, it would
   * be spent on an act the back end holds, and nothing would carry it out later.
   */
  actsHeld?: () => ActHold | undefined;
  /**
   * The approved requests waiting for the customer's quiet hours to end, by request id (an
   * approval decided in them is carried out after them, judged again then: `actDeferred`). The
   * running operator keeps them in the record store; default: in memory.
   */
  deferrals?: DocumentStore<DeferredApproval>;
  /**
   * Told when a back end reports having moved more than the policy checked and the budget reserved,
   * or reports a cost that is no cost (`CostOverrun`): the budget books the amount checked, the
   * audit trail keeps an `action.overrun` (or `action.cost-refused`) entry, and this raises it
   * where a person sees it (the server's log). Default: nothing more.
   */
  onOverrun?: (overrun: CostOverrun) => void;
  /**
   * The money moved to each customer by class (money-window.ts), which an approval threshold on
   * cost counts over the policy's money window, written by compare and set so that two requests
   * racing on two workers cannot both pass under it. The running operator keeps them in the record
   * store (MONEY_WINDOW_COLLECTION); default: in memory.
   */
  moneyWindow?: VersionedDocuments<MoneyWindowDocument>;
  /**
   * The clock an asker's day of payouts is counted on (`askerMoneyPerDay`, decision 0070): the wall
   * clock, since an asker acts in people's time (at the sandbox's 3,600x a world's day is 24 s, and
   * the bound would be none). Default: the system clock.
   */
  wallClock?: Clock;
}

/**
 * A back end's cost report not booked as reported: what it said, what was booked, and the
 * difference. `overrun`: above the amount checked; `not-a-cost`: negative, NaN or infinite (money
 * coming back no policy judged, or no amount at all), `excess` then 0.
 */
export interface CostOverrun {
  readonly kind: 'overrun' | 'not-a-cost';
  readonly requestId: string;
  readonly customerId?: string;
  readonly actionClass: string;
  /** What the back end reported it cost. */
  readonly reported: number;
  /** What the policy checked and the budget booked (the reservation's amount). */
  readonly booked: number;
  /** reported − booked: money the back end says moved that no policy judged (0 for `not-a-cost`). */
  readonly excess: number;
  /** Seq of the `action.overrun` (or `action.cost-refused`) audit entry. */
  readonly auditSeq: number;
}

/**
 * An approved request the customer's quiet hours held back: carried out (judged again) once the
 * executor's clock passes `notBefore`; `done` once it was carried out or refused for good.
 */
export interface DeferredApproval {
  approvalId: string;
  requestId: string;
  notBefore: number;
  done?: true;
}

/** The record store collection the running operator keeps each request id's first ask in (`asks`); a campaign reads which variant a customer was first asked with there. */
export const ACTION_ASKS = 'action-asks';

/** Who asked for what under a request id: its first answer is given again only to the same ask. */
export interface Ask {
  actor: string;
  customerId: string | null;
  actionClass: string;
  channel: string;
  /** What is asked (requestContent), and its hash: absent on asks kept before they were. */
  content?: Record<string, unknown>;
  hash?: string;
  /** Set when the request was refused or only advised: the id holds nothing, and another request may take it. */
  released?: true;
}

/** An executed request's answer as kept, with the ask it answered (absent on answers kept before it was). */
export type KeptAnswer = GuardedResult & { ask?: Ask };

/** The guarded executor. */
export interface GuardedExecutor {
  /** Validates the request (BAD_INPUT) and carries it as far as policy allows. */
  execute(input: unknown): Promise<GuardedResult>;
  /**
   * Why the contact rules would refuse this request now, judged as `execute` judges it (parsed,
   * with the customer's facts, stamped with whether the customer is in contact with its asker), or
   * null; nothing is recorded, reserved or carried out. What a card built again reads of each action
   * it keeps: the funnel's what-if does not judge every rule the executor does (an SMS opt-out).
   * BAD_INPUT as `execute` for a malformed request.
   */
  contactRefusal(input: unknown): ContactRefusal | null;
  /**
   * Approves a pending item and executes it through the same path (policy and budget checked
   * again). Four eyes: FORBIDDEN (who may not, not what the policy refused) when the approver is
   * not a person or is who asked.
   */
  approve(approvalId: string, by: Actor, reason: string): Promise<GuardedResult>;
  reject(approvalId: string, by: Actor, reason: string): Promise<GuardedResult>;
  /** Applies the timeout fallback to every overdue approval. */
  expireDue(): Promise<GuardedResult[]>;
  /**
   * Carries out the approved acts the customer's quiet hours held back once they have ended,
   * judged again then (an act still held waits again); answers what became of each one judged.
   */
  actDeferred(): Promise<GuardedResult[]>;
  /**
   * What became of an approval already decided, for whoever waits on it: the kept answer, or (an
   * approved action whose execution a crash cut short) the action carried out now, through the
   * same path and charged once. Null while the item is pending or unknown.
   */
  settleDecided(approvalId: string): Promise<SettledApproval | null>;
  /**
   * What became of a decided approval, read only (nothing is carried out): what the approval card
   * shows, such as an approved request refused as at the approval with the policy's reason. Null
   * while pending, unknown, or approved and not carried out yet.
   */
  approvalOutcome(approvalId: string): Promise<SettledApproval | null>;
  /**
   * What a request id stands for now, read only: its kept answer's status ('executed' too for one
   * carried out whose answer a crash lost: its `executed:` fact), 'pending-approval' while a person
   * has it (or it is approved and not carried out yet), or null (never asked, released, or failed in
   * a way asking again may mend: nothing was done under it).
   */
  statusOf(requestId: string): Promise<GuardedStatus | null>;
  /**
   * What a request id stands for now, read only, in words: `statusOf`'s status with its reason (a
   * rejection and a timed-out approval read as refused, or advised, with who and why), and, for one
   * a person approved and not carried out yet (its back end failed, a crash, the customer's quiet
   * hours), who approved it: committed, not paid. Where `statusOf` says null for an id something was
   * asked under, its kept ask says what: `refused` (refused by the policy or only advised, released)
   * or `failed` (not carried out, asking again may mend it), with who asked. Null: nothing was asked.
   */
  standingOf(requestId: string): Promise<RequestStanding | null>;
  /**
   * For whoever asked and stops waiting (a workflow whose wait for the approval ended first): a
   * pending approval is withdrawn (expired, with the reason, audited; approving it then is
   * CONFLICT) and answered refused; one decided meanwhile is settled as `settleDecided` does, so
   * the asker hears what really became of it. Safe to repeat.
   */
  withdraw(approvalId: string, reason: string): Promise<SettledApproval & { withdrawn: boolean }>;
}

/** The outcome of a decided approval as its waiting workflow receives it. */
export type SettledApproval = Pick<GuardedResult, 'status' | 'reason' | 'requestId' | 'approvalId'>;

/**
 * The parsed request with an id (one is assigned when the caller gave none), its parameters
 * checked against its class, and priced (BAD_INPUT naming the field when anything is wrong).
 */
export function parseActionRequest(input: unknown, pricing?: PricingSource): ActionRequest {
  return parseAsked(input, pricing).request;
}

/**
 * What a request asks for, as its caller wrote it and its parameters were checked, before it is
 * priced (a price read from the catalogue or the customer's monthly price may change between a
 * request and its retry; what was asked does not): what a repeated request id is compared on. Its
 * id, the features (the executor reads the twin's), the requester's evidence and the run that waits
 * for it (`params.workflowId`) are not part of it.
 */
export function requestContent(request: Omit<ActionRequest, 'id'>): Record<string, unknown> {
  const { actionClass, customerId, domain, cost, discountPct, params, expiresAt, why, customerAccepted } = request;
  // Which run waits for an approval of it (`params.workflowId`, added by a flow's step) is not what is asked.
  const { workflowId: _run, ...asked } = params;
  // On the channel it goes by (carriedChannelOf): an SMS asked on `app` and the same SMS asked on `web` reach the customer alike.
  return JSON.parse(stableStringify({ actionClass, channel: carriedChannelOf(request), customerId, domain, cost, discountPct, params: asked, expiresAt, summary: why.summary, customerAccepted })) as Record<string, unknown>;
}

/** A canonical hash of a request's content (sorted keys): two asks are one request when these agree. */
export function requestHash(content: Record<string, unknown>): string {
  return createHash('sha256').update(stableStringify(content)).digest('hex');
}

function parseAsked(input: unknown, pricing?: PricingSource): { request: ActionRequest; content: Record<string, unknown> } {
  const parsed = actionRequestSchema.safeParse(input);
  if (!parsed.success) {
    throw new TwinloopError('BAD_INPUT', `Invalid action request at ${describeInputIssues(parsed.error.issues, input, { whole: '(root)' })}; see docs/policy.md`);
  }
  if (MONEY_MOVES.has(parsed.data.actionClass) && !parsed.data.why.summary?.trim()) {
    throw new TwinloopError('BAD_INPUT', `Invalid action request at why.summary: required for a ${parsed.data.actionClass}, which moves money: say why (e.g. "billing error on the May bill"); it goes to the approver, the audit trail and the bill; see docs/policy.md`);
  }
  // The customer's yes is the request's own field, set by the one builder for a person (decisionActionRequest): never read from params, where any caller could write it.
  if (Object.hasOwn(parsed.data.params, 'customerAccepted')) {
    throw new TwinloopError('BAD_INPUT', "Invalid action request at params.customerAccepted: not a field a request may carry: the customer's yes on the line is recorded by the person serving them with POST /decisions/:id/accept (the assist desktop's Accept)");
  }
  if (parsed.data.customerAccepted && parsed.data.actor.kind !== 'human') {
    throw new TwinloopError('BAD_INPUT', `Invalid action request at customerAccepted: only a person serving the customer records their yes, and ${parsed.data.actor.kind} ${parsed.data.actor.id} is not one; leave it out and the offer is presented for the customer to answer`);
  }
  const params = parseActionParams(parsed.data.actionClass, parsed.data.params);
  if (!params.ok) throw new TwinloopError('BAD_INPUT', `Invalid action request at ${params.problem}; see docs/policy.md`);
  const asked = { ...parsed.data, params: params.params, id: parsed.data.id ?? `act-${randomUUID()}` };
  // A message carries the channel it really reaches the customer by (one mapping for every flow):
  // an SMS notice said to be on `app` is a `web` contact, an SMS an AI agent says is sent during a
  // call too (only a person on the line keeps it on the call). What was asked (the content a retry is
  // compared on) is what goes out: its params as the caller wrote them, on that channel.
  const carried = { ...asked, channel: carriedChannelOf(asked) };
  return { request: priceActionRequest(carried, pricing), content: requestContent(asked) };
}

/**
 * The facts an action keeps besides those its policy's segments read: who the customer is to the
 * person who approves or audits it (tenure, plan, value, complaints, consent) and the live scores.
 */
export const AUDITED_FACTS: readonly string[] = ['tenure_days', 'is_prepaid', 'is_business', 'contract_months', 'arpu_3m', 'monthly_price', 'complaints_90d', 'marketing_consent', 'churn', 'clv'];

/**
 * The request with the customer's facts in place of whatever `features` the caller sent: those its
 * policy's segments read and AUDITED_FACTS (all of them when a segment written in code may read any).
 * A customer without a twin has none: a rule held to a segment then never matches them.
 */
export function withFacts(request: ActionRequest, facts: Readonly<Record<string, number>> | null | undefined, policy: Pick<ActionPolicy, 'segmentFields'>): ActionRequest {
  const features: Record<string, number> = {};
  if (facts) {
    const keep = policy.segmentFields;
    for (const [name, value] of Object.entries(facts)) {
      // An unknown value (a score while no model serves) is left out: a filter reads it as unknown either way.
      if (Number.isFinite(value) && (keep === null || keep.has(name) || AUDITED_FACTS.includes(name))) features[name] = value;
    }
  }
  return { ...request, features };
}

/** A reported cost as the audit keeps it: JSON has no NaN or infinity, so those are kept as their names. */
const reportedOf = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

/** What an approved act the customer's quiet hours hold back answers while it waits. */
const waitsForQuietHours = (by: string | null, notBefore: number) =>
  `approved by ${by ?? 'a person'}; waits for the customer's quiet hours to end (${new Date(notBefore).toISOString()}, world time), then judged again and carried out`;

/**
 * Whether the money window keeps and reads moves of `actionClass`: a money move that some rule for
 * it holds to a threshold on cost (any channel or segment: a move under one rule counts for
 * another's). Classes no threshold reads (the default policy's discounts, presented by campaigns to
 * thousands) cost no read or write of the window.
 */
function countsInWindow(policy: ActionPolicy, actionClass: string): boolean {
  return MONEY_MOVES.has(actionClass) && policy.moneyWindowDays > 0 && policy.rules.some((r) => (r.actionClass === actionClass || r.actionClass === ANY) && r.guardrails.approveAboveCost !== undefined);
}

/** The audit fact of a request carried out: one `action.executed` entry per request id, whatever repeats it. */
const executedFact = (requestId: string) => `executed:${requestId}`;

/**
 * The answer a request carried out was given, as its `action.executed` entry records it (its
 * verdict in brief from the entry's outcome, absent on entries written before it was kept there).
 */
function executedAnswerOf(record: AuditRecord): GuardedResult {
  const entry = record.entry as unknown as ActionAuditEntry;
  const outcome = entry.outcome as { cost?: unknown; reservedOnAcceptance?: unknown; verdict?: GuardedResult['verdict'] };
  return {
    status: 'executed',
    reason: last(entry.why.reasons ?? []),
    requestId: entry.requestId,
    cost: typeof outcome.cost === 'number' ? outcome.cost : entry.action.cost,
    ...(typeof outcome.reservedOnAcceptance === 'number' ? { onAcceptance: outcome.reservedOnAcceptance } : {}),
    auditSeq: record.seq,
    ...(outcome.verdict ? { verdict: outcome.verdict } : {}),
  };
}

/** An executed answer given again for a repeated request id. */
const repeated = (r: GuardedResult): GuardedResult => (r.status === 'executed' ? { ...r, repeated: true } : r);
const askOf = (r: ActionRequest, content?: Record<string, unknown>): Ask => ({ actor: `${r.actor.kind}:${r.actor.id}`, customerId: r.customerId ?? null, actionClass: r.actionClass, channel: r.channel, ...(content ? { content, hash: requestHash(content) } : {}) });
/** Who asked, for whom, what class and channel: the parts every kept ask has. */
const sameAsker = (a: Ask, b: Ask) => a.actor === b.actor && a.customerId === b.customerId && a.actionClass === b.actionClass && a.channel === b.channel;
/**
 * A kept ask as today's code asks it (kept-request.ts): one an earlier version kept (a notice asked
 * on `app`, the customer's yes in params) compares equal to the same ask built now. Asks kept
 * without their content are as they were.
 */
function askToday(ask: Ask): Ask {
  if (!ask.content) return ask;
  const content = keptContentToday(ask.content, ask.actor.slice(0, ask.actor.indexOf(':')) as Actor['kind']);
  return { ...ask, channel: typeof content.channel === 'string' ? content.channel : ask.channel, content, hash: requestHash(content) };
}
/** The same ask: the same asker and, where both were kept with it, the same content (by its hash). */
const sameAsk = (a: Ask, b: Ask) => sameAsker(a, b) && (a.hash === undefined || b.hash === undefined || a.hash === b.hash);
/** A kept answer without the ask it answered, as its asker receives it. */
const answerOf = ({ ask: _ask, ...answer }: KeptAnswer): GuardedResult => answer;
/**
 * A request id is one request's: another caller (or another customer, class or channel) reusing it
 * would otherwise be answered with that request's answer and its own request silently dropped.
 */
function reusedId(request: ActionRequest, first: Ask, now: Ask): TwinloopError {
  if (sameAsker(first, now) && first.content && now.content) {
    const field = valueDifference(first.content, now.content) ?? '(content)';
    const shown = (c: Record<string, unknown>) => JSON.stringify(field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), c)) ?? 'absent';
    return new TwinloopError('CONFLICT', `idempotency conflict: request id ${request.id} was first used for another request (${field}: ${shown(first.content)} then, ${shown(now.content)} now); nothing was recorded for this one. Send the same request to hear its answer again, or this one with a new id (an MCP idempotencyKey, a request id)`, { context: { requestId: request.id, field } });
  }
  return new TwinloopError('CONFLICT', `request id ${request.id} names another request (another caller, customer, action or channel); an id names one request: send this one with a new id, or none`);
}
const brief = (v: PolicyVerdict): NonNullable<GuardedResult['verdict']> => ({ verdict: v.verdict, mode: v.mode, riskClass: v.riskClass, rule: v.rule, guardrail: v.guardrail });
const last = (reasons: readonly string[]) => reasons[reasons.length - 1] ?? '';

/** Builds the executor; see GuardedExecutor. */
export function createGuardedExecutor(options: GuardedExecutorOptions): GuardedExecutor {
  const { ledger, queue, audit, executor, clock } = options;
  const answers = options.answers ?? memoryDocuments<KeptAnswer>();
  const asks = options.asks ?? memoryDocuments<Ask>();
  const settlements = options.settlements ?? memoryDocuments<OfferSettlement>();
  const deferrals = options.deferrals ?? memoryDocuments<DeferredApproval>();
  /** Requests being carried out now, by id: a second call with the id (the same ask) while the first runs shares its answer. */
  const running = new Map<string, { ask: Ask; answer: Promise<GuardedResult> }>();
  const given = options.policy;
  const currentPolicy = typeof given === 'function' ? given : () => given;
  // A move queued for a person counts while it may still be carried out: pending, or approved and not yet answered.
  const awaitingPerson = async (requestId: string) => {
    const item = await queue.get(approvalIdOf(requestId));
    return item?.status === 'pending' || (item?.status === 'approved' && !(await answers.get(requestId)));
  };
  const moneyDocs = options.moneyWindow ?? memoryVersioned<MoneyWindowDocument>();
  const windows = moneyWindowBook(moneyDocs, awaitingPerson);
  // Each bounded asker's payouts of the last day, one document per asker beside the customers' (`asker:agent:llm-agent|payouts`), kept a day.
  const askerBook = moneyWindowBook(moneyDocs, awaitingPerson, ASKER_MONEY_WINDOW_MS);
  const wallClock = options.wallClock ?? systemClock;

  /**
   * The request with its customer's facts as they are now (`withFacts`), when the executor reads
   * facts, and whether its customer has a twin to read them from (undefined: not read here, or no customer named).
   */
  const withCustomerFacts = (request: ActionRequest): { request: ActionRequest; customerKnown?: boolean } => {
    if (!options.facts) return { request };
    const facts = request.customerId ? options.facts(request.customerId) : undefined;
    return { request: withFacts(request, facts, currentPolicy()), ...(request.customerId ? { customerKnown: facts !== undefined && facts !== null } : {}) };
  };

  /**
   * A request id's kept answer; or, for a request carried out whose answer a crash lost (it came
   * after the act was recorded executed, before the answer was kept), its answer as the request's
   * own `executed:` fact records it, kept now. Read before anything judges the request again: judged
   * again, its own delivery on the customer's timeline was a contact rule refusing it
   * (same-message-recent "0.0 days ago"), a policy changed since could refuse what was done.
   */
  async function keptAnswer(request: ActionRequest): Promise<KeptAnswer | undefined> {
    const known = await answers.get(request.id);
    if (known) return known;
    const fact = await audit.ofFact(executedFact(request.id));
    if (!fact) return undefined;
    const answer: KeptAnswer = { ...executedAnswerOf(fact), ask: askOf(request) };
    await answers.put(request.id, answer);
    return answer;
  }

  /**
   * Runs `act` for request `id` unless it runs already: a second call with the id (the same ask)
   * while the first runs shares its answer; another ask under the id is CONFLICT.
   */
  async function once(request: ActionRequest, ask: Ask, act: () => Promise<GuardedResult>): Promise<GuardedResult> {
    const id = request.id;
    const inFlight = running.get(id);
    if (inFlight && !sameAsk(inFlight.ask, ask)) throw reusedId(request, inFlight.ask, ask);
    if (inFlight) return repeated(await inFlight.answer);
    const answer = act();
    running.set(id, { ask, answer });
    try {
      return await answer;
    } finally {
      running.delete(id);
    }
  }

  async function record(type: AuditEntryType, request: ActionRequest, actor: Actor, outcome: Record<string, unknown>, verdict?: PolicyVerdict, fact?: string): Promise<number> {
    const entry: ActionAuditEntry = {
      type,
      requestId: request.id,
      actor,
      action: { actionClass: request.actionClass, channel: request.channel, customerId: request.customerId, cost: request.cost, discountPct: request.discountPct, params: request.params },
      why: {
        summary: request.why.summary,
        simulationId: request.why.simulationId,
        features: request.features,
        rule: verdict?.rule,
        reasons: verdict?.reasons,
      },
      outcome,
    };
    return (await audit.record(entry, fact)).seq;
  }

  async function carryOut(request: ActionRequest, verdict: ExecuteVerdict): Promise<GuardedResult> {
    const system: Actor = { kind: 'system', id: 'guarded-executor' };
    // Defence in depth: the verdict must be the policy's own, about this very request.
    if (!isExecuteVerdict(verdict) || verdict.requestId !== request.id) {
      throw new TwinloopError('POLICY_DENIED', `request ${request.id} has no execute verdict from the policy; nothing was executed`);
    }
    // The reservation is the request's own (booked by its id in the store): a request repeated
    // after a crash that came between the back end's answer and the kept answer finds its
    // reservation, or its charge, and is not charged again.
    // An offer paid on acceptance: its acceptance-paid part is reserved under a booking of its own
    // (first, so a crash before the rest leaves nothing the request's repeat would reserve twice)
    // and stays reserved until the customer answers (offer-settlement.ts); the rest is paid now.
    const onAcceptance = presentsOffer(request) ? onAcceptancePart(request) : 0;
    const split = splitClaims(verdict.budget, onAcceptance);
    // A repeat whose offer the customer has answered already (the crash came after the answer):
    // its acceptance part is settled, so it is neither reserved again nor put back to reserved.
    const prior = onAcceptance > 0 ? await settlements.get(request.id) : undefined;
    const settled = prior !== undefined && prior.state !== 'reserved';
    const refusedByBudget = async (reason: string): Promise<GuardedResult> => {
      const seq = await record('action.failed', request, system, { status: 'refused', guardrail: 'budget', reason }, verdict);
      return { status: 'refused', reason, requestId: request.id, cost: verdict.cost, auditSeq: seq, verdict: { ...brief(verdict), guardrail: 'budget' } };
    };
    const later = onAcceptance > 0 && !settled ? await ledger.reserve(split.onAcceptance, acceptanceBooking(request.id)) : undefined;
    if (later && !later.ok) return refusedByBudget(later.reason);
    const reserved = await ledger.reserve(onAcceptance > 0 ? split.now : verdict.budget, request.id);
    if (!reserved.ok) {
      if (later?.ok) await ledger.release(later.reservation);
      return refusedByBudget(reserved.reason);
    }
    const pending: OfferSettlement | undefined = later?.ok
      ? { requestId: request.id, customerId: request.customerId ?? '', actionClass: request.actionClass, channel: request.channel, ...(request.domain !== undefined ? { domain: request.domain } : {}), amount: onAcceptance, claims: split.onAcceptance, state: 'reserved', presentedAt: clock.now() }
      : undefined;
    // Kept before the offer is presented, so an answer however soon finds what it settles.
    if (pending) await settlements.put(request.id, pending);
    let outcome: ExecutionOutcome;
    try {
      outcome = await executor(request, verdict);
    } catch (err) {
      outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.ok) {
      // With an acceptance-paid part, `actualCost` is what the presentation cost. The budget books
      // at most what was checked and reserved (paidAtPresentation); a report above it is an overrun.
      // A report that is no cost (negative: money coming back no policy judged) books the amount checked.
      const paidNow = paidAtPresentation(request, verdict.cost, outcome.actualCost);
      const reported = outcome.actualCost;
      await ledger.commit(reserved.reservation, reported === undefined ? undefined : paidNow);
      const refused = reported !== undefined && !isCost(reported) ? await recordCostRefused(request, verdict, reported, paidNow) : undefined;
      const overrun = reported !== undefined && reported > paidNow && !refused ? await recordOverrun(request, verdict, reported, paidNow) : undefined;
      // Once per request (its fact): an approval settled on two workers at once (a withdrawal racing
      // it) or a repeat after a crash acts once at the back end (the request id is its idempotency
      // key) and is booked once (the ledger, by request id); the trail said "executed" twice.
      const seq = await record('action.executed', request, system, { status: 'executed', cost: paidNow, verdict: brief(verdict), ...(pending ? { reservedOnAcceptance: onAcceptance } : {}), ...(overrun ? { overrun: { reported: overrun.reported, excess: overrun.excess, auditSeq: overrun.auditSeq } } : {}), ...(refused ? { costRefused: { reported: reportedOf(refused.reported), auditSeq: refused.auditSeq } } : {}), detail: outcome.detail ?? {} }, verdict, executedFact(request.id));
      const result: GuardedResult = { status: 'executed', reason: last(verdict.reasons), requestId: request.id, cost: paidNow, ...(pending ? { onAcceptance } : {}), auditSeq: seq, verdict: brief(verdict) };
      await answers.put(request.id, { ...result, ask: askOf(request) });
      return result;
    }
    await ledger.release(reserved.reservation);
    if (later?.ok && pending) {
      // Only while no answer has settled it (an answer can come while a slow presentation is
      // reported failed); the record first, so a settlement that reads it after finds it released.
      const now = await settlements.get(request.id);
      if (!now || now.state === 'reserved') {
        await settlements.put(request.id, { ...pending, state: 'released', settledAt: clock.now(), answer: 'failed' });
        await ledger.release(later.reservation);
      }
    }
    // The back end takes no act for a while (the sandbox loading its first start's history): the
    // asker is answered UNAVAILABLE with when to ask again, and a workflow's step waits for it.
    if (outcome.detail?.held === true) {
      const heldSeq = await record('action.failed', request, system, { status: 'held', error: outcome.error, detail: outcome.detail }, verdict);
      const held = heldError(outcome.error, typeof outcome.detail.retryAfterMs === 'number' ? outcome.detail.retryAfterMs : 0);
      held.context.auditSeq = heldSeq;
      throw held;
    }
    const seq = await record('action.failed', request, system, { status: 'failed', error: outcome.error, detail: outcome.detail ?? {} }, verdict);
    // Whether trying again may help: the executor says so (a back end's transient answer); by default it may.
    const retryable = outcome.detail?.retryable !== false;
    const about = retryable ? undefined : REFUSAL_SUBJECTS.find((x) => x === outcome.detail?.about);
    const result: GuardedResult = { status: 'failed', reason: `the action failed: ${outcome.error}`, requestId: request.id, cost: verdict.cost, auditSeq: seq, verdict: brief(verdict), retryable, ...(about ? { about } : {}) };
    // Refused for good, it is the request's answer: asked again, it is answered so, and the back end
    // is not asked again. Not kept, a campaign asked a customer who had left every world hour (16
    // times in 3 world days, each a failure the timeline refused as a second event under one id).
    if (!retryable) await answers.put(request.id, { ...result, ask: askOf(request) });
    return result;
  }

  /**
   * A back end that reports more than the policy checked: the difference is no money any policy
   * judged. Audited once per request (a repeat after a crash finds the entry), then raised.
   */
  async function recordOverrun(request: ActionRequest, verdict: ExecuteVerdict, reported: number, booked: number): Promise<CostOverrun> {
    const excess = Math.round((reported - booked) * 100) / 100;
    const reason = `the back end reported ${reported} for request ${request.id}, above the ${booked} the policy checked and the budget reserved; ${booked} is booked, the ${excess} more is no amount the policy judged: check the back end's charge`;
    const auditSeq = await record('action.overrun', request, { kind: 'system', id: 'guarded-executor' }, { status: 'overrun', reported, booked, excess, reason }, verdict, `overrun:${request.id}`);
    return raise({ kind: 'overrun', requestId: request.id, ...(request.customerId ? { customerId: request.customerId } : {}), actionClass: request.actionClass, reported, booked, excess, auditSeq });
  }

  /**
   * A back end that reports a cost that is no cost (negative, NaN, infinite): nothing is booked
   * as money coming back, the amount checked is. Audited once per request, then raised.
   */
  async function recordCostRefused(request: ActionRequest, verdict: ExecuteVerdict, reported: number, booked: number): Promise<CostOverrun> {
    const reason = `the back end reported ${reported} for request ${request.id}, which is not a cost (a finite amount of at least 0); ${booked}, the amount the policy checked, is booked, and nothing comes back to the budget: check the back end's charge`;
    const auditSeq = await record('action.cost-refused', request, { kind: 'system', id: 'guarded-executor' }, { status: 'not-a-cost', reported: reportedOf(reported), booked, reason }, verdict, `cost-refused:${request.id}`);
    return raise({ kind: 'not-a-cost', requestId: request.id, ...(request.customerId ? { customerId: request.customerId } : {}), actionClass: request.actionClass, reported, booked, excess: 0, auditSeq });
  }

  function raise(overrun: CostOverrun): CostOverrun {
    try {
      options.onOverrun?.(overrun);
    } catch {
      // Raising it is best effort: the audit entry is the record.
    }
    return overrun;
  }

  async function decideAndAct(request: ActionRequest, customerKnown: boolean | undefined, approvedBy?: { approvalId: string; by: string }): Promise<GuardedResult> {
    const now = clock.now();
    if (customerKnown !== false) await options.contactFresh?.(request, now);
    const policy = currentPolicy();
    const spending = await ledger.standingFor(policy, request, now);
    const contact = customerKnown === false ? null : (options.contact?.(request, now) ?? null);
    // A money move to a customer is judged with what they were given of its class over the policy's window (decision 0068).
    const customerId = customerKnown !== false && countsInWindow(policy, request.actionClass) ? request.customerId : undefined;
    let window: MoneyWindow | undefined = customerId === undefined ? undefined : { days: policy.moneyWindowDays, earlier: await windows.earlier(customerId, request.actionClass, request.id, now, policy.moneyWindowDays) };
    // What the asker paid out to anyone in the last day, where the policy bounds it (decision 0070).
    const bound = customerKnown === false ? undefined : askerMoneyLimit(policy, request);
    const asker = `${request.actor.kind}:${request.actor.id}`;
    const askerKey = `asker:${asker}`;
    const wallNow = wallClock.now();
    let askerWindow: AskerWindow | undefined = bound && { asker, ...bound, earlier: await askerBook.earlier(askerKey, ASKER_PAYOUTS, request.id, wallNow, 1) };
    // The payments it adds to (a top-up's), as they stand now: judged with them, not with what its asker heard (decision 0093).
    const addsTo = await addedTo(request);
    const judge = () => evaluate(policy, request, { now, spending, approvedBy, contact, ...(customerKnown === undefined ? {} : { customerKnown }), ...(window ? { moneyWindow: window } : {}), ...(askerWindow ? { askerWindow } : {}), ...(addsTo.length > 0 ? { addsTo } : {}) });
    let verdict = judge();
    const move = (state: 'moved' | 'awaiting', amount: number) => ({ requestId: request.id, amount, at: now, state, actor: asker });
    const askerMove = (state: 'moved' | 'awaiting', amount: number) => ({ ...move(state, amount), at: wallNow, ...(request.customerId ? { customerId: request.customerId } : {}) });
    // Room under the threshold is claimed before the act, atomically against every other claim for
    // the customer: of two splits racing (on two workers), the second finds the first and is judged
    // with it (a person then approves). A person's approval claims whatever the sum: it is counted.
    // The asker's room the same, after the customer's: judged again with what its claim found, it
    // waits for a person, and the customer's claim becomes a wait (needs-approval, below).
    for (let tries = 0; verdict.verdict === 'execute' && ((customerId !== undefined && window) || askerWindow); tries++) {
      // The policy sums as the claims do, so judged with what a claim found it escalates; a policy that lets it through twice is a bug, not a verdict.
      if (tries > 1) throw new TwinloopError('INTERNAL', `request ${request.id}: the policy let a money move through that its money windows have no room for; nothing was carried out`);
      if (customerId !== undefined && window) {
        const limit = approvedBy ? undefined : policy.rules.find((r) => r.id === verdict.rule)?.guardrails.approveAboveCost;
        const claim = await windows.claim(customerId, request.actionClass, move('moved', verdict.cost), window.days, limit);
        if (!claim.ok) {
          window = { days: window.days, earlier: claim.earlier };
          verdict = judge();
          continue;
        }
      }
      if (askerWindow) {
        const claim = await askerBook.claim(askerKey, ASKER_PAYOUTS, askerMove('moved', verdict.cost), 1, approvedBy ? undefined : askerWindow.limit);
        if (!claim.ok) {
          askerWindow = { ...askerWindow, earlier: claim.earlier };
          verdict = judge();
          continue;
        }
      }
      break;
    }
    const policyActor: Actor = { kind: 'system', id: 'action-policy' };
    const seq = await record('policy.verdict', request, policyActor, { verdict: verdict.verdict, mode: verdict.mode, riskClass: verdict.riskClass, guardrail: verdict.guardrail, cost: verdict.cost, ...(approvedBy ? { approvalId: approvedBy.approvalId } : {}) }, verdict);
    const base = { requestId: request.id, cost: verdict.cost, verdict: brief(verdict) };
    switch (verdict.verdict) {
      case 'deny': {
        // A contact rule that time lifts (quiet hours) says when: an approved act waits for it.
        const lifts = contact?.until !== undefined && verdict.guardrail === contact.rule ? { notBefore: contact.until } : {};
        return { ...base, status: 'refused', reason: last(verdict.reasons), auditSeq: seq, ...lifts };
      }
      case 'advise-only':
        return { ...base, status: 'advised', reason: last(verdict.reasons), auditSeq: seq };
      case 'needs-approval': {
        const settings = verdict.approval ?? currentPolicy().approval;
        const evidence = approvalEvidence(request, verdict, spending, now, request.customerId ? options.leftAt?.(request.customerId) : undefined);
        // The asking run counts it at this cost while it waits: carried out after the approval
        // (priced again then, decision 0028), it may cost no more than that (guardrail run-budget).
        const asked = request.runBudgetLeft === undefined ? request : { ...request, runBudgetLeft: Math.min(request.runBudgetLeft, verdict.cost) };
        // Counted while it waits (before it is queued: a crash between leaves an entry no pending approval keeps counted).
        if (customerId !== undefined && window) await windows.claim(customerId, request.actionClass, move('awaiting', verdict.cost), window.days);
        if (askerWindow) await askerBook.claim(askerKey, ASKER_PAYOUTS, askerMove('awaiting', verdict.cost), 1);
        const item = await queue.request({ request: asked, why: verdict.reasons, riskClass: verdict.riskClass, rule: verdict.rule, timeoutMinutes: settings.timeoutMinutes, onTimeout: settings.onTimeout, evidence });
        const aSeq = await record('approval.requested', request, request.actor, { approvalId: item.id, expiresAt: item.expiresAt, onTimeout: item.onTimeout }, verdict);
        return { ...base, status: 'pending-approval', reason: last(verdict.reasons), approvalId: item.id, auditSeq: aSeq, expiresAt: item.expiresAt, onTimeout: item.onTimeout };
      }
      case 'execute': {
        const counted = customerId !== undefined && window !== undefined;
        if (!counted && !askerWindow) return carryOut(request, verdict as ExecuteVerdict);
        // An act that moved nothing (failed, refused by a budget, held) gives its room back; an
        // approved one that failed retryably stays approved and is carried out on its retry, so it
        // keeps counting as awaiting (dropped, smaller credits meanwhile were judged without it).
        const release = async (retryable: boolean) => {
          const keep = approvedBy !== undefined && retryable;
          if (counted) await (keep ? windows.claim(customerId!, request.actionClass, move('awaiting', verdict.cost), window!.days) : windows.drop(customerId!, request.actionClass, request.id));
          if (askerWindow) await (keep ? askerBook.claim(askerKey, ASKER_PAYOUTS, askerMove('awaiting', verdict.cost), 1) : askerBook.drop(askerKey, ASKER_PAYOUTS, request.id));
        };
        const result = await carryOut(request, verdict as ExecuteVerdict).catch(async (err: unknown) => {
          await release(isRetryable(err));
          throw err;
        });
        if (result.status !== 'executed') await release(result.status === 'failed' && result.retryable !== false);
        return result;
      }
    }
  }

  /**
   * An approved request carried out. The approval is decided already, so a back end holding its
   * acts makes it a retryable failure (as any transient one), not an error thrown at the approver.
   */
  async function afterApproval(request: ActionRequest, approvedBy: { approvalId: string; by: string }): Promise<GuardedResult> {
    try {
      // Judged as at the approval: an approval waits in people's time while the customer's world
      // goes on (decision 0028), so the policy reads the customer's facts again, as its budgets,
      // and the price (a discount's, at the monthly price the back end will take it off) again.
      const now = withCustomerFacts(repriceActionRequest(request, options.pricing));
      const result = await decideAndAct(now.request, now.customerKnown, approvedBy);
      // Refused only for now (the customer's quiet hours): a person approved, so the act waits for
      // them to end and is judged again then (consent, budget, caps), not dropped (decision 0028).
      if (result.status === 'refused' && result.notBefore !== undefined) return defer(request, approvedBy, result);
      const waited = await deferrals.get(request.id);
      if (waited && !waited.done) await deferrals.put(request.id, { ...waited, done: true });
      // Refused (or only advised) as at the approval: that is the approval's outcome, kept as an
      // executed one is, so the next settle (a wait woken after a restart) answers it rather than
      // judging the request again on another day's world. A failure stays open: it may pass later.
      if (result.status === 'refused' || result.status === 'advised') await answers.put(request.id, { ...result, approvalId: approvedBy.approvalId, ask: askOf(request) });
      return result;
    } catch (err) {
      if (!isHeld(err)) throw err;
      return { status: 'failed', reason: `the action failed: ${err.message}`, requestId: request.id, auditSeq: Number(err.context.auditSeq ?? 0), retryable: true };
    }
  }

  /**
   * An approved act the customer's quiet hours hold back: kept to be carried out when they end
   * (`actDeferred`, or the asker asking again then), and answered as still waiting, saying until
   * when. Nothing is kept as its answer: the act is judged again when it happens.
   */
  async function defer(request: ActionRequest, approvedBy: { approvalId: string; by: string }, refused: GuardedResult): Promise<GuardedResult> {
    const notBefore = refused.notBefore!;
    await deferrals.put(request.id, { approvalId: approvedBy.approvalId, requestId: request.id, notBefore });
    const reason = `approved by ${approvedBy.by}; not carried out yet: ${refused.reason}. It is carried out when that ends (${new Date(notBefore).toISOString()}, the customer's world time), judged again then (consent, budgets, caps)`;
    return { ...refused, status: 'pending-approval', reason, approvalId: approvedBy.approvalId, notBefore };
  }

  /**
   * What became of a decided approval as kept (the answer of its request carried out, refused or
   * advised as at the approval; a rejection; a timeout's fallback), or null for an approved one
   * whose request has no kept answer yet.
   */
  async function outcomeOfDecided(item: ApprovalItem): Promise<SettledApproval | null> {
    const known = await answers.get(item.request.id);
    if (known) return { ...answerOf(known), approvalId: item.id };
    const base = { requestId: item.request.id, approvalId: item.id };
    switch (item.status) {
      case 'rejected':
        return { status: 'refused', reason: `rejected by ${item.decidedBy}: ${item.reason}`, ...base };
      case 'expired':
        if (item.decidedBy === WITHDRAWN_DECIDER) return { status: 'refused', reason: `approval ${item.id} withdrawn by the run that asked for it: ${item.reason ?? 'it stopped waiting'}; the action is dropped`, ...base };
        return item.onTimeout === 'advise-only'
          ? { status: 'advised', reason: `approval ${item.id} timed out; the action is only advised`, ...base }
          : { status: 'refused', reason: `approval ${item.id} timed out; the action is dropped`, ...base };
      default:
        return null;
    }
  }

  /** A request asked again whose approval exists: waiting, or what came of it (see execute). */
  async function fromApproval(item: ApprovalItem): Promise<GuardedResult> {
    const base = { requestId: item.request.id, approvalId: item.id, cost: item.request.cost, auditSeq: 0 };
    if (item.status === 'pending') return { ...base, status: 'pending-approval', reason: `waiting for a person since ${new Date(item.createdAt).toISOString()} (until ${new Date(item.expiresAt).toISOString()}): ${last(item.why)}`, expiresAt: item.expiresAt, onTimeout: item.onTimeout };
    const settled = await settleApproved(item);
    return { ...base, ...settled };
  }

  /**
   * What became of a decided approval, an approved act not carried out yet being carried out now
   * (judged again), unless the customer's quiet hours still hold it (then it waits, nothing judged).
   */
  async function settleApproved(item: ApprovalItem): Promise<SettledApproval & Pick<GuardedResult, 'notBefore' | 'auditSeq' | 'cost' | 'onAcceptance' | 'verdict' | 'retryable' | 'repeated'>> {
    const known = await keptAnswer(item.request);
    if (known) return repeated(answerOf(known));
    const decided = await outcomeOfDecided(item);
    if (decided) return { ...decided, auditSeq: 0 };
    const waiting = await deferrals.get(item.request.id);
    if (waiting && !waiting.done && clock.now() < waiting.notBefore) {
      return { status: 'pending-approval', reason: waitsForQuietHours(item.decidedBy, waiting.notBefore), requestId: item.request.id, approvalId: item.id, notBefore: waiting.notBefore, auditSeq: 0 };
    }
    const r = await afterApproval(item.request, { approvalId: item.id, by: item.decidedBy ?? 'unknown' });
    return { ...r, approvalId: item.id };
  }

  /**
   * Carries out the approved acts whose customer's quiet hours have ended (judged again now); each
   * still held waits again. Answers what became of those that were judged.
   */
  async function actDeferred(): Promise<GuardedResult[]> {
    const out: GuardedResult[] = [];
    const now = clock.now();
    for (const d of await deferrals.list()) {
      if (d.done || d.notBefore > now) continue;
      const item = await queue.get(d.approvalId);
      if (!item) continue;
      // Through the same door as a repeated ask, so that an ask of it at the same moment shares this act.
      const act = once(item.request, askOf(item.request), () => settleApproved(item));
      out.push(await act);
    }
    return out;
  }

  /**
   * An approved act the customer's quiet hours held back, withdrawn before they ended because its
   * asker stopped waiting (a campaign that ended): the deferral is closed, the answer kept as
   * refused (a later ask, the sweep, the approval's card hear it), and the withdrawal audited.
   */
  async function cancelDeferred(item: ApprovalItem, waiting: DeferredApproval, reason: string): Promise<GuardedResult> {
    const why = `approval ${item.id} withdrawn: ${reason} (approved by ${item.decidedBy ?? 'a person'}, not carried out: it waited for the customer's quiet hours to end, ${new Date(waiting.notBefore).toISOString()})`;
    const seq = await record('approval.expired', item.request, { kind: 'system', id: 'approval-withdrawn' }, { approvalId: item.id, withdrawn: true, approvedBy: item.decidedBy, reason });
    const answer: GuardedResult = { status: 'refused', reason: why, requestId: item.request.id, approvalId: item.id, auditSeq: seq };
    await answers.put(item.request.id, { ...answer, ask: askOf(item.request) });
    await deferrals.put(item.request.id, { ...waiting, done: true });
    return answer;
  }

  /**
   * What a request id stands for now, read only: its kept answer; else, carried out and its answer
   * lost to a crash, its `executed:` fact; else its approval's: waiting for a person, decided without
   * an act (a rejection, a timeout: what asking again would answer), or approved and not carried out
   * yet; else its kept ask's: asked and refused or only advised (released), or asked and not carried
   * out (a failure asking again may mend, or a crash); null when nothing holds the id. `idle`: nothing
   * was done under it and nothing waits (what `statusOf` reads as null).
   */
  async function standingNow(requestId: string): Promise<{ standing: RequestStanding; idle?: true } | null> {
    const known = await answers.get(requestId);
    if (known) return { standing: { status: known.status, reason: known.reason } };
    // Carried out, and a crash came before its answer was kept: its own fact says so (read only; keptAnswer keeps it when it is asked again).
    const fact = await audit.ofFact(executedFact(requestId));
    if (fact) return { standing: { status: 'executed', reason: executedAnswerOf(fact).reason } };
    const item = await queue.get(approvalIdOf(requestId));
    if (item) {
      if (item.status === 'pending') return { standing: { status: 'pending-approval', reason: `waiting for a person since ${new Date(item.createdAt).toISOString()}` } };
      const decided = await outcomeOfDecided(item);
      if (decided) return { standing: { status: decided.status, reason: decided.reason } };
      const by = item.decidedBy ?? 'a person';
      const waiting = await deferrals.get(requestId);
      const why = waiting && !waiting.done ? `the customer's quiet hours hold it until ${new Date(waiting.notBefore).toISOString()}` : 'the back end failed it, or a crash cut it short';
      return { standing: { status: 'pending-approval', reason: `approved by ${by}${item.decidedAt ? ` at ${new Date(item.decidedAt).toISOString()}` : ''}, not carried out yet: ${why}`, approvedBy: by } };
    }
    // No answer, no approval: what was asked under it is kept from the moment it was received.
    const ask = await asks.get(requestId);
    if (!ask) return null;
    if (ask.released) return { standing: { status: 'refused', reason: `asked by ${ask.actor} and refused by the policy or only advised: nothing was done under it` }, idle: true };
    return { standing: { status: 'failed', reason: `asked by ${ask.actor} and not carried out: it failed in a way asking again may mend (its back end down), or a crash cut it short; asked again under its id, it is judged and carried out then` }, idle: true };
  }

  /** What a request id stands for now, read only (`GuardedExecutor.standingOf`). */
  async function standingOf(requestId: string): Promise<RequestStanding | null> {
    return (await standingNow(requestId))?.standing ?? null;
  }

  /** The requests `request` adds to (`params.addsTo`), each as it stands now, as the policy reads them. */
  const addedTo = async (request: Pick<ActionRequest, 'params'>): Promise<AddedTo[]> => (await addsToNow(request, standingOf)).map(addedToOf);

  async function expireDue(): Promise<GuardedResult[]> {
    const results: GuardedResult[] = [];
    for (const item of await queue.expireDue()) results.push(await applyTimeout(item));
    return results;
  }

  async function applyTimeout(item: ApprovalItem): Promise<GuardedResult> {
    const system: Actor = { kind: 'system', id: 'approval-timeout' };
    const seq = await record('approval.expired', item.request, system, { approvalId: item.id, expiresAt: item.expiresAt, fallback: item.onTimeout });
    if (item.onTimeout === 'advise-only') {
      const aSeq = await record('action.advised', item.request, system, { approvalId: item.id, reason: 'approval timed out; shown as a recommendation only' });
      return { status: 'advised', reason: `approval ${item.id} timed out; the action is only advised`, requestId: item.request.id, approvalId: item.id, auditSeq: aSeq };
    }
    return { status: 'refused', reason: `approval ${item.id} timed out; the action is dropped`, requestId: item.request.id, approvalId: item.id, auditSeq: seq };
  }

  return {
    contactRefusal(input) {
      const { request, customerKnown } = withCustomerFacts(parseAsked(input, options.pricing).request);
      if (customerKnown === false || !options.contact) return null;
      const inContact = options.inContact?.(request);
      return options.contact(inContact === undefined ? request : { ...request, inContact }, clock.now());
    },
    async execute(input) {
      const asked = parseAsked(input, options.pricing);
      const { request, customerKnown } = withCustomerFacts(asked.request);
      // A customer the operator has no twin of is refused before anything is recorded or judged (404 over HTTP).
      if (customerKnown === false) throw new TwinloopError('NOT_FOUND', `no customer ${request.customerId}: no twin holds them, so nothing can be done for them; GET /twins lists the customers`);
      const ask = askOf(request, asked.content);
      return once(request, ask, async () => {
        const decisionId = request.params.decisionId;
        if (typeof decisionId === 'string') await options.decisionLogged?.(decisionId);
        const kept = await asks.get(request.id);
        const first = kept?.released ? undefined : kept && askToday(kept);
        if (first && !sameAsk(first, ask)) throw reusedId(request, first, ask);
        // Only a request id asked before (its ask kept) can have an answer or an executed fact.
        const known = kept ? await keptAnswer(request) : await answers.get(request.id);
        if (known?.ask && !sameAsk(askToday(known.ask), ask)) throw reusedId(request, askToday(known.ask), ask);
        if (known) return repeated(answerOf(known));
        // Asked before and queued for a person: answered from the approval (one per request id),
        // not judged and queued again, which wrote three audit entries at every ask of a campaign's
        // tick; decided, it is what came of it (a rejection, an approved act carried out now).
        const item = first ? await queue.get(approvalIdOf(request.id)) : null;
        if (item) return fromApproval(item);
        // While the back ends take no act (the first start's history, a restarted world rebuilt),
        // every new request is answered alike, 503 with when to ask again, before it is judged or
        // recorded: judged, a credit above the approval line was queued while one below it met the
        // held back end, two answers to one kind of act (decision 0021).
        const hold = options.actsHeld?.();
        if (hold) throw heldError(hold.reason, hold.retryAfterMs);
        // Whether the customer is in contact with the asker, as it is now, is stamped on the request
        // (in the audit, and with the approval it may wait for): a person who approves it after the
        // call ended approves what was asked on the call, judged so (decision 0050). Read before
        // anything is kept: while it cannot be known yet (UNAVAILABLE) the ask leaves nothing behind.
        const inContact = options.inContact?.(request);
        const judged = inContact === undefined ? request : { ...request, inContact };
        // Kept before anything is recorded, so that a crash after cannot let another request in under this id.
        if (!first) await asks.put(request.id, ask);
        await record('action.requested', judged, judged.actor, { status: 'received' });
        const result = await decideAndAct(judged, customerKnown);
        // Refused or only advised, the id holds nothing (no act, no approval): it is released.
        if (result.status === 'refused' || result.status === 'advised') await asks.put(request.id, { ...ask, released: true });
        return result;
      });
    },
    // Overdue items are not expired here: the queue refuses a late decision, and the sweep that
    // expires them (expireDue) is the one that tells waiting workflows.
    async approve(approvalId, by, reason) {
      const pending = await queue.get(approvalId);
      if (!pending) throw new TwinloopError('NOT_FOUND', `no approval ${approvalId}; the pending ones are listed at GET /approvals`);
      const refusal = fourEyesRefusal(pending, by);
      // Who may not approve, as a role that lacks the permission: FORBIDDEN (HTTP 403, exit 9), not the action policy's POLICY_DENIED.
      if (refusal) throw new TwinloopError('FORBIDDEN', refusal);
      // Withdrawn by its asker (a campaign that ended): said so, with why, rather than "already expired".
      if (pending.status === 'expired' && pending.decidedBy === WITHDRAWN_DECIDER) {
        throw new TwinloopError('CONFLICT', `approval ${approvalId} was withdrawn ${pending.decidedAt ? `at ${new Date(pending.decidedAt).toISOString()} ` : ''}by the run that asked for it: ${pending.reason ?? 'it stopped waiting'}; nothing is carried out`);
      }
      const hold = options.actsHeld?.();
      if (hold) throw heldError(hold.reason, hold.retryAfterMs);
      // A top-up is decided after the payment it adds to: approved first, it would be paid even if that one were then rejected.
      // Approved and not carried out yet, that one may still fail for good or be withdrawn: decided once it is carried out.
      const first = pending.status === 'pending' ? unsettledAddedTo(await addedTo(pending.request)) : undefined;
      if (first?.standing === 'waiting') {
        throw new TwinloopError('CONFLICT', `approval ${approvalId} adds to request ${first.requestId}, which waits for a person (approval ${approvalIdOf(first.requestId)}): decide that one first; nothing was decided here`);
      }
      if (first) {
        throw new TwinloopError('CONFLICT', `approval ${approvalId} adds to request ${first.requestId}, which a person approved and is not carried out yet (${first.reason}): decide this one once it is; nothing was decided here`);
      }
      // The decision is the queue's, checked and set at once (a second click is CONFLICT there); the
      // act is carried out through the request's one door, as every other settle of it (a withdrawal,
      // the deferral sweep, settleDecided, the request asked again), so one arriving while the back end
      // acts shares this answer rather than finding no kept answer yet and acting a second time.
      const item = await queue.approve(approvalId, by.id, reason);
      const result = await once(item.request, askOf(item.request), async () => {
        await record('approval.approved', item.request, by, { approvalId, reason });
        return afterApproval(item.request, { approvalId, by: by.id });
      });
      return { ...result, approvalId };
    },
    async reject(approvalId, by, reason) {
      const item = await queue.reject(approvalId, by.id, reason);
      const seq = await record('approval.rejected', item.request, by, { approvalId, reason });
      return { status: 'refused', reason: `rejected by ${by.id}: ${reason}`, requestId: item.request.id, approvalId, auditSeq: seq };
    },
    expireDue,
    actDeferred,
    async settleDecided(approvalId) {
      const item = await queue.get(approvalId);
      if (!item || item.status === 'pending') return null;
      // Approved, and neither carried out nor refused yet (a crash came between, or the customer's
      // quiet hours held it): carried out now, unless those still hold it.
      // Through the request's one door: an approve, the sweep or a withdrawal acting on it now is shared, not repeated.
      const r = await once(item.request, askOf(item.request), async (): Promise<GuardedResult> => {
        const s = await settleApproved(item);
        return { ...s, auditSeq: s.auditSeq ?? 0 };
      });
      return { status: r.status, reason: r.reason, requestId: item.request.id, approvalId };
    },
    async withdraw(approvalId, reason) {
      try {
        const item = await queue.withdraw(approvalId, reason);
        const why = `approval ${approvalId} withdrawn: ${reason}`;
        const seq = await record('approval.expired', item.request, { kind: 'system', id: 'approval-withdrawn' }, { approvalId, withdrawn: true, reason });
        const answer: GuardedResult = { status: 'refused', reason: why, requestId: item.request.id, approvalId, auditSeq: seq };
        await answers.put(item.request.id, { ...answer, ask: askOf(item.request) });
        return { status: 'refused', reason: why, requestId: item.request.id, approvalId, withdrawn: true };
      } catch (err) {
        if (!(err instanceof TwinloopError && err.code === 'CONFLICT')) throw err;
        const item = await queue.get(approvalId);
        if (!item || item.status === 'pending') throw err;
        // Decided meanwhile. Approved and not carried out yet because the customer's quiet hours hold it
        // (a deferral): the asker has gone, so it is not carried out after them either (nobody would
        // book or measure it); otherwise what became of it, as settleDecided. Through the request's one
        // door, so the deferral sweep carrying it out at this moment is heard rather than raced.
        const settled = await once(item.request, askOf(item.request), async (): Promise<GuardedResult> => {
          const waiting = item.status === 'approved' && !(await answers.get(item.request.id)) ? await deferrals.get(item.request.id) : undefined;
          if (waiting && !waiting.done) return cancelDeferred(item, waiting, reason);
          const r = await settleApproved(item);
          return { ...r, auditSeq: r.auditSeq ?? 0 };
        });
        return { status: settled.status, reason: settled.reason, requestId: item.request.id, approvalId, withdrawn: settled.reason.startsWith(`approval ${approvalId} withdrawn:`) };
      }
    },
    async statusOf(requestId) {
      const now = await standingNow(requestId);
      return now && !now.idle ? now.standing.status : null;
    },
    standingOf,
    async approvalOutcome(approvalId) {
      const item = await queue.get(approvalId);
      if (!item || item.status === 'pending') return null;
      const decided = await outcomeOfDecided(item);
      if (decided) return decided;
      // Approved and held by the customer's quiet hours: said so, with until when.
      const waiting = await deferrals.get(item.request.id);
      return waiting && !waiting.done ? { status: 'pending-approval', reason: waitsForQuietHours(item.decidedBy, waiting.notBefore), requestId: item.request.id, approvalId } : null;
    },
  };
}
