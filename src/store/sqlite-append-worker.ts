import { parentPort, workerData } from 'node:worker_threads';
import { toTwinloopError } from '../domain/errors.js';
import { packOutcomes, unpackEvents } from './packed-events.js';
import { createSqliteEventStore } from './sqlite-event-store.js';
import type { SegmentLogOptions } from './sqlite-segment-log.js';
import type { WriterReply, WriterRequest } from './sqlite-writer-client.js';

/**
 * The embedded store's writer thread: appends and checkpoints run here, on a connection of its
 * own, so the intake thread validates and applies the next batch while this one commits.
 * Messages are handled one at a time, in the order sent, so batches commit in order.
 * `SqliteWriterClient` spawns this script by its URL and never imports it, so the modules form
 * no loop.
 */
const { dataDir, segments } = workerData as { dataDir: string; segments: SegmentLogOptions | false };
// Synced after each commit, before the answer: the write lock is free while this thread waits for
// the disk, so the main thread's stores (audit, journal, workflow steps) never wait for it on the
// event loop (under a loaded disk an fsync took seconds: the soak's 4-5 s loop stalls).
const store = createSqliteEventStore({ dataDir, segments, writes: 'inline', syncs: 'after-commit' });
const port = parentPort!;

port.on('message', async (request: WriterRequest) => {
  try {
    let value: unknown;
    let transfer: ArrayBuffer[] = [];
    if (request.op === 'append') {
      const events = Array.isArray(request.events) ? request.events : unpackEvents(request.events);
      ({ packed: value, transfer } = packOutcomes(await store.append(events, request.letters, { chain: request.chain })));
    } else if (request.op === 'deadLetters') value = await store.addDeadLetters(request.letters);
    else if (request.op === 'bulkLoadEnded') value = await store.bulkLoadEnded();
    else value = await store.saveCheckpoint(request.checkpoint, request.twins, request.history, { part: request.part });
    port.postMessage({ id: request.id, ok: true, value } satisfies WriterReply, transfer);
  } catch (err) {
    const e = toTwinloopError(err);
    port.postMessage({ id: request.id, ok: false, code: e.code, message: e.message, context: e.context } satisfies WriterReply);
  }
});
port.on('close', () => void store.close());
