import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../domain/clock.js';
import { openEventStore } from './open-event-store.js';
import { openModelRegistry } from './open-model-registry.js';
import { openRecordStore } from './open-record-store.js';
import { describeRecordStoreContract } from './record-store.contract.js';
import { decisionCursor, parseDecisionCursor, prefixUpperBound } from './record-store.js';
import { SQLITE_FILE_NAME } from './sqlite-connection.js';
import { SqliteDecisionLogWriter } from './sqlite-decision-log-writer.js';
import { createSqliteRecordStore } from './sqlite-record-store.js';
import { onSqlite, withDataDir } from './store-fixtures.js';

describeRecordStoreContract('SQLite', onSqlite((options, clock?: Clock) => openRecordStore(options, { clock })));

describe('SQLite record store', () => {
  it('shares the event store database file beside the event store and model registry, each with its own connection', async () => {
    await withDataDir(async (dataDir) => {
      const events = await openEventStore({ kind: 'sqlite', dataDir });
      const registry = await openModelRegistry({ kind: 'sqlite', dataDir });
      const records = await openRecordStore({ kind: 'sqlite', dataDir });
      await records.put('offers', 'o1', { price: 5 });
      await events.append([{ id: 'e1', customerId: 'c', kind: 'usage', time: 1, receivedAt: 1, body: '{}' }]);
      await registry.save({ name: 'churn', status: 'champion', document: '{}', metadata: {}, createdAt: 1 });
      expect(await events.lastSeq()).toBe(1);
      expect((await records.list('offers')).length).toBe(1);
      await Promise.all([records.close(), registry.close(), events.close()]);
    });
  });

  it('refuses an empty data directory', () => {
    expect(() => createSqliteRecordStore({ dataDir: ' ' })).toThrow(/data directory/);
  });

  it('logs a decision once another connection lets go of a write lock it held past SQLite\'s usual 5 s, instead of failing the action that waits for it', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openRecordStore({ kind: 'sqlite', dataDir });
      await store.put('offers', 'o1', { price: 5 }); // the tables exist before the other connection locks
      const other = new Database(join(dataDir, SQLITE_FILE_NAME));
      other.exec('BEGIN IMMEDIATE');
      const released = new Promise<void>((done) => setTimeout(() => (other.exec('COMMIT'), done()), 7_000));
      const decision = { decisionId: 'd-locked', customerId: 'c-1', at: 1, channel: 'call' as const, contextKey: 'call', candidates: [], chosen: 'do-nothing', propensity: 1 };
      await expect(store.appendDecisions([decision])).resolves.toBeUndefined();
      await released;
      other.close();
      expect((await store.listDecisions()).map((d) => d.decisionId)).toEqual(['d-locked']);
      await store.close();
    });
  }, 30_000);

  it('commits a batch of decisions appended just before close, and lets the thread close its connection', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openRecordStore({ kind: 'sqlite', dataDir });
      const decision = (id: string) => ({ decisionId: id, customerId: 'c-1', at: 1, channel: 'call' as const, contextKey: 'call', candidates: [], chosen: 'do-nothing', propensity: 1 });
      await store.appendDecisions([decision('d-early')]); // the thread is running
      const last = store.appendDecisions([decision('d-at-close')]);
      await store.close();
      await expect(last).resolves.toBeUndefined();
      // Every connection closed cleanly: the last one to close folds the WAL back and removes it.
      expect(existsSync(join(dataDir, `${SQLITE_FILE_NAME}-wal`))).toBe(false);
      const reopened = await openRecordStore({ kind: 'sqlite', dataDir });
      expect((await reopened.listDecisions()).map((d) => d.decisionId).sort()).toEqual(['d-at-close', 'd-early']);
      await reopened.close();
    });
  });

  it('refuses a batch of decisions sent to a closed decision log instead of starting its thread again', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openRecordStore({ kind: 'sqlite', dataDir }); // the tables
      await store.close();
      const log = new SqliteDecisionLogWriter(dataDir);
      await log.close();
      const decision = { decisionId: 'd-late', customerId: 'c-1', at: 1, channel: 'call' as const, contextKey: 'call', candidates: [], chosen: 'do-nothing', propensity: 1 };
      await expect(log.append([decision])).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/closed/) });
    });
  });

  it('refuses work after close', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openRecordStore({ kind: 'sqlite', dataDir });
      await store.close();
      await store.close();
      await expect(store.get('offers', 'o1')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    });
  });
});

describe('record store helpers', () => {
  it('bounds a prefix range just above every id that starts with it', () => {
    expect(prefixUpperBound('offer-')).toBe('offer.');
    expect(prefixUpperBound('a\u{10ffff}')).toBe('b');
    expect(prefixUpperBound('\u{10ffff}\u{10ffff}')).toBeNull();
    // The next code point after U+D7FF is U+E000: surrogates are never stored.
    expect(prefixUpperBound('x\ud7ff')).toBe('x\ue000');
    expect(prefixUpperBound('x📶')).toBe('x📷');
  });

  it('reads back the cursors it hands out, ids with colons included', () => {
    const cursor = decisionCursor({ at: 1_767_225_600_000, decisionId: 'nba:call:42' });
    expect(parseDecisionCursor(cursor)).toEqual({ at: 1_767_225_600_000, decisionId: 'nba:call:42' });
    expect(() => parseDecisionCursor(':x')).toThrow(/cursor/);
    expect(() => parseDecisionCursor('12:')).toThrow(/cursor/);
  });
});
