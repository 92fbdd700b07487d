import type { StoreOptions } from '../../store/store-options.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { verifyAuditChain, type AuditVerification } from './audit-trail.js';

/**
 * What `twinloop audit verify` runs: opens the governance store named by the store options,
 * walks the whole audit chain and closes the store again.
 */
export async function verifyAudit(options: StoreOptions): Promise<AuditVerification> {
  const store = await openGovernanceStore(options);
  try {
    return await verifyAuditChain(store);
  } finally {
    await store.close();
  }
}

/** One line for a terminal: the entry count and head on success, the first broken link otherwise. */
export function formatAuditVerification(result: AuditVerification): string {
  if (result.ok) return `audit trail intact: ${result.entries} entries, head ${result.headSeq} ${result.headHash.slice(0, 16)}…`;
  return `audit trail BROKEN after ${result.entries} good entries: ${result.firstBreak.message} (seq ${result.firstBreak.seq}, ${result.firstBreak.kind})`;
}
