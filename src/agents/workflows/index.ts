/** The durable workflow engine, as offered to the flows (agents/flows) and the layers above. */
export {
  createWorkflowEngine,
  defineWorkflow,
  toWorkflowRun,
  DEFAULT_COMPACTION,
  DEFAULT_CONCURRENCY,
  DEFAULT_LEASE_MS,
  DEFAULT_POLL_INTERVAL_MS,
  type CompactionOptions,
  type StartedWorkflow,
  type WorkflowEngine,
  type StartOptions,
  type WorkflowEngineOptions,
  type WorkflowRun,
  type WorkflowStepView,
} from './workflow-engine.js';
export {
  stepFailure,
  stepFailureOf,
  type AnyWorkflowDefinition,
  type OneRunPer,
  type SignalOutcome,
  type SubjectRun,
  type StepContext,
  type StepDefinition,
  type StepFailureKind,
  type StepSemantics,
  type WorkflowContext,
  type WorkflowDefinition,
} from './workflow-definition.js';
export { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry-policy.js';
export type { WorkflowEvent } from './run-execution.js';
