import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { loadChampion, trainAndRegister } from '../../intelligence/live/churn-model-service.js';
import { LiveScoring, type TwinScores } from '../../intelligence/live/live-scoring.js';
import { syntheticChurnEvents } from '../../intelligence/twin-training/synthetic-churn-events.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { openTwinService } from '../../twin/twin-service.js';
import { replayText } from './twin-commands.js';
import { twinloop } from './cli-fixtures.js';

describe('twinloop twin', () => {
  let dir: string;
  let active: string;
  let expected: TwinScores;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-twin-cli-'));
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2030-01-01')) });
    const registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    let batch: TwinEvent[] = [];
    for (const e of syntheticChurnEvents({ customers: 300, days: 200, seed: 7 })) {
      batch.push(e);
      if (batch.length === 5000) {
        await twins.intake.submit(batch);
        batch = [];
      }
    }
    await twins.intake.submit(batch);
    await trainAndRegister(twins, registry, { promotion: 'champion', seed: 2 });
    const live = new LiveScoring(twins.engine, (await loadChampion(registry))!);
    // A customer with an active plan: churn has a probability and an interval.
    active = [...twins.engine.customerIds()].find((id) => live.scoreOf(id)?.active)!;
    expected = live.decorate(twins.engine.view(active)!).scores;
    await registry.close();
    await twins.close();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the churn and lifetime-value scores GET /twins/:id serves, with interval and as-of, in text and JSON', async () => {
    if (expected.churn.probability === null) throw new Error('the chosen twin should be scored');
    const json = JSON.parse(await twinloop(['twin', active, '--json', '--data-dir', dir])) as { asOf: string; scores: TwinScores };
    expect(json.scores.churn).toEqual(expected.churn);
    expect(json.scores.clv).toEqual(expected.clv);
    expect(json.scores.model).toEqual(expected.model);

    const text = await twinloop(['twin', active, '--data-dir', dir]);
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    const [low, high] = expected.churn.interval;
    expect(text).toContain(`churn ${pct(expected.churn.probability)} [${pct(low)}–${pct(high)}] within ${expected.churn.horizonDays} days, as of ${json.asOf}`);
    expect(text).toContain(`lifetime value ${expected.clv.value.toFixed(2)} [${expected.clv.low.toFixed(2)}–${expected.clv.high.toFixed(2)}]`);
  }, 60_000);

  it('says when no model serves yet instead of leaving the scores out', async () => {
    const empty = join(dir, 'no-model');
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: empty }), clock: new ManualClock(Date.parse('2030-01-01')) });
    await twins.intake.submit([...syntheticChurnEvents({ customers: 3, days: 30, seed: 1 })]);
    const [id] = twins.engine.customerIds();
    await twins.close();
    expect(JSON.parse(await twinloop(['twin', id, '--json', '--data-dir', empty])).scores).toBeNull();
    expect(await twinloop(['twin', id, '--data-dir', empty])).toContain('churn, lifetime value: not scored yet: no churn model serves (a first start trains one once its history is in');
  }, 60_000);

  it('says there are no dead letters when none is parked, rather than printing nothing', async () => {
    expect(await twinloop(['dead-letters', '--data-dir', dir])).toBe('no dead letters: no record given to the intake was refused\n');
    expect(await twinloop(['dead-letters', '--json', '--data-dir', dir])).toBe('');
  }, 60_000);
});

describe('twinloop replay: what it says', () => {
  const r = { twins: 3, identical: 3, different: 0, missing: 0, events: 120, seconds: 0.4, examples: [] };
  it('says what it verified on success, not only counts', () => {
    expect(replayText(r, 120)).toBe("verified: the 3 twins rebuilt from the log's 120 events (through seq 120, in 0.4 s) are byte for byte the twins stored (checkpoint and log as a restart reads them)");
  });
  it('says NOT verified, how many differ and which, on a difference', () => {
    expect(replayText({ ...r, identical: 1, different: 1, missing: 1, examples: ['C2', 'C3'] }, 120)).toBe("NOT verified: of the 3 twins rebuilt from the log's 120 events (through seq 120, in 0.4 s), 1 are the twins stored; 1 differ and 1 are missing: C2, C3");
  });
});
