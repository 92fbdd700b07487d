import type { WorkflowJournal } from '../../store/workflow-journal.js';
import type { GuardedExecutor } from '../governance/guarded-executor.js';
import { approvalSignalName, signalApprovalDecision, type Signaller } from './guarded-step.js';

/**
 * Wakes the workflows left waiting on an approval that was decided while the process died: the
 * decision is kept before the action runs and the workflow is told, so a crash in between leaves
 * the approval decided and the workflow asleep until its timeout. Run at start, before the engine
 * claims runs: each open approval wait of a waiting run whose approval is no longer pending gets
 * its outcome (the approved action carried out now if it was not, charged once).
 */

/** Most waiting runs looked at per start (newest first); far above what a day's flows leave waiting. */
const MAX_WAITING_RUNS = 100_000;

const WAIT_PREFIX = `signal:${approvalSignalName('')}`;

/** Delivers the outcome of every decided approval a waiting run still waits on; returns how many were woken. */
export async function wakeDecidedApprovals(o: {
  journal: Pick<WorkflowJournal, 'listRuns' | 'loadHistory'>;
  guarded: Pick<GuardedExecutor, 'settleDecided'>;
  engine: Signaller;
}): Promise<number> {
  let woken = 0;
  for (const run of await o.journal.listRuns({ status: 'waiting', limit: MAX_WAITING_RUNS })) {
    const { steps, signals } = await o.journal.loadHistory(run.id);
    const delivered = new Set(signals.map((s) => s.name));
    for (const step of steps) {
      if (step.status !== 'started' || !step.key.startsWith(WAIT_PREFIX)) continue;
      const approvalId = step.key.slice(WAIT_PREFIX.length);
      if (delivered.has(approvalSignalName(approvalId))) continue;
      const settled = await o.guarded.settleDecided(approvalId);
      if (settled && (await signalApprovalDecision(o.engine, { params: { workflowId: run.id } }, approvalId, settled))) woken++;
    }
  }
  return woken;
}
