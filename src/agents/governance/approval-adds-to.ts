import { addsToOf } from '../../decisioning/policy/index.js';
import type { ApprovalItem } from './approval-queue.js';
import type { RequestStanding } from './guarded-executor.js';

/**
 * What an approver reads of the requests an approval's request adds to (a top-up on a payment,
 * `params.addsTo`): each as it stands when they look, not as its asker heard it when it asked (a
 * person may have approved or rejected it since). The policy judges the top-up on the same reading
 * when it is approved (guardrail `adds-to`, decision 0093).
 */
export interface AddsToNow {
  requestId: string;
  /** Its status now; null when nothing was asked or kept under it. */
  status: RequestStanding['status'] | null;
  reason: string;
  /** Who approved it, while it is approved and not carried out yet. */
  approvedBy?: string;
}

/** The approval with `addsTo` read now, when its request adds to others; as it is otherwise. */
export async function withAddsTo<T extends Pick<ApprovalItem, 'request'>>(item: T, standingOf: (requestId: string) => Promise<RequestStanding | null>): Promise<T & { addsTo?: AddsToNow[] }> {
  const ids = addsToOf(item.request);
  if (ids.length === 0) return item;
  const addsTo: AddsToNow[] = [];
  for (const requestId of ids) {
    const now = await standingOf(requestId);
    addsTo.push(now ? { requestId, status: now.status, reason: now.reason, ...(now.approvedBy !== undefined ? { approvedBy: now.approvedBy } : {}) } : { requestId, status: null, reason: 'nothing was asked or kept under it' });
  }
  return { ...item, addsTo };
}
