import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

// The WAL's syncs are counted: the descriptors opened on it, and the fsyncs of those.
const walFds = new Set<number>();
let walSyncs = 0;
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const open = (path: string, flags: string, cb: (err: Error | null, fd: number) => void) =>
    fs.open(path, flags, (err, fd) => {
      if (!err && path.endsWith('-wal')) walFds.add(fd);
      cb(err, fd);
    });
  const fsync = (fd: number, cb: (err: Error | null) => void) => {
    if (walFds.has(fd)) walSyncs++;
    fs.fsync(fd, cb);
  };
  const openSync = (path: string, flags: string) => {
    const fd = fs.openSync(path, flags);
    if (path.endsWith('-wal')) walFds.add(fd);
    return fd;
  };
  const fsyncSync = (fd: number) => {
    if (walFds.has(fd)) walSyncs++;
    fs.fsyncSync(fd);
  };
  return { ...fs, default: { ...fs, open, fsync, openSync, fsyncSync }, open, fsync, openSync, fsyncSync };
});
const { openSqliteConnection, WAL_SYNC_MS } = await import('./sqlite-connection.js');
const { createSqliteEventStore } = await import('./sqlite-event-store.js');

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'twinloop-sqlite-connection-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('SQLite connection durability (decision 0014)', () => {
  it('the event store waits for the disk at each commit; the other stores do not, nor checkpoint on the event loop', async () => {
    const dir = fresh();
    const events = openSqliteConnection('event store', dir, () => ({}), { durability: 'full', walCheckpointPages: 10_000 });
    const records = openSqliteConnection('record store', dir, () => ({}));
    try {
      // 2 = FULL, 1 = NORMAL
      expect(events.db.pragma('synchronous', { simple: true })).toBe(2);
      expect(records.db.pragma('synchronous', { simple: true })).toBe(1);
      // Above the event store's, whose writer thread checkpoints.
      expect(records.db.pragma('wal_autocheckpoint', { simple: true })).toBeGreaterThan(10_000);
    } finally {
      await events.close();
      await records.close();
    }
  });

  it('a connection that does not wait for the disk syncs the WAL within WAL_SYNC_MS of a commit, and only after one', async () => {
    const dir = fresh();
    const records = openSqliteConnection('record store', dir, () => ({}));
    const before = walSyncs;
    const syncs = () => walSyncs - before;
    try {
      records.db.exec('CREATE TABLE t (x INTEGER)');
      records.transaction(() => records.db.prepare('INSERT INTO t VALUES (1)').run());
      await vi.waitFor(() => expect(syncs()).toBe(1), { timeout: 3 * WAL_SYNC_MS, interval: 50 });
      // Nothing committed since: no more syncs.
      await new Promise((r) => setTimeout(r, 1.5 * WAL_SYNC_MS));
      expect(syncs()).toBe(1);
      records.transaction(() => records.db.prepare('INSERT INTO t VALUES (2)').run());
      await vi.waitFor(() => expect(syncs()).toBe(2), { timeout: 3 * WAL_SYNC_MS, interval: 50 });
    } finally {
      await records.close();
    }
  });

  it("the writer thread's event store commits without the disk and syncs the WAL after each write, before the write resolves", async () => {
    const dir = fresh();
    const store = createSqliteEventStore({ dataDir: dir, syncs: 'after-commit' });
    const reader = openSqliteConnection('record store', dir, () => ({}));
    try {
      await store.migrate();
      // 1 = NORMAL: the fsync is not inside the commit, so the write lock is not held for it.
      const events = openSqliteConnection('event store', dir, () => ({}), { durability: 'synced-after-commit' });
      expect(events.db.pragma('synchronous', { simple: true })).toBe(1);
      await events.close();
      const before = walSyncs;
      const event = { id: 'e1', customerId: 'C1', kind: 'usage', time: 1, receivedAt: 1, body: '{}' };
      const written = store.append([event]);
      // Synced by the time the append is answered (better-sqlite3 is synchronous: before the promise exists).
      expect(walSyncs - before).toBe(1);
      expect(await written).toEqual([{ status: 'accepted', seq: 1 }]);
      await store.addDeadLetters([{ record: '{}', reason: 'bad', at: 2, source: 'test' }]);
      expect(walSyncs - before).toBe(2);
      expect(reader.db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 1 });
    } finally {
      await store.close();
      await reader.close();
    }
  });
});
