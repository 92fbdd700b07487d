import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startOperator } from '../src/interfaces/runtime/operator.js';
import { loadWorldDocument, namedWorld } from '../src/sandbox/index.js';

/**
 * What a newcomer waits for on `npm start`: the operator says when every twin is present and
 * scored (the sandbox's history in, a churn model trained and serving), with each phase's time;
 * a restart on the same data dir is ready without backfilling or training again.
 */
const dir = mkdtempSync(join(tmpdir(), 'twinloop-first-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const small = namedWorld('small');
const start = () =>
  startOperator({
    store: { kind: 'sqlite', dataDir: join(dir, 'data') },
    sandbox: { config: loadWorldDocument({ ...small, population: { ...small.population, customers: 400 } }), worldName: 'small', seed: 5, months: 6, speed: 3600 },
    retentionBudget: 0,
    log: () => {},
    warn: () => {},
  });

it('reports every twin scored once the history is in and the model serves, and a restart ready at once', async () => {
  const first = await start();
  let twins: number;
  try {
    const report = await first.scored;
    twins = first.twins.engine.size;
    expect(twins).toBeGreaterThanOrEqual(400);
    expect(report.noModel).toBeUndefined();
    expect(report).toMatchObject({ twins, scored: twins });
    expect(report.historySeconds).toBeGreaterThan(0);
    expect(report.modelSeconds).toBeGreaterThan(0);
    // The phases' CPU: the history and the training each took some.
    expect(report.historyCpuSeconds).toBeGreaterThan(0);
    expect(report.modelCpuSeconds).toBeGreaterThan(0);
    expect(report.seconds).toBeCloseTo(report.openSeconds + report.historySeconds + report.modelSeconds, 1);
    // Scored means a churn score on the twin a person reads, not only a count.
    const scores = first.intelligence.live()!;
    const active = [...first.twins.engine.customerIds()].map((id) => scores.scoreOf(id)!).filter((s) => s.active);
    expect(active.length).toBeGreaterThan(300);
    expect(active.every((s) => s.churn >= 0 && s.churn <= 1)).toBe(true);
  } finally {
    await first.close();
  }

  const again = await start();
  try {
    const report = await again.scored;
    expect(report).toMatchObject({ twins, scored: twins, historySeconds: expect.any(Number) });
    expect(again.twins.recovery.eventsReplayed + again.twins.engine.size).toBeGreaterThan(0);
    // The champion trained on the first start serves at once: no second training.
    expect((await again.intelligence.registry.list()).length).toBe(1);
  } finally {
    await again.close();
  }
}, 400_000);
