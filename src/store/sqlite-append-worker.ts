import { workerData } from 'node:worker_threads';
import { packOutcomes, unpackEvents } from './packed-events.js';
import { createSqliteEventStore, type WriterRequest } from './sqlite-event-store.js';
import type { SegmentLogOptions } from './sqlite-segment-log.js';
import { serveThread } from './thread-client.js';

/**
 * The embedded store's writer thread: appends and checkpoints run here, on a connection of its
 * own, so the intake thread validates and applies the next batch while this one commits.
 * Requests are handled one at a time, in the order sent (`serveThread`), so batches commit in
 * order. `SqliteWriterClient` starts this script by its name, and the store this thread runs is
 * handed the client's starter by `openEventStore` rather than importing it, so the modules form no loop.
 */
const { dataDir, segments } = workerData as { dataDir: string; segments: SegmentLogOptions | false };
// Synced after each commit, before the answer: the write lock is free while this thread waits for
// the disk, so the main thread's stores (audit, journal, workflow steps) never wait for it on the
// event loop (under a loaded disk an fsync took seconds: the soak's 4-5 s loop stalls).
const store = createSqliteEventStore({ dataDir, segments, writes: 'inline', syncs: 'after-commit' });

serveThread<WriterRequest>(
  async (request) => {
    if (request.op === 'append') {
      const events = Array.isArray(request.events) ? request.events : unpackEvents(request.events);
      const { packed, transfer } = packOutcomes(await store.append(events, request.letters, { chain: request.chain }));
      return { value: packed, transfer };
    }
    if (request.op === 'deadLetters') return { value: await store.addDeadLetters(request.letters) };
    // The seal goes on a step at a time between the next requests (decision 0027): answered when it ends.
    if (request.op === 'bulkLoadEnded') return { later: store.bulkLoadEnded() };
    return { value: await store.saveCheckpoint(request.checkpoint, request.twins, request.history, { part: request.part }) };
  },
  () => store.close(),
);
