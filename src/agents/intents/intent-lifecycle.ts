import type { LifecycleStatus } from './intent-schema.js';

/**
 * The moves an intent's lifecycle allows. `planning` holds a chosen plan awaiting execution;
 * re-planning while executing stays in `executing`; `failed` (no plan could be made, or the run
 * failed) ends it with the reason; `achieved`, `not-achieved`, `failed` and `cancelled` are final.
 */
export const LIFECYCLE_MOVES: Readonly<Record<LifecycleStatus, readonly LifecycleStatus[]>> = {
  proposed: ['accepted', 'cancelled'],
  accepted: ['planning', 'cancelled'],
  planning: ['planning', 'executing', 'failed', 'cancelled'],
  executing: ['executing', 'achieved', 'not-achieved', 'failed', 'cancelled'],
  achieved: [],
  'not-achieved': [],
  failed: [],
  cancelled: [],
};

/** Whether the status ends the intent (achieved, not-achieved, failed, cancelled): nothing moves it on. */
export const isFinal = (status: LifecycleStatus): boolean => LIFECYCLE_MOVES[status].length === 0;

/** Whether the lifecycle allows moving from one status to another, with the reason when not. */
export function canMove(from: LifecycleStatus, to: LifecycleStatus): { ok: true } | { ok: false; reason: string } {
  if (LIFECYCLE_MOVES[from].includes(to)) return { ok: true };
  const next = LIFECYCLE_MOVES[from];
  return {
    ok: false,
    reason: next.length
      ? `an intent in status ${from} cannot move to ${to}; allowed next: ${next.join(', ')}`
      : `an intent in status ${from} is final and cannot move to ${to}; create a new intent instead`,
  };
}

/** What the intent service is still doing for an intent without anyone asking, as its record says. */
export const INTENT_WORK = ['planning', 'starting-run'] as const;
/** One of INTENT_WORK. */
export type IntentWork = (typeof INTENT_WORK)[number];

/**
 * What the intent service still does for this intent on its own, read from the record alone (so a
 * restart finds the same, `IntentService.planWaiting` resumes it and a caller waits on it):
 * `planning` while accepted without a plan (its plans being simulated, or to be after a restart),
 * `starting-run` when an autonomous intent of a person has its plan and neither a run nor a
 * refusal since it was planned; undefined when it waits for a person or has ended.
 */
export function workInProgress(r: {
  readonly intent: { readonly lifecycleStatus: LifecycleStatus; readonly policyMode: string };
  readonly plan?: unknown;
  readonly createdBy?: { readonly kind: string };
  readonly events: readonly { readonly kind: string }[];
}): IntentWork | undefined {
  const status = r.intent.lifecycleStatus;
  if (status === 'accepted' || (status === 'planning' && !r.plan)) return 'planning';
  if (status !== 'planning' || r.intent.policyMode !== 'autonomous' || r.createdBy?.kind === 'agent') return undefined;
  const planned = r.events.findLastIndex((e) => e.kind === 'planned');
  return r.events.slice(planned + 1).some((e) => e.kind === 'execution-refused') ? undefined : 'starting-run';
}
