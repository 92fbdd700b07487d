/** executed: done; pending-approval: queued for a human; advised: shown only; refused: denied; failed: the executor failed. */
export type GuardedStatus = 'executed' | 'pending-approval' | 'advised' | 'refused' | 'failed';

/** What a request id stands for now (`GuardedExecutor.standingOf`). */
export interface RequestStanding {
  status: GuardedStatus;
  reason: string;
  /** Who approved it, while it is approved and not carried out yet (status pending-approval). */
  approvedBy?: string;
}
