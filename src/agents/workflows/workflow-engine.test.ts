import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { held, ok, rejected, transient } from '../../domain/connectors/connector-result.js';
import { heldError } from '../../domain/errors.js';
import { ManualClock, systemClock, type Clock } from '../../domain/clock.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import type { WorkflowJournal } from '../../store/workflow-journal.js';
import { retryDelayMs, DEFAULT_RETRY_POLICY } from './retry-policy.js';
import type { StepDefinition, WorkflowDefinition } from './workflow-definition.js';
import { createWorkflowEngine, type WorkflowEngine } from './workflow-engine.js';

const T0 = Date.UTC(2026, 0, 1);
const any = (raw: unknown) => raw as never;

let dataDir: string;
let journal: WorkflowJournal;
let clock: ManualClock;
let engine: WorkflowEngine;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'twinloop-engine-'));
  journal = await openWorkflowJournal({ kind: 'sqlite', dataDir });
  clock = new ManualClock(T0);
  engine = createWorkflowEngine({ journal, workerId: 'w1', clock, random: () => 0 });
});
afterEach(async () => {
  await engine.stop();
  await journal.close();
  await rm(dataDir, { recursive: true, force: true });
});

function oneStep(step: StepDefinition<number, unknown>, id = 'one'): WorkflowDefinition<number, unknown> {
  return { id, version: 1, parseInput: (raw) => Number(raw), run: (ctx, n) => ctx.step(step, n) };
}

describe('workflow engine', () => {
  it('refuses a start whose input fails the definition\'s schema as BAD_INPUT naming the field, and starts nothing', async () => {
    const schema = z.object({ campaignId: z.string().min(1), variants: z.array(z.object({ channel: z.enum(['app', 'web']) })).min(1) });
    engine.register({ id: 'campaign', version: 1, parseInput: (raw) => schema.parse(raw), run: async () => null });
    const err = await engine.start('campaign', { campaignId: 'c', variants: [{ channel: 'fax' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_INPUT', message: 'workflow campaign refused its input: variants[0].channel: expected one of app, web, got "fax"' });
    // Every problem named, none hidden behind "(and 1 more)".
    const many = await engine.start('campaign', { variants: [{ channel: 'fax' }, { channel: 'sms' }, {}] }).catch((e: unknown) => e);
    expect((many as Error).message).toBe('workflow campaign refused its input: campaignId: required: text; variants[0].channel: expected one of app, web, got "fax"; variants[1].channel: expected one of app, web, got "sms"; variants[2].channel: required: one of app, web');
    expect((err as Error).message).not.toMatch(/"code"|\[\s*\{/);
    expect(await engine.list({})).toEqual([]);
  });

  it('retries a transient failure after the backoff, measured on the engine clock', async () => {
    const calls: number[] = [];
    const flaky: StepDefinition<number, string> = {
      id: 'flaky',
      version: 1,
      retry: { maxAttempts: 4, baseDelayMs: 1_000, factor: 2, jitter: 0 },
      run: async (_n, ctx) => {
        calls.push(ctx.attempt);
        return ctx.attempt < 3 ? transient('busy') : ok(ctx.idempotencyKey);
      },
    };
    engine.register(oneStep(flaky));
    await engine.start('one', 1, { workflowId: 'r1' });
    await engine.runOnce();
    expect((await engine.get('r1'))?.status).toBe('waiting');
    clock.advance(999);
    expect(await engine.runOnce()).toBe(0);
    clock.advance(1);
    await engine.runOnce();
    expect(calls).toEqual([1, 2]);
    clock.advance(1_999);
    expect(await engine.runOnce()).toBe(0);
    clock.advance(1);
    await engine.runOnce();
    const run = await engine.get('r1');
    expect(run).toMatchObject({ status: 'succeeded', output: 'r1:flaky' });
    expect(calls).toEqual([1, 2, 3]);
    // What a person reading the run sees: the step, its attempts and its result.
    expect(await engine.steps('r1')).toEqual([{ key: 'flaky', stepId: 'flaky', status: 'succeeded', attempts: 3, output: 'r1:flaky', error: null, updatedAt: T0 + 3_000 }]);
    expect(await engine.steps('nobody')).toBeNull();
  });

  it('fails for good when retries are used up, and at once on a rejection', async () => {
    engine.register(oneStep({ id: 'down', version: 1, retry: { maxAttempts: 2, baseDelayMs: 10, jitter: 0 }, run: async () => transient('down') }, 'down'));
    engine.register(oneStep({ id: 'no', version: 1, run: async () => rejected('no_credit_file') }, 'no'));
    await engine.start('down', 1, { workflowId: 'a' });
    await engine.start('no', 1, { workflowId: 'b' });
    await engine.runOnce();
    clock.advance(10);
    await engine.runOnce();
    expect((await engine.get('a'))?.error).toMatch(/down after 2 attempts/);
    expect(await engine.get('b')).toMatchObject({ status: 'failed', error: expect.stringMatching(/no_credit_file/) });
  });

  it('waits for a back end holding its acts (the sandbox loading its first start), however long, without spending the step\'s attempts', async () => {
    let holding = true;
    const calls: number[] = [];
    // Held answered as a value (a connector) and thrown (the guarded executor's UNAVAILABLE) alike.
    const step = (id: string, asError: boolean): StepDefinition<number, string> => ({
      id,
      version: 1,
      semantics: asError ? 'at-most-once' : 'at-least-once',
      retry: { maxAttempts: 2, baseDelayMs: 10, jitter: 0 },
      run: async (_n, ctx) => {
        calls.push(ctx.attempt);
        if (!holding) return ok(`${id}:${ctx.attempt}`);
        if (asError) throw heldError('the first start\'s history is being loaded; retry in 5 s', 5_000);
        return held('the first start\'s history is being loaded; retry in 5 s', 5_000);
      },
    });
    engine.register(oneStep(step('answered', false), 'answered'));
    engine.register(oneStep(step('thrown', true), 'thrown'));
    await engine.start('answered', 1, { workflowId: 'a' });
    await engine.start('thrown', 1, { workflowId: 't' });
    for (let i = 0; i < 5; i++) {
      await engine.runOnce();
      expect(await engine.steps('a')).toMatchObject([{ status: 'retrying', attempts: 0, error: expect.stringContaining('history is being loaded') }]);
      // Not before the wait the back end named.
      clock.advance(4_999);
      expect(await engine.runOnce()).toBe(0);
      clock.advance(1);
    }
    holding = false;
    await engine.runOnce();
    expect(await engine.get('a')).toMatchObject({ status: 'succeeded', output: 'answered:1' });
    expect(await engine.get('t')).toMatchObject({ status: 'succeeded', output: 'thrown:1' });
    expect(calls.length).toBe(12);
  });

  it('undoes completed steps in reverse order when a later step fails', async () => {
    const undone: string[] = [];
    const undoable = (id: string): StepDefinition<number, string> => ({
      id,
      version: 1,
      run: async () => ok(`${id}-made`),
      compensate: async (_i, made) => void undone.push(String(made)),
    });
    const wf: WorkflowDefinition<number, unknown> = {
      id: 'saga',
      version: 1,
      parseInput: Number,
      async run(ctx, n) {
        await ctx.step(undoable('a'), n);
        await ctx.step(undoable('b'), n);
        await ctx.step(undoable('c'), n);
        return ctx.step({ id: 'boom', version: 1, run: async () => rejected('refused') }, n);
      },
    };
    engine.register(wf);
    await engine.start('saga', 0, { workflowId: 's' });
    await engine.runOnce();
    expect(undone).toEqual(['c-made', 'b-made', 'a-made']);
    expect((await engine.get('s'))?.status).toBe('failed');
    const { steps } = await journal.loadHistory('s');
    expect(steps.filter((s) => s.key.endsWith('~undo') && s.status === 'succeeded').map((s) => s.key).sort()).toEqual(['a~undo', 'b~undo', 'c~undo']);
  });

  it('compensates a parallel sibling step that finishes after another step failed the run', async () => {
    const undone: string[] = [];
    const slow: StepDefinition<number, string> = {
      id: 'slow',
      version: 1,
      run: async () => (await new Promise((r) => setTimeout(r, 50)), ok('slow-made')),
      compensate: async (_i, made) => void undone.push(String(made)),
    };
    const fails: StepDefinition<number, string> = { id: 'fails', version: 1, run: async () => rejected('refused') };
    engine.register({ id: 'parallel', version: 1, parseInput: Number, run: (ctx, n) => Promise.all([ctx.step(slow, n), ctx.step(fails, n)]) });
    await engine.start('parallel', 0, { workflowId: 'p' });
    await engine.runOnce();
    await new Promise((r) => setTimeout(r, 150));
    expect(undone).toEqual(['slow-made']);
    expect((await engine.get('p'))?.status).toBe('failed');
    const { steps } = await journal.loadHistory('p');
    expect(steps.filter((s) => s.key.endsWith('~undo')).map((s) => [s.key, s.status])).toEqual([['slow~undo', 'succeeded']]);
  });

  it('does not re-run an at-most-once step interrupted by a crash: it fails and compensates', async () => {
    let charges = 0;
    const undone: string[] = [];
    const wf: WorkflowDefinition<number, unknown> = {
      id: 'amo',
      version: 1,
      parseInput: Number,
      async run(ctx, n) {
        await ctx.step({ id: 'reserve', version: 1, run: async () => ok('R1'), compensate: async () => void undone.push('reserve') }, n);
        // The first worker "dies" while charging: the call never returns.
        return ctx.step({ id: 'charge', version: 1, semantics: 'at-most-once', run: () => (++charges === 1 ? new Promise(() => undefined) : Promise.resolve(ok('paid'))) }, n);
      },
    };
    engine.register(wf);
    await engine.start('amo', 0, { workflowId: 'x' });
    void engine.runOnce();
    await new Promise((r) => setTimeout(r, 50));
    const { steps } = await journal.loadHistory('x');
    expect(steps.find((s) => s.key === 'charge')?.status).toBe('started');
    // A new worker takes over the journal (SQLite: one owner, previous leases released).
    const next = createWorkflowEngine({ journal, workerId: 'w2', clock, random: () => 0 });
    next.register(wf);
    await next.run();
    const run = await next.waitFor('x', { timeoutMs: 5_000 });
    await next.stop();
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/at-most-once/);
    expect(charges).toBe(1);
    expect(undone).toEqual(['reserve']);
  });

  it('takes over a run a dead worker leased once the lease clock passes its lease, though the operator clock stands still', async () => {
    // A simulated operator's clock may wait for wall time: a lease must still end in real seconds.
    const leaseClock = new ManualClock(0);
    const other = createWorkflowEngine({ journal, workerId: 'w2', clock, leaseClock, leaseMs: 30_000, random: () => 0 });
    other.register(oneStep({ id: 's', version: 1, run: async (n: number) => ok(n + 1) }));
    await journal.createRun({ id: 'orphan', definitionId: 'one', definitionVersion: 1, input: '1', parentId: null, createdAt: T0, claim: { workerId: 'gone', leaseUntil: 30_000 } });
    leaseClock.advance(29_999);
    expect(await other.runOnce()).toBe(0);
    leaseClock.advance(2);
    expect(await other.runOnce()).toBe(1);
    expect((await other.get('orphan'))?.status).toBe('succeeded');
    await other.stop();
  });

  it('sleeps on a durable timer until the clock passes it', async () => {
    const wf: WorkflowDefinition<number, string> = {
      id: 'nap',
      version: 1,
      parseInput: Number,
      async run(ctx) {
        await ctx.sleep('cool-off', 3_600_000);
        return 'awake';
      },
    };
    engine.register(wf);
    await engine.start('nap', 0, { workflowId: 'n' });
    await engine.runOnce();
    clock.advance(3_599_999);
    expect(await engine.runOnce()).toBe(0);
    clock.advance(1);
    await engine.runOnce();
    expect(await engine.get('n')).toMatchObject({ status: 'succeeded', output: 'awake' });
  });

  it('wakes a sleeping run when a faster world\'s clock reaches its time, at that clock\'s pace, whatever the poll interval', async () => {
    // The sandbox's world at 3,600x: an hour of its time is a second of real time. Real time is faked.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const speed = 3_600;
    const r0 = Date.now();
    const world: Clock = { now: () => T0 + (Date.now() - r0) * speed, realMsUntil: (t) => (t - world.now()) / speed };
    const fast = createWorkflowEngine({ journal, workerId: 'w2', clock: world, leaseClock: systemClock, pollIntervalMs: 600_000, random: () => 0, compaction: false });
    const woke: number[] = [];
    fast.register({
      id: 'nap',
      version: 1,
      parseInput: Number,
      async run(ctx) {
        await ctx.sleep('an-hour', 3_600_000);
        woke.push(await ctx.now('woke'));
        return 'awake';
      },
    });
    try {
      await fast.run();
      await fast.start('nap', 0, { workflowId: 'n' });
      await vi.advanceTimersByTimeAsync(900); // 0.9 s: the world is at 54 minutes
      expect((await fast.get('n'))?.status).toBe('waiting');
      await vi.advanceTimersByTimeAsync(200); // 1.1 s: past the hour
      expect(await fast.get('n')).toMatchObject({ status: 'succeeded', output: 'awake' });
      // Woken within a tenth of a real second of the world reaching the hour: within 6 of its minutes (the poll would have been 10 real minutes, 600 of its hours).
      expect(woke[0] - T0).toBeGreaterThanOrEqual(3_600_000);
      expect(woke[0] - T0).toBeLessThanOrEqual(3_600_000 + 0.1 * speed * 1_000);
    } finally {
      await fast.stop();
      vi.useRealTimers();
    }
  });

  it('waits for a signal, and takes the declared fallback when it times out', async () => {
    const wf: WorkflowDefinition<number, unknown> = {
      id: 'approval',
      version: 1,
      parseInput: Number,
      run: (ctx) => ctx.waitForSignal('approved', { timeoutMs: 60_000, fallback: { approved: false } }),
    };
    engine.register(wf);
    await engine.start('approval', 0, { workflowId: 'yes' });
    await engine.start('approval', 0, { workflowId: 'late' });
    await engine.runOnce();
    expect(await engine.signal('yes', 'approved', { approved: true })).toBe(true);
    await engine.runOnce();
    expect((await engine.get('yes'))?.output).toEqual({ payload: { approved: true }, timedOut: false });
    expect((await engine.get('late'))?.status).toBe('waiting');
    clock.advance(60_000);
    await engine.runOnce();
    expect((await engine.get('late'))?.output).toEqual({ payload: { approved: false }, timedOut: true });
    expect(await engine.signal('late', 'approved', {})).toBe(false);
  });

  it('waits for the first of several signals: the one that came, the earliest named when several did, each heard once by leaving it out of the next wait', async () => {
    // A body that hears each 'worse' once, in order of badness, until 'done'.
    const wf: WorkflowDefinition<number, unknown> = {
      id: 'any',
      version: 1,
      parseInput: Number,
      async run(ctx) {
        const heard: (string | null)[] = [];
        let names = ['critical', 'major', 'done'];
        for (let i = 0; ; i++) {
          const w = await ctx.waitForAnySignal<string | null>(names, { timeoutMs: 60_000, fallback: null, key: `w-${i}` });
          heard.push(w.signal);
          if (w.signal === null || w.signal === 'done') return heard;
          names = names.slice(names.indexOf(w.signal) + 1);
        }
      },
    };
    engine.register(wf);
    await engine.start('any', 0, { workflowId: 'a' });
    await engine.runOnce();
    expect(await engine.signal('a', 'major', 'm')).toBe(true);
    await engine.runOnce();
    expect((await engine.get('a'))?.status).toBe('waiting');
    // Both came before it ran again: the earlier named first ('critical'), then 'done'; 'major' is not heard twice.
    await engine.signal('a', 'done', 'd');
    await engine.signal('a', 'critical', 'c');
    await engine.runOnce();
    // 'major' was heard, then only 'done' was listened for after it: 'critical' came too late to be named.
    expect((await engine.get('a'))?.output).toEqual(['major', 'done']);
    await engine.start('any', 0, { workflowId: 'b' });
    await engine.runOnce();
    await engine.signal('b', 'done', 'd');
    await engine.signal('b', 'critical', 'c');
    await engine.runOnce();
    expect((await engine.get('b'))?.output).toEqual(['critical', 'done']);
    await engine.start('any', 0, { workflowId: 'c' });
    await engine.runOnce();
    clock.advance(60_000);
    await engine.runOnce();
    expect((await engine.get('c'))?.output).toEqual([null]);
  });

  it('runs a child workflow and resumes the parent with its result', async () => {
    const child: WorkflowDefinition<number, number> = {
      id: 'double',
      version: 1,
      parseInput: Number,
      run: (ctx, n) => ctx.step({ id: 'times-two', version: 1, run: async (x: number) => ok(x * 2) }, n),
    };
    const parent: WorkflowDefinition<number, number> = {
      id: 'parent',
      version: 1,
      parseInput: Number,
      async run(ctx, n) {
        const a = await ctx.child(child, n, { key: 'first' });
        return (await ctx.child(child, a, { key: 'second' })) + 1;
      },
    };
    engine.register(parent);
    await engine.start('parent', 5, { workflowId: 'p' });
    for (let i = 0; i < 5 && (await engine.get('p'))?.status !== 'succeeded'; i++) await engine.runOnce();
    expect((await engine.get('p'))?.output).toBe(21);
    expect((await engine.list({ parentId: 'p' })).map((r) => [r.workflowId, r.output]).sort()).toEqual([
      ['p/first', 10],
      ['p/second', 20],
    ]);
  });

  it('finishes an in-flight run on the version it started with; new runs take the newest', async () => {
    const version = (v: number): WorkflowDefinition<number, string> => ({
      id: 'versioned',
      version: v,
      parseInput: Number,
      async run(ctx) {
        await ctx.sleep('pause', 10);
        return `v${v}`;
      },
    });
    engine.register(version(1));
    await engine.start('versioned', 0, { workflowId: 'old' });
    await engine.runOnce();
    engine.register(version(2));
    await engine.start('versioned', 0, { workflowId: 'new' });
    await engine.runOnce();
    clock.advance(10);
    await engine.runOnce();
    expect((await engine.get('old'))?.output).toBe('v1');
    expect((await engine.get('new'))).toMatchObject({ output: 'v2', definitionVersion: 2 });
  });

  it('starts idempotently on a workflow id and validates the input once, at start', async () => {
    engine.register({ id: 'strict', version: 1, parseInput: (raw) => {
      if (typeof raw !== 'number') throw new Error('a number please');
      return raw;
    }, run: async (_ctx, n: number) => n });
    expect(await engine.start('strict', 1, { workflowId: 'same' })).toMatchObject({ created: true });
    expect(await engine.start('strict', 2, { workflowId: 'same' })).toMatchObject({ created: false });
    await expect(engine.start('strict', any('x'))).rejects.toThrow(/a number please/);
    await expect(engine.start('unknown', 1)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/the workflows: .*strict/) });
    // A misspelt name is answered with the nearest registered one.
    await expect(engine.start('strikt', 1)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/did you mean "strict"\?/) });
    await expect(engine.start('strict', 1, { version: 9 })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/has no version 9; its versions: 1/) });
    await engine.runOnce();
    expect((await engine.get('same'))?.output).toBe(1);
  });

  it('compacts runs finished longer ago than the retention: their result and kept steps stay, a start by id does not run them again', async () => {
    let sent = 0;
    const send: StepDefinition<number, number> = { id: 'send', version: 1, run: async (n) => ok(++sent + n) };
    const report: StepDefinition<number, string> = { id: 'report', version: 1, run: async (n) => ok(`sent ${n}`) };
    engine.register({ id: 'campaign', version: 1, keptSteps: ['report'], parseInput: (raw) => Number(raw), run: async (ctx, n) => ctx.step(report, await ctx.step(send, n)) });
    await engine.start('campaign', 10, { workflowId: 'old' });
    await engine.runOnce();
    clock.advance(29 * 86_400_000);
    await engine.start('campaign', 20, { workflowId: 'recent' });
    await engine.runOnce();
    clock.advance(2 * 86_400_000);
    // The default retention is 30 days on the engine's clock: only "old" finished that long ago.
    expect(await engine.compact()).toEqual({ runs: 1, steps: 1, signals: 0 });
    expect(await engine.get('old')).toMatchObject({ status: 'succeeded', output: 'sent 11', stepsCompactedAt: clock.now() });
    expect((await engine.steps('old'))?.map((s) => [s.stepId, s.output])).toEqual([['report', 'sent 11']]);
    expect((await engine.steps('recent'))?.map((s) => s.stepId).sort()).toEqual(['report', 'send']);
    expect(await engine.get('recent')).toMatchObject({ stepsCompactedAt: null });
    // Starting the compacted run again answers it as it ended; nothing runs twice.
    expect(await engine.start('campaign', 10, { workflowId: 'old' })).toEqual({ workflowId: 'old', created: false, status: 'succeeded' });
    expect(await engine.runOnce()).toBe(0);
    expect(sent).toBe(2);
    expect(await engine.compact()).toEqual({ runs: 0, steps: 0, signals: 0 });
  });

  it('compacts on its own while it runs, every `everyMs`', async () => {
    const compacting = createWorkflowEngine({ journal, workerId: 'w2', clock, random: () => 0, pollIntervalMs: 20, compaction: { retentionMs: 60_000, everyMs: 20 } });
    const step: StepDefinition<number, number> = { id: 'only', version: 1, run: async (n) => ok(n) };
    compacting.register(oneStep(step));
    await compacting.start('one', 1, { workflowId: 'r' });
    await compacting.runOnce();
    clock.advance(60_001);
    await compacting.run();
    try {
      let run = await compacting.get('r');
      for (const until = Date.now() + 60_000; !run?.stepsCompactedAt && Date.now() < until; run = await compacting.get('r')) await new Promise((r) => setTimeout(r, 20));
      expect(run, 'the run compacted within 60 s of the engine running').toMatchObject({ status: 'succeeded', stepsCompactedAt: T0 + 60_001 });
      expect(await compacting.steps('r')).toEqual([]);
    } finally {
      await compacting.stop();
    }
  });

  it('computes documented backoff: base × factor^(n−2), capped, jitter shortens', () => {
    const p = { ...DEFAULT_RETRY_POLICY, jitter: 0 };
    expect([2, 3, 4].map((n) => retryDelayMs(p, n, 0))).toEqual([100, 200, 400]);
    expect(retryDelayMs(p, 40, 0)).toBe(30_000);
    expect(retryDelayMs({ ...p, jitter: 0.5 }, 2, 1)).toBe(50);
    expect(retryDelayMs(p, 2, 0, 2_000)).toBe(2_000);
  });
});
