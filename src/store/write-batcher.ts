/**
 * Group commit for an adapter's small writes: a write that arrives while another is in flight
 * waits and goes with the others that arrived meanwhile, as one statement (one round trip, one
 * commit, one WAL flush) once that one has returned. A write to an idle batcher goes at once, so
 * nothing waits that would not have waited anyway; sixteen workflows stepping at once share one
 * statement instead of queueing for sixteen.
 */
export class WriteBatcher<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;

  /**
   * `write` takes a batch and answers one result per item, in order; when it throws, every write
   * of the batch fails with that error. `apart(a, b)`: whether two items may not share a batch
   * (two writes of the same row, which one statement cannot both apply in order); the later one
   * then goes in the next batch, and so does everything after it, keeping the order.
   */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: { readonly maxBatch: number; readonly apart: (a: T, b: T) => boolean },
  ) {}

  /** Queues one write; resolves with its result once its batch is written. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        let n = 1;
        while (n < this.queue.length && n < this.options.maxBatch && !this.clashes(n)) n++;
        const batch = this.queue.splice(0, n);
        try {
          const results = await this.write(batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(results[i]));
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Whether queue[n] may not join queue[0..n). */
  private clashes(n: number): boolean {
    const item = this.queue[n].item;
    for (let i = 0; i < n; i++) if (this.options.apart(this.queue[i].item, item)) return true;
    return false;
  }
}
