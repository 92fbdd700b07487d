import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditTrail, type AuditTrail } from '../../src/agents/governance/audit-trail.js';
import { campaignManagementWorkflow, campaignRefused, CAMPAIGN_ADJUSTMENT_CLASS, type CampaignAllocation, type CampaignEnding, type CampaignManagementDeps, type CampaignResult, type CampaignStats } from '../../src/agents/flows/campaign-management-flow.js';
import { createWorkflowEngine, type WorkflowEngine } from '../../src/agents/workflows/index.js';
import { systemClock, type Clock } from '../../src/domain/clock.js';
import { openGovernanceStore } from '../../src/store/open-governance-store.js';
import { openWorkflowJournal } from '../../src/store/open-workflow-journal.js';
import { contactHoursOpenAt, DEFAULT_CONTACT_POLICY, outsideQuietHours } from '../../src/decisioning/contact-policy.js';

/**
 * A fake campaign: each tick, 100 presentations split by the current shares; variant "good"
 * is accepted 30% of the time, "bad" 3% and its treated customers churn more than the control.
 */
function fakeCampaign() {
  const acc: Record<string, { presented: number; accepted: number; spent: number }> = { good: { presented: 0, accepted: 0, spent: 0 }, bad: { presented: 0, accepted: 0, spent: 0 } };
  let shares: Record<string, number> = { good: 0.5, bad: 0.5 };
  const allocations: CampaignAllocation[] = [];
  const stats = async (): Promise<CampaignStats> => {
    for (const id of ['good', 'bad']) {
      const n = Math.round(100 * (shares[id] ?? 0));
      acc[id].presented += n;
      acc[id].accepted += Math.round(n * (id === 'good' ? 0.3 : 0.03));
      acc[id].spent += n * 1;
    }
    return {
      variants: Object.entries(acc).map(([variantId, a]) => ({ variantId, presented: a.presented, accepted: a.accepted, declined: a.presented - a.accepted, spent: a.spent, treated: a.presented, treatedChurned: Math.round(a.presented * (variantId === 'bad' ? 0.2 : 0.08)) })),
      control: { customers: 200, churned: 20 },
    };
  };
  const apply = async (_id: string, a: CampaignAllocation) => {
    shares = { ...a.shares };
    allocations.push(a);
  };
  return { stats, apply, allocations };
}

describe('campaign management flow', () => {
  it('pauses the harmful variant, shifts budget to the better one, logs every adjustment, stops at the budget', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinloop-campaign-'));
    const store = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
    const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: dir });
    const clock = { now: () => Date.now() };
    const audit = createAuditTrail(store, clock);
    const fake = fakeCampaign();
    const engine = createWorkflowEngine({ journal, workerId: 'w', pollIntervalMs: 10 });
    engine.register(campaignManagementWorkflow({ stats: fake.stats, audit, apply: fake.apply }));
    try {
      await engine.run();
      const input = {
        campaignId: 'spring',
        variants: [{ id: 'good', offerId: 'retain-10', channel: 'app' }, { id: 'bad', offerId: 'retain-25', channel: 'web' }],
        budget: 600,
        audience: [],
        endAt: Date.now() + 3_600_000,
        tickMs: 1_000,
      };
      const { workflowId } = await engine.start('campaign-management', input, { workflowId: 'campaign-spring' });
      const run = await engine.waitFor(workflowId, { timeoutMs: 30_000 });
      expect(run.status).toBe('succeeded');
      const out = run.output as CampaignResult;
      expect(out.endedBy).toBe('budget');
      expect(out.spent).toBeGreaterThanOrEqual(600);
      const pause = out.adjustments.find((a) => a.kind === 'pause');
      expect(pause).toMatchObject({ variantId: 'bad' });
      expect(out.shares.bad).toBe(0);
      expect(out.shares.good).toBeCloseTo(1, 6);
      const entries = await audit.read();
      const adjusted = entries.filter((e) => (e.entry as { action: { actionClass: string } }).action.actionClass === CAMPAIGN_ADJUSTMENT_CLASS);
      expect(adjusted.length).toBe(out.adjustments.length);
      expect(adjusted.some((e) => JSON.stringify(e.entry).includes('harmful-uplift') || JSON.stringify(e.entry).includes('low-acceptance'))).toBe(true);
      expect((await audit.verify()).ok).toBe(true);
      expect(fake.allocations[0].shares.good).toBeGreaterThan(0.5);
    } finally {
      await engine.stop();
      await journal.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('pauses a variant the back end cannot deliver and moves its budget, with the failures as evidence in the audit trail', async () => {
    // Every contact of "compensation" fails at the back end; "retain" is delivered and answered.
    let shares: Record<string, number> = { compensation: 0.5, retain: 0.5 };
    const seen = { compensation: 0, retain: 0 };
    const stats = async (): Promise<CampaignStats> => {
      seen.compensation += Math.round(10 * (shares.compensation ?? 0));
      seen.retain += Math.round(10 * (shares.retain ?? 0));
      return {
        variants: [
          { variantId: 'compensation', presented: 0, accepted: 0, declined: 0, spent: 0, failed: seen.compensation, lastFailure: 'the action failed: no back-end offer' },
          { variantId: 'retain', presented: seen.retain, accepted: Math.round(seen.retain * 0.2), declined: seen.retain - Math.round(seen.retain * 0.2), spent: seen.retain },
        ],
      };
    };
    await withEngine({ stats, apply: async (_id, a) => void (shares = { ...a.shares }) }, async (engine, audit) => {
      const input = { campaignId: 'outage', variants: [{ id: 'compensation', offerId: 'network-issue-compensation', channel: 'app' }, { id: 'retain', offerId: 'retain-10', channel: 'app' }], budget: 60, audience: [], endAt: Date.now() + 3_600_000, tickMs: 1_000 };
      const { workflowId } = await engine.start('campaign-management', input, { workflowId: 'campaign-outage' });
      const out = (await engine.waitFor(workflowId, { timeoutMs: 30_000 })).output as CampaignResult;
      expect(out.adjustments.find((a) => a.kind === 'pause')).toMatchObject({ variantId: 'compensation', tick: 1, reason: expect.stringMatching(/undeliverable.*5 of 5 contacts failed \(last: the action failed: no back-end offer\)/) });
      expect(out.shares).toEqual({ compensation: 0, retain: 1 });
      const entry = (await audit.read()).find((e) => JSON.stringify(e.entry).includes('undeliverable'))!.entry as { why: { evidence: Record<string, unknown> } };
      expect(entry.why.evidence).toMatchObject({ rule: 'undeliverable', failed: 5, attempts: 5, lastFailure: 'the action failed: no back-end offer' });
      expect((await audit.verify()).ok).toBe(true);
    });
  }, 60_000);

  it('does not end on budget while most of it is only held for offers still unanswered', async () => {
    // 2 paid, 98 held for offers that may yet be declined or ignored: the campaign goes on to its end date.
    const stats = async (): Promise<CampaignStats> => ({ variants: [{ variantId: 'a', presented: 40, accepted: 1, declined: 0, spent: 2, reserved: 98 }] });
    await withEngine({ stats, apply: async () => undefined }, async (engine) => {
      const input = { campaignId: 'held', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }], budget: 100, audience: [], endAt: Date.now() + 2_500, tickMs: 1_000 };
      const { workflowId } = await engine.start('campaign-management', input, { workflowId: 'campaign-held' });
      const out = (await engine.waitFor(workflowId, { timeoutMs: 30_000 })).output as CampaignResult;
      expect(out.endedBy).toBe('end-date');
      expect(out.ticks).toBeGreaterThan(1);
    });
  }, 60_000);

  it('closes the campaign at its end: its approvals still waiting are withdrawn with why it ended, and a contact approved before the end is counted', async () => {
    const closes: [string, CampaignEnding][] = [];
    let booked = false;
    // The close books one contact a person approved before the end: the stats read after it count its cost.
    const stats = async (): Promise<CampaignStats> => ({ variants: [{ variantId: 'a', presented: booked ? 5 : 4, accepted: 0, declined: 0, spent: booked ? 13 : 10, reserved: 0 }] });
    const close = async (id: string, ending: CampaignEnding) => {
      closes.push([id, ending]);
      booked = true;
      return { withdrawn: 2, booked: 1 };
    };
    await withEngine({ stats, apply: async () => undefined, close }, async (engine) => {
      const input = { campaignId: 'ends', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }], budget: 100, audience: [], endAt: Date.now() + 1_500, tickMs: 1_000 };
      const { workflowId } = await engine.start('campaign-management', input, { workflowId: 'campaign-ends' });
      const out = (await engine.waitFor(workflowId, { timeoutMs: 30_000 })).output as CampaignResult;
      expect(out).toMatchObject({ endedBy: 'end-date', closing: { withdrawn: 2, booked: 1 }, spent: 13, presented: 5 });
      expect(closes).toEqual([['ends', { endedBy: 'end-date', reason: expect.stringMatching(/^campaign ends ended: its end date came \(/) }]]);
    });
  }, 60_000);

  it('once its audience is used up moves no more budget between its variants: says so once, waits for its end and closes at its end date (tour-retention moved budget daily with nobody left to contact)', async () => {
    const applied: CampaignAllocation[] = [];
    let reads = 0;
    // Answers keep coming in (a reallocation would follow them), but after the first tick nobody is left to contact.
    const stats = async (): Promise<CampaignStats> => {
      reads++;
      return {
        variants: [
          { variantId: 'a', presented: 10, accepted: 2 + reads, declined: 1, spent: 10, treated: 10 },
          { variantId: 'b', presented: 7, accepted: 0, declined: reads, spent: 7, treated: 7 },
        ],
        toContact: reads === 1 ? 5 : 0,
      };
    };
    await withEngine({ stats, apply: async (_id, a) => void applied.push(a) }, async (engine) => {
      const endAt = Date.now() + 4_500;
      const input = { campaignId: 'used-up', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }, { id: 'b', offerId: 'data-bonus', channel: 'app' }], budget: 1000, audience: [], endAt, tickMs: 1_000 };
      const { workflowId } = await engine.start('campaign-management', input, { workflowId: 'campaign-used-up' });
      const out = (await engine.waitFor(workflowId, { timeoutMs: 30_000 })).output as CampaignResult;
      expect(out.endedBy).toBe('end-date');
      // Tick 1 allocates; tick 2 finds the audience used up, says so, and the run waits for its end (one more read there).
      expect(out.adjustments.filter((a) => a.kind === 'used-up')).toEqual([{ tick: 2, kind: 'used-up', reason: expect.stringMatching(/^its audience is used up \(17 contacted; .*no customer enters it later, so no more budget moves between its variants; it waits for its end/), auditSeq: expect.any(Number) }]);
      expect(out.adjustments.filter((a) => a.kind === 'reallocate' && a.tick > 1)).toEqual([]);
      expect(out.ticks).toBe(3);
      expect(applied.map((a) => a.tick)).toEqual([1, 2]);
      expect(applied[1].shares).toEqual(applied[0].shares);
    });
  }, 60_000);

  it('logs a reallocation only when a share moves as the log shows it, and says once why a tick kept the split', async () => {
    // Three equally good variants: Thompson sampling's noise moved their shares by under a point, and
    // the log read "a 33%→33%, b 33%→34%, c 34%→33%" tick after tick; then no answers came in, and it went on.
    let t = Date.UTC(2027, 0, 4, 9);
    const clock = { now: () => (t += 20 * 60_000) };
    let tick = 0;
    const stats = async (): Promise<CampaignStats> => {
      const answered = 10 * Math.min(++tick, 6);
      const v = (variantId: string) => ({ variantId, presented: answered, accepted: answered * 0.3, declined: answered * 0.7, spent: answered });
      return { variants: [v('a'), v('b'), v('c')], control: { customers: 100, churned: 10 } };
    };
    await withEngine(
      { stats, apply: async () => void (t += 3_600_000) },
      async (engine, audit) => {
        const input = { campaignId: 'even', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }, { id: 'b', offerId: 'data-bonus', channel: 'app' }, { id: 'c', offerId: 'retain-25', channel: 'app' }], budget: 10_000, audience: [], endAt: Date.UTC(2027, 0, 17, 12), sendHourUtc: 10 };
        const { workflowId } = await engine.start('campaign-management', input, { workflowId: 'campaign-even' });
        const out = (await engine.waitFor(workflowId, { timeoutMs: 50_000 })).output as CampaignResult;
        expect(out.ticks).toBeGreaterThan(10);
        const logged = (await audit.read()).map((e) => (e.entry as { why: { summary: string }; action: { params: { kind: string; tick: number } } }));
        for (const e of logged.filter((x) => x.action.params.kind === 'reallocate')) {
          const moves = [...e.why.summary.matchAll(/(\d+)%→(\d+)%/g)];
          expect(moves.length).toBeGreaterThan(0);
          for (const m of moves) expect(m[1], e.why.summary).not.toBe(m[2]);
        }
        const kinds = out.adjustments.map((a) => a.kind);
        expect(kinds.length).toBe(logged.length);
        // Said once per stretch of ticks that moved nothing: never twice in a row.
        expect(kinds.some((k, i) => k === 'keep' && kinds[i + 1] === 'keep')).toBe(false);
        // The ticks with no answer since the split last moved say so.
        expect(out.adjustments.at(-1)).toMatchObject({ kind: 'keep', reason: expect.stringMatching(/^kept the split \(a \d+%, b \d+%, c \d+%\): no answer has come in since the split last moved/) });
        // Kept ticks hand the delivery the split they kept.
        expect(out.shares.a + out.shares.b + out.shares.c).toBeCloseTo(1, 9);
      },
      clock,
    );
  }, 60_000);

  it('keeps daily ticks at the send hour when a tick runs late, instead of drifting into quiet hours', async () => {
    // Ticks that each take 11 hours of a simulated clock (a loaded machine under the sandbox's
    // 3,600x world): each tick must still begin at 10:00 UTC, not 11 hours later than the one
    // before (21:00, then 08:00 the day after…).
    expect(await dailyTickStarts('daily', 11)).toEqual(['2027-01-05T10', '2027-01-06T10', '2027-01-07T10', '2027-01-08T10']);
  }, 60_000);

  it('skips a send hour a tick ran past, instead of running the next tick at once off the hour', async () => {
    // Each tick takes 30 hours: the one begun on the 5th at 10:00 ends on the 6th at 16:00, past
    // that day's send hour, so the next begins on the 7th at 10:00.
    expect(await dailyTickStarts('slow-daily', 30)).toEqual(['2027-01-05T10', '2027-01-07T10']);
  }, 60_000);

  it('without a send hour, ticks in the contact policy\'s hours: a campaign started at night waits for the quiet hours to end', async () => {
    // npm start's nc-bonus, started at 00:06 with no sendHourUtc, ticked at 00:06-00:22 every day, had
    // each tick's first contact refused (quiet-hours) and ended "succeeded" having contacted nobody.
    const hours = { contactAllowedAt: (now: number) => outsideQuietHours(now, DEFAULT_CONTACT_POLICY), contactHoursOpenAt: (now: number) => contactHoursOpenAt(now, DEFAULT_CONTACT_POLICY) };
    expect(await dailyTickStarts('night', 1, { start: Date.UTC(2027, 0, 4, 0, 6), hours })).toEqual(['2027-01-04T08', '2027-01-05T08', '2027-01-06T08', '2027-01-07T08', '2027-01-08T08']);
    // Started in the allowed hours, its first tick goes at once, the next ones when the hours open.
    // (this clock runs 5 minutes a read: the engine's reads until the first tick take an hour or so of it).
    const day = await dailyTickStarts('day', 1, { start: Date.UTC(2027, 0, 4, 17), hours });
    expect(day[0]).toMatch(/^2027-01-04T(17|18|19)$/);
    expect(day.slice(1)).toEqual(['2027-01-05T08', '2027-01-06T08', '2027-01-07T08', '2027-01-08T08']);
    // Ticks every 6 hours: those due in quiet hours (02:00) wait for their end.
    const six = await dailyTickStarts('six-hourly', 1, { start: Date.UTC(2027, 0, 4, 0, 6), hours, tickMs: 6 * 3_600_000 });
    expect(six.slice(0, 4)).toEqual(['2027-01-04T08', '2027-01-04T14', '2027-01-04T20', '2027-01-05T08']);
    for (const at of six) expect(Number(at.slice(11)), at).toBeGreaterThanOrEqual(8);
  }, 60_000);

  it('says in its result that it contacted nobody, and why its contacts were refused', async () => {
    let t = Date.UTC(2027, 0, 4, 12);
    const clock = { now: () => (t += 60_000) };
    const stats = async (): Promise<CampaignStats> => ({ variants: [{ variantId: 'a', presented: 0, accepted: 0, declined: 0, spent: 0, treated: 0, tried: 2, notContacted: { 'quiet-hours': 2 } }] });
    await withEngine(
      { stats, apply: async () => void (t += 86_400_000) },
      async (engine) => {
        const input = { campaignId: 'nobody', variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }], budget: 100, audience: [], endAt: Date.UTC(2027, 0, 6, 12) };
        const { workflowId } = await engine.start('campaign-management', input, { workflowId: 'campaign-nobody' });
        const out = (await engine.waitFor(workflowId, { timeoutMs: 30_000 })).output as CampaignResult;
        expect(out).toMatchObject({ contacted: 0, notContacted: { 'quiet-hours': 2 } });
      },
      clock,
    );
  }, 60_000);

  it("refuses at its start, naming why, a campaign whose control share would hold out nobody; one refused when it opens fails with Twinloop's own reason, not a back end's", async () => {
    const refusal = 'campaign tiny is not run: its control share 0.1 of an audience of 3 holds out nobody, so nothing would measure what it changes; widen its audience, or start it with controlShare 0 to run it without a control group';
    const stats = async (): Promise<CampaignStats> => ({ variants: [{ variantId: 'a', presented: 0, accepted: 0, declined: 0, spent: 0 }] });
    const input = (campaignId: string) => ({ campaignId, variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }], budget: 100, audience: [], endAt: Date.now() + 3_600_000 });
    // Counted at the start: the start is refused (400 at the HTTP edge) and no run is left behind.
    await withEngine({ stats, refusalOf: async (i) => (i.campaignId === 'tiny' ? refusal : undefined) }, async (engine) => {
      await expect(engine.start('campaign-management', input('tiny'))).rejects.toMatchObject({ code: 'BAD_INPUT', message: refusal });
      expect(await engine.get('campaign-tiny')).toBeNull();
    });
    // The audience shrank between the start and its open: the run fails with the reason in its own words.
    await withEngine({ stats, open: async () => Promise.reject(campaignRefused(refusal)) }, async (engine) => {
      const { workflowId } = await engine.start('campaign-management', input('tiny'));
      const run = await engine.waitFor(workflowId, { timeoutMs: 30_000 });
      expect(run.status).toBe('failed');
      expect(run.error).toBe(refusal);
    });
  }, 60_000);
});

/**
 * The hours (UTC, to the hour) at which a campaign with a 10:00 send hour, run from the 4th at
 * 18:30 to the 8th at 12:00 on a simulated clock that runs ahead 5 minutes a read, begins its
 * ticks when each tick takes `tickHours` of that clock.
 */
async function dailyTickStarts(campaignId: string, tickHours: number, o: { start?: number; hours?: Pick<CampaignManagementDeps, 'contactAllowedAt' | 'contactHoursOpenAt'>; tickMs?: number } = {}): Promise<string[]> {
  let t = o.start ?? Date.UTC(2027, 0, 4, 18, 30);
  const clock = { now: () => (t += 5 * 60_000) };
  const starts: number[] = [];
  const stats = async (): Promise<CampaignStats> => ({ variants: [{ variantId: 'a', presented: 0, accepted: 0, declined: 0, spent: 0 }] });
  const apply = async (_id: string, a: CampaignAllocation) => {
    starts.push(a.at!);
    t += tickHours * 3_600_000;
  };
  await withEngine(
    { stats, apply, ...o.hours },
    async (engine) => {
      const input = { campaignId, variants: [{ id: 'a', offerId: 'retain-10', channel: 'app' }], budget: 100, audience: [], endAt: Date.UTC(2027, 0, 8, 12), ...(o.hours ? {} : { sendHourUtc: 10 }), ...(o.tickMs ? { tickMs: o.tickMs } : {}) };
      const { workflowId } = await engine.start('campaign-management', input, { workflowId: `campaign-${campaignId}` });
      expect((await engine.waitFor(workflowId, { timeoutMs: 50_000 })).status).toBe('succeeded');
    },
    clock,
  );
  return starts.map((at) => new Date(at).toISOString().slice(0, 13));
}

/** Runs `body` on a workflow engine with the campaign flow over `deps`, on throw-away SQLite stores (its timers on `clock`, default the wall clock). */
async function withEngine(deps: Omit<CampaignManagementDeps, 'audit'>, body: (engine: WorkflowEngine, audit: AuditTrail) => Promise<void>, clock?: Clock): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'twinloop-campaign-'));
  const store = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
  const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir: dir });
  const audit = createAuditTrail(store, { now: () => Date.now() });
  // Leases stay on the wall clock: a simulated clock racing ahead would expire them.
  const engine = createWorkflowEngine({ journal, workerId: 'w', pollIntervalMs: 10, ...(clock ? { clock, leaseClock: systemClock } : {}) });
  engine.register(campaignManagementWorkflow({ ...deps, audit }));
  try {
    await engine.run();
    await body(engine, audit);
  } finally {
    await engine.stop();
    await journal.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
