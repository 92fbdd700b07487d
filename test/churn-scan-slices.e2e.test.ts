import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LiveScoring } from '../src/intelligence/live/live-scoring.js';
import { CHURN_SCAN_OFFER } from '../src/interfaces/runtime/operator-flows.js';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';

/**
 * One process's whole churn scan (the proactive run's) goes in 10-ms slices, the event loop let go
 * between them. What a slice reads the scores from may change meanwhile: the model served is
 * replaced at a promotion, or none is served any more (the intelligence closing). The scan either
 * reads every customer with the one model it began with, or says it could not; a later slice that
 * found no model answered the customers so far as the whole scan, and the run planned on them.
 */
describe("the sliced churn scan reads every customer with one model, or says it could not", () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-scan-slices-'));
  let running: RunningOperator;
  let real: LiveScoring;
  let whole: number;
  /** Each customer's read made slow (as on a loaded machine), so that the scan takes several slices; `onRead` is told each one. */
  const slowReads = (onRead: (n: number) => void = () => {}) => {
    const profiles = running.operator.intelligence.profiles;
    const contactRisk = profiles.contactRisk.bind(profiles);
    let n = 0;
    vi.spyOn(profiles, 'contactRisk').mockImplementation((id) => {
      const until = performance.now() + 0.3;
      while (performance.now() < until);
      onRead(++n);
      return contactRisk(id);
    });
  };

  beforeAll(async () => {
    // The small world cut to 800 customers, its history in and a churn model serving.
    running = await startSmallOperator(dir);
    real = running.operator.intelligence.live()!;
    slowReads();
    whole = (await running.operator.churnHere.scan([], [CHURN_SCAN_OFFER])).length;
    vi.restoreAllMocks();
  }, 600_000);
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scans every active customer of the small world in several slices', () => {
    expect(whole).toBeGreaterThan(400);
  });

  it('says so when the model it read is no longer served in a later slice, rather than answer part of the customers as all', async () => {
    let served = true;
    vi.spyOn(running.operator.intelligence, 'live').mockImplementation(() => (served ? real : null));
    // Gone once 20 customers are read: within the first slice.
    slowReads((n) => {
      if (n === 20) served = false;
    });
    await expect(running.operator.churnHere.scan([], [CHURN_SCAN_OFFER])).rejects.toThrow(/the churn scan stopped after \d+ customers: the churn model churn-v\d+ it read is no longer served; the scan is tried again whole/);
  });

  it('starts again with a model served between two slices: every customer is read with that one', async () => {
    // The promoted model: the same scorer under another id, its churn marked (below zero, which no model gives) to tell its scores.
    const promoted = new Proxy(real, {
      get: (target, key) => {
        if (key === 'model') return { ...target.model, id: 'churn-promoted' };
        if (key === 'scoreOf') return (id: string) => {
          const s = target.scoreOf(id);
          return s && { ...s, churn: -1 - s.churn };
        };
        // What the scan reads the scores with (once per customer, beside the features).
        if (key === 'scoresReader') {
          const read = target.scoresReader();
          return () => (id: string, out: Float64Array, offset: number) => {
            read(id, out, offset);
            out[offset] = -1 - out[offset];
          };
        }
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    let switched = false;
    vi.spyOn(running.operator.intelligence, 'live').mockImplementation(() => (switched ? promoted : real));
    slowReads((n) => {
      if (n === 20) switched = true;
    });
    const scanned = await running.operator.churnHere.scan([], [CHURN_SCAN_OFFER]);
    // The small world lives on at 3,600x meanwhile: about as many customers as the first scan.
    expect(scanned.length).toBeGreaterThan(whole * 0.9);
    expect(scanned.filter((c) => c.churn >= 0).map((c) => c.customerId)).toEqual([]);
  });
});
