import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Chunks allowed in flight before the generator waits for the disk (64 MB at 1 MB chunks). */
const MAX_IN_FLIGHT = 64;

/**
 * Writes chunks of text to a file at explicit positions through the libuv thread pool, so the
 * disk works while the generator keeps generating on the main thread. `drain()` is the
 * backpressure point: the caller awaits it between simulated days.
 */
export class NdjsonFileWriter {
  bytes = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private failure: unknown;

  private constructor(private readonly fh: FileHandle) {}

  /** Opens (truncates) `path` for writing. */
  static async open(path: string): Promise<NdjsonFileWriter> {
    return new NdjsonFileWriter(await open(path, 'w'));
  }

  /** Queues one chunk (the writer owns it from now on). */
  write(buf: Buffer): void {
    const position = this.bytes;
    this.bytes += buf.length;
    const p: Promise<unknown> = this.fh.write(buf, 0, buf.length, position).then(
      () => this.inFlight.delete(p),
      (err: unknown) => {
        this.failure ??= err;
        this.inFlight.delete(p);
      },
    );
    this.inFlight.add(p);
  }

  /** Waits until few enough chunks are in flight; rethrows a write failure. */
  async drain(limit = MAX_IN_FLIGHT): Promise<void> {
    while (this.inFlight.size > limit) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for every chunk and closes the file. */
  async close(): Promise<void> {
    try {
      await this.drain(0);
    } finally {
      await this.fh.close();
    }
  }
}
