import type { Actor } from '../../decisioning/policy/index.js';
import type { SignedActor } from '../../agents/intents/intent-service.js';

/**
 * What the MCP tools can do, as plain async functions. The server (`twinloop start`) implements
 * them over the same services its HTTP routes use, so an agent connected over MCP can do what a
 * person can through the API, and nothing more: every state-changing path goes through the
 * action policy exactly as the HTTP routes do.
 */
export interface McpCapabilities {
  /** The twin with its live scores and reasons, or null for an unknown customer. */
  readTwin(customerId: string): Promise<unknown | null>;
  /** The churn score with its interval and the features that push it up or down. */
  explainChurn(customerId: string): Promise<unknown | null>;
  /** Twins matching filters on features and live scores (`{ 'tenure_days.gte': '365', 'churn.gt': '0.5' }` pairs, docs/filters.md), a page at a time. */
  /** Twins matching the filters; `keep` leaves out those the caller may not see (a segment-scoped key). */
  searchTwins(filters: Record<string, string>, offset: number, limit: number, keep?: (customerId: string) => boolean): Promise<{ total: number; items: unknown[] }>;
  /** Runs the decision funnel; the decision is logged (that is its only side effect). */
  /** `asker`: the caller (an AI agent's key is answered as for an outbound contact, whatever the channel). */
  recommend(customerId: string, context: { channel: string; reason?: string; asker: Pick<Actor, 'kind'> }): Promise<unknown>;
  /** Starts a simulation run and waits for it up to `waitMs`; answers the run (finished or not). */
  simulate(scenario: unknown, waitMs: number): Promise<unknown>;
  /** Reads a stored simulation run. */
  simulationRun(id: string): Promise<unknown | null>;
  /** Creates an intent from plain words or a structured intent; it is proposed, not executed. */
  createIntent(input: { text?: string; intent?: unknown; accept?: boolean; by: SignedActor }): Promise<unknown>;
  intentReport(id: string): Promise<unknown | null>;
  /** Asks for an action: executed, pending approval, advised or refused, always with the reason. */
  requestAction(request: ActionRequestInput): Promise<ActionAnswer>;
  listApprovals(): Promise<unknown[]>;
  /** Approve or reject a pending approval; the policy decides whether this actor may (an agent never; nobody their own request). */
  decideApproval(id: string, decision: { approve: boolean; reason: string; by: Actor }): Promise<unknown>;
  /** Ids of twins to list as resources (bounded). */
  listTwinIds(limit: number): Promise<string[]>;
}

/** An action an agent asks for (the same body as `POST /actions`). */
export interface ActionRequestInput {
  readonly customerId: string;
  readonly actionClass: string;
  readonly channel: string;
  readonly offerId?: string;
  readonly amount?: number;
  /** A communication's purpose (required for one: the guarded executor refuses a message without it) and channel and words. */
  readonly purpose?: string;
  readonly notificationChannel?: string;
  readonly message?: string;
  readonly reason: string;
  /** Who asks: the MCP caller's identity (an AI agent's key acts as an agent). */
  readonly actor: Actor;
  readonly idempotencyKey: string;
}

/**
 * The guarded executor's request for the tool's input: what `request_action` hands it, and what a
 * key's channel scope is checked on (the channel the customer receives it by included). Priced by
 * the executor: an offering from the catalogue (as what it is), a credit by its amount, a discount by its percentage.
 */
export function mcpActionRequest(req: ActionRequestInput) {
  const money = req.actionClass === 'credit' || req.actionClass === 'compensation';
  return {
    id: `mcp:${req.idempotencyKey}`.slice(0, 200),
    actionClass: req.actionClass,
    channel: req.channel,
    customerId: req.customerId,
    ...(req.actionClass === 'discount' && !req.offerId && req.amount !== undefined ? { discountPct: req.amount } : {}),
    params: {
      ...(req.offerId ? { offerId: req.offerId, present: true } : {}),
      ...(money && req.amount !== undefined ? { amount: req.amount } : {}),
      ...(req.actionClass === 'communication' ? { purpose: req.purpose, notificationChannel: req.notificationChannel, body: req.message } : {}),
    },
    actor: req.actor,
    why: { summary: req.reason },
  };
}

/** The policy's answer to an action request. */
export interface ActionAnswer {
  readonly status: 'executed' | 'pending-approval' | 'advised' | 'refused' | 'failed';
  readonly reason: string;
  readonly approvalId?: string;
  readonly [k: string]: unknown;
}
