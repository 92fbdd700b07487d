import { describe, expect, it } from 'vitest';
import type { NewRun, StepRecord, WorkflowJournal } from './workflow-journal.js';
import { freshPerTest, type OpenedStore } from './store-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
const AWKWARD = `quote " apostrophe ' backslash \\ newline \n emoji 📶`;

function newRun(id: string, fields: Partial<NewRun> = {}): NewRun {
  return { id, definitionId: 'onboarding', definitionVersion: 1, input: JSON.stringify({ note: AWKWARD }), parentId: null, createdAt: T0, ...fields };
}

function step(key: string, fields: Partial<StepRecord> = {}): StepRecord {
  return { key, stepId: key, stepVersion: 1, status: 'succeeded', attempts: 1, output: JSON.stringify({ ok: AWKWARD }), error: null, dueAt: null, updatedAt: T0, ...fields };
}

/** The behaviour every WorkflowJournal adapter must show; `open` gives a fresh, migrated, empty journal per test. */
export function describeWorkflowJournalContract(name: string, open: () => Promise<OpenedStore<WorkflowJournal>>): void {
  describe(`${name}: workflow journal contract`, () => {
    let opened: OpenedStore<WorkflowJournal>;
    let journal: WorkflowJournal;
    freshPerTest(open, (o) => { opened = o; journal = o.store; });

    it('creates a run once and returns the existing one on a repeated id', async () => {
      const a = await journal.createRun(newRun('w1'));
      expect(a.created).toBe(true);
      expect(a.run).toMatchObject({ id: 'w1', status: 'pending', definitionId: 'onboarding', definitionVersion: 1, wakeAt: T0, output: null });
      expect(JSON.parse(a.run.input)).toEqual({ note: AWKWARD });
      const b = await journal.createRun(newRun('w1', { definitionVersion: 2 }));
      expect(b.created).toBe(false);
      expect(b.run.definitionVersion).toBe(1);
      expect(await journal.getRun('nope')).toBeNull();
    });

    it('claims a runnable run for one worker until its lease expires', async () => {
      await journal.createRun(newRun('w1'));
      await journal.createRun(newRun('w2', { createdAt: T0 + 10_000 }));
      const first = await journal.claimRuns('a', T0 + 1, T0 + 1_000, 10);
      expect(first.map((r) => r.id)).toEqual(['w1']);
      expect(first[0]).toMatchObject({ leaseOwner: 'a', leaseUntil: T0 + 1_000 });
      expect(await journal.claimRuns('b', T0 + 2, T0 + 1_000, 10)).toEqual([]);
      const taken = await journal.claimRuns('b', T0 + 1_001, T0 + 5_000, 10);
      expect(taken.map((r) => r.id)).toEqual(['w1']);
      await expect(journal.saveStep('w1', { workerId: 'a', until: T0 + 9_000 }, step('s1'))).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await journal.renewLeases('a', ['w1'], T0 + 9_000)).toEqual(['w1']);
      expect(await journal.renewLeases('b', ['w1'], T0 + 9_000)).toEqual([]);
    });

    it('reads leases on their own clock: a dead worker\'s lease expires by the lease clock, whatever the operator\'s clock says', async () => {
      await journal.createRun(newRun('w1', { claim: { workerId: 'gone', leaseUntil: 50_000 } }));
      // Due by the operator's clock, but the lease clock has not passed the lease.
      expect(await journal.claimRuns('b', T0 + 1, 60_000, 10, 49_999)).toEqual([]);
      expect((await journal.claimRuns('b', T0 + 1, 60_000, 10, 50_001)).map((r) => r.id)).toEqual(['w1']);
    });

    it('keeps step outcomes exact and replaces a step by key', async () => {
      await journal.createRun(newRun('w1'));
      await journal.claimRuns('a', T0, T0 + 1_000, 1);
      const lease = { workerId: 'a', until: T0 + 2_000 };
      await journal.saveStep('w1', lease, step('s1', { status: 'retrying', attempts: 1, output: null, error: 'busy', dueAt: T0 + 100 }));
      await journal.saveStep('w1', lease, step('s1', { attempts: 2, updatedAt: T0 + 1 }));
      await journal.saveStep('w1', lease, step('s2', { updatedAt: T0 + 2 }));
      const { steps, signals } = await journal.loadHistory('w1');
      expect(steps.map((s) => [s.key, s.status, s.attempts])).toEqual([
        ['s1', 'succeeded', 2],
        ['s2', 'succeeded', 1],
      ]);
      expect(JSON.parse(steps[0].output!)).toEqual({ ok: AWKWARD });
      expect(signals).toEqual([]);
      expect((await journal.getRun('w1'))?.leaseUntil).toBe(T0 + 2_000);
    });

    it('writes steps of many runs saved at once each under its own lease, and one run’s in order', async () => {
      for (const [i, id] of ['w1', 'w2', 'w3'].entries()) await journal.createRun(newRun(id, { createdAt: T0 + i }));
      expect((await journal.claimRuns('a', T0 + 10, T0 + 1_000, 2)).map((r) => r.id).sort()).toEqual(['w1', 'w2']);
      expect((await journal.claimRuns('b', T0 + 10, T0 + 1_000, 1)).map((r) => r.id)).toEqual(['w3']);
      const lease = { workerId: 'a', until: T0 + 2_000 };
      // Saved together (an adapter may write them in one statement): worker a holds no lease on w3.
      const saves = await Promise.allSettled([
        journal.saveStep('w1', lease, step('s1', { status: 'retrying', attempts: 1, output: null, error: 'busy' })),
        journal.saveStep('w1', lease, step('s1', { attempts: 2, updatedAt: T0 + 1 })),
        journal.saveStep('w2', lease, step('s1', { updatedAt: T0 + 1 })),
        journal.saveStep('w3', lease, step('s1')),
      ]);
      expect(saves.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
      expect((saves[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
      expect((await journal.loadHistory('w1')).steps.map((s) => [s.key, s.status, s.attempts])).toEqual([['s1', 'succeeded', 2]]);
      expect((await journal.loadHistory('w2')).steps.map((s) => [s.key, s.status])).toEqual([['s1', 'succeeded']]);
      expect((await journal.loadHistory('w3')).steps).toEqual([]);
      expect((await journal.getRun('w2'))?.leaseUntil).toBe(T0 + 2_000);
      expect((await journal.getRun('w3'))?.leaseUntil).toBe(T0 + 1_000);
    });

    it('suspends until the wake time, and a signal wakes a waiting run early (first of a name wins)', async () => {
      await journal.createRun(newRun('w1'));
      await journal.claimRuns('a', T0, T0 + 1_000, 1);
      await journal.suspend('w1', { workerId: 'a', until: T0 + 1_000 }, { status: 'waiting', wakeAt: T0 + 60_000, now: T0 });
      expect(await journal.claimRuns('a', T0 + 10, T0 + 1_000, 1)).toEqual([]);
      expect(await journal.addSignal('w1', { name: 'approval', payload: '{"ok":true}', at: T0 + 20 })).toBe(true);
      expect(await journal.addSignal('w1', { name: 'approval', payload: '{"ok":false}', at: T0 + 21 })).toBe(true);
      expect((await journal.loadHistory('w1')).signals).toEqual([{ name: 'approval', payload: '{"ok":true}', at: T0 + 20 }]);
      expect((await journal.claimRuns('a', T0 + 30, T0 + 1_000, 1)).map((r) => r.id)).toEqual(['w1']);
      expect(await journal.addSignal('unknown', { name: 'x', payload: 'null', at: T0 })).toBe(false);
    });

    it('a signal that arrives while the run is leased makes its suspension wake at once', async () => {
      await journal.createRun(newRun('w1'));
      await journal.claimRuns('a', T0, T0 + 1_000, 1);
      await journal.addSignal('w1', { name: 'go', payload: 'null', at: T0 + 5 });
      await journal.suspend('w1', { workerId: 'a', until: T0 + 1_000 }, { status: 'waiting', wakeAt: T0 + 60_000, now: T0 + 6 });
      expect((await journal.getRun('w1'))?.wakeAt).toBe(T0 + 6);
    });

    it('finishes a run, wakes its parent, and refuses signals afterwards', async () => {
      await journal.createRun(newRun('p'));
      await journal.claimRuns('a', T0, T0 + 1_000, 1);
      await journal.suspend('p', { workerId: 'a', until: T0 }, { status: 'waiting', wakeAt: T0 + 60_000, now: T0 });
      await journal.createRun(newRun('p/c', { parentId: 'p', claim: { workerId: 'a', leaseUntil: T0 + 1_000 } }));
      await journal.finish('p/c', { workerId: 'a', until: T0 }, { status: 'succeeded', output: '42', error: null, now: T0 + 7 });
      const child = await journal.getRun('p/c');
      expect(child).toMatchObject({ status: 'succeeded', output: '42', wakeAt: null, leaseOwner: null });
      expect((await journal.getRun('p'))?.wakeAt).toBe(T0 + 7);
      expect(await journal.addSignal('p/c', { name: 'x', payload: 'null', at: T0 })).toBe(false);
      expect((await journal.listRuns({ parentId: 'p' })).map((r) => r.id)).toEqual(['p/c']);
      expect((await journal.listRuns({ status: 'succeeded' })).map((r) => r.id)).toEqual(['p/c']);
      await expect(journal.listRuns({ status: 'bogus' as 'failed' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });

    it('compacts finished runs past the retention: drops their steps and signals but the kept ones, keeps the run whole, never touches a live run', async () => {
      const lease = { workerId: 'a', until: T0 + 1_000_000 };
      const finished = async (id: string, at: number) => {
        await journal.createRun(newRun(id, { claim: { workerId: 'a', leaseUntil: T0 + 1_000_000 } }));
        await journal.saveStep(id, lease, step('send', { updatedAt: at - 2 }));
        await journal.saveStep(id, lease, step('report', { updatedAt: at - 1 }));
        await journal.addSignal(id, { name: 'approval', payload: '{"ok":true}', at: at - 1 });
        await journal.finish(id, lease, { status: 'succeeded', output: '{"sent":3}', error: null, now: at });
      };
      await finished('old1', T0 + 10);
      await finished('old2', T0 + 20);
      await finished('old3', T0 + 30);
      await finished('recent', T0 + 5_000);
      await journal.createRun(newRun('live', { claim: { workerId: 'a', leaseUntil: T0 + 1_000_000 } }));
      await journal.saveStep('live', lease, step('send'));
      await journal.suspend('live', lease, { status: 'waiting', wakeAt: T0 + 60_000, now: T0 });

      await journal.createRun(newRun('other', { definitionId: 'not-known-here', claim: { workerId: 'a', leaseUntil: T0 + 1_000_000 } }));
      await journal.saveStep('other', lease, step('send'));
      await journal.finish('other', lease, { status: 'failed', output: null, error: 'x', now: T0 + 5 });
      const request = { finishedBefore: T0 + 1_000, definitionIds: ['onboarding'], keepStepIds: ['report'], limit: 2, now: T0 + 2_000 };
      // Oldest first, at most `limit` runs a call.
      expect(await journal.compactFinished(request)).toEqual({ runs: 2, steps: 2, signals: 2 });
      expect((await journal.getRun('old3'))?.compactedAt).toBeNull();
      expect(await journal.compactFinished(request)).toEqual({ runs: 1, steps: 1, signals: 1 });
      expect(await journal.compactFinished(request)).toEqual({ runs: 0, steps: 0, signals: 0 });

      const history = await journal.loadHistory('old1');
      expect(history.steps.map((s) => s.key)).toEqual(['report']);
      expect(JSON.parse(history.steps[0].output!)).toEqual({ ok: AWKWARD });
      expect(history.signals).toEqual([]);
      expect(await journal.getRun('old1')).toMatchObject({ status: 'succeeded', output: '{"sent":3}', compactedAt: T0 + 2_000 });
      // Starting it again by id answers the run as it ended: idempotency outlives the compaction.
      expect(await journal.createRun(newRun('old1'))).toMatchObject({ created: false, run: { status: 'succeeded', output: '{"sent":3}' } });
      // Within the retention, or not finished: untouched.
      expect((await journal.loadHistory('recent')).steps).toHaveLength(2);
      expect((await journal.getRun('recent'))?.compactedAt).toBeNull();
      expect((await journal.loadHistory('live')).steps).toHaveLength(1);
      expect(await journal.compactFinished({ ...request, finishedBefore: T0 + 1_000_000 })).toEqual({ runs: 1, steps: 1, signals: 1 });
      expect((await journal.loadHistory('live')).steps).toHaveLength(1);
      // A run of a definition the caller did not name is left alone.
      expect((await journal.loadHistory('other')).steps).toHaveLength(1);
      await expect(journal.compactFinished({ ...request, limit: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });

    it('two connections never claim the same run', async () => {
      const other = await opened.reopen();
      try {
        for (let i = 0; i < 40; i++) await journal.createRun(newRun(`w${i}`));
        const [a, b] = await Promise.all([journal.claimRuns('a', T0, T0 + 1_000, 25), other.claimRuns('b', T0, T0 + 1_000, 25)]);
        const ids = [...a, ...b].map((r) => r.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(40);
      } finally {
        await other.close();
      }
    });
  });
}
