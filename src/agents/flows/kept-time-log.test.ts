import { describe, expect, it } from 'vitest';
import { memoryDocuments, type DocumentStore } from '../../store/document-store.js';
import { createKeptTimeLog, type TimeLogCodec } from './kept-time-log.js';

type Doc = { key: string; list: { t: number; who: string }[] };
const codec: TimeLogCodec<Doc, { t: number; who: string }> = { toDoc: (key, list) => ({ key, list: [...list] }), fromDoc: (d) => ({ key: d.key, entries: d.list }), same: (a, b) => a.who === b.who };

describe('the kept time log', () => {
  it('keeps entries in time order whatever order they come in, once each, within the horizon behind the newest of any key', async () => {
    const log = createKeptTimeLog({ store: memoryDocuments<Doc>(), horizonMs: 100, codec, onError: (err) => expect.fail(err.message) });
    log.note([
      ['a', { t: 30, who: 'x' }],
      ['a', { t: 10, who: 'y' }],
      ['a', { t: 30, who: 'z' }],
      ['a', { t: 30, who: 'x' }],
      ['b', { t: 20, who: 'x' }],
    ]);
    expect(log.entries('a')).toEqual([
      { t: 10, who: 'y' },
      { t: 30, who: 'x' },
      { t: 30, who: 'z' },
    ]);
    // Key b's newest entry moves the horizon; a keeps its old entries until a changes.
    log.note([['b', { t: 125, who: 'x' }]]);
    expect(log.entries('a').map((e) => e.t)).toEqual([10, 30, 30]);
    expect(log.entries('b').map((e) => e.t)).toEqual([125]);
    log.note([['a', { t: 40, who: 'y' }]]);
    expect(log.entries('a').map((e) => e.t)).toEqual([30, 30, 40]);
    expect(log.entries('c')).toEqual([]);
  });

  it('writes a failed key again with its next change, and a restart loads what was written', async () => {
    const inner = memoryDocuments<Doc>();
    let failing = true;
    const errors: string[] = [];
    const store: DocumentStore<Doc> = { ...inner, put: async (id, doc) => (failing ? Promise.reject(new Error('disk full')) : inner.put(id, doc)) };
    const log = createKeptTimeLog({ store, horizonMs: 1_000, codec, onError: (err) => errors.push(err.message) });
    log.note([['a', { t: 1, who: 'x' }]]);
    await log.flushed();
    expect(errors).toEqual(['disk full']);
    failing = false;
    log.note([['a', { t: 2, who: 'y' }]]);
    await log.flushed();
    const again = createKeptTimeLog({ store: inner, horizonMs: 1_000, codec, onError: (err) => expect.fail(err.message) });
    await again.load();
    expect(again.entries('a')).toEqual([
      { t: 1, who: 'x' },
      { t: 2, who: 'y' },
    ]);
  });

  it("writes a failed key again with the next entries of any key, so it is not lost at a restart when the key itself does not change again", async () => {
    const inner = memoryDocuments<Doc>();
    let failures = 1;
    const errors: string[] = [];
    const store: DocumentStore<Doc> = { ...inner, put: async (id, doc) => (failures-- > 0 ? Promise.reject(new Error('database is locked')) : inner.put(id, doc)) };
    const log = createKeptTimeLog({ store, horizonMs: 1_000, codec, onError: (err) => errors.push(err.message) });
    log.note([['a', { t: 1, who: 'x' }]]);
    await log.flushed();
    expect(errors).toEqual(['database is locked']);
    log.note([['b', { t: 2, who: 'y' }]]);
    await log.flushed();
    const again = createKeptTimeLog({ store: inner, horizonMs: 1_000, codec, onError: (err) => expect.fail(err.message) });
    await again.load();
    expect(again.entries('a')).toEqual([{ t: 1, who: 'x' }]);
    expect(again.entries('b')).toEqual([{ t: 2, who: 'y' }]);
  });
});
