import { addsToOf, type ActionRequest, type AddedTo } from '../../decisioning/policy/index.js';
import type { RequestStanding } from './request-standing.js';

/**
 * What an approver reads of the requests an approval's request adds to (a top-up on a payment,
 * `params.addsTo`): each as it stands when they look, not as its asker heard it when it asked (a
 * person may have approved or rejected it since). The policy judges the top-up on the same reading
 * when it is approved (guardrail `adds-to`, decision 0093): `addedToOf`.
 */
export interface AddsToNow {
  requestId: string;
  /** Its status now; null when nothing was asked or kept under it. */
  status: RequestStanding['status'] | null;
  reason: string;
  /** Who approved it, while it is approved and not carried out yet. */
  approvedBy?: string;
}

/**
 * THE reading of the requests `request` adds to, each as it stands now (`standingOf`, the guarded
 * executor's): what its approver is shown and, through `addedToOf`, what the policy judges it with.
 */
export async function addsToNow(request: Pick<ActionRequest, 'params'>, standingOf: (requestId: string) => Promise<RequestStanding | null>): Promise<AddsToNow[]> {
  const out: AddsToNow[] = [];
  for (const requestId of addsToOf(request)) {
    const now = await standingOf(requestId);
    out.push(now ? { requestId, status: now.status, reason: now.reason, ...(now.approvedBy !== undefined ? { approvedBy: now.approvedBy } : {}) } : { requestId, status: null, reason: 'nothing was asked or kept under it' });
  }
  return out;
}

/**
 * How the policy reads one request a top-up adds to: carried out; committed (a person approved it,
 * not carried out yet); waiting for a person; anything else not carried out (decision 0093).
 */
export function addedToOf(now: AddsToNow): AddedTo {
  const standing = now.status === 'executed' ? 'carried-out' : now.status === 'pending-approval' ? (now.approvedBy !== undefined ? 'committed' : 'waiting') : 'not-carried-out';
  return { requestId: now.requestId, standing, reason: now.status === null ? now.reason : `${now.status}: ${now.reason}` };
}

/** The approval with `addsTo` read now, when its request adds to others; as it is otherwise. */
export async function withAddsTo<T extends { request: Pick<ActionRequest, 'params'> }>(item: T, standingOf: (requestId: string) => Promise<RequestStanding | null>): Promise<T & { addsTo?: AddsToNow[] }> {
  if (addsToOf(item.request).length === 0) return item;
  return { ...item, addsTo: await addsToNow(item.request, standingOf) };
}
