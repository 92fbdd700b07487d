import type { EventStore, StoredEvent } from '../../store/event-store.js';

/** Log events read per round trip. */
const PAGE = 10_000;

/**
 * Hands every log entry up to seq `untilSeq` to `take`, in log order, a page at a time: the one
 * pass over the whole log that the training rows and the contract ends are read by.
 */
export async function readLogInPages(store: EventStore, untilSeq: number, take: (e: StoredEvent) => void, onProgress?: (seq: number) => void, signal?: AbortSignal): Promise<void> {
  let after = 0;
  for (;;) {
    const page: StoredEvent[] = await store.readLog(after, PAGE);
    let done = page.length === 0;
    for (const e of page) {
      if (e.seq > untilSeq) {
        done = true;
        break;
      }
      take(e);
    }
    if (page.length) {
      after = page[page.length - 1].seq;
      onProgress?.(after);
    }
    if (done) break;
    // The embedded store answers synchronously: give the event loop a turn per page so a server
    // reading the log keeps answering requests.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Asked to stop during that turn (a training thread asked to end): it stops between two pages.
    signal?.throwIfAborted();
  }
}
