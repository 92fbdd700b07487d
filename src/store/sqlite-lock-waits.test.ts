import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { TwinloopError } from '../domain/errors.js';
import { openSqliteConnection, SQLITE_FILE_NAME } from './sqlite-connection.js';
import { LOCK_RETRY_FOR_MS, LockWaits } from './sqlite-lock-waits.js';
import { createSqliteRecordStore } from './sqlite-record-store.js';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'twinloop-lock-waits-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * Another thread holding the database's write lock as the event store's writer thread does while
 * it commits a batch or a checkpoint: an IMMEDIATE transaction on its own connection, held until
 * it is told to let go (however long that is: longer than the old 5 s busy timeout if need be).
 */
async function holdWriteLock(dataDir: string): Promise<{ release(): Promise<void> }> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.module);
     const db = new Database(workerData.file);
     db.exec('BEGIN IMMEDIATE');
     db.prepare("INSERT INTO records (collection, id, version, body, created_at, updated_at) VALUES ('writer', 'x', 1, '{}', 0, 0) ON CONFLICT DO NOTHING").run();
     parentPort.postMessage('held');
     parentPort.once('message', () => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); });`,
    { eval: true, workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file: join(dataDir, SQLITE_FILE_NAME) } },
  );
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async release() {
      const released = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('release');
      await released;
      await worker.terminate();
    },
  };
}

/** A macrotask later: runs only if the event loop is free. */
const loopTurn = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise's state, read without waiting for it. */
function watch<T>(p: Promise<T>): { settled: () => boolean } {
  let settled = false;
  p.then(() => (settled = true), () => (settled = true));
  return { settled: () => settled };
}

describe('a store on the event loop waits for the write lock off the loop (sqlite-lock-waits)', () => {
  it("a derived record written while the writer thread holds the lock waits for it with the loop free, and is kept once it is let go (it was lost with 'database is locked')", async () => {
    const dir = fresh();
    const records = createSqliteRecordStore({ dataDir: dir });
    await records.migrate();
    const lock = await holdWriteLock(dir);
    try {
      const put = records.put('anomalies', 'S-1', { cell: 'CELL-7', customers: 12 });
      const state = watch(put);
      // The loop turns while the put waits: it did not sleep in SQLite's busy handler.
      await loopTurn();
      await loopTurn(200);
      expect(state.settled()).toBe(false);
    } finally {
      await lock.release();
    }
    expect((await records.get('anomalies', 'S-1'))?.body).toEqual({ cell: 'CELL-7', customers: 12 });
    await records.close();
  });

  it('operations that wait run in the order they were asked for: a later write is not overtaken, a later read sees the writes before it', async () => {
    const dir = fresh();
    const records = createSqliteRecordStore({ dataDir: dir });
    await records.migrate();
    await records.put('bad-sessions', 'CELL-1', { n: 0 });
    const lock = await holdWriteLock(dir);
    const order: string[] = [];
    let first: Promise<unknown>, second: Promise<unknown>, read: Promise<{ body: unknown } | null>;
    try {
      first = records.put('bad-sessions', 'CELL-1', { n: 1 }).then(() => order.push('put 1'));
      second = records.put('bad-sessions', 'CELL-1', { n: 2 }).then(() => order.push('put 2'));
      read = records.get('bad-sessions', 'CELL-1').then((r) => (order.push('get'), r));
      await loopTurn(100);
      expect(order).toEqual([]);
    } finally {
      await lock.release();
    }
    await Promise.all([first, second]);
    expect((await read)?.body).toEqual({ n: 2 });
    expect(order).toEqual(['put 1', 'put 2', 'get']);
    expect((await records.get('bad-sessions', 'CELL-1'))?.body).toEqual({ n: 2 });
    await records.close();
  });

  it('closing a store lets the operations waiting for the lock finish first', async () => {
    const dir = fresh();
    const records = createSqliteRecordStore({ dataDir: dir });
    await records.migrate();
    const lock = await holdWriteLock(dir);
    const put = records.put('drift', 'check-1', { psi: 0.01 });
    const closed = records.close();
    await loopTurn(50);
    await lock.release();
    await put;
    await closed;
    const again = createSqliteRecordStore({ dataDir: dir });
    expect((await again.get('drift', 'check-1'))?.body).toEqual({ psi: 0.01 });
    await again.close();
  });

  it('an operation that failed on the lock after it changed something is not tried again (it would be done twice)', async () => {
    const dir = fresh();
    const db = openSqliteConnection('record store', dir, () => ({}));
    db.db.exec('CREATE TABLE t (x INTEGER)');
    const failed = db.run('two writes', () => {
      db.db.prepare('INSERT INTO t VALUES (1)').run();
      throw new Database.SqliteError('database is locked', 'SQLITE_BUSY');
    });
    await expect(failed).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(db.db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
    expect(db.lockWaitCounts.waited).toBe(0);
    await db.close();
  });

  it(`gives up, UNAVAILABLE, once the lock was held ${LOCK_RETRY_FOR_MS / 1000} s, and the operations after it still run`, async () => {
    let clock = 0;
    let held = true;
    const busy = new Database.SqliteError('database is locked', 'SQLITE_BUSY');
    const waits = new LockWaits(
      <T>(work: () => T) => (held ? { ok: false as const, error: busy, lockHeld: true } : { ok: true as const, value: work() }),
      (operation, err, waitedMs) => new TwinloopError('UNAVAILABLE', `${operation} failed after ${waitedMs} ms (${(err as Error).message})`),
      () => clock,
    );
    const stuck = waits.run('put', () => 'first');
    const gaveUp = expect(stuck).rejects.toThrow(`put failed after ${LOCK_RETRY_FOR_MS} ms (database is locked)`);
    await loopTurn(30);
    expect(watch(stuck).settled()).toBe(false);
    clock = LOCK_RETRY_FOR_MS;
    const after = waits.run('get', () => 'second');
    await gaveUp;
    held = false;
    expect(await after).toBe('second');
    expect(waits.counts).toEqual({ waited: 2, gaveUp: 1 });
  });
});
