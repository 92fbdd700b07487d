import { parentPort, workerData } from 'node:worker_threads';
import { toTwinloopError } from '../domain/errors.js';
import type { StoredDecision } from './record-store.js';
import type { DecisionLogReply, DecisionLogRequest } from './sqlite-decision-log-writer.js';
import { openDecisionLogConnection } from './sqlite-record-store.js';

/**
 * The record store's decision-log thread: batches of decisions are inserted here, on a connection
 * of its own, so the server's thread spends on a decision only the message that carries it (an
 * insert into the log's three B-trees and its candidates' JSON were ~20 µs a decision there,
 * BENCHMARKS.md). Messages are handled one at a time, in the order sent, so batches commit in
 * order. `SqliteDecisionLogWriter` spawns this script by its URL and never imports it.
 */
const { dataDir } = workerData as { dataDir: string };
const log = openDecisionLogConnection(dataDir);
const port = parentPort!;

port.on('message', async (request: DecisionLogRequest) => {
  try {
    await log.append(request.records as StoredDecision[]);
    port.postMessage({ id: request.id, ok: true } satisfies DecisionLogReply);
  } catch (err) {
    const e = toTwinloopError(err);
    port.postMessage({ id: request.id, ok: false, code: e.code, message: e.message, context: e.context } satisfies DecisionLogReply);
  }
});
port.on('close', () => void log.close());
