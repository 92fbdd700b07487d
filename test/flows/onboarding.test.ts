import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { creditTerms, DEFAULT_CREDIT_POLICY, onboardingWorkflow, recommendPlan, type OnboardingResult } from '../../src/agents/flows/onboarding-flow.js';
import { PROVISIONING_POLL_RETRY } from '../../src/agents/flows/provisioning-poll.js';
import { createWorkflowEngine } from '../../src/agents/workflows/index.js';
import { ManualClock } from '../../src/domain/clock.js';
import { createSandboxWorld, namedWorld, type WorldConfig } from '../../src/sandbox/index.js';
import { openWorkflowJournal } from '../../src/store/open-workflow-journal.js';

async function onboardOne(tune: (c: WorldConfig) => void) {
  const config = namedWorld('small');
  config.applicants.identityInvalidRate = 0;
  config.applicants.fraudRate = 0;
  for (const b of Object.values(config.backends)) b.permanentRejectionRate = 0;
  tune(config);
  const world = createSandboxWorld(config, 11, { latencyScale: 0 });
  const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-onb-'));
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir });
  const engine = createWorkflowEngine({ journal, workerId: 'w', pollIntervalMs: 10 });
  const b = world.backends;
  engine.register(onboardingWorkflow({ identity: b.identityVerification, credit: b.creditBureau, orders: b.orderManagement, provisioning: b.provisioning, notifications: b.notifications, plans: config.plans }));
  try {
    await engine.run();
    const { workflowId } = await engine.start('onboarding', { applicant: world.nextApplicant() });
    const run = await engine.waitFor(workflowId, { timeoutMs: 20_000 });
    return { run, world, steps: (await journal.loadHistory(workflowId)).steps };
  } finally {
    await engine.stop();
    await journal.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('onboarding flow', () => {
  it('onboards an applicant end to end: a customer, an order, a welcome message', async () => {
    const { run, world } = await onboardOne(() => undefined);
    expect(run.status).toBe('succeeded');
    const out = run.output as OnboardingResult;
    const order = await world.backends.orderManagement.get(out.orderId);
    expect(order).toMatchObject({ status: 'ok', value: { state: 'completed' } });
    expect(world.backends.stats().notifications.ok).toBe(1);
  });

  it('cancels the captured order when activation is refused', async () => {
    const { run, world, steps } = await onboardOne((c) => (c.backends.provisioning.permanentRejectionRate = 1));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/activate-line/);
    expect(steps.find((s) => s.key === 'capture-order~undo')?.status).toBe('succeeded');
    const orderId = (JSON.parse(steps.find((s) => s.key === 'capture-order')!.output!) as { orderId: string }).orderId;
    expect(await world.backends.orderManagement.get(orderId)).toMatchObject({ value: { state: 'cancelled' } });
  });

  it('has a person release the number when the activation completes after the poll gave up', async () => {
    const config = namedWorld('small');
    config.applicants.identityInvalidRate = 0;
    config.applicants.fraudRate = 0;
    for (const b of Object.values(config.backends)) {
      b.permanentRejectionRate = 0;
      b.transientErrorRate = 0;
    }
    const world = createSandboxWorld(config, 11, { latencyScale: 0 });
    const b = world.backends;
    // The back end answers "pending" to every poll of the flow (it gives up), and completes afterwards.
    let polls = 0;
    const slowProvisioning = { ...b.provisioning, activate: b.provisioning.activate.bind(b.provisioning), onCompletion: b.provisioning.onCompletion.bind(b.provisioning), status: async (id: string) => (++polls <= PROVISIONING_POLL_RETRY.maxAttempts ? { status: 'ok' as const, value: { provisioningId: id, orderId: '?', state: 'pending' as const } } : b.provisioning.status(id)) };
    const sent: (string | undefined)[] = [];
    const notifications = { ...b.notifications, send: (...args: Parameters<typeof b.notifications.send>) => (sent.push(args[0].templateId), b.notifications.send(...args)) };
    const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-onb-'));
    const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir });
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const engine = createWorkflowEngine({ journal, workerId: 'w', clock, random: () => 0 });
    engine.register(onboardingWorkflow({ identity: b.identityVerification, credit: b.creditBureau, orders: b.orderManagement, provisioning: slowProvisioning, notifications, plans: config.plans }));
    try {
      const { workflowId } = await engine.start('onboarding', { applicant: world.nextApplicant() });
      for (let i = 0; i < 40 && !['failed', 'succeeded'].includes((await engine.get(workflowId))!.status); i++) {
        await engine.runOnce();
        clock.advance(PROVISIONING_POLL_RETRY.maxDelayMs);
      }
      const run = await engine.get(workflowId);
      expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/await-activation/) });
      const { steps } = await journal.loadHistory(workflowId);
      expect(steps.find((s) => s.key === 'activate-line~undo')?.status).toBe('succeeded');
      expect(sent).toEqual(['release-number']);
    } finally {
      await engine.stop();
      await journal.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('asks a deposit of band C, limits band D, and recommends the cheapest plan covering expected use', () => {
    const plans = [
      { id: 'big', monthlyPrice: 60, dataAllowanceMb: 50_000, voiceAllowanceMin: 1_000 },
      { id: 'small', monthlyPrice: 20, dataAllowanceMb: 2_000, voiceAllowanceMin: 200 },
      { id: 'mid', monthlyPrice: 35, dataAllowanceMb: 10_000, voiceAllowanceMin: 500 },
    ];
    const report = (band: 'A' | 'C' | 'D') => ({ reportId: 'r', applicantId: 'a', score: 600, band });
    const applicant = { applicantId: 'a', fullName: 'A B', birthDate: '1990-01-01', documentType: 'passport' as const, documentNumber: 'X' };
    const c = creditTerms(report('C'), DEFAULT_CREDIT_POLICY);
    const d = creditTerms(report('D'), DEFAULT_CREDIT_POLICY);
    expect(c).toMatchObject({ depositAmount: 50, maxMonthlyPrice: null });
    expect(d).toMatchObject({ depositAmount: 0, maxMonthlyPrice: 30 });
    const heavy = { applicant, expectedUse: { dataMb: 8_000, voiceMin: 100 } };
    expect(recommendPlan(plans, creditTerms(report('A'), DEFAULT_CREDIT_POLICY), heavy)?.id).toBe('mid');
    expect(recommendPlan(plans, d, heavy)?.id).toBe('small');
  });
});
