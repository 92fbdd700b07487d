import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorldDocument, namedWorld } from '../../sandbox/index.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openTwinService } from '../../twin/twin-service.js';
import { planSandbox, sandboxAwareClock, startSandboxOperator } from './sandbox-operator.js';

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
});
