import { TwinloopError } from '../domain/errors.js';

/**
 * A checkpoint on a timer bounds the replay after a crash of a quiet system; in a busy one it
 * snapshots every twin an interval touched (a live sandbox day touches the default world's
 * 24,000 every 24 s), about 1.5 CPU-s of the server's thread and a 20 MB write of its writer's.
 * On a loaded machine one took longer than the 30 s interval, so they ran back to back: 56 % of
 * the server's main thread and the writer thread the seal of the first start's history shares
 * (BENCHMARKS.md, "The default world's live server"). So the timer waits at least `everyMs`,
 * and at least the last checkpoint's own time divided by `maxShare`: checkpoints take at most
 * that share of the time. The intake's count (a checkpoint every so many events) still bounds
 * the replay of a busy system.
 */
export class CheckpointCadence {
  private lastStart = Number.NEGATIVE_INFINITY;
  private lastCostMs = 0;
  private running = false;

  constructor(
    private readonly everyMs: number,
    private readonly maxShare: number,
  ) {
    if (!(everyMs > 0)) throw new TwinloopError('BAD_INPUT', `a checkpoint interval must be above 0 ms, got ${everyMs}`);
    if (!(maxShare > 0 && maxShare <= 1)) throw new TwinloopError('BAD_INPUT', `a checkpoint's share of the time must be in (0, 1], got ${maxShare}`);
  }

  /** The least time between two timer checkpoints now: the interval, or longer after a costly one. */
  gapMs(): number {
    return Math.max(this.everyMs, this.lastCostMs / this.maxShare);
  }

  /** Whether the timer's checkpoint is due at `now` (never while one it started runs). */
  due(now: number): boolean {
    return !this.running && now - this.lastStart >= this.gapMs();
  }

  /**
   * Runs `checkpoint` when due (at `now()`), timing it; resolves false when it was not due. A
   * failed checkpoint counts its time as well and rejects as it did.
   */
  async run(now: () => number, checkpoint: () => Promise<void>): Promise<boolean> {
    const start = now();
    if (!this.due(start)) return false;
    this.running = true;
    this.lastStart = start;
    try {
      await checkpoint();
    } finally {
      this.running = false;
      this.lastCostMs = Math.max(0, now() - start);
    }
    return true;
  }
}
