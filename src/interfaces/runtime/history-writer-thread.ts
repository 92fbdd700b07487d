import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { threadCpuSeconds } from '../../domain/cpu-time.js';
import { toTwinloopError } from '../../domain/errors.js';
import { onEndAsked } from '../../domain/script-worker.js';
import { createSqliteEventStore } from '../../store/sqlite-event-store.js';
import { writeSandboxHistory } from './sandbox-history-source.js';

/** What `history-writer-thread.ts` is started with. */
export interface HistoryWriterData {
  dataDir: string;
  nice: number;
}

/** What the thread says: how far it has written, then that it is done or failed. */
export type HistoryWriterMessage =
  | { kind: 'progress'; throughSeq: number }
  /** Regenerated (counted, not written again) through this seq of the part an earlier run wrote. */
  | { kind: 'regenerating'; throughSeq: number }
  | { kind: 'done'; written: number; cpuSeconds: number }
  | { kind: 'failed'; code: string; message: string };

/**
 * The thread that writes a seeded history behind (decision 0021): regenerates it from its sandbox
 * world and writes it into its reserved seqs on a connection of its own. `history-writer.ts`
 * starts it by its name and imports only its types; it imports nothing of `history-writer.ts`,
 * so the modules form no loop.
 */
const { dataDir, nice } = workerData as HistoryWriterData;
const port = parentPort!;
const send = (m: HistoryWriterMessage) => port.postMessage(m);

try {
  // On Linux a thread's nice value is its own: this one yields to the process's other threads
  // (the intake, the training thread, the live world), which keep their priority.
  setPriority(nice);
} catch {
  // Not allowed here (or not Linux): it runs at the process's priority.
}

// Asked to end (the server stops): the block being written is finished, the next is not begun,
// the store is closed and the thread exits by itself (`endThread`); the next start writes the rest.
let ending = false;
const asked = onEndAsked(() => (ending = true));
const endedHere = new Error('the history writer was asked to end');

void (async () => {
  const cpu = threadCpuSeconds();
  // Synced after each commit, like the store's writer thread: the write lock is free while this
  // one waits for the disk, so the live appends never wait for that (decision 0014).
  const store = createSqliteEventStore({ dataDir, writes: 'inline', syncs: 'after-commit' });
  try {
    const log = store.seededHistory;
    const record = await log?.read();
    if (!log || !record || record.lastSeq === null || record.writtenThrough >= record.lastSeq) return send({ kind: 'done', written: 0, cpuSeconds: threadCpuSeconds() - cpu });
    // A turn of the event loop before each block, written or only counted, so that the end message is heard between two.
    const betweenBlocks = async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (ending) throw endedHere;
    };
    const writeBlock = async (events: Parameters<typeof log.writeNext>[0]) => {
      await betweenBlocks();
      await log.writeNext(events);
    };
    const counted = async (throughSeq: number) => {
      await betweenBlocks();
      send({ kind: 'regenerating', throughSeq });
    };
    const { written } = await writeSandboxHistory(record, writeBlock, (throughSeq) => send({ kind: 'progress', throughSeq }), counted);
    send({ kind: 'done', written, cpuSeconds: threadCpuSeconds() - cpu });
  } catch (err) {
    if (err === endedHere) return;
    const e = toTwinloopError(err);
    send({ kind: 'failed', code: e.code, message: e.message });
  } finally {
    await store.close();
    asked.done();
  }
})();
