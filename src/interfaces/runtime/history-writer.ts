import { endThread, startScriptWorker } from '../../domain/script-worker.js';
import { TwinloopError, type ErrorCode } from '../../domain/errors.js';
import type { SeededHistoryRecord } from '../../store/event-store.js';
import type { HistoryWriterData, HistoryWriterMessage } from './history-writer-thread.js';

/**
 * The nice value of the thread that writes a seeded history behind (decision 0021): below the
 * process's other threads (the intake and live world at 0, the training thread), so on a busy
 * machine they go first, but not the lowest (19), at which a machine loaded by others would leave
 * it nearly nothing and the reads that wait for it (timelines, training) would wait for minutes.
 */
export const HISTORY_WRITER_NICE = 10;

/** A seeded history being written behind, in a thread of its own. */
export interface HistoryWriter {
  /** Share of the history's events written, 0-1. */
  written(): number;
  /** Resolves with the events this thread wrote, and its CPU seconds, once the whole history is in the log; rejects when it cannot be written. */
  readonly done: Promise<{ written: number; cpuSeconds: number }>;
  /** Asks the thread to end after the block it is writing and waits for it to exit; what it wrote stays, and the next start writes the rest. */
  stop(): Promise<void>;
}

/** How often the regeneration of the part an earlier run wrote is told in the log while it goes on (it says nothing otherwise for minutes on a loaded machine). */
const REGENERATION_LOG_MS = 30_000;

/**
 * Starts writing a finished seeded history's unwritten events (regenerated from its seed) in a
 * thread with its own connection to the embedded store in `dataDir`. `log` hears, every 30 s,
 * how far the regeneration of what an earlier run wrote has come: the rest cannot be written
 * before the world is regenerated up to it.
 */
export function startHistoryWriter(dataDir: string, record: SeededHistoryRecord, log?: (line: string) => void): HistoryWriter {
  const { firstSeq, lastSeq } = record;
  if (lastSeq === null) throw new TwinloopError('CONFLICT', 'the seeded history has not finished going through the intake: it is not regenerable yet');
  const total = Math.max(1, lastSeq - firstSeq + 1);
  let through = record.writtenThrough;
  const worker = startScriptWorker(import.meta.url, 'history-writer-thread', { dataDir, nice: HISTORY_WRITER_NICE } satisfies HistoryWriterData);
  let stopped = false;
  const startedAt = Date.now();
  let toldAt = startedAt;
  let regenerating = false;
  const ofWritten = (seq: number) => `${Math.floor(((seq - firstSeq + 1) / Math.max(1, record.writtenThrough - firstSeq + 1)) * 100)} %`;
  const done = new Promise<{ written: number; cpuSeconds: number }>((resolve, reject) => {
    worker.on('message', (m: HistoryWriterMessage) => {
      if (m.kind === 'regenerating') {
        regenerating = true;
        const now = Date.now();
        if (now - toldAt >= REGENERATION_LOG_MS) {
          toldAt = now;
          const seconds = (now - startedAt) / 1000;
          const left = ((record.writtenThrough - m.throughSeq) / Math.max(1, m.throughSeq - firstSeq + 1)) * seconds;
          log?.(`twins: regenerating the first start's history from its seed up to where the last run stopped writing it: ${ofWritten(m.throughSeq)} of that part (${m.throughSeq - firstSeq + 1} of ${record.writtenThrough - firstSeq + 1} events), about ${Math.ceil(left)} s to go at its pace; then the ${lastSeq - record.writtenThrough} events left are written`);
        }
      } else if (m.kind === 'progress') {
        if (regenerating) {
          regenerating = false;
          log?.(`twins: the first start's history regenerated up to where the last run stopped writing it in ${Math.round((Date.now() - startedAt) / 1000)} s; writing the ${lastSeq - record.writtenThrough} events left`);
        }
        through = m.throughSeq;
      } else if (m.kind === 'done') {
        through = lastSeq;
        resolve({ written: m.written, cpuSeconds: m.cpuSeconds });
      } else reject(new TwinloopError(m.code as ErrorCode, m.message));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new TwinloopError('UNAVAILABLE', stopped ? 'the history writer was stopped; the next start writes the rest' : `the history writer thread exited (code ${code}) before the history was written; the next start writes the rest`)));
  });
  done.catch(() => {});
  return {
    written: () => Math.min(1, (through - firstSeq + 1) / total),
    done,
    async stop() {
      stopped = true;
      await endThread(worker);
    },
  };
}
