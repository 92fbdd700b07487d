import type { StoredDecision } from './record-store.js';
import type { DecisionLogRequest } from './sqlite-decision-log-worker.js';
import { ThreadClient } from './thread-client.js';

/**
 * The SQLite record store's side of its decision-log thread (`sqlite-decision-log-worker.ts`,
 * through `ThreadClient`): started at the first batch (most record stores never log a decision),
 * sends batches in order and resolves each once the thread has committed it, so a caller that
 * waits (the decision service's flush before an action is carried out, decision 0004) still waits
 * for the log to hold it.
 */
export class SqliteDecisionLogWriter {
  private readonly thread: ThreadClient<DecisionLogRequest>;

  constructor(dataDir: string) {
    this.thread = new ThreadClient<DecisionLogRequest>(import.meta.url, 'sqlite-decision-log-worker', { dataDir }, "the record store's decision-log thread");
  }

  /** Inserts a batch (already checked) on the thread; resolves when it is committed. */
  append(records: readonly StoredDecision[]): Promise<void> {
    return this.thread.request<void>({ records });
  }

  /** Refuses further batches, resolves once every batch sent has been committed (or refused) and the thread has closed its connection. */
  close(): Promise<void> {
    return this.thread.close();
  }
}
