import { parentPort, workerData } from 'node:worker_threads';
import { toTwinloopError } from '../domain/errors.js';
import type { Checkpoint, HistorySnapshot, NewDeadLetter, NewEvent, TwinSnapshot } from './event-store.js';
import { createSqliteEventStore } from './sqlite-event-store.js';

/**
 * The embedded store's writer thread: appends and checkpoints run here, on a connection of its
 * own, so the intake thread validates and applies the next batch while this one commits.
 * Messages are handled one at a time, in the order sent, so batches commit in order.
 */
export type WriterRequest =
  | { op: 'append'; id: number; events: NewEvent[]; letters: NewDeadLetter[] }
  | { op: 'deadLetters'; id: number; letters: NewDeadLetter[] }
  | { op: 'checkpoint'; id: number; checkpoint: Checkpoint; twins: TwinSnapshot[]; history: HistorySnapshot[] };

export type WriterReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: string; message: string };

const store = createSqliteEventStore({ dataDir: (workerData as { dataDir: string }).dataDir, writes: 'inline' });
const port = parentPort!;

port.on('message', async (request: WriterRequest) => {
  try {
    let value: unknown;
    if (request.op === 'append') value = await store.append(request.events, request.letters);
    else if (request.op === 'deadLetters') value = await store.addDeadLetters(request.letters);
    else value = await store.saveCheckpoint(request.checkpoint, request.twins, request.history);
    port.postMessage({ id: request.id, ok: true, value } satisfies WriterReply);
  } catch (err) {
    const e = toTwinloopError(err);
    port.postMessage({ id: request.id, ok: false, code: e.code, message: e.message } satisfies WriterReply);
  }
});
port.on('close', () => void store.close());
