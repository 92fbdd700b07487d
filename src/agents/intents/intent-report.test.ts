import { describe, expect, it } from 'vitest';
import { memoryDocuments } from '../../store/document-store.js';
import { createFakeSimulation } from './fake-simulation.js';
import { createIntentService, type IntentServiceDeps } from './intent-service.js';

const service = (countSegments?: () => Promise<number[]>, more: Partial<IntentServiceDeps> = {}) =>
  createIntentService({
    store: memoryDocuments(),
    simulate: createFakeSimulation(),
    execute: async () => ({ executionId: 'wf-1' }),
    observe: async () => ({ asOf: Date.UTC(2025, 0, 1), values: {}, spend: 0 }),
    clock: () => Date.UTC(2025, 0, 1),
    ...(countSegments ? { countSegments } : {}),
    ...more,
  });

describe('the intent report before a plan', () => {
  it('says each expectation is being planned, not at risk, while no plan says what to expect', async () => {
    const s = service();
    const created = await s.createFromText('keep high-value customers at risk this month, budget 50000', { accept: true });
    if (!created.ok) throw new Error(created.reason);
    const report = await s.report(created.record.intent.id);
    expect(report.status).toBeUndefined();
    expect(report.expectations).toHaveLength(1);
    expect(report.expectations[0]).toMatchObject({ status: 'planning', notJudged: expect.stringMatching(/^not judged yet: its plan is being made/) });

    // Once planned, the plan's simulation judges it.
    await s.plan(created.record.intent.id);
    const planned = await s.report(created.record.intent.id);
    expect(planned.expectations[0].status).toMatch(/^(on-track|at-risk)$/);
    expect(planned.expectations[0].notJudged).toBeUndefined();
  });

  it('says not-judged for a proposal and for an intent that ended without a plan, with why', async () => {
    const s = service(async () => [3]);
    const proposed = await s.createFromText('keep high-value customers at risk this month, budget 50000');
    if (!proposed.ok) throw new Error(proposed.reason);
    expect((await s.report(proposed.record.intent.id)).expectations[0]).toMatchObject({ status: 'not-judged', notJudged: expect.stringMatching(/proposed, not accepted/) });

    const refused = await s.createFromText('keep high-value prepaid customers at risk this month, budget 50000', { accept: true });
    if (!refused.ok) throw new Error(refused.reason);
    await s.plan(refused.record.intent.id);
    const report = await s.report(refused.record.intent.id);
    expect(report.lifecycleStatus).toBe('failed');
    expect(report.expectations[0]).toMatchObject({ status: 'not-judged', notJudged: expect.stringMatching(/^not judged: the intent is failed and never had a plan \(no plan: segment/) });
  });

  it("says with the plan the control group its campaign will hold: its share of those it may contact, counted by the campaign's own draw, and who is left out before it (it said 18 of the segment's 179; the campaign held 11)", async () => {
    const drawnFor: string[] = [];
    const s = service(async () => [179], {
      audienceOf: async ({ plan }) => (drawnFor.push(plan.id), { segment: 179, mayContact: 110, control: 11, left: { 'no-consent': 60, 'held-out': 9 } }),
    });
    const created = await s.createFromText('keep high-value customers at risk this month, budget 50000', { accept: true });
    if (!created.ok) throw new Error(created.reason);
    const planned = await s.plan(created.record.intent.id);
    const control = { share: 0.1, expected: 11, of: 110, segment: 179, leftOut: { 'no-consent': 60, 'held-out': 9 } };
    // Counted for the plan chosen, once.
    expect(drawnFor).toEqual([planned.record.plan?.plan.id]);
    expect(planned.record.plan?.control).toEqual(control);
    expect((await s.report(created.record.intent.id)).control).toEqual(control);
    expect(planned.record.events.at(-1)?.detail).toMatch(/holds out 10 % of the 110 it may contact as its control group: 11 \(the segment's 179 less 60 without marketing consent, 9 held out by other runs\)/);
    // One that would hold out nobody says its campaign will not run.
    const few = service(async () => [179], { audienceOf: async () => ({ segment: 179, mayContact: 4, control: 0, left: { 'no-consent': 175 } }) });
    const small = await few.createFromText('keep high-value customers at risk this month, budget 50000', { accept: true });
    if (!small.ok) throw new Error(small.reason);
    expect((await few.plan(small.record.intent.id)).record.events.at(-1)?.detail).toMatch(/control group: 0 \(the segment's 179 less 175 without marketing consent\); that is nobody, so its campaign will not run/);
  });

  it("says one count of the segment beside its control: the draw's when the plan is chosen, and what its simulations read before when the segment moved meanwhile (it said 666 customers beside the segment's 627)", async () => {
    const simulate = createFakeSimulation();
    let now = Date.UTC(2025, 0, 1);
    const s = service(async () => [666], {
      clock: () => now,
      // The simulations read 666; the planning's minutes are a world day, and the campaign's draw then counts 627.
      planningPopulation: async () => ({ size: 666, simulate, simulateMany: async (plans) => ((now += 86_400_000), Promise.all(plans.map(simulate))) }),
      audienceOf: async () => ({ segment: 627, mayContact: 431, control: 43, left: { 'no-consent': 183, 'held-out': 13 } }),
    });
    const created = await s.createFromText('keep high-value customers at risk this month, budget 50000', { accept: true });
    if (!created.ok) throw new Error(created.reason);
    const planned = await s.plan(created.record.intent.id);
    expect(planned.record.plan?.segment).toMatchObject({ size: 627, resolvedAt: now, simulated: { size: 666, at: Date.UTC(2025, 0, 1) } });
    expect(now).toBeGreaterThan(Date.UTC(2025, 0, 1));
    expect(planned.record.plan?.control).toMatchObject({ expected: 43, of: 431, segment: 627 });
    expect(planned.record.events.at(-1)?.detail).toMatch(/for "high-value, at-risk" \(627 customers; its simulations read 666 when the planning began\): .* control group: 43 \(the segment's 627 less 183/);
    // Read once by both: one count, nothing more said.
    const same = service(async () => [627], { planningPopulation: async () => ({ size: 627, simulate, simulateMany: async (plans) => Promise.all(plans.map(simulate)) }), audienceOf: async () => ({ segment: 627, mayContact: 431, control: 43, left: {} }) });
    const again = await same.createFromText('keep high-value customers at risk this month, budget 50000', { accept: true });
    if (!again.ok) throw new Error(again.reason);
    const one = (await same.plan(again.record.intent.id)).record.plan?.segment;
    expect(one?.size).toBe(627);
    expect(one?.simulated).toBeUndefined();
  });

  it("counts its control again as it is approved, and the plan started says the count its campaign opens with beside the one planned (the plan said 13, the campaign held another number); one that would hold out nobody then is not started", async () => {
    let drawn = { segment: 140, mayContact: 130, control: 13, left: { 'no-consent': 10 } };
    const started: string[] = [];
    const s = service(async () => [140], { audienceOf: async () => drawn, execute: async ({ plan }) => (started.push(plan.id), { executionId: 'wf-1' }) });
    const created = await s.createFromText('keep high-value customers at risk in the next 3 months, budget 50000', { accept: true, by: { kind: 'human', id: 'mia' } });
    if (!created.ok) throw new Error(created.reason);
    const id = created.record.intent.id;
    expect((await s.plan(id)).record.plan?.control).toMatchObject({ expected: 13, of: 130, segment: 140 });
    // Days of people's time later the segment has moved.
    drawn = { segment: 160, mayContact: 150, control: 15, left: { 'no-consent': 10 } };
    const ran = await s.execute(id, { approvedBy: 'lou' });
    if (!ran.ok) throw new Error(ran.reason);
    expect(ran.record.plan?.control).toEqual({ share: 0.1, expected: 15, of: 150, segment: 160, leftOut: { 'no-consent': 10 }, planned: { expected: 13, of: 130, segment: 140 }, countedAt: Date.UTC(2025, 0, 1) });
    expect(ran.record.events.at(-1)?.detail).toMatch(/approved by lou; its control group counted again at the start, as its campaign draws it: holds out 10 % of the 150 it may contact as its control group: 15 \(the segment's 160 less 10 without marketing consent\) \(13 when planned\)/);
    expect((await s.report(id)).control).toMatchObject({ expected: 15, planned: { expected: 13 } });

    // Unmoved, the plan is started as planned, nothing more said.
    drawn = { segment: 140, mayContact: 130, control: 13, left: { 'no-consent': 10 } };
    const same = await s.createFromText('keep high-value customers at risk in the next 3 months, budget 50000', { accept: true, by: { kind: 'human', id: 'mia' } });
    if (!same.ok) throw new Error(same.reason);
    await s.plan(same.record.intent.id);
    const asPlanned = await s.execute(same.record.intent.id, { approvedBy: 'lou' });
    if (!asPlanned.ok) throw new Error(asPlanned.reason);
    expect(asPlanned.record.plan?.control?.planned).toBeUndefined();

    // One whose control would now hold out nobody is refused at its approval, saying why; nothing starts.
    const gone = await s.createFromText('keep high-value customers at risk in the next 3 months, budget 50000', { accept: true, by: { kind: 'human', id: 'mia' } });
    if (!gone.ok) throw new Error(gone.reason);
    await s.plan(gone.record.intent.id);
    drawn = { segment: 140, mayContact: 4, control: 0, left: { 'no-consent': 136 } };
    const before = started.length;
    const refused = await s.execute(gone.record.intent.id, { approvedBy: 'lou' });
    expect(refused).toMatchObject({ ok: false, reason: expect.stringMatching(/is not started: counted again as it starts, its campaign holds out 10 % of the 4 it may contact as its control group: 0 .*that is nobody, so its campaign will not run: widen the segment \(13 when planned\)$/) });
    expect(started).toHaveLength(before);
    expect((await s.report(gone.record.intent.id)).lifecycleStatus).toBe('planned');
  });

  it('says with the plan how many it holds out as its control group, as a share of the segment when no draw counts it', async () => {
    const s = service(async () => [179]);
    const created = await s.createFromText('keep high-value customers at risk this month, budget 50000', { accept: true });
    if (!created.ok) throw new Error(created.reason);
    const planned = await s.plan(created.record.intent.id);
    expect(planned.record.plan?.control).toEqual({ share: 0.1, expected: 18, of: 179 });
    expect((await s.report(created.record.intent.id)).control).toEqual({ share: 0.1, expected: 18, of: 179 });
    expect(planned.record.events.at(-1)?.detail).toMatch(/holds out 10 % of whom it may contact as its control group \(about 18 of the segment's 179\)/);
  });

  it("plans at once on what the twins hold when its population goes without something (the billing records a restart still reads), and says so with the plan", async () => {
    const simulate = createFakeSimulation();
    let populations = 0;
    const s = createIntentService({
      store: memoryDocuments(),
      simulate,
      execute: async () => ({ executionId: 'wf-1' }),
      observe: async () => ({ asOf: Date.UTC(2025, 0, 1), values: {}, spend: 0 }),
      clock: () => Date.UTC(2025, 0, 1),
      planningPopulation: async () => (populations++, { size: 179, simulate, simulateMany: async (plans) => Promise.all(plans.map(simulate)), caveat: "planned without the twins' revenue noise: the billing records of the log are still being read after the restart (12 % of the log)" }),
    });
    const created = await s.createFromText('keep high-value customers at risk this month, budget 50000', { accept: true });
    if (!created.ok) throw new Error(created.reason);
    const planned = await s.plan(created.record.intent.id);
    expect(populations).toBe(1);
    expect(planned.record.plan?.caveats).toEqual(["planned without the twins' revenue noise: the billing records of the log are still being read after the restart (12 % of the log)"]);
    expect((await s.report(created.record.intent.id)).caveats).toEqual(planned.record.plan?.caveats);
    expect(planned.record.events.at(-1)?.detail).toMatch(/; planned without the twins' revenue noise: the billing records of the log are still being read/);
  });
});

describe("a plan awaiting approval in people's time", () => {
  it("says by when, on the wall clock, it must be approved to run: at the world's 3,600x 'this month' leaves minutes", async () => {
    // The world reads 2026-12-20 05:47; its month ends in 11 d 18 h 13 min of its time, 4 min 42 s of people's at 3,600x.
    const now = Date.UTC(2026, 11, 20, 5, 47);
    const wall = Date.now();
    const s = service(undefined, { clock: () => now, realMsUntil: (t) => (t - now) / 3600 });
    const created = await s.createFromText('keep high-value customers at risk this month, budget 50000', { accept: true, by: { kind: 'human', id: 'mia' } });
    if (!created.ok) throw new Error(created.reason);
    await s.plan(created.record.intent.id);
    const report = await s.report(created.record.intent.id);
    expect(report.stage.stage).toBe('awaiting-approval');
    const by = Date.parse(report.stage.approveBy!);
    const left = (Date.UTC(2027, 0, 1) - now) / 3600;
    expect(by - left).toBeGreaterThanOrEqual(wall);
    expect(by - left).toBeLessThanOrEqual(Date.now());
    expect(report.stage.summary).toMatch(/before its horizon ends 2027-01-01T00:00:00\.000Z \(world time\), that is by \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC in people's time at the world's pace now, 4 min 42 s from now: approved after that, the plan does not run/);
    // Read again a moment later, the same time (to the wall clock's move between the two reads: the same ms was flaky).
    const again = Date.parse(s.stageOf((await s.get(created.record.intent.id))).approveBy!);
    expect(Math.abs(again - by)).toBeLessThan(1_000);
    // A world that does not move by itself has no such time: nothing is said of it.
    const still = service(undefined, { clock: () => now, realMsUntil: () => Infinity });
    const other = await still.createFromText('keep high-value customers at risk this month, budget 50000', { accept: true, by: { kind: 'human', id: 'mia' } });
    if (!other.ok) throw new Error(other.reason);
    await still.plan(other.record.intent.id);
    const unpaced = (await still.report(other.record.intent.id)).stage;
    expect(unpaced.approveBy).toBeUndefined();
    expect(unpaced.summary).not.toMatch(/people's time/);
  });
});
