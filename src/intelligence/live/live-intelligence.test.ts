import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import type { ModelRegistry } from '../../store/model-registry.js';
import { openTwinService, type TwinService } from '../../twin/twin-service.js';
import { syntheticChurnEvents } from '../twin-training/synthetic-churn-events.js';
import { trainChurnInThread } from '../twin-training/churn-training-thread.js';
import { trainingStopped } from '../twin-training/train-churn-from-twins.js';
import { startIntelligence } from './live-intelligence.js';
import type { ChurnTrainer } from './churn-model-service.js';

describe('a server asked to stop while a churn model trains', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-intelligence-'));
  let twins: TwinService;
  let registry: ModelRegistry;
  beforeAll(async () => {
    twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: new ManualClock(Date.parse('2030-01-01')) });
    registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
    const events: TwinEvent[] = [...syntheticChurnEvents({ customers: 200, days: 200, seed: 4 })];
    for (let i = 0; i < events.length; i += 5000) await twins.intake.submit(events.slice(i, i + 5000));
  }, 60_000);
  afterAll(async () => {
    await registry.close();
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops the training rather than waiting for it: the trainer is told, close returns, nothing is registered', async () => {
    // A trainer that would run for ever unless stopped (a first start's training is minutes on the default world).
    let asked: () => void = () => {};
    const started = new Promise<void>((resolve) => (asked = resolve));
    const trainer: ChurnTrainer = (o) =>
      new Promise((_, reject) => {
        asked();
        o.signal?.addEventListener('abort', () => reject(trainingStopped()));
      });
    const intel = await startIntelligence(twins, registry, { checkIntervalMs: 0, trainer, log: () => {} });
    const training = intel.train({});
    training.catch(() => undefined);
    await started;
    await intel.close();
    await expect(training).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/stopped before it finished/) });
    expect(await registry.list()).toEqual([]);
  });

  it('asks a training thread to end when its signal aborts: it stops reading, exits by itself with code 0 (never terminated mid-read) before the training rejects', async () => {
    const stop = new AbortController();
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    const exits: number[] = [];
    const emit = Worker.prototype.emit;
    vi.spyOn(Worker.prototype, 'emit').mockImplementation(function (this: Worker, event: string | symbol, ...args: unknown[]) {
      if (event === 'exit') exits.push(args[0] as number);
      return emit.call(this, event, ...args);
    } as Worker['emit']);
    try {
      // Asked once it reads the log (a terminate then could stop it inside a zlib call, which aborts the process as Node frees the thread).
      const training = trainChurnInThread({ kind: 'sqlite', dataDir: dir }, { to: twins.engine.eventClock, untilSeq: twins.appliedSeq(), signal: stop.signal, onProgress: (stage) => stage.startsWith('building') && stop.abort() });
      training.catch(() => undefined);
      await expect(training).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/stopped before it finished/) });
      expect(posted).toHaveBeenCalledWith({ endThread: true });
      expect(terminate).not.toHaveBeenCalled();
      // The training rejected once its thread had exited, on its own.
      expect(exits).toEqual([0]);
    } finally {
      vi.restoreAllMocks();
    }
    // Stopped before it starts: no thread at all.
    await expect(trainChurnInThread({ kind: 'sqlite', dataDir: dir }, { to: twins.engine.eventClock, signal: stop.signal })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
