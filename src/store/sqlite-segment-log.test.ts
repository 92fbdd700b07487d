import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { blockDictionary, decodeEventBlock, encodeEventBlock } from './event-block.js';
import type { EventStore, NewEvent, StoredEvent } from './event-store.js';
import { openEventStore } from './open-event-store.js';
import { SQLITE_FILE_NAME } from './sqlite-connection.js';
import { withDataDir } from './store-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);

function usage(n: number, customer: string, time = T0 + n * 60_000): NewEvent {
  const body = JSON.stringify({ id: `u-${n}`, customerId: customer, kind: 'usage', time: new Date(time).toISOString(), data: { dataMb: n % 97, voiceMin: 3 } });
  return { id: `u-${n}`, customerId: customer, kind: 'usage', time, receivedAt: T0 + 999, body };
}

/** The body `batch` gives event n (its customer is customers[n % 4]). */
const bodyOf = (n: number) => usage(n, customers[n % 4]).body;

const customers = ['C1', 'C2', 'C3', 'C4'];
/** `count` events from `start`, spread over four customers. */
const batch = (start: number, count: number) => Array.from({ length: count }, (_, i) => usage(start + i, customers[(start + i) % 4]));

async function readAll(store: EventStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (let after = 0; ; ) {
    const page = await store.readLog(after, 7);
    if (page.length === 0) return all;
    all.push(...page);
    after = page[page.length - 1].seq;
  }
}

describe('event blocks', () => {
  it('give back every field of every event exactly, any text included', () => {
    const odd = { ...usage(1, 'C\u0000"1'), body: 'pretty\n\t{"a": "\\n"} 📶 \ud800' };
    const events: StoredEvent[] = [{ ...odd, seq: 7 }, { ...usage(2, 'C2', T0 - 5), seq: 9 }, { ...usage(3, 'C1', T0 + 2 ** 40), seq: 2 ** 40 }];
    expect(decodeEventBlock(encodeEventBlock(events, 1))).toEqual(events);
    expect(decodeEventBlock(encodeEventBlock([], 6))).toEqual([]);
  });

  it('deflate small blocks with a preset dictionary the header names, and still read blocks without one', () => {
    const chunk = (c: string, from: number): StoredEvent[] => Array.from({ length: 20 }, (_, i) => ({ ...usage(from + i, c), seq: from + i }));
    const dictionary = blockDictionary(7, ['C1', 'C2', 'C3'].map((c, k) => chunk(c, k * 100)));
    const events = chunk('C4', 1_000);
    const block = encodeEventBlock(events, 1, dictionary);
    expect(block.length).toBeLessThan(encodeEventBlock(events, 1).length);
    expect(decodeEventBlock(block, (id) => (id === 7 ? dictionary.bytes : undefined))).toEqual(events);
    expect(decodeEventBlock(encodeEventBlock(events, 1), () => undefined)).toEqual(events);
    expect(() => decodeEventBlock(block, () => undefined)).toThrow(/dictionary 7 is missing.*damaged/);
    const later = Buffer.from(block);
    later[1] = 3;
    expect(() => decodeEventBlock(later, () => dictionary.bytes)).toThrow(/header version 3.*upgrade Twinloop/);
  });

  it('read a block of layout 1, which carried content hashes, without them', () => {
    const v1 = { v: 1, seq: [5, 2], id: ['a', 'b'], customer: ['C1', 'C2'], kind: ['usage', 'bill'], time: [T0, 7], received: [T0 + 1, 0], hash: ['h1', 'h2'], body: ['{"a":1}', '{"b":2}'] };
    expect(decodeEventBlock(deflateRawSync(Buffer.from(JSON.stringify(v1))))).toEqual([
      { seq: 5, id: 'a', customerId: 'C1', kind: 'usage', time: T0, receivedAt: T0 + 1, body: '{"a":1}' },
      { seq: 7, id: 'b', customerId: 'C2', kind: 'bill', time: T0 + 7, receivedAt: T0 + 1, body: '{"b":2}' },
    ]);
    expect(() => decodeEventBlock(deflateRawSync(Buffer.from(JSON.stringify({ ...v1, v: 3 }))))).toThrow(/layout version 3.*upgrade Twinloop/);
  });

  it('refuse a damaged block with an error saying so', () => {
    const block = encodeEventBlock([{ ...usage(1, 'C1'), seq: 1 }], 6);
    expect(() => decodeEventBlock(block.subarray(0, block.length - 3))).toThrow(/damaged/);
  });
});

describe('SQLite segment log', () => {
  it('interleaves rows and segments in one seq order, sealed or not, and keeps ids unique across both', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openEventStore({ kind: 'sqlite', dataDir, segments: { minBatch: 10, sealAt: 25 } });
      const small = await store.append(batch(0, 3)); // rows
      const bulk1 = await store.append(batch(3, 20)); // a segment
      const small2 = await store.append(batch(23, 2)); // rows
      const bulk2 = await store.append([...batch(25, 15), usage(4, 'C9'), usage(1, 'C9')]); // a segment (sealed with bulk1) and two resends
      expect(bulk2.slice(15)).toEqual([
        { status: 'duplicate', seq: bulk1[1].seq, body: bodyOf(4) },
        { status: 'duplicate', seq: small[1].seq, body: bodyOf(1) },
      ]);
      // A resend of a segment's event as a small (row) append is a duplicate too, and so is an id repeated inside a bulk batch.
      expect(await store.append([usage(30, 'C2')])).toEqual([{ status: 'duplicate', seq: bulk2[5].seq, body: bodyOf(30) }]);
      const repeated = await store.append([...batch(40, 10), usage(40, 'C1')]);
      expect(repeated[10]).toEqual({ status: 'duplicate', seq: repeated[0].seq, body: bodyOf(40) });
      expect(await store.findExisting(['u-4', 'u-1', 'u-45', 'nope'])).toEqual(new Map([
        ['u-4', { seq: bulk1[1].seq, body: bodyOf(4) }],
        ['u-1', { seq: small[1].seq, body: bodyOf(1) }],
        ['u-45', { seq: repeated[5].seq, body: bodyOf(45) }],
      ]));

      const log = await readAll(store);
      const ids = Array.from({ length: 50 }, (_, n) => `u-${n}`);
      expect(log.map((e) => e.id)).toEqual(ids);
      const seqs = [...small, ...bulk1, ...small2, ...bulk2.slice(0, 15), ...repeated.slice(0, 10)].map((o) => o.seq);
      expect(log.map((e) => e.seq)).toEqual(seqs);
      expect(await store.countEvents()).toBe(50);
      expect(await store.lastSeq()).toBe(seqs[seqs.length - 1]);

      // A customer's reads: chunks (sealed), unsealed segments and rows, filtered and paged alike.
      const c2 = log.filter((e) => e.customerId === 'C2');
      expect(await store.readCustomer('C2')).toEqual(c2);
      expect(await store.readCustomer('C2', { afterSeq: c2[3].seq, limit: 4 })).toEqual(c2.slice(4, 8));
      expect(await store.readCustomer('C2', { untilTime: c2[6].time })).toEqual(c2.slice(0, 7));
      await store.saveCheckpoint({ seq: await store.lastSeq(), meta: '{}' }, []);
      expect(await store.readCustomer('C2')).toEqual(c2);

      // Opened as rows only, the store still reads the segments it holds and refuses their ids as rows.
      await store.close();
      const plain = await openEventStore({ kind: 'sqlite', dataDir, segments: false });
      expect(await readAll(plain)).toEqual(log);
      expect(await plain.readCustomer('C2')).toEqual(c2);
      expect(await plain.append([usage(44, 'C1'), usage(50, 'C3')])).toEqual([
        { status: 'duplicate', seq: repeated[4].seq, body: bodyOf(44) },
        { status: 'accepted', seq: seqs[seqs.length - 1] + 1 },
      ]);
      await plain.close();
    });
  });

  it("reads a customer's events decoding only the unsealed segments that hold them, once each segment is known", async () => {
    await withDataDir(async (dataDir) => {
      const store = await openEventStore({ kind: 'sqlite', dataDir, segments: { minBatch: 10, sealAt: 1_000_000 } });
      // 30 segments of 20 events of C1-C4; C9 is in three of them.
      for (let k = 0; k < 30; k++) await store.append([...batch(k * 20, 19), usage(10_000 + k, k % 10 === 3 ? 'C9' : customers[k % 4])]);
      const log = await readAll(store);
      // What the store's reads decoded (the adapter's segment side).
      const decoded = () => (store as unknown as { segments: { segmentsDecoded: number } }).segments.segmentsDecoded;
      const c9 = log.filter((e) => e.customerId === 'C9');
      expect(c9).toHaveLength(3);
      expect(await store.readCustomer('C9')).toEqual(c9);
      // Known now: a read decodes the three segments that hold C9 (at most; some are still decoded), not the thirty.
      const before = decoded();
      expect(await store.readCustomer('C9')).toEqual(c9);
      expect(await store.readCustomer('C9', { afterSeq: c9[0].seq })).toEqual(c9.slice(1));
      expect(decoded() - before).toBeLessThanOrEqual(6);
      // Another customer's reads are whole, and a segment added since is read (and learnt) too.
      expect(await store.readCustomer('C2')).toEqual(log.filter((e) => e.customerId === 'C2'));
      const [late] = await store.append([...batch(900, 19), usage(20_000, 'C9')]);
      const c9now = (await readAll(store)).filter((e) => e.customerId === 'C9');
      expect(c9now).toHaveLength(4);
      expect(late.status).toBe('accepted');
      expect(await store.readCustomer('C9')).toEqual(c9now);
      await store.close();
    });
  });

  it('finds a resent id that JSON escapes (a control character, a lone surrogate, a backslash) as the duplicate it is', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openEventStore({ kind: 'sqlite', dataDir, segments: { minBatch: 3, sealAt: 1_000 } });
      const odd = ['a\u0000b', 'c\ud800', 'd\\u0041', 'e"\n'].map((id, n) => ({ ...usage(n, 'C1'), id }));
      const plain = batch(10, 4);
      const first = await store.append([...odd, ...plain]);
      const again = await store.append([...plain, ...odd, ...batch(20, 3)]);
      expect(again.slice(0, 8)).toEqual([...first.slice(4), ...first.slice(0, 4)].map((o, k) => ({ status: 'duplicate', seq: o.seq, body: k < 4 ? bodyOf(10 + k) : usage(k - 4, 'C1').body })));
      expect(again.slice(8).map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
      // Escapes SQLite's JSON reads back as they were (a quote, a newline, a backslash) take the batch's one query.
      const quoted = ['f"g', 'h\ni', 'j\\k'].map((id, n) => ({ ...usage(30 + n, 'C2'), id }));
      const third = await store.append(quoted);
      expect(await store.append([...quoted].reverse())).toEqual([...third].reverse().map((o, k) => ({ status: 'duplicate', seq: o.seq, body: usage(32 - k, 'C2').body })));
      expect((await readAll(store)).map((e) => e.id)).toEqual([...odd, ...plain, ...batch(20, 3), ...quoted].map((e) => e.id));
      await store.close();
    });
  });
});

/** The segment log's tables once they are as `want`, or as they are after 10 s (a seal runs behind the write that asked for it, decision 0027). */
async function settled(dataDir: string, want: ReturnType<typeof tables>): Promise<ReturnType<typeof tables>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const seen = tables(dataDir);
    if (JSON.stringify(seen) === JSON.stringify(want) || Date.now() > deadline) return seen;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Rows of the segment log's tables, read beside the store. */
function tables(dataDir: string): { segments: number; runs: number; chunks: number } {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
  try {
    const n = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { segments: n('event_segments'), runs: n('event_runs'), chunks: n('event_chunks') };
  } finally {
    db.close();
  }
}

/** Stored dictionaries, and chunks whose block starts with a header (0xff). */
function dictionaries(dataDir: string): { count: number; chunksWithHeader: number } {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
  try {
    const count = (db.prepare('SELECT COUNT(*) AS n FROM event_dictionaries').get() as { n: number }).n;
    const chunksWithHeader = (db.prepare('SELECT COUNT(*) AS n FROM event_chunks WHERE substr(data, 1, 1) = x\'ff\'').get() as { n: number }).n;
    return { count, chunksWithHeader };
  } finally {
    db.close();
  }
}

describe.each(['inline', 'thread'] as const)('SQLite segment log sealing (%s writes)', (writes) => {
  it('seals once sealAt events wait or the load has ended, not at the checkpoints a running load passes, and drops sealed segments', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openEventStore({ kind: 'sqlite', dataDir, writes, segments: { minBatch: 10, sealAt: 60 } });
      const checkpoint = async () => store.saveCheckpoint({ seq: await store.lastSeq(), meta: '{}' }, []);
      await store.append(batch(0, 20)); // a segment
      await store.append(batch(20, 2)); // rows between the segments of one run
      await checkpoint(); // the load is running: no seal
      expect(tables(dataDir)).toEqual({ segments: 1, runs: 0, chunks: 0 });
      await store.append(batch(22, 20));
      await store.append(batch(42, 20)); // 60 events wait: sealed as one run (behind the append, decision 0027), its segments dropped
      expect(await settled(dataDir, { segments: 0, runs: 1, chunks: 4 })).toEqual({ segments: 0, runs: 1, chunks: 4 });
      // Chunks are deflated with the preset dictionary the first seal made and stored.
      expect(dictionaries(dataDir)).toEqual({ count: 1, chunksWithHeader: 4 });

      await store.append(batch(62, 12));
      await checkpoint(); // a bulk append since the last one: still no seal
      expect(tables(dataDir)).toMatchObject({ segments: 1, runs: 1 });
      await checkpoint(); // none since: the load has ended
      expect(await settled(dataDir, { segments: 0, runs: 2, chunks: 8 })).toEqual({ segments: 0, runs: 2, chunks: 8 });

      await store.append(batch(74, 16));
      await store.bulkLoadEnded(); // the producer says so
      expect(tables(dataDir)).toEqual({ segments: 0, runs: 3, chunks: 12 });
      expect(dictionaries(dataDir)).toEqual({ count: 1, chunksWithHeader: 12 });
      await store.bulkLoadEnded(); // nothing waits: nothing to do
      expect(tables(dataDir)).toMatchObject({ runs: 3 });
      await store.append(batch(90, 10)); // unsealed, beside the runs

      // The log and each customer's events read the same from runs, rows and a segment.
      const log = await readAll(store);
      expect(log.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, n) => `u-${n}`));
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, n) => n + 1));
      expect(await store.countEvents()).toBe(100);
      expect(await store.lastSeq()).toBe(100);
      expect((await store.readLog(21, 3)).map((e) => e.seq)).toEqual([22, 23, 24]);
      // A read of a few events from a run's start decodes only the chunks that can hold them: it gives what the whole run gives.
      for (let after = 0; after < 100; after++) for (const k of [1, 2, 5]) expect(await store.readLog(after, k)).toEqual(log.slice(after, after + k));
      for (const c of customers) expect(await store.readCustomer(c)).toEqual(log.filter((e) => e.customerId === c));

      // A resend of a sealed event is a duplicate with its stored seq and body, as a segment, as rows and asked for.
      expect((await store.append([...batch(100, 10), usage(5, 'C2')]))[10]).toEqual({ status: 'duplicate', seq: 6, body: bodyOf(5) });
      expect(await store.append([usage(50, 'C3')])).toEqual([{ status: 'duplicate', seq: 51, body: bodyOf(50) }]);
      // The same id for another customer (a conflict, told by the body) is found all the same.
      expect(await store.append([usage(51, 'C1')])).toEqual([{ status: 'duplicate', seq: 52, body: bodyOf(51) }]);
      expect(await store.findExisting(['u-7', 'u-70', 'u-99', 'u-1000'], ['C4', 'C3', 'C1', 'C1'])).toEqual(new Map([
        ['u-7', { seq: 8, body: bodyOf(7) }],
        ['u-70', { seq: 71, body: bodyOf(70) }],
        ['u-99', { seq: 100, body: bodyOf(99) }],
      ]));
      expect(await store.findExisting(['u-70'])).toEqual(new Map([['u-70', { seq: 71, body: bodyOf(70) }]]));
      await store.close();

      // Reopened (rows only), every sealed run still reads.
      const plain = await openEventStore({ kind: 'sqlite', dataDir, segments: false });
      expect((await readAll(plain)).slice(0, 100)).toEqual(log);
      await plain.close();
    });
  });

  it('seals everything that waits as one run when the batches do not add up to sealAt, and many waiting segments in runs of about sealAt', async () => {
    await withDataDir(async (dataDir) => {
      // The writer keeps no events for the seal (decision 0022): it reads the segments back, and
      // a run cut at sealAt would leave the last batch's few events a run of tiny chunks.
      let store = await openEventStore({ kind: 'sqlite', dataDir, writes, segments: { minBatch: 10, sealAt: 60 } });
      for (let start = 0; start < 75; start += 25) await store.append(batch(start, 25));
      expect(await settled(dataDir, { segments: 0, runs: 1, chunks: 4 })).toEqual({ segments: 0, runs: 1, chunks: 4 });
      await store.close();
      // Segments left unsealed by a store that does not seal them, then sealed by one that does.
      store = await openEventStore({ kind: 'sqlite', dataDir, writes, segments: { minBatch: 10, sealAt: 1_000_000 } });
      for (let start = 75; start < 225; start += 25) await store.append(batch(start, 25));
      await store.close();
      store = await openEventStore({ kind: 'sqlite', dataDir, writes, segments: { minBatch: 10, sealAt: 60 } });
      await store.bulkLoadEnded();
      expect(tables(dataDir)).toEqual({ segments: 0, runs: 3, chunks: 12 });
      const log = await readAll(store);
      expect(log.map((e) => e.id)).toEqual(Array.from({ length: 225 }, (_, n) => `u-${n}`));
      for (const c of customers) expect(await store.readCustomer(c)).toEqual(log.filter((e) => e.customerId === c));
      await store.close();
    });
  });
  it('seals a step at a time: appends are answered while a large seal runs, which ends in runs of about sealAt', async () => {
    await withDataDir(async (dataDir) => {
      // 200 events in ten segments left unsealed (a first start's history written behind), then sealed by a store that seals.
      let store = await openEventStore({ kind: 'sqlite', dataDir, writes, segments: { minBatch: 10, sealAt: 1_000_000 } });
      for (let start = 0; start < 200; start += 20) await store.append(batch(start, 20));
      await store.close();
      store = await openEventStore({ kind: 'sqlite', dataDir, writes, segments: { minBatch: 10, sealAt: 60, sealStepEvents: 10 } });
      let sealedAll = false;
      const sealing = store.bulkLoadEnded().then(() => (sealedAll = true));
      // A live event sent after the seal began is taken before it ends: done at once, the seal of a
      // first start's history held the live world's appends for 7 minutes (decision 0027).
      expect(await store.append([usage(200, 'C1')])).toEqual([{ status: 'accepted', seq: 201 }]);
      expect(sealedAll).toBe(false);
      await sealing;
      expect(tables(dataDir)).toEqual({ segments: 0, runs: 4, chunks: 16 });
      const log = await readAll(store);
      expect(log.map((e) => e.id)).toEqual(Array.from({ length: 201 }, (_, n) => `u-${n}`));
      for (const c of customers) expect(await store.readCustomer(c)).toEqual(log.filter((e) => e.customerId === c));
      await store.close();
    });
  });
});

describe('SQLite segment log sealing, stopped part way', () => {
  it('loses nothing when the store stops in the middle of a seal, and the next start seals the rest', async () => {
    await withDataDir(async (dataDir) => {
      let store = await openEventStore({ kind: 'sqlite', dataDir, segments: { minBatch: 10, sealAt: 1_000_000 } });
      for (let start = 0; start < 200; start += 20) await store.append(batch(start, 20));
      const before = await readAll(store);
      await store.close();
      store = await openEventStore({ kind: 'sqlite', dataDir, segments: { minBatch: 10, sealAt: 60, sealStepEvents: 10 } });
      const sealing = store.bulkLoadEnded().catch(() => undefined);
      // Stopped once the first run is sealed, between two steps of the second (looked at after
      // every step: the seal's steps and this look take turns on the event loop). Each run is
      // written in one transaction, so a crash leaves whole runs and the segments after them too.
      while (tables(dataDir).runs === 0) await new Promise((r) => setImmediate(r));
      await store.close();
      await sealing;
      expect(tables(dataDir)).toEqual({ segments: 7, runs: 1, chunks: 4 });
      store = await openEventStore({ kind: 'sqlite', dataDir, segments: { minBatch: 10, sealAt: 60, sealStepEvents: 10 } });
      expect(await readAll(store)).toEqual(before);
      // The next start's first checkpoint with no load running seals what is left.
      await store.saveCheckpoint({ seq: 200, meta: '{}' }, []);
      expect(await settled(dataDir, { segments: 0, runs: 4, chunks: 16 })).toEqual({ segments: 0, runs: 4, chunks: 16 });
      expect(await readAll(store)).toEqual(before);
      for (const c of customers) expect(await store.readCustomer(c)).toEqual(before.filter((e) => e.customerId === c));
      await store.close();
    });
  });
});
