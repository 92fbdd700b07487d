import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrationsTable, pendingMigrations, POSTGRES_DIALECT, SQLITE_DIALECT, type Migration, type SqlDialect } from './migrations.js';
import { openEventStore } from './open-event-store.js';
import { openRecordStore } from './open-record-store.js';
import { dropPostgresSchema } from './postgres-connection.js';
import { SQLITE_FILE_NAME } from './sqlite-connection.js';
import { describePostgres, freshPerTest } from './store-fixtures.js';
import type { StoreOptions } from './store-options.js';

describe('pendingMigrations', () => {
  const versions = (ms: readonly Migration[]) => ms.map((m) => m.version);

  it('gives a new database every version, in order', () => {
    expect(versions(pendingMigrations([], 'in test'))).toEqual(versions(MIGRATIONS));
    expect(versions(MIGRATIONS)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('gives a database only the versions it lacks', () => {
    expect(versions(pendingMigrations([1, 2, 3], 'in test'))).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(pendingMigrations(versions(MIGRATIONS), 'in test')).toEqual([]);
  });

  it('refuses a database written by a newer Twinloop, naming it', () => {
    expect(() => pendingMigrations([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 'in /data')).toThrow(expect.objectContaining({ code: 'CONFLICT', message: expect.stringContaining('in /data is at schema version 20') }));
  });

  it('refuses a list whose versions do not increase', () => {
    const step = () => [];
    expect(() => pendingMigrations([], 'in test', [{ version: 2, name: 'b', steps: step }, { version: 1, name: 'a', steps: step }])).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

/** A database not yet opened by any store: `exec` runs statements on it raw. */
interface RawDatabase {
  options: StoreOptions;
  exec: (statements: string[]) => Promise<void>;
  cleanup: () => Promise<void>;
}

/**
 * What every earlier release's database looks like to this one: the tables of the versions it
 * applied, recorded by number in `schema_migrations`.
 */
function describeUpgrades(name: string, dialect: SqlDialect, setUp: () => Promise<RawDatabase>): void {
  function atVersion(upTo: number): string[] {
    const statements = [migrationsTable(dialect)];
    for (const m of MIGRATIONS.filter((m) => m.version <= upTo)) {
      statements.push(...m.steps(dialect), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, '${m.name}', 1)`);
    }
    return statements;
  }

  describe(`${name}: migrating databases of earlier releases`, () => {
    let raw: RawDatabase;
    freshPerTest(setUp, (r) => (raw = r));

    it('upgrades a database left at version 2, keeping its events', async () => {
      await raw.exec([...atVersion(2), `INSERT INTO events (id, customer_id, kind, time, received_at, body, hash) VALUES ('e1', 'c1', 'usage', 1, 2, '{}', 'h1')`]);
      const records = await openRecordStore(raw.options);
      await records.put('offers', 'o1', { price: 5 });
      await records.close();
      const events = await openEventStore(raw.options);
      expect((await events.readLog(0, 10)).map((e) => [e.id, e.customerId, e.time, e.receivedAt])).toEqual([['e1', 'c1', 1, 2]]);
      const [appended] = await events.append([{ id: 'e2', customerId: 'c1', kind: 'usage', time: 3, receivedAt: 4, body: '{}' }]);
      expect(appended).toMatchObject({ status: 'accepted' });
      await events.close();
      const again = await openRecordStore(raw.options);
      expect(await again.get('offers', 'o1')).toMatchObject({ version: 1, body: { price: 5 } });
      await again.close();
    });

    it('upgrades a decision log of version 6: old outcomes read without a result, new ones keep theirs', async () => {
      await raw.exec([
        ...atVersion(6),
        `INSERT INTO decision_log (decision_id, customer_id, at, channel, context_key, candidates, chosen, propensity, outcome_accepted, outcome_reward, outcome_at) VALUES ('d1', 'c1', 1, 'call', 'k', '[]', 'do-nothing', 1, ${dialect.name === 'sqlite' ? 1 : 'true'}, 1, 2)`,
        `INSERT INTO decision_log (decision_id, customer_id, at, channel, context_key, candidates, chosen, propensity) VALUES ('d2', 'c1', 3, 'call', 'k', '[]', 'retain-10', 1)`,
      ]);
      const store = await openRecordStore(raw.options);
      expect(await store.recordOutcome('d2', { accepted: false, reward: 0, at: 4, result: 'declined', requestId: 'd2:retain-10' })).toBe(true);
      expect((await store.listDecisions()).map((d) => d.outcome)).toEqual([
        { accepted: true, reward: 1, at: 2 },
        { accepted: false, reward: 0, at: 4, result: 'declined', requestId: 'd2:retain-10' },
      ]);
      await store.close();
    });

    it('opens a database already at the newest version without applying anything again', async () => {
      await raw.exec(atVersion(MIGRATIONS.length));
      // A repeated CREATE TABLE would fail: opening must recognise every applied version by its number.
      const store = await openRecordStore(raw.options);
      await store.put('offers', 'o1', { price: 5 });
      await store.close();
    });

    it('refuses a database at a newer schema version, saying to upgrade', async () => {
      await raw.exec([...atVersion(MIGRATIONS.length), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 1)`]);
      await expect(openRecordStore(raw.options)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('upgrade Twinloop') });
    });
  });
}

describeUpgrades('SQLite', SQLITE_DIALECT, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'twinloop-store-'));
  return {
    options: { kind: 'sqlite', dataDir },
    exec: (statements) => {
      const db = new Database(join(dataDir, SQLITE_FILE_NAME));
      try {
        for (const s of statements) db.exec(s);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describePostgres('PostgreSQL migrations', (url) => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const s of schemas) await dropPostgresSchema(url, s);
  });
  describeUpgrades('PostgreSQL', POSTGRES_DIALECT, () => {
    const schema = `twinloop_migrations_${process.pid}_${schemas.length + 1}`;
    schemas.push(schema);
    return Promise.resolve({
      options: { kind: 'postgres', url, schema },
      exec: async (statements) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
          await client.query(`SET search_path TO "${schema}"`);
          for (const s of statements) await client.query(s);
        } finally {
          await client.end();
        }
      },
      cleanup: () => dropPostgresSchema(url, schema),
    });
  });
});
