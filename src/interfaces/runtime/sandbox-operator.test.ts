import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorldDocument, namedWorld } from '../../sandbox/index.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { openTwinService } from '../../twin/twin-service.js';
import { planSandbox, readStoredSandboxState, sandboxAwareClock, startSandboxOperator, storedSandboxState, type SandboxState } from './sandbox-operator.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const config = loadWorldDocument({ ...namedWorld('small'), population: { ...namedWorld('small').population, customers: 150 } });
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'twinloop-operator-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the operator on `dir` until the history is in (or until `stopAtDay`), then stops. */
async function run(dir: string, stopAtDay?: number) {
  const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 2, stateDir: dir, now: NOW });
  const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: sandboxAwareClock(() => plan.world.clock) });
  const operator = startSandboxOperator(twins, { plan, speed: 1, stateDir: dir, log: () => {} });
  if (stopAtDay !== undefined) {
    while (plan.state.days < stopAtDay) await new Promise((r) => setTimeout(r, 5));
  } else await operator.ready;
  await operator.stop();
  const views = ['C000001', 'C000050', 'C000120'].map((id) => twins.engine.view(id));
  const events = await twins.store.countEvents();
  await twins.close();
  return { plan, views, events };
}

describe('sandbox operator', () => {
  it('dates the history to end today, and resumes an interrupted backfill to the same twins as an uninterrupted one', async () => {
    const whole = await run(fresh());
    expect(whole.plan.state.start).toBe('2026-09-26');
    expect(whole.plan.state.backfilled).toBe(true);

    const dir = fresh();
    const first = await run(dir, 20);
    expect(first.plan.state.backfilled).toBe(false);
    expect(first.events).toBeLessThan(whole.events);
    const second = await run(dir);
    expect(second.plan.resuming).toBe(true);
    expect(second.plan.state.backfilled).toBe(true);
    expect(second.events).toBe(whole.events);
    expect(second.views).toEqual(whole.views);
  });

  it('without a state dir (a server on PostgreSQL) keeps its position in the record store: a restart on a later day continues the same world', async () => {
    const dir = fresh();
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    try {
      const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 2, previous: await readStoredSandboxState(records), now: NOW, records: Promise.resolve(records) });
      const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: sandboxAwareClock(() => plan.world.clock) });
      const operator = startSandboxOperator(twins, { plan, speed: 1, saveState: storedSandboxState(Promise.resolve(records)), log: () => {} });
      await operator.ready;
      await operator.stop();
      await twins.close();
      // Saves are asynchronous (in order): wait for the one stop made.
      for (let i = 0; i < 200 && !(await readStoredSandboxState(records))?.backfilled; i++) await new Promise((r) => setTimeout(r, 25));
      // Two days later: planned from what was kept, not from the new today (which would move the world's start and lose its journal).
      const later = planSandbox({ config, worldName: 'small', seed: 3, months: 2, previous: await readStoredSandboxState(records), now: NOW + 2 * 86_400_000, records: Promise.resolve(records) });
      expect(later.state.start).toBe(plan.state.start);
      expect(later.resuming).toBe(true);
      expect(later.state.backfilled).toBe(true);
      // Nothing kept: a new world dated from today.
      expect(planSandbox({ config, worldName: 'small', seed: 3, months: 2, now: NOW + 2 * 86_400_000 }).state.start).not.toBe(plan.state.start);
    } finally {
      await records.close();
    }
  });

  it('a position that lost its "history in" (a save that never landed) resumes live from the journal, not "-1 days to go"', async () => {
    const dir = fresh();
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    const kept = storedSandboxState(Promise.resolve(records));
    try {
      const open = async (saveState: (s: SandboxState) => void | Promise<void>, lines: string[]) => {
        const plan = planSandbox({ config, worldName: 'small', seed: 3, months: 2, previous: await readStoredSandboxState(records), now: NOW, records: Promise.resolve(records) });
        const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: sandboxAwareClock(() => plan.world.clock) });
        const operator = startSandboxOperator(twins, { plan, speed: 1, saveState, log: (l) => lines.push(l) });
        await operator.ready;
        return { plan, twins, operator };
      };
      // First run: every save that says the history is in is lost, as a write cut off by a kill would be.
      const first = await open((s) => (s.backfilled ? undefined : kept(s)), []);
      const drawn = first.plan.world.nextApplicant();
      await first.plan.world.journalFlushed();
      await first.operator.stop();
      await first.twins.close();
      expect((await readStoredSandboxState(records))?.backfilled).toBe(false);

      const lines: string[] = [];
      const second = await open(kept, lines);
      try {
        expect(lines.join('\n')).not.toMatch(/days to go|backfilling/);
        expect(second.plan.state.backfilled).toBe(true);
        expect((await readStoredSandboxState(records))?.backfilled).toBe(true);
        // The same world goes on: the next applicant is the one after the first run's.
        expect(second.plan.world.nextApplicant().applicantId).not.toBe(drawn.applicantId);
      } finally {
        await second.operator.stop();
        await second.twins.close();
      }
    } finally {
      await records.close();
    }
  });
});
