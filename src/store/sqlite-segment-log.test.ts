import { describe, expect, it } from 'vitest';
import { decodeEventBlock, encodeEventBlock } from './event-block.js';
import type { EventStore, NewEvent, StoredEvent } from './event-store.js';
import { openEventStore } from './open-event-store.js';
import { withDataDir } from './store-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);

function usage(n: number, customer: string, time = T0 + n * 60_000): NewEvent {
  const body = JSON.stringify({ id: `u-${n}`, customerId: customer, kind: 'usage', time: new Date(time).toISOString(), data: { dataMb: n % 97, voiceMin: 3 } });
  return { id: `u-${n}`, customerId: customer, kind: 'usage', time, receivedAt: T0 + 999, body, hash: `h${n}` };
}

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
    const odd = { ...usage(1, 'C\u0000"1'), body: 'pretty\n\t{"a": "\\n"} 📶 \ud800', hash: '' };
    const events: StoredEvent[] = [{ ...odd, seq: 7 }, { ...usage(2, 'C2', T0 - 5), seq: 9 }, { ...usage(3, 'C1', T0 + 2 ** 40), seq: 2 ** 40 }];
    expect(decodeEventBlock(encodeEventBlock(events, 1))).toEqual(events);
    expect(decodeEventBlock(encodeEventBlock([], 6))).toEqual([]);
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
        { status: 'duplicate', seq: bulk1[1].seq, hash: 'h4' },
        { status: 'duplicate', seq: small[1].seq, hash: 'h1' },
      ]);
      // A resend of a segment's event as a small (row) append is a duplicate too, and so is an id repeated inside a bulk batch.
      expect(await store.append([usage(30, 'C2')])).toEqual([{ status: 'duplicate', seq: bulk2[5].seq, hash: 'h30' }]);
      const repeated = await store.append([...batch(40, 10), usage(40, 'C1')]);
      expect(repeated[10]).toEqual({ status: 'duplicate', seq: repeated[0].seq, hash: 'h40' });
      expect(await store.findExisting(['u-4', 'u-1', 'u-45', 'nope'])).toEqual(new Map([
        ['u-4', { seq: bulk1[1].seq, hash: 'h4' }],
        ['u-1', { seq: small[1].seq, hash: 'h1' }],
        ['u-45', { seq: repeated[5].seq, hash: 'h45' }],
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
        { status: 'duplicate', seq: repeated[4].seq, hash: 'h44' },
        { status: 'accepted', seq: seqs[seqs.length - 1] + 1 },
      ]);
      await plain.close();
    });
  });
});
