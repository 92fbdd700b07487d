import type { AppendOutcome, NewDeadLetter, NewEvent } from './event-store.js';
import { packEvents, unpackOutcomes, type PackedOutcomes } from './packed-events.js';
import type { EventWriterThread, WriterRequest } from './sqlite-event-store.js';
import type { SegmentLogOptions } from './sqlite-segment-log.js';
import { ThreadClient } from './thread-client.js';

/**
 * The embedded store's side of its writer thread (`sqlite-append-worker.ts`, through
 * `ThreadClient`): sends writes in order and resolves each when the thread has committed it.
 */
export class SqliteWriterClient implements EventWriterThread {
  private readonly thread: ThreadClient<WriterRequest>;

  constructor(dataDir: string, segments: SegmentLogOptions | false) {
    this.thread = new ThreadClient<WriterRequest>(import.meta.url, 'sqlite-append-worker', { dataDir, segments }, "the event store's writer thread");
  }

  request<T>(request: WriterRequest, options: { outOfTurn?: boolean } = {}): Promise<T> {
    return this.thread.request<T>(request, [], options);
  }

  /** Appends a batch on the writer thread, sent and answered packed (`packed-events.ts`). */
  async append(events: readonly NewEvent[], letters: readonly NewDeadLetter[], chain: number | undefined): Promise<AppendOutcome[]> {
    const packed = packEvents(events);
    const outcomes = await this.thread.request<PackedOutcomes>({ op: 'append', events: packed?.packed ?? [...events], letters: [...letters], chain }, packed?.transfer);
    return unpackOutcomes(outcomes);
  }

  /** Refuses further writes, resolves once every write sent has been answered and the thread has closed its connection. */
  close(): Promise<void> {
    return this.thread.close();
  }
}

/** Starts a store's writer thread: what `openEventStore` hands `createSqliteEventStore` as `startWriter`. */
export const startWriterThread = (dataDir: string, segments: SegmentLogOptions | false): EventWriterThread => new SqliteWriterClient(dataDir, segments);
