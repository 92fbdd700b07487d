import type pg from 'pg';
import { systemClock, type Clock } from '../domain/clock.js';
import { TwinloopError } from '../domain/errors.js';
import { openPostgresConnection, type PostgresConnection } from './postgres-connection.js';
import {
  bodyToJson,
  candidatesToJson,
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
import { StoreAdapter } from './store-adapter.js';

/** Decision-log flushes and API reads overlap; four connections keep one from waiting on the other. */
const POOL_SIZE = 4;

const RECORD_COLUMNS = 'collection, id, version, body, created_at, updated_at';

/**
 * Every write is one statement (upsert, conditional insert or update, batch insert from arrays),
 * so no explicit transactions are needed: each is atomic and concurrent writers cannot interleave.
 */
class PostgresRecordStore extends StoreAdapter<PostgresConnection> implements RecordStore {
  constructor(
    db: PostgresConnection,
    private readonly clock: Clock,
  ) {
    super(db);
  }

  private async currentVersion(collection: string, id: string): Promise<number> {
    const { rows } = await this.db.query<{ version: number }>('SELECT version FROM records WHERE collection = $1 AND id = $2', [collection, id]);
    return rows[0] ? rows[0].version : 0;
  }

  put<T>(collection: string, id: string, body: T, options: PutOptions = {}): Promise<StoredRecord<T>> {
    return this.db.run('put', async () => {
      checkKey('collection', collection);
      checkKey('id', id);
      const expected = checkExpectedVersion(options.expectedVersion);
      const text = bodyToJson(collection, id, body);
      const now = this.clock.now();
      let result: pg.QueryResult<RecordRow>;
      if (expected === undefined) {
        result = await this.db.query<RecordRow>(
          `INSERT INTO records (collection, id, version, body, created_at, updated_at) VALUES ($1, $2, 1, $3, $4, $4)
           ON CONFLICT (collection, id) DO UPDATE SET version = records.version + 1, body = EXCLUDED.body, updated_at = EXCLUDED.updated_at
           RETURNING ${RECORD_COLUMNS}`,
          [collection, id, text, now],
        );
      } else if (expected === 0) {
        result = await this.db.query<RecordRow>(
          `INSERT INTO records (collection, id, version, body, created_at, updated_at) VALUES ($1, $2, 1, $3, $4, $4)
           ON CONFLICT (collection, id) DO NOTHING RETURNING ${RECORD_COLUMNS}`,
          [collection, id, text, now],
        );
      } else {
        result = await this.db.query<RecordRow>(
          `UPDATE records SET version = version + 1, body = $3, updated_at = $4 WHERE collection = $1 AND id = $2 AND version = $5 RETURNING ${RECORD_COLUMNS}`,
          [collection, id, text, now, expected],
        );
      }
      const row = result.rows[0];
      if (!row) throw versionConflict(collection, id, expected ?? 0, await this.currentVersion(collection, id));
      return toStoredRecord<T>(row);
    });
  }

  get<T>(collection: string, id: string): Promise<StoredRecord<T> | null> {
    return this.db.run('get', async () => {
      const { rows } = await this.db.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE collection = $1 AND id = $2`, [
        checkKey('collection', collection),
        checkKey('id', id),
      ]);
      return rows[0] ? toStoredRecord<T>(rows[0]) : null;
    });
  }

  list<T>(collection: string, options: ListOptions = {}): Promise<StoredRecord<T>[]> {
    return this.db.run('list', async () => {
      const params: (string | number)[] = [checkKey('collection', collection)];
      const where = ['collection = $1'];
      const add = (condition: string, value: string | number): void => {
        params.push(value);
        where.push(`${condition} $${params.length}`);
      };
      if (options.after !== undefined) add('id >', checkKey('after', options.after));
      if (options.prefix !== undefined) {
        const prefix = checkKey('prefix', options.prefix);
        add('id >=', prefix);
        const upper = prefixUpperBound(prefix);
        if (upper !== null) add('id <', upper);
      }
      params.push(checkLimit(options.limit));
      const { rows } = await this.db.query<RecordRow>(
        `SELECT ${RECORD_COLUMNS} FROM records WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${params.length}`,
        params,
      );
      return rows.map((r) => toStoredRecord<T>(r));
    });
  }

  delete(collection: string, id: string): Promise<boolean> {
    return this.db.run('delete', async () => {
      const r = await this.db.query('DELETE FROM records WHERE collection = $1 AND id = $2', [checkKey('collection', collection), checkKey('id', id)]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  appendDecisions(records: readonly StoredDecision[]): Promise<void> {
    return this.db.run('appendDecisions', async () => {
      if (!Array.isArray(records)) throw new TwinloopError('BAD_INPUT', 'appendDecisions takes a list of decisions');
      for (const d of records) checkDecision(d);
      if (records.length === 0) return;
      // One statement for the whole batch: column arrays unnested into rows, whatever the batch size.
      await this.db.query(
        `INSERT INTO decision_log (${DECISION_COLUMNS})
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                              $9::float8[], $10::boolean[], $11::float8[], $12::bigint[], $13::text[], $14::text[])
         ON CONFLICT (decision_id) DO NOTHING`,
        [
          records.map((d) => d.decisionId),
          records.map((d) => d.customerId),
          records.map((d) => d.at),
          records.map((d) => d.channel),
          records.map((d) => d.reason ?? null),
          records.map((d) => d.contextKey),
          records.map((d) => candidatesToJson(d.candidates)),
          records.map((d) => d.chosen),
          records.map((d) => d.propensity),
          records.map((d) => d.outcome?.accepted ?? null),
          records.map((d) => d.outcome?.reward ?? null),
          records.map((d) => d.outcome?.at ?? null),
          records.map((d) => d.outcome?.result ?? null),
          records.map((d) => d.outcome?.requestId ?? null),
        ],
      );
    });
  }

  recordOutcome(decisionId: string, outcome: StoredDecisionOutcome): Promise<boolean> {
    return this.db.run('recordOutcome', async () => {
      checkKey('decisionId', decisionId);
      checkOutcome(decisionId, outcome);
      const r = await this.db.query(
        'UPDATE decision_log SET outcome_accepted = $1, outcome_reward = $2, outcome_at = $3, outcome_result = $4, outcome_request_id = $5 WHERE decision_id = $6 AND outcome_at IS NULL',
        [outcome.accepted, outcome.reward, outcome.at, outcome.result ?? null, outcome.requestId ?? null, decisionId],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  getDecision(decisionId: string): Promise<StoredDecision | null> {
    return this.db.run('getDecision', async () => {
      const { rows } = await this.db.query<DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decision_log WHERE decision_id = $1`, [checkKey('decisionId', decisionId)]);
      return rows.length ? toStoredDecision(rows[0]) : null;
    });
  }

  listDecisions(query: DecisionQuery = {}): Promise<StoredDecision[]> {
    return this.db.run('listDecisions', async () => {
      const q = checkDecisionQuery(query);
      const params: (string | number)[] = [];
      const where: string[] = [];
      const add = (condition: (n: number) => string, ...values: (string | number)[]): void => {
        params.push(...values);
        where.push(condition(params.length - values.length + 1));
      };
      if (q.customerId !== undefined) add((n) => `customer_id = $${n}`, q.customerId);
      if (q.from !== undefined) add((n) => `at >= $${n}`, q.from);
      if (q.to !== undefined) add((n) => `at < $${n}`, q.to);
      if (q.after !== undefined) add((n) => `(at, decision_id) > ($${n}, $${n + 1})`, q.after.at, q.after.decisionId);
      params.push(q.limit);
      const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const { rows } = await this.db.query<DecisionRow>(
        `SELECT ${DECISION_COLUMNS} FROM decision_log ${filter} ORDER BY at, decision_id LIMIT $${params.length}`,
        params,
      );
      return rows.map(toStoredDecision);
    });
  }
}

/** The PostgreSQL record store, in the same database and schema as the event store. `clock` stamps createdAt/updatedAt. */
export function createPostgresRecordStore(options: { url: string; schema?: string; clock?: Clock }): RecordStore {
  return new PostgresRecordStore(openPostgresConnection('record store', options, POOL_SIZE), options.clock ?? systemClock);
}
