import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../domain/clock.js';
import { TwinloopError } from '../domain/errors.js';
import {
  bodyToJson,
  checkDecision,
  checkDecisionQuery,
  checkExpectedVersion,
  checkKey,
  checkLimit,
  checkOutcome,
  DECISION_COLUMNS,
  prefixUpperBound,
  toStoredDecision,
  toStoredRecord,
  versionConflict,
  type DecisionQuery,
  type DecisionRow,
  type ListOptions,
  type PutOptions,
  type RecordRow,
  type RecordStore,
  type StoredDecision,
  type StoredDecisionOutcome,
  type StoredRecord,
} from './record-store.js';
import { openSqliteConnection, type SqliteConnection, type SqlValue } from './sqlite-connection.js';
import { SqliteDecisionLogWriter } from './sqlite-decision-log-writer.js';
import { StoreAdapter } from './store-adapter.js';

const RECORD_COLUMNS = 'collection, id, version, body, created_at, updated_at';

/** SQLite has no boolean: the outcome flag is stored as 0/1. */
type SqliteDecisionRow = Omit<DecisionRow, 'outcome_accepted'> & { outcome_accepted: number | null };
const decisionFromSqlite = (r: SqliteDecisionRow): DecisionRow => ({ ...r, outcome_accepted: r.outcome_accepted === null ? null : r.outcome_accepted !== 0 });

function prepare(db: Database.Database) {
  return {
    version: db.prepare<[string, string], { version: number }>('SELECT version FROM records WHERE collection = ? AND id = ?'),
    get: db.prepare<[string, string], RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE collection = ? AND id = ?`),
    insert: db.prepare<[string, string, string, number, number]>(
      'INSERT INTO records (collection, id, version, body, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)',
    ),
    replace: db.prepare<[string, number, string, string]>('UPDATE records SET version = version + 1, body = ?, updated_at = ? WHERE collection = ? AND id = ?'),
    delete: db.prepare<[string, string]>('DELETE FROM records WHERE collection = ? AND id = ?'),
    getDecision: db.prepare<[string], SqliteDecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decision_log WHERE decision_id = ?`),
    recordOutcome: db.prepare<[number, number, number, string | null, string | null, string]>(
      'UPDATE decision_log SET outcome_accepted = ?, outcome_reward = ?, outcome_at = ?, outcome_result = ?, outcome_request_id = ? WHERE decision_id = ? AND outcome_at IS NULL',
    ),
  };
}

type Statements = ReturnType<typeof prepare>;

/** better-sqlite3 is synchronous: each method does its work before returning a settled promise. */
class SqliteRecordStore extends StoreAdapter<SqliteConnection<Statements>> implements RecordStore {
  /** The decision log's inserts, on a thread of their own. */
  private readonly log: SqliteDecisionLogWriter;
  /**
   * The last appendDecisions, settled either way: its batch reaches the thread a step after the
   * call (after the check), so close() waits for it before closing the thread, and a batch
   * appended just before close() is committed, not cut off with the thread.
   */
  private lastAppend: Promise<unknown> = Promise.resolve();

  constructor(
    db: SqliteConnection<Statements>,
    private readonly clock: Clock,
  ) {
    super(db);
    this.log = new SqliteDecisionLogWriter(db.dataDir);
  }

  put<T>(collection: string, id: string, body: T, options: PutOptions = {}): Promise<StoredRecord<T>> {
    return this.db.run('put', () => {
      checkKey('collection', collection);
      checkKey('id', id);
      const expected = checkExpectedVersion(options.expectedVersion);
      const text = bodyToJson(collection, id, body);
      const q = this.db.sql;
      return this.db.transaction(() => {
        const current = q.version.get(collection, id)?.version ?? 0;
        if (expected !== undefined && expected !== current) throw versionConflict(collection, id, expected, current);
        const now = this.clock.now();
        if (current === 0) q.insert.run(collection, id, text, now, now);
        else q.replace.run(text, now, collection, id);
        return toStoredRecord<T>(q.get.get(collection, id)!);
      });
    });
  }

  get<T>(collection: string, id: string): Promise<StoredRecord<T> | null> {
    return this.db.run('get', () => {
      const row = this.db.sql.get.get(checkKey('collection', collection), checkKey('id', id));
      return row ? toStoredRecord<T>(row) : null;
    });
  }

  list<T>(collection: string, options: ListOptions = {}): Promise<StoredRecord<T>[]> {
    return this.db.run('list', () => {
      const where = ['collection = ?'];
      const params: SqlValue[] = [checkKey('collection', collection)];
      if (options.after !== undefined) {
        where.push('id > ?');
        params.push(checkKey('after', options.after));
      }
      if (options.prefix !== undefined) {
        const prefix = checkKey('prefix', options.prefix);
        where.push('id >= ?');
        params.push(prefix);
        const upper = prefixUpperBound(prefix);
        if (upper !== null) {
          where.push('id < ?');
          params.push(upper);
        }
      }
      params.push(checkLimit(options.limit));
      const rows = this.db.statement(`SELECT ${RECORD_COLUMNS} FROM records WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`).all(...params) as RecordRow[];
      return rows.map((r) => toStoredRecord<T>(r));
    });
  }

  delete(collection: string, id: string): Promise<boolean> {
    return this.db.run('delete', () => this.db.sql.delete.run(checkKey('collection', collection), checkKey('id', id)).changes > 0);
  }

  /**
   * Checked here, written on the decision-log thread (`SqliteDecisionLogWriter`): resolves once
   * the batch is committed, as before, but the server's thread no longer runs the inserts.
   */
  appendDecisions(records: readonly StoredDecision[]): Promise<void> {
    const appended = this.db
      .run('appendDecisions', () => {
        if (!Array.isArray(records)) throw new TwinloopError('BAD_INPUT', 'appendDecisions takes a list of decisions');
        for (const d of records) checkDecision(d);
      })
      .then(() => (records.length === 0 ? undefined : this.log.append(records)));
    this.lastAppend = appended.catch(() => undefined);
    return appended;
  }

  override async close(): Promise<void> {
    await this.lastAppend;
    await this.log.close();
    await super.close();
  }

  recordOutcome(decisionId: string, outcome: StoredDecisionOutcome): Promise<boolean> {
    return this.db.run('recordOutcome', () => {
      checkKey('decisionId', decisionId);
      checkOutcome(decisionId, outcome);
      return this.db.sql.recordOutcome.run(outcome.accepted ? 1 : 0, outcome.reward, outcome.at, outcome.result ?? null, outcome.requestId ?? null, decisionId).changes > 0;
    });
  }

  getDecision(decisionId: string): Promise<StoredDecision | null> {
    return this.db.run('getDecision', () => {
      const row = this.db.sql.getDecision.get(checkKey('decisionId', decisionId));
      return row ? toStoredDecision(decisionFromSqlite(row)) : null;
    });
  }

  listDecisions(query: DecisionQuery = {}): Promise<StoredDecision[]> {
    return this.db.run('listDecisions', () => {
      const q = checkDecisionQuery(query);
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (q.customerId !== undefined) {
        where.push('customer_id = ?');
        params.push(q.customerId);
      }
      if (q.from !== undefined) {
        where.push('at >= ?');
        params.push(q.from);
      }
      if (q.to !== undefined) {
        where.push('at < ?');
        params.push(q.to);
      }
      if (q.after !== undefined) {
        where.push('(at, decision_id) > (?, ?)');
        params.push(q.after.at, q.after.decisionId);
      }
      params.push(q.limit);
      const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const rows = this.db.statement(`SELECT ${DECISION_COLUMNS} FROM decision_log ${filter} ORDER BY at, decision_id LIMIT ?`).all(...params) as SqliteDecisionRow[];
      return rows.map((r) => toStoredDecision(decisionFromSqlite(r)));
    });
  }
}

/**
 * The embedded record store: tables in the event store's own SQLite file (`twinloop.db` in
 * `dataDir`), through a separate connection (WAL, busy timeout), so it is safe beside a running
 * server. Call `migrate()` before use (or `openRecordStore`). `clock` stamps createdAt/updatedAt.
 */
export function createSqliteRecordStore(options: { dataDir: string; clock?: Clock }): RecordStore {
  return new SqliteRecordStore(openSqliteConnection('record store', options.dataDir, prepare), options.clock ?? systemClock);
}
