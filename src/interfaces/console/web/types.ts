/**
 * The shapes of the API answers the console reads (the OpenAPI document at `/openapi.json` is
 * their full description; only the fields the console shows are typed here).
 */

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
  readonly summary: { readonly scores?: TwinScores | null } | null;
  readonly actions: readonly AssistAction[];
  readonly otherChannels: readonly { channel: string; intent: string; phase: string; context: Record<string, unknown>; startedAt: string; at: string }[];
  /** What staged the call (a scenario), null for the world's own: kept in the queue until taken or dismissed. */
  readonly staged?: string | null;
}

/** The action policy's answer to an action (`GuardedResult`). */
export interface GuardedResult {
  readonly status: 'executed' | 'pending-approval' | 'advised' | 'refused' | 'failed';
  readonly reason: string;
  readonly requestId: string;
  readonly approvalId?: string;
}

/** The action a decision ranks that means "no action": it is never accepted. */
export const DO_NOTHING = 'do-nothing';
