import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorExecutor } from '../../src/agents/flows/connector-executor.js';
import { AGENT_DECISION_SIGNAL, careCardOf, careCaseYes, customerCareWorkflow, type CareCard, type CareCaseDecision, type CustomerCareResult } from '../../src/agents/flows/customer-care-flow.js';
import { createApprovalQueue } from '../../src/agents/governance/approval-queue.js';
import { createAuditTrail } from '../../src/agents/governance/audit-trail.js';
import { createGuardedExecutor } from '../../src/agents/governance/guarded-executor.js';
import { createWorkflowEngine } from '../../src/agents/workflows/index.js';
import { createBudgetLedger, DEFAULT_ACTION_POLICY, parseActionPolicy } from '../../src/decisioning/policy/index.js';
import { DEFAULT_CATALOGUE_DOCUMENT } from '../../src/decisioning/default-catalogue.js';
import type { Decision } from '../../src/decisioning/decision-funnel.js';
import { loadCatalogue } from '../../src/decisioning/offer-catalogue.js';
import { ManualClock } from '../../src/domain/clock.js';
import { createSandboxWorld, namedWorld } from '../../src/sandbox/index.js';
import { openEventStore } from '../../src/store/open-event-store.js';
import { openGovernanceStore } from '../../src/store/open-governance-store.js';
import { openWorkflowJournal } from '../../src/store/open-workflow-journal.js';
import { openTwinService } from '../../src/twin/twin-service.js';

const DAY = 86_400_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setUp(opts: { actAlone: boolean; openTickets?: number; card?: (customerId: string) => CareCard }) {
  const config = namedWorld('small');
  for (const b of Object.values(config.backends)) {
    b.permanentRejectionRate = 0;
    b.transientErrorRate = 0;
  }
  const world = createSandboxWorld(config, 5, { latencyScale: 0 });
  const dir = await mkdtemp(join(tmpdir(), 'twinloop-care-'));
  const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: join(dir, 'events') }), clock: { now: () => Math.max(Date.now(), world.clock.now()) } });
  await world.backfill({ months: 1, sink: twins.intake });
  await twins.intake.drained();
  const customerId = [...twins.engine.customerIds()].find((id) => twins.engine.view(id)!.features.active_plans > 0 && twins.engine.view(id)!.features.churned === 0)!;
  const clock = new ManualClock(Date.UTC(2026, 4, 4, 10));
  const store = await openGovernanceStore({ kind: 'sqlite', dataDir: join(dir, 'gov') });
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: join(dir, 'wf') });
  const b = world.backends;
  const guarded = createGuardedExecutor({
    policy: parseActionPolicy(DEFAULT_ACTION_POLICY),
    ledger: createBudgetLedger(store),
    queue: createApprovalQueue(store, clock),
    audit: createAuditTrail(store, clock),
    executor: connectorExecutor({ ...b, resolveOffer: (id) => id }),
    clock,
  });
  // A goodwill credit of 5: within what the default policy lets an agent do alone.
  const card: CareCard = opts.card?.(customerId) ?? { decisionId: 'D1', actionId: 'goodwill-5', actionClass: 'credit', name: 'Goodwill credit', message: 'Sorry: 5 off your next bill.', cost: 5, features: { arpu_3m: 40 } };
  const engine = createWorkflowEngine({ journal, workerId: 'w', clock, pollIntervalMs: 10 });
  engine.register(customerCareWorkflow({ guarded: () => guarded, decide: async () => card, openTickets: async () => opts.openTickets ?? 0, actAlone: opts.actAlone, customerKnown: (id) => twins.engine.view(id) !== undefined }));
  cleanups.push(async () => {
    await journal.close();
    await store.close();
    await twins.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { engine, clock, b, customerId, world };
}

/** Next-best-action's decision on a call choosing the catalogue's service check-in (a communication), as the decision service makes it. */
function checkInDecision(customerId: string): Decision {
  const check = { actionId: 'service-check-in', score: 0.3, expectedValue: 1.2, reasons: ['recent network trouble'], treatment: { id: 'check-in', name: 'Check-in', message: 'Is everything working for you now?' } };
  return { decisionId: 'D-check', customerId, at: Date.UTC(2026, 4, 4, 10), context: { channel: 'call', direction: 'inbound' }, ranked: [check], chosen: check, explained: true, reasonsOf: () => [] } as unknown as Decision;
}

/** Next-best-action's decision on a call choosing the data bonus (an offer the customer answers), as the decision service makes it. */
function dataBonusDecision(customerId: string): Decision {
  const bonus = { actionId: 'data-bonus', score: 0.5, expectedValue: 1.4, reasons: ['over the data allowance'], treatment: { id: 'more-data', name: 'More data', message: 'Half your allowance again, on us' } };
  return { decisionId: 'D-bonus', customerId, at: Date.UTC(2026, 4, 4, 10), context: { channel: 'call', direction: 'inbound' }, ranked: [bonus], chosen: bonus, explained: true, reasonsOf: () => [] } as unknown as Decision;
}

describe('customer care flow', () => {
  it("accept on an offer is the customer's yes: the back end books it accepted on the call, naming the agent", async () => {
    const catalogue = loadCatalogue(DEFAULT_CATALOGUE_DOCUMENT);
    const { engine, clock, customerId, world } = await setUp({ actAlone: false, card: (id) => careCardOf(dataBonusDecision(id), catalogue, undefined) });
    const { workflowId } = await engine.start('customer-care', { customerId, channel: 'call' });
    await engine.runOnce();
    world.takePendingEvents();
    await engine.signal(workflowId, AGENT_DECISION_SIGNAL, { decision: 'accept', agentId: 'agent-7' });
    await engine.runOnce();
    // Past the follow-up's durable sleep, so the run ends.
    clock.advance(3 * DAY + 1);
    await engine.runOnce();
    const run = (await engine.get(workflowId))!;
    expect(run.error ?? null).toBeNull();
    expect(run.output).toMatchObject({ outcome: 'accepted', actionId: 'data-bonus', agentId: 'agent-7' });
    const offers = world.takePendingEvents().filter((e) => e.kind === 'offer' && e.customerId === customerId);
    expect(offers.map((e) => e.kind === 'offer' && [e.data.action, e.data.offerId, e.data.channel, e.data.by])).toEqual([
      ['presented', 'data-bonus', 'call', undefined],
      ['accepted', 'data-bonus', 'call', 'agent-7'],
    ]);
  });


  it("judges a person's accept on a case by its card's decision (careCaseYes), and not while the case has not decided yet", async () => {
    const { engine, clock, customerId } = await setUp({ actAlone: false });
    const { workflowId } = await engine.start('customer-care', { customerId, channel: 'call', reason: 'billing_complaint' });
    const judged: unknown[] = [];
    const judge = (decision: CareCaseDecision) => (judged.push(decision), { recorded: true, reason: 'on the call' });
    // Started, not run yet: no card, so no offer was heard on the line.
    expect(await careCaseYes(engine, workflowId, judge)).toEqual({
      recorded: false,
      reason: `care case ${workflowId} has not decided what to offer yet, so no offer was heard on the line: the offer is presented for the customer to answer, not booked as their yes`,
    });
    expect(judged).toEqual([]);
    await engine.runOnce();
    expect(await careCaseYes(engine, workflowId, judge)).toEqual({ recorded: true, reason: 'on the call' });
    expect(judged).toEqual([{ decisionId: 'D1', customerId, channel: 'call', at: clock.now() }]);
    // A run of another flow: no care case, nothing to judge.
    expect(await careCaseYes({ get: async () => ({ definitionId: 'onboarding', input: {} }), steps: async () => [] }, 'onboarding-1', judge)).toBeUndefined();
  });

  it("a person's accept judged no customer's yes (the call over) presents the offer for the customer to answer, books nothing in the agent's name, and says why", async () => {
    const catalogue = loadCatalogue(DEFAULT_CATALOGUE_DOCUMENT);
    const { engine, clock, customerId, world } = await setUp({ actAlone: false, card: (id) => careCardOf(dataBonusDecision(id), catalogue, undefined) });
    const { workflowId } = await engine.start('customer-care', { customerId, channel: 'call' });
    await engine.runOnce();
    world.takePendingEvents();
    const customerYes = { recorded: false, reason: `${customerId}'s call (started 2026-05-04T09:58:00.000Z) ended at 2026-05-04T10:01:00.000Z: the offer is presented for the customer to answer, not booked as their yes` };
    await engine.signal(workflowId, AGENT_DECISION_SIGNAL, { decision: 'accept', agentId: 'agent-7', agentKind: 'human', customerYes });
    await engine.runOnce();
    clock.advance(3 * DAY + 1);
    await engine.runOnce();
    const run = (await engine.get(workflowId))!;
    expect(run.error ?? null).toBeNull();
    expect(run.output).toMatchObject({ outcome: 'accepted', actionId: 'data-bonus', agentId: 'agent-7', customerYes });
    const offers = world.takePendingEvents().filter((e) => e.kind === 'offer' && e.customerId === customerId);
    expect(offers.filter((e) => e.kind === 'offer' && e.data.by !== undefined)).toEqual([]);
    expect(offers[0]).toMatchObject({ data: { action: 'presented', offerId: 'data-bonus' } });
  });

  it("an AI agent's accept on the case (agentKind from its credential) is no customer's yes: the offer is judged as the agent's, and nothing is booked in its name", async () => {
    const catalogue = loadCatalogue(DEFAULT_CATALOGUE_DOCUMENT);
    const { engine, clock, customerId, world } = await setUp({ actAlone: false, card: (id) => careCardOf(dataBonusDecision(id), catalogue, undefined) });
    const { workflowId } = await engine.start('customer-care', { customerId, channel: 'call' });
    await engine.runOnce();
    world.takePendingEvents();
    await engine.signal(workflowId, AGENT_DECISION_SIGNAL, { decision: 'accept', agentId: 'llm-agent', agentKind: 'agent' });
    await engine.runOnce();
    clock.advance(3 * DAY + 1);
    await engine.runOnce();
    const run = (await engine.get(workflowId))!;
    expect(run.error ?? null).toBeNull();
    const offers = world.takePendingEvents().filter((e) => e.kind === 'offer' && e.customerId === customerId);
    // The default policy only advises an agent's offer on a call: shown, nothing carried out (a person's accept is carried out, above).
    expect(run.output).toMatchObject({ outcome: 'advised', agentId: 'llm-agent' });
    // Whatever the customer answers is theirs: nothing is booked in the agent's name.
    expect(offers.filter((e) => e.kind === 'offer' && e.data.by !== undefined)).toEqual([]);
  });

  it("an automated actor's request cannot carry the customer's yes: its offer is presented for the customer to answer", async () => {
    const { b, customerId, world } = await setUp({ actAlone: false });
    const execute = connectorExecutor({ ...b, resolveOffer: (id) => id });
    world.takePendingEvents();
    const request = { id: 'bot-yes', actionClass: 'offer', channel: 'call', customerId, params: { offerId: 'data-bonus' }, customerAccepted: true, actor: { kind: 'agent', id: 'care-bot' }, why: { summary: 'test' } };
    const out = await execute(request as unknown as Parameters<typeof execute>[0], {} as Parameters<typeof execute>[1]);
    expect(out.ok).toBe(true);
    const offers = world.takePendingEvents().filter((e) => e.kind === 'offer' && e.customerId === customerId);
    expect(offers.some((e) => e.kind === 'offer' && e.data.action === 'presented')).toBe(true);
    // Whatever the customer answers is theirs: nothing is booked in a person's name.
    expect(offers.filter((e) => e.kind === 'offer' && e.data.by !== undefined)).toEqual([]);
  });

  it('accept: the agent accepts the credit, it is booked once, and the follow-up comes after the durable sleep', async () => {
    const { engine, clock, b, customerId } = await setUp({ actAlone: false });
    const { workflowId } = await engine.start('customer-care', { customerId, ticketId: 'T1' });
    await engine.runOnce();
    expect((await engine.get(workflowId))!.status).toBe('waiting');
    expect(b.stats().billingAdjustments.ok).toBe(0);
    await engine.signal(workflowId, AGENT_DECISION_SIGNAL, { decision: 'accept', agentId: 'agent-7' });
    await engine.runOnce();
    expect(b.stats().billingAdjustments.ok).toBe(1);
    // Sleeping: no follow-up yet, even after two days.
    clock.advance(2 * DAY);
    await engine.runOnce();
    expect(b.stats().notifications.ok).toBe(0);
    clock.advance(DAY + 1);
    await engine.runOnce();
    const run = (await engine.get(workflowId))!;
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({ outcome: 'accepted', agentId: 'agent-7', followUp: { sent: 'executed', openTickets: 0, ticketRaised: false } } satisfies Partial<CustomerCareResult>);
    expect(b.stats().notifications.ok).toBe(1);
    expect(b.stats().billingAdjustments.ok).toBe(1);
  });

  it('carries out a service check-in the agent accepts as accepting the decision does: a message with its purpose goes out', async () => {
    const catalogue = loadCatalogue(DEFAULT_CATALOGUE_DOCUMENT);
    const { engine, b, customerId } = await setUp({ actAlone: false, card: (id) => careCardOf(checkInDecision(id), catalogue, undefined) });
    const { workflowId } = await engine.start('customer-care', { customerId, channel: 'call' });
    await engine.runOnce();
    await engine.signal(workflowId, AGENT_DECISION_SIGNAL, { decision: 'accept', agentId: 'agent-7' });
    await engine.runOnce();
    const run = (await engine.get(workflowId))!;
    expect(run.error ?? null).toBeNull();
    expect(run.output).toMatchObject({ outcome: 'accepted', actionId: 'service-check-in' });
    expect(b.stats().notifications.ok).toBe(1);
  });

  it('fails a step the executor refuses as written at once, without retrying the same answer', async () => {
    // A credit with no amount: 400 from the executor, whatever the attempt.
    const { engine, customerId } = await setUp({ actAlone: true, card: () => ({ decisionId: 'D2', actionId: 'goodwill-0', actionClass: 'credit', name: 'Goodwill credit', message: null, cost: 0, features: {} }) });
    const { workflowId } = await engine.start('customer-care', { customerId });
    await engine.runOnce();
    const run = (await engine.get(workflowId))!;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/BAD_INPUT: .*amount/);
    const step = (await engine.steps(workflowId))!.find((s) => s.stepId === 'act-alone')!;
    expect(step).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('keeps a case started without a reason as unspecified, not as a billing complaint nobody made', async () => {
    const { engine, customerId } = await setUp({ actAlone: true });
    const { workflowId } = await engine.start('customer-care', { customerId });
    expect((await engine.get(workflowId))!.input).toMatchObject({ reason: 'unspecified' });
    const given = await engine.start('customer-care', { customerId, reason: 'network_issue' }, { workflowId: 'care-given' });
    expect((await engine.get(given.workflowId))!.input).toMatchObject({ reason: 'network_issue' });
  });

  it('refuses a case for a customer no twin holds at its start (404), and opens no run', async () => {
    const { engine } = await setUp({ actAlone: true });
    await expect(engine.start('customer-care', { customerId: 'C999999' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^no customer C999999: /) });
    expect(await engine.list()).toEqual([]);
  });

  it('decline: nothing is executed', async () => {
    const { engine, b, customerId } = await setUp({ actAlone: false });
    const { workflowId } = await engine.start('customer-care', { customerId });
    await engine.runOnce();
    await engine.signal(workflowId, AGENT_DECISION_SIGNAL, { decision: 'decline', agentId: 'agent-7' });
    await engine.runOnce();
    expect((await engine.get(workflowId))!.output).toMatchObject({ outcome: 'declined', followUp: null });
    expect(b.stats().billingAdjustments.calls).toBe(0);
    expect(b.stats().notifications.calls).toBe(0);
  });

  it('no answer from the agent: the card times out and nothing is executed', async () => {
    const { engine, clock, b, customerId } = await setUp({ actAlone: false });
    const { workflowId } = await engine.start('customer-care', { customerId });
    await engine.runOnce();
    clock.advance(16 * 60_000);
    await engine.runOnce();
    expect((await engine.get(workflowId))!.output).toMatchObject({ outcome: 'agent-timed-out' });
    expect(b.stats().billingAdjustments.calls).toBe(0);
  });

  it('acts alone when the policy lets it, and raises a ticket when the complaint is still open', async () => {
    const { engine, clock, b, customerId } = await setUp({ actAlone: true, openTickets: 1 });
    const { workflowId } = await engine.start('customer-care', { customerId });
    await engine.runOnce();
    expect(b.stats().billingAdjustments.ok).toBe(1);
    clock.advance(3 * DAY + 1);
    await engine.runOnce();
    expect((await engine.get(workflowId))!.output).toMatchObject({ outcome: 'executed-alone', agentId: null, followUp: { sent: 'executed', openTickets: 1, ticketRaised: true } });
    // The follow-up message went out, and the hand-over to a person was opened in the ticketing system.
    expect(b.stats().notifications.ok).toBe(1);
    expect(b.stats().troubleTickets.ok).toBe(1);
  });
});
