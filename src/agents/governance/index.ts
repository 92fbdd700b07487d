export { createApprovalQueue, TIMEOUT_DECIDER, type ApprovalItem, type ApprovalQueue, type NewApproval } from './approval-queue.js';
export {
  AUDIT_ENTRY_TYPES,
  createAuditTrail,
  verifyAuditChain,
  type AuditBreak,
  type AuditEntry,
  type AuditEntryType,
  type AuditStore,
  type AuditTrail,
  type AuditVerification,
} from './audit-trail.js';
export {
  createGuardedExecutor,
  parseActionRequest,
  type ActionExecutor,
  type ExecutionOutcome,
  type GuardedExecutor,
  type GuardedExecutorOptions,
  type GuardedResult,
  type GuardedStatus,
} from './guarded-executor.js';
export { formatAuditVerification, verifyAudit } from './verify-audit.js';
