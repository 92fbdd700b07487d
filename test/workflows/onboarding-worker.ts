/**
 * A worker process for the kill -9 test: runs the onboarding flow against remote back ends and
 * kills itself with SIGKILL at the step boundary named by KILL_AT (`after:k` = just after the k-th
 * step is journaled, `before:k` = just before the k-th step runs).
 */
import { createWorkflowEngine } from '../../src/agents/workflows/index.js';
import { onboardingWorkflow, ONBOARDING_WORKFLOW_ID, type PlanOption } from '../../src/agents/flows/onboarding-flow.js';
import { openWorkflowJournal } from '../../src/store/open-workflow-journal.js';
import { remoteBackends } from './remote-backends.js';

const env = process.env;
const [when, k] = (env.KILL_AT ?? 'never:0').split(':');
const boundary = Number(k);
const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: env.DATA_DIR! });
const succeeded = new Set<string>();
const started = new Set<string>();
const engine = createWorkflowEngine({
  journal,
  workerId: `child-${process.pid}`,
  pollIntervalMs: 20,
  onEvent: (e) => {
    if (e.type === 'step-journaled' && e.status === 'succeeded') {
      succeeded.add(e.stepKey);
      if (when === 'after' && succeeded.size === boundary) process.kill(process.pid, 'SIGKILL');
    }
    if (e.type === 'step-starting' && !started.has(e.stepKey)) {
      started.add(e.stepKey);
      if (when === 'before' && started.size === boundary) process.kill(process.pid, 'SIGKILL');
    }
  },
});
engine.register(onboardingWorkflow({ ...remoteBackends(env.BACKEND_URL!), plans: JSON.parse(env.PLANS!) as PlanOption[] }));
await engine.run();
await engine.start(ONBOARDING_WORKFLOW_ID, JSON.parse(env.INPUT!), { workflowId: env.WORKFLOW_ID! });
await engine.waitFor(env.WORKFLOW_ID!);
await engine.stop();
await journal.close();
