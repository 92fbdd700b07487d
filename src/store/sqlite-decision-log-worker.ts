import type Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';
import { candidatesToJson, DECISION_COLUMNS, type StoredDecision } from './record-store.js';
import { openSqliteConnection } from './sqlite-connection.js';
import { LOCK_RETRY_FOR_MS } from './sqlite-lock-waits.js';
import { serveThread } from './thread-client.js';

/** A batch sent to this thread by `SqliteDecisionLogWriter`. */
export interface DecisionLogRequest {
  readonly records: readonly StoredDecision[];
}

type DecisionLogStatements = { append: Database.Statement<[string, string, number, string, string | null, string, string, string, number, number | null, number | null, number | null, string | null, string | null]> };

/**
 * The decision log's own connection to `twinloop.db` (the decision-log thread's): appends checked
 * batches in one IMMEDIATE transaction each, a decision already logged left as it is. It waits
 * for the write lock by blocking its own thread, never the server's.
 */
function openDecisionLogConnection(dataDir: string): { append(records: readonly StoredDecision[]): Promise<void>; close(): Promise<void> } {
  const db = openSqliteConnection<DecisionLogStatements>(
    'decision log',
    dataDir,
    (d) => ({ append: d.prepare(`INSERT INTO decision_log (${DECISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (decision_id) DO NOTHING`) }),
    // Its own thread, so it may block; as long as the main thread's stores keep trying (LOCK_RETRY_FOR_MS),
    // since an action waits for its decision's commit and must not fail on a lock a checkpoint holds 5 s.
    { lockWaits: 'block', busyTimeoutMs: LOCK_RETRY_FOR_MS },
  );
  const insert = db.compileTransaction((records: readonly StoredDecision[]) => {
    const q = db.sql;
    for (const d of records) {
      const o = d.outcome;
      q.append.run(
        d.decisionId,
        d.customerId,
        d.at,
        d.channel,
        d.reason ?? null,
        d.contextKey,
        candidatesToJson(d.candidates),
        d.chosen,
        d.propensity,
        o ? (o.accepted ? 1 : 0) : null,
        o ? o.reward : null,
        o ? o.at : null,
        o?.result ?? null,
        o?.requestId ?? null,
      );
    }
  });
  return { append: (records) => db.run('appendDecisions', () => insert(records)), close: () => db.close() };
}

/**
 * The record store's decision-log thread: batches of decisions are inserted here, on a connection
 * of its own, so the server's thread spends on a decision only the message that carries it (an
 * insert into the log's three B-trees and its candidates' JSON were ~20 µs a decision there,
 * BENCHMARKS.md). Batches are handled one at a time, in the order sent (`serveThread`), so they
 * commit in order. `SqliteDecisionLogWriter` starts this script by its name and imports only its
 * types, and this module imports nothing that starts it, so the modules form no loop.
 */
const { dataDir } = workerData as { dataDir: string };
const log = openDecisionLogConnection(dataDir);

serveThread<DecisionLogRequest>(
  async (request) => {
    await log.append(request.records);
  },
  () => log.close(),
);
