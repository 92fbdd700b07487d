import type { ApprovalQueue } from '../../agents/governance/approval-queue.js';
import type { AuditTrail } from '../../agents/governance/audit-trail.js';
import type { GuardedExecutor, GuardedResult } from '../../agents/governance/guarded-executor.js';
import type { IntentService } from '../../agents/intents/intent-service.js';
import type { WorkflowEngine } from '../../agents/workflows/index.js';
import type { DecisionService } from '../../decisioning/decision-service.js';
import type { SimulationRuns } from '../../simulation/index.js';
import type { RecordStore } from '../../store/record-store.js';
import type { TwinService } from '../../twin/twin-service.js';
import type { TwinDecorator } from '../http/server.js';

/**
 * The running operator's services, as the HTTP routes, the MCP tools and the CLI use them. One
 * bag, built once by `startOperatorRuntime`, so that every edge acts through the same policy,
 * the same audit trail and the same logs.
 */
export interface OperatorServices {
  readonly twins: TwinService;
  readonly decorateTwin: TwinDecorator;
  readonly decisions: DecisionService;
  readonly guarded: GuardedExecutor;
  readonly approvals: ApprovalQueue;
  readonly audit: AuditTrail;
  readonly simulations: SimulationRuns;
  readonly intents: IntentService;
  readonly workflows: WorkflowEngine;
  /** Documents (catalogue, runs, intents, campaigns) and the decision log. */
  readonly records: RecordStore;
  /** Approves or rejects an approval and wakes the workflow that asked for it, if any. */
  decideApproval(id: string, decision: { approve: boolean; by: string; reason: string }): Promise<GuardedResult>;
}
