import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Chunks allowed in flight before the generator waits for the disk (64 MB at 1 MB chunks). */
const MAX_IN_FLIGHT = 64;
/** Written buffers kept for reuse: the generator rarely has more than a few in flight when the disk keeps up. */
const MAX_SPARES = 8;

/**
 * Writes chunks of text to a file at explicit positions through the libuv thread pool, so the
 * disk works while the generator keeps generating on the main thread. `drain()` is the
 * backpressure point: the caller awaits it between simulated days.
 */
export class NdjsonFileWriter {
  bytes = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private failure: unknown;
  /** Buffers whose write is done, for `spare` to hand out again. */
  private readonly spares: Buffer[] = [];

  private constructor(private readonly fh: FileHandle) {}

  /** Opens (truncates) `path` for writing. */
  static async open(path: string): Promise<NdjsonFileWriter> {
    return new NdjsonFileWriter(await open(path, 'w'));
  }

  /**
   * Queues one chunk (the writer owns it from now on). `whole` is the buffer `buf` is a view of:
   * once the write is done, `spare` may hand it out again.
   */
  write(buf: Buffer, whole: Buffer = buf): void {
    const position = this.bytes;
    this.bytes += buf.length;
    const p: Promise<unknown> = this.fh.write(buf, 0, buf.length, position).then(
      () => {
        this.inFlight.delete(p);
        if (this.spares.length < MAX_SPARES) this.spares.push(whole);
      },
      (err: unknown) => {
        this.failure ??= err;
        this.inFlight.delete(p);
      },
    );
    this.inFlight.add(p);
  }

  /** A buffer of exactly `bytes` whose write is done, to fill again; undefined when there is none. */
  spare(bytes: number): Buffer | undefined {
    for (let i = this.spares.length - 1; i >= 0; i--) {
      if (this.spares[i].length === bytes) return this.spares.splice(i, 1)[0];
    }
    return undefined;
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
