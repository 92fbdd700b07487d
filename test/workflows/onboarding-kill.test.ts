import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onboardingWorkflow, ONBOARDING_STEPS, type PlanOption } from '../../src/agents/flows/onboarding-flow.js';
import { createWorkflowEngine } from '../../src/agents/workflows/index.js';
import type { Order, OrderManagementConnector } from '../../src/domain/connectors/order-management.js';
import { createSandboxWorld, namedWorld, type SandboxWorld } from '../../src/sandbox/index.js';
import { openWorkflowJournal } from '../../src/store/open-workflow-journal.js';
import { serveBackends } from './remote-backends.js';

/**
 * The kill -9 test: for every step boundary of the onboarding flow, a worker process is killed
 * with SIGKILL just after journaling step k (or just before running it); a new worker resumes
 * from the SQLite journal, the flow completes, and the sandbox activated the line exactly once.
 */

const WORKER = join(import.meta.dirname, 'onboarding-worker.ts');
const BOUNDARIES = ONBOARDING_STEPS.flatMap((_, i) => [`after:${i + 1}`, `before:${i + 1}`]);
/** Children at once: each is a Node process compiling TypeScript; more would crowd two cores. */
const PARALLEL = 4;

let world: SandboxWorld;
let backendUrl: string;
let close: () => Promise<void>;
let plans: PlanOption[];
/** Order management that records every order id it hands out per applicant (replays return the same id). */
let countedOrders: OrderManagementConnector;
const activations = new Map<string, number>();
const ordersByApplicant = new Map<string, Set<string>>();

beforeAll(async () => {
  const config = namedWorld('small');
  // Every applicant is genuine and no back end refuses for good: each flow must complete. Transient failures stay.
  config.applicants.identityInvalidRate = 0;
  config.applicants.fraudRate = 0;
  config.applicants.creditScore.min = 300;
  for (const b of Object.values(config.backends)) b.permanentRejectionRate = 0;
  world = createSandboxWorld(config, 7, { latencyScale: 0 });
  plans = config.plans.map((p) => ({ id: p.id, monthlyPrice: p.monthlyPrice, dataAllowanceMb: p.dataAllowanceMb, voiceAllowanceMin: p.voiceAllowanceMin }));
  world.backends.provisioning.onCompletion((job) => activations.set(job.orderId, (activations.get(job.orderId) ?? 0) + 1));
  const orders: OrderManagementConnector = (countedOrders = {
    ...world.backends.orderManagement,
    create: async (req) => {
      const r = await world.backends.orderManagement.create(req);
      if (r.status === 'ok' && req.order.type === 'new_line') {
        const set = ordersByApplicant.get(req.order.applicantId) ?? new Set<string>();
        set.add((r.value as Order).orderId);
        ordersByApplicant.set(req.order.applicantId, set);
      }
      return r;
    },
  });
  const served = await serveBackends({
    identity: world.backends.identityVerification,
    credit: world.backends.creditBureau,
    orders,
    provisioning: world.backends.provisioning,
    notifications: world.backends.notifications,
  });
  backendUrl = served.url;
  close = () => new Promise((r) => served.server.close(() => r()));
});
afterAll(async () => {
  await close?.();
});

function runChild(env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

async function killAndResume(killAt: string) {
  const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-kill-'));
  const applicant = world.nextApplicant();
  const workflowId = `onboard-${applicant.applicantId}`;
  try {
    const child = await runChild({
      DATA_DIR: dataDir,
      BACKEND_URL: backendUrl,
      KILL_AT: killAt,
      WORKFLOW_ID: workflowId,
      PLANS: JSON.stringify(plans),
      INPUT: JSON.stringify({ applicant, expectedUse: { dataMb: 3_000, voiceMin: 100 } }),
    });
    const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir });
    const engine = createWorkflowEngine({ journal, workerId: `resumer-${killAt}`, pollIntervalMs: 20 });
    engine.register(onboardingWorkflow({ ...backendsOf(world), plans }));
    const before = await engine.get(workflowId);
    await engine.run();
    const run = await engine.waitFor(workflowId, { timeoutMs: 20_000 });
    await engine.stop();
    await journal.close();
    return { killAt, child, before, run, applicantId: applicant.applicantId };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

function backendsOf(w: SandboxWorld) {
  return {
    identity: w.backends.identityVerification,
    credit: w.backends.creditBureau,
    orders: countedOrders,
    provisioning: w.backends.provisioning,
    notifications: w.backends.notifications,
  };
}

describe('onboarding survives kill -9 at every step boundary', () => {
  it('resumes, completes and activates the line exactly once', async () => {
    const results: Awaited<ReturnType<typeof killAndResume>>[] = [];
    const queue = [...BOUNDARIES];
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let b = queue.shift(); b !== undefined; b = queue.shift()) results.push(await killAndResume(b));
      }),
    );
    expect(results.length).toBe(BOUNDARIES.length);
    for (const r of results) {
      expect({ killAt: r.killAt, signal: r.child.signal, stderr: r.child.stderr }).toEqual({ killAt: r.killAt, signal: 'SIGKILL', stderr: '' });
      expect(r.before?.status, r.killAt).not.toBe('succeeded');
      expect(r.run.status, `${r.killAt}: ${r.run.error}`).toBe('succeeded');
      const out = r.run.output as { orderId: string; customerId: string };
      expect(ordersByApplicant.get(r.applicantId)?.size, r.killAt).toBe(1);
      expect(activations.get(out.orderId), r.killAt).toBe(1);
      expect(out.customerId).toMatch(/.+/);
    }
  }, 60_000);
});
