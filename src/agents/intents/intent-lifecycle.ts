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
