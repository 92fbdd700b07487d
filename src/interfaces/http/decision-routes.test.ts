import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../domain/clock.js';
import { seededRandom } from '../../domain/seeded-random.js';
import { DecisionService } from '../../decisioning/decision-service.js';
import { syntheticCatalogueDocument } from '../../decisioning/synthetic-catalogue.js';
import { createBudgetLedger, parseActionPolicy } from '../../decisioning/policy/index.js';
import { createApprovalQueue } from '../../agents/governance/approval-queue.js';
import { createAuditTrail } from '../../agents/governance/audit-trail.js';
import { createGuardedExecutor, type GuardedExecutor } from '../../agents/governance/guarded-executor.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import type { RecordStore } from '../../store/record-store.js';
import { CustomerContextStore } from '../../twin/customer-context.js';
import { syntheticEvents } from '../../twin/synthetic-events.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { openTestAuth, type TestAuth } from '../auth/auth-fixtures.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { decisionRoutes } from './decision-routes.js';
import { careCardOf, customerCareWorkflow, type CustomerCareResult } from '../../agents/flows/customer-care-flow.js';
import { createWorkflowEngine } from '../../agents/workflows/index.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { workflowRoutes } from './workflow-routes.js';
import { createHttpServer } from './server.js';

describe('POST /decisions and accepting an action: the decision is logged before anything is acted on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-decision-routes-'));
  let twins: TwinService;
  let records: RecordStore;
  let governance: GovernanceStore;
  let decisions: DecisionService;
  let local: TestAuth;
  let app: FastifyInstance;
  let guarded: GuardedExecutor;
  /** The customers' interactions as the assist cards read them: whether a decision's call is still in progress. */
  let contacts: CustomerContextStore;
  let seq = 0;
  /** A call of `customerId` starting or ending at `time` (ms; default now), through the intake as the world's would. */
  const call = (customerId: string, phase: 'start' | 'end', time = Date.now()) =>
    twins.intake.submit([{ id: `call-${++seq}`, kind: 'interaction', customerId, time: new Date(time).toISOString(), source: 'test', v: 1, data: { channel: 'call', intent: 'billing_question', phase } }]);
  /** While set, the policy asks a person to approve every action (the executor reads it per request). */
  let approveEverything = false;
  /** For each action the executor was asked to carry out: whether its decision was in the log at that moment, and whether it came as the customer's yes. */
  const acted: { decisionId: string; logged: boolean; customerAccepted: boolean }[] = [];
  /** How far the operator's clock, which the accept route reads, is ahead of the decisions' (system) clock. */
  let ahead = 0;
  const operatorClock = { now: () => Date.now() + ahead };

  beforeAll(async () => {
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: systemClock });
    records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    for (const e of syntheticEvents({ customers: 40, days: 30, seed: 5 })) await twins.intake.submit([e]);
    // Every customer is on a call from here on (a test that needs one over ends it); the synthetic history's own interactions are left out.
    contacts = new CustomerContextStore();
    contacts.attach(twins.intake);
    for (let i = 0; i < 40; i++) await call(`C${i}`, 'start');
    const random = seededRandom(3);
    decisions = await DecisionService.open({ twins: twins.engine, scores: () => ({ churn: 0.3 + random() * 0.3, clv: 600 + random() * 400 }), records, clock: systemClock, random: seededRandom(5) });
    // Plan changes out: carried out, one names its plan, which a synthetic offering has not (the executor refuses it, rightly).
    const catalogue = syntheticCatalogueDocument(20);
    await decisions.replaceCatalogue({ ...catalogue, productOffering: catalogue.productOffering.filter((o) => o.actionClass !== 'plan_change') });
    // The guarded executor as the operator wires it (decisionLogged), acting on everything; its back end looks in the log.
    governance = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
    const autonomous = parseActionPolicy({ version: 0, fallbackMode: 'autonomous', rules: [] });
    const approve = parseActionPolicy({ version: 0, fallbackMode: 'approve', rules: [] });
    guarded = createGuardedExecutor({
      policy: () => (approveEverything ? approve : autonomous),
      ledger: createBudgetLedger(governance),
      queue: createApprovalQueue(governance, systemClock),
      audit: createAuditTrail(governance, systemClock),
      // The policy judges on the operator's (event) clock, as the runtime wires it; the approval queue waits on the wall clock (decision 0028).
      clock: operatorClock,
      pricing: { offering: (id) => decisions.catalogue.byId.get(id), monthlyPrice: () => 40 },
      decisionLogged: () => decisions.flush(),
      executor: async (request) => {
        const decisionId = String(request.params.decisionId);
        acted.push({ decisionId, logged: (await records.listDecisions({ limit: 1000 })).some((d) => d.decisionId === decisionId), customerAccepted: request.customerAccepted === true });
        return { ok: true };
      },
    });
    local = await openTestAuth('insecure-local');
    app = createHttpServer({ twins, auth: local.auth, version: 'test' }, [decisionRoutes({ twins, decisions, guarded, clock: operatorClock } as unknown as OperatorServices, { contexts: contacts, contactOf: () => undefined })]);
    await app.ready();
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await local.close();
    await decisions.close();
    await records.close();
    await governance.close();
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('executes a decision (execute: true) and an accepted action only once the decision is in the log', async () => {
    const decide = async (customerId: string, execute: boolean) =>
      (await app.inject({ method: 'POST', url: '/decisions', payload: { customerId, channel: 'call', execute } })).json() as { decisionId: string; chosen: string; execution?: unknown };
    const ids = Array.from({ length: 40 }, (_, i) => `C${i}`);
    const executed = [];
    for (const id of ids) {
      const d = await decide(id, true);
      if (d.chosen !== 'do-nothing') executed.push(d);
    }
    expect(executed.length).toBeGreaterThan(3);
    expect(executed.every((d) => d.execution !== undefined)).toBe(true);
    const accepted = [];
    for (const id of ids) {
      const d = await decide(id, false);
      if (d.chosen === 'do-nothing') continue;
      const res = await app.inject({ method: 'POST', url: `/decisions/${d.decisionId}/accept`, payload: {} });
      expect(res.statusCode, res.body).toBe(200);
      accepted.push(d);
    }
    expect(accepted.length).toBeGreaterThan(3);
    // Within the 200 ms the batch waits, without the flush before acting these were not logged yet.
    expect(acted).toHaveLength(executed.length + accepted.length);
    expect(acted.filter((a) => !a.logged)).toEqual([]);
    // A person's accept is the customer's yes, which the back end books as such; a decision acted on at once is only put to the customer.
    expect(acted.map((a) => a.customerAccepted)).toEqual([...executed.map(() => false), ...accepted.map(() => true)]);
  });

  it("takes the customer's yes only from a person: an AI agent's key accepting a decision is 403 saying who may, and nothing is carried out", async () => {
    const enforced = await openTestAuth();
    const signed = createHttpServer({ twins, auth: enforced.auth, version: 'test' }, [decisionRoutes({ twins, decisions, guarded, clock: operatorClock } as unknown as OperatorServices, { contexts: contacts, contactOf: () => undefined })]);
    try {
      const care = await enforced.bearer('care_agent', 'carla');
      let d: { decisionId: string; chosen: string } | undefined;
      for (let i = 0; i < 40 && (!d || d.chosen === 'do-nothing'); i++) d = (await signed.inject({ method: 'POST', url: '/decisions', headers: care, payload: { customerId: `C${i}`, channel: 'call' } })).json();
      expect(d!.chosen).not.toBe('do-nothing');
      const before = acted.length;
      const agent = await signed.inject({ method: 'POST', url: `/decisions/${d!.decisionId}/accept`, headers: await enforced.bearer('ai_agent', 'llm-agent'), payload: {} });
      expect(agent.statusCode).toBe(403);
      expect(agent.json().error.message).toMatch(/^only a person serving the customer records their yes, and agent llm-agent is not one; carry the decision out with POST \/decisions \(execute: true\)/);
      expect(acted).toHaveLength(before);
      const person = await signed.inject({ method: 'POST', url: `/decisions/${d!.decisionId}/accept`, headers: care, payload: {} });
      expect(person.statusCode, person.body).toBe(200);
      expect(acted.slice(before).map((a) => a.customerAccepted)).toEqual([true]);
      // A marketer (who serves no customer) accepting a call's decision carries it out for the customer to answer; no yes is booked.
      const marketer = await enforced.bearer('marketer', 'mia');
      let m: { decisionId: string; chosen: string } | undefined;
      for (let i = 0; i < 40 && (!m || m.chosen === 'do-nothing'); i++) m = (await signed.inject({ method: 'POST', url: '/decisions', headers: marketer, payload: { customerId: `C${i}`, channel: 'call' } })).json();
      const byMarketer = await signed.inject({ method: 'POST', url: `/decisions/${m!.decisionId}/accept`, headers: marketer, payload: {} });
      expect(byMarketer.statusCode, byMarketer.body).toBe(200);
      expect(byMarketer.json().customerYes).toEqual({ recorded: false, reason: 'mia (marketer) does not serve customers in contact (permission assist:use): the offer is presented for the customer to answer, not booked as their yes' });
      expect(acted.slice(before).map((x) => x.customerAccepted)).toEqual([true, false]);
    } finally {
      await signed.close();
      await enforced.close();
    }
  });

  it('refuses to accept a decision after its answer window, 409 naming when it expired, and carries nothing out', async () => {
    let d: { decisionId: string; chosen: string; at: string } | undefined;
    for (let i = 0; i < 40 && (!d || d.chosen === 'do-nothing'); i++) d = (await app.inject({ method: 'POST', url: '/decisions', payload: { customerId: `C${i}`, channel: 'call' } })).json();
    expect(d!.chosen).not.toBe('do-nothing');
    const before = acted.length;
    ahead = 8 * 86_400_000;
    try {
      const res = await app.inject({ method: 'POST', url: `/decisions/${d!.decisionId}/accept`, payload: {} });
      expect(res.statusCode).toBe(409);
      const expired = new Date(Date.parse(d!.at) + 7 * 86_400_000).toISOString();
      expect(res.json().error.message).toBe(`decision ${d!.decisionId} expired at ${expired}: made at ${d!.at}, its offer held for 7 days; decide again with POST /decisions`);
      expect(acted).toHaveLength(before);
    } finally {
      ahead = 0;
    }
    // Within the window it is carried out.
    expect((await app.inject({ method: 'POST', url: `/decisions/${d!.decisionId}/accept`, payload: {} })).statusCode).toBe(200);
    expect(acted).toHaveLength(before + 1);
  });

  it("an action accepted in its window and sent for approval is carried out when a person approves it after the window (the customer's yes is in)", async () => {
    let d: { decisionId: string; chosen: string; ranked: { actionId: string }[] } | undefined;
    for (let i = 0; i < 40 && (!d || d.chosen === 'do-nothing'); i++) d = (await app.inject({ method: 'POST', url: '/decisions', payload: { customerId: `C${i}`, channel: 'call' } })).json();
    expect(d!.chosen).not.toBe('do-nothing');
    approveEverything = true;
    const before = acted.length;
    try {
      const res = await app.inject({ method: 'POST', url: `/decisions/${d!.decisionId}/accept`, payload: {} });
      expect(res.statusCode, res.body).toBe(200);
      const asked = res.json() as { status: string; approvalId: string; approvers: string[]; expiresAt: number; onTimeout: string };
      expect(asked.status).toBe('pending-approval');
      // The answer says whom it waits for (a care agent reads no approvals) and until when.
      expect(asked.approvers).toEqual(['supervisor', 'admin']);
      expect(asked.expiresAt).toBeGreaterThan(Date.now());
      expect(['reject', 'advise-only']).toContain(asked.onTimeout);
      // The supervisor approves an hour later in people's time; at the sandbox's 3,600x the world moved 150 days, past the 7-day window.
      ahead = 150 * 86_400_000;
      const approved = await guarded.approve(asked.approvalId, { kind: 'human', id: 'supervisor-1' }, 'the customer agreed on the call');
      expect(approved.status, approved.reason).toBe('executed');
      expect(acted).toHaveLength(before + 1);
    } finally {
      approveEverything = false;
      ahead = 0;
    }
  });

  it("books a care agent's accept as the customer's yes only while the call the decision was made in is in progress; after it, the offer is presented and the answer says why", async () => {
    const enforced = await openTestAuth();
    const signed = createHttpServer({ twins, auth: enforced.auth, version: 'test' }, [decisionRoutes({ twins, decisions, guarded, clock: operatorClock } as unknown as OperatorServices, { contexts: contacts, contactOf: () => undefined })]);
    const care = await enforced.bearer('care_agent', 'carla');
    type Made = { decisionId: string; chosen: string; at: string; customerId: string };
    const decide = async (customerId: string) => ({ ...((await signed.inject({ method: 'POST', url: '/decisions', headers: care, payload: { customerId, channel: 'call' } })).json() as Made), customerId });
    const accept = async (d: Made) => {
      const before = acted.length;
      const res = await signed.inject({ method: 'POST', url: `/decisions/${d.decisionId}/accept`, headers: care, payload: {} });
      expect(res.statusCode, res.body).toBe(200);
      return { yes: (res.json() as { customerYes: { recorded: boolean; reason: string } }).customerYes, booked: acted.slice(before).map((a) => a.customerAccepted) };
    };
    /** A decision with an action to accept, made on the open call of one of C20…C39. */
    let next = 20;
    const offering = async (): Promise<Made> => {
      for (; next < 40; next++) {
        const d = await decide(`C${next}`);
        if (d.chosen !== 'do-nothing') return (next++, d);
      }
      throw new Error('no customer left with an action to accept');
    };
    try {
      // On the call in progress: the customer's yes.
      const live = await offering();
      expect(await accept(live)).toEqual({ yes: { recorded: true, reason: expect.stringMatching(/^the customer's yes, recorded by carla on the call in progress since \d{4}-/) }, booked: [true] });

      // The call over (the card kept open past it): presented for the customer to answer, and said so.
      const ended = await offering();
      await call(ended.customerId, 'end');
      expect(await accept(ended)).toEqual({ yes: { recorded: false, reason: expect.stringMatching(new RegExp(`^${ended.customerId}'s call \\(started [^)]+\\) ended at [^:]+:\\d\\d:\\d\\d\\.\\d+Z: the offer is presented for the customer to answer, not booked as their yes$`)) }, booked: [false] });

      // A card reopened after the call (its decision made with no call in progress): no yes either.
      let reopened = await decide(ended.customerId);
      for (let i = 0; i < 20 && reopened.chosen === 'do-nothing'; i++) reopened = await decide(ended.customerId);
      expect(reopened.chosen).not.toBe('do-nothing');
      expect(await accept(reopened)).toEqual({ yes: { recorded: false, reason: expect.stringMatching(new RegExp(`^${ended.customerId}'s call \\(started [^)]+\\) ended at `)) }, booked: [false] });
      // Nor once a later call begins: that is another contact, in which nobody heard this offer.
      await call(ended.customerId, 'start', Date.parse(reopened.at) + 1000);
      expect((await accept(reopened)).yes).toMatchObject({ recorded: false, reason: expect.stringContaining('before the call in progress began') });
    } finally {
      await signed.close();
      await enforced.close();
    }
  });

  it("judges a care case's accept by the one rule: the customer's yes only from a person who serves customers, on the case's call still in progress (the case booked every person's accept)", async () => {
    const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: join(dir, 'care-cases') });
    const engine = createWorkflowEngine({ journal, workerId: 'w', clock: systemClock, pollIntervalMs: 10 });
    engine.register(customerCareWorkflow({
      guarded: () => guarded,
      decide: async (customerId, context) => careCardOf(decisions.decide(customerId, { channel: context.channel, reason: context.reason, direction: 'inbound' }), decisions.catalogue, twins.engine.features(customerId)),
      openTickets: async () => 0,
      actAlone: false,
      followUpDelayMs: 1,
    }));
    const enforced = await openTestAuth();
    const signed = createHttpServer({ twins, auth: enforced.auth, version: 'test' }, [workflowRoutes({ workflows: engine, decisions } as unknown as OperatorServices, { contexts: contacts, contactOf: () => undefined })]);
    /** A care case with an action on its card, for one of C0…C19 (each on a call), waiting for the agent. */
    let next = 0;
    const openCase = async (): Promise<{ workflowId: string; customerId: string; decisionId: string }> => {
      for (; next < 20; next++) {
        const customerId = `C${next}`;
        const { workflowId } = await engine.start('customer-care', { customerId, channel: 'call', reason: 'billing_complaint' });
        await engine.runOnce();
        const card = (await engine.steps(workflowId))?.find((x) => x.stepId === 'next-best-action')?.output as { actionId: string; decisionId: string };
        if ((await engine.get(workflowId))?.status === 'waiting' && card.actionId !== 'do-nothing') return (next++, { workflowId, customerId, decisionId: card.decisionId });
      }
      throw new Error('no customer left with an action on the card');
    };
    const answer = async (c: { workflowId: string; decisionId: string }, headers: Record<string, string>) => {
      const res = await signed.inject({ method: 'POST', url: `/workflows/${c.workflowId}/signals/agent-decision`, headers, payload: { decision: 'accept', customerYes: { recorded: true, reason: 'the caller says so' } } });
      expect(res.statusCode, res.body).toBe(200);
      // The engine's own loop takes the run to its end (the accept, then the follow-up past its 1 ms
      // sleep, whenever that is due): waited for as it finishes, not for a guessed while.
      const looping = engine.run();
      try {
        const run = await engine.waitFor(c.workflowId, { timeoutMs: 60_000 });
        return { output: run.output as CustomerCareResult, booked: acted.filter((a) => a.decisionId === c.decisionId).map((a) => a.customerAccepted) };
      } finally {
        await looping;
        await engine.stop();
      }
    };
    try {
      const care = await enforced.bearer('care_agent', 'carla');
      // On the call in progress: the customer's yes, as on the desktop.
      const live = await openCase();
      const onCall = await answer(live, care);
      expect(onCall.booked).toEqual([true]);
      expect(onCall.output.customerYes).toEqual({ recorded: true, reason: expect.stringMatching(/^the customer's yes, recorded by carla on the call in progress since \d{4}-/) });
      // The call over before the agent answered: presented for the customer to answer (the caller's own word on it not taken), and said why.
      const ended = await openCase();
      await call(ended.customerId, 'end');
      const afterCall = await answer(ended, care);
      expect(afterCall.booked).toEqual([false]);
      expect(afterCall.output).toMatchObject({ outcome: 'accepted', customerYes: { recorded: false, reason: expect.stringContaining(`${ended.customerId}'s call (started `) } });
      // A person who serves no customer (network operations may answer a waiting flow): no yes either.
      const ops = await openCase();
      const byOps = await answer(ops, await enforced.bearer('network_ops', 'nora'));
      expect(byOps.booked).toEqual([false]);
      expect(byOps.output.customerYes).toEqual({ recorded: false, reason: expect.stringMatching(/^nora \(network ops\) does not serve customers in contact/) });
    } finally {
      await signed.close();
      await enforced.close();
      await journal.close();
    }
  });
});
