/**
 * The shapes of the API answers the console reads (the OpenAPI document at `/openapi.json` is
 * their full description; only the fields the console shows are typed here).
 */
import type { EarlierDecisions } from './earlier-decisions';
import type { PeriodUsage } from './period-usage';

export interface Reason {
  readonly feature?: string;
  readonly text?: string;
  readonly contribution?: number;
}

export interface ChurnScore {
  readonly probability: number | null;
  readonly interval?: readonly [number, number];
  readonly horizonDays?: number;
  readonly reasons?: readonly Reason[];
  readonly note?: string;
}

export interface TwinScores {
  readonly churn?: ChurnScore;
  readonly clv?: { readonly value: number; readonly low: number; readonly high: number; readonly reasons?: readonly string[] };
  readonly [name: string]: unknown;
}

export interface AssistAction {
  readonly actionId: string;
  readonly name?: string;
  readonly treatment?: string;
  readonly expectedValue: number;
  readonly reasons: readonly string[];
  readonly decisionId?: string;
}

export interface AssistCard {
  readonly cardId: string;
  readonly customerId: string;
  readonly channel: string;
  readonly reason: string;
  readonly at: string;
  readonly summary: { readonly scores?: TwinScores | null; readonly periodUsage?: PeriodUsage } | null;
  readonly actions: readonly AssistAction[];
  readonly otherChannels: readonly { channel: string; intent: string; phase: string; context: Record<string, unknown>; startedAt: string; at: string }[];
  /** What staged the call (a scenario), null for the world's own: kept in the queue until taken or dismissed. */
  readonly staged?: string | null;
  /** False for a card asked for with no interaction open on the channel (`reason` unknown, `at` when asked). */
  readonly inProgress?: boolean;
  /** What came of the customer's earlier decisions. */
  readonly earlier?: EarlierDecisions;
}

/** The action policy's answer to an action (`GuardedResult`, as the HTTP edge answers it). */
export interface GuardedResult {
  readonly status: 'executed' | 'pending-approval' | 'advised' | 'refused' | 'failed';
  readonly reason: string;
  readonly requestId: string;
  readonly approvalId?: string;
  readonly auditSeq?: number;
  /** What the action costs the operator as the policy checked it; for an offer paid on acceptance, the part paid now. */
  readonly cost?: number;
  /** An offer's part paid only on the customer's acceptance. */
  readonly onAcceptance?: number;
  readonly verdict?: { readonly verdict: string; readonly mode: string; readonly riskClass: string; readonly rule: string | null; readonly guardrail?: string };
  /** The request was carried out before: this is that first answer, nothing was done or charged again. */
  readonly repeated?: boolean;
  /** For `failed`: whether the same request may succeed later. */
  readonly retryable?: boolean;
  /** When what holds the act back lifts (ms, world time): quiet hours' end. */
  readonly notBefore?: number;
  /** For one waiting for a person: when the approval times out (ms, wall clock), what then, and the roles that may decide it. */
  readonly expiresAt?: number;
  readonly onTimeout?: 'reject' | 'advise-only';
  readonly approvers?: readonly string[];
}

/**
 * What `POST /decisions/:id/accept` answers: the policy's answer, and whether the accept was booked
 * as the customer's yes (only while the contact the decision was made in is in progress) and why.
 */
export interface AcceptResult extends GuardedResult {
  readonly customerYes?: { readonly recorded: boolean; readonly reason: string };
}

/** The action a decision ranks that means "no action": it is never accepted. */
export const DO_NOTHING = 'do-nothing';
