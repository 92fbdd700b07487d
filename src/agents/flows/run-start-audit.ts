import type { Actor } from '../../decisioning/policy/index.js';
import type { AuditTrail } from '../governance/audit-trail.js';
import { CAMPAIGN_ADJUSTMENT_CLASS, CAMPAIGN_MANAGEMENT_WORKFLOW_ID } from './campaign-management-flow.js';

/**
 * Who started a flow that spends on many customers or tells them something (a managed campaign, a
 * churn prevention run, service operations), in the audit trail: a person's start, over HTTP or as
 * the approver (or owner) of an intent's plan. A campaign's start is one of its adjustments (a
 * campaign_adjustment, like a pause or a stop: its page lists it with who did it); any other flow's
 * a `workflow_start`. Neither moves money (cost 0).
 */
export const WORKFLOW_START_CLASS = 'workflow_start';

/** The run a person started, as the audit entry names it. */
export interface StartedRun {
  readonly definitionId: string;
  readonly workflowId: string;
  readonly input: unknown;
}

/** The audit fact of a run's start: one entry per run, however often its start is retried. */
export const runStartFact = (workflowId: string) => `run.started:${workflowId}`;

/**
 * Records that `by` started `run`, once per run (`runStartFact`): call it before the run is written
 * (the engine's `beforeCreate`), so a crash after the run was written cannot lose who started it; a
 * crash between the two leaves an entry the retry's repeat finds rather than a second.
 */
export async function auditRunStart(audit: Pick<AuditTrail, 'record'>, by: Actor, run: StartedRun, why: string): Promise<void> {
  const campaignId = run.definitionId === CAMPAIGN_MANAGEMENT_WORKFLOW_ID ? (run.input as { campaignId?: unknown } | null)?.campaignId : undefined;
  const event = typeof campaignId === 'string' ? 'campaign.started' : 'workflow.started';
  await audit.record({
    type: 'action.executed',
    requestId: `${run.workflowId}:started`,
    actor: by,
    action: {
      actionClass: typeof campaignId === 'string' ? CAMPAIGN_ADJUSTMENT_CLASS : WORKFLOW_START_CLASS,
      channel: '*',
      cost: 0,
      params: { event, kind: 'start', definitionId: run.definitionId, workflowId: run.workflowId, ...(typeof campaignId === 'string' ? { campaignId } : {}) },
    },
    why: { summary: why },
    outcome: { status: 'executed', event },
  }, runStartFact(run.workflowId));
}
