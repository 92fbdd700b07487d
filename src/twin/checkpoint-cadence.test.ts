import { describe, expect, it } from 'vitest';
import { CheckpointCadence } from './checkpoint-cadence.js';

describe('checkpoint cadence', () => {
  it('checkpoints every interval while checkpoints are cheap, and spaces them out by their own time when they are not', async () => {
    const cadence = new CheckpointCadence(30_000, 0.1);
    let now = 0;
    const started: number[] = [];
    const checkpointTaking = (ms: number) => async () => {
      started.push(now);
      now += ms;
    };
    // Asked every 5 s for 10 minutes; each checkpoint takes 1 s (an idle machine) for the first 2 minutes, then 20 s (a loaded one).
    for (let t = 0; t < 600_000; t += 5_000) {
      if (now < t) now = t;
      await cadence.run(() => now, checkpointTaking(t < 120_000 ? 1_000 : 20_000));
    }
    const gaps = started.slice(1).map((s, i) => s - started[i]);
    // Cheap: every 30 s. Costly: 20 s / 0.1 = 200 s between starts, not back to back (the old timer: every 30 s, each 20 s long).
    expect(gaps.slice(0, 3)).toEqual([30_000, 30_000, 30_000]);
    expect(gaps.slice(-2)).toEqual([200_000, 200_000]);
    const busy = started.filter((s) => s >= 120_000).length * 20_000;
    expect(busy / (600_000 - 120_000)).toBeLessThanOrEqual(0.1 + 20_000 / 480_000);
  });

  it('never starts a checkpoint while the one it started runs, and counts a failed one', async () => {
    const cadence = new CheckpointCadence(1_000, 0.5);
    let now = 0;
    let release: () => void = () => {};
    const first = cadence.run(() => now, () => new Promise<void>((resolve) => (release = resolve)));
    now = 5_000;
    expect(await cadence.run(() => now, async () => {})).toBe(false);
    now = 8_000;
    release();
    expect(await first).toBe(true);
    // It took 8 s: the next waits 16 s from its start.
    now = 15_000;
    expect(cadence.due(now)).toBe(false);
    now = 16_000;
    await expect(cadence.run(() => now, async () => {
      now += 4_000;
      throw new Error('disk full');
    })).rejects.toThrow('disk full');
    expect(cadence.gapMs()).toBe(8_000);
    expect(() => new CheckpointCadence(0, 0.1)).toThrow(/interval/);
    expect(() => new CheckpointCadence(1_000, 0)).toThrow(/share/);
  });
});
