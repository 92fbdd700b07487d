import { describe, expect, it } from 'vitest';
import { TwinloopError } from '../domain/errors.js';
import { DEAD_LETTER_RECORD_MAX_BYTES, type EventStore, type NewDeadLetter, type NewEvent, type TwinSnapshot } from './event-store.js';
import { freshPerTest, type OpenedStore } from './store-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);

// Characters that break naive quoting in SQL, CSV and PostgreSQL array literals.
const AWKWARD = `quote " apostrophe ' backslash \\ comma , braces {} newline \n emoji 📶 ünïcode NULL`;

function makeEvent(id: string, fields: Partial<NewEvent> = {}): NewEvent {
  const customerId = fields.customerId ?? 'cust-1';
  const time = fields.time ?? T0;
  const body = JSON.stringify({ id, customerId, kind: 'usage', time: new Date(time).toISOString(), note: AWKWARD });
  return { id, customerId, kind: 'usage', time, receivedAt: time + 1_000, body, ...fields };
}

function makeLetter(n: number): NewDeadLetter {
  return { record: `{"broken": ${n}`, reason: `unparseable record ${n}`, at: T0 + n, source: 'contract-test' };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

async function collect(pages: AsyncIterable<TwinSnapshot[]>): Promise<TwinSnapshot[][]> {
  const all: TwinSnapshot[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

/**
 * The behaviour every EventStore adapter must show. `open` gives a fresh, migrated, empty store
 * for each test.
 */
export function describeEventStoreContract(name: string, open: () => Promise<OpenedStore<EventStore>>): void {
  describe(`${name}: event store contract`, () => {
    let opened: OpenedStore<EventStore>;
    let store: EventStore;

    freshPerTest(open, (o) => { opened = o; store = o.store; });

    describe('append and readLog', () => {
      it('returns the appended events unchanged, in order, with increasing seqs', async () => {
        // Pretty-printed JSON: raw newlines and tabs, and an escaped backslash before an n.
        const pretty = JSON.stringify({ id: 'NULL', text: 'C:\\new\tline' }, null, '\t');
        const events = [makeEvent('e-1'), makeEvent('e,2 "NULL"', { customerId: 'cust-2' }), makeEvent('NULL', { body: pretty })];
        const outcomes = await store.append(events);
        expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
        const seqs = outcomes.map((o) => o.seq);
        expect(seqs[0]).toBeGreaterThan(0);
        expect(seqs[1]).toBeGreaterThan(seqs[0]);
        expect(seqs[2]).toBeGreaterThan(seqs[1]);
        expect(await store.readLog(0, 100)).toEqual(events.map((e, i) => ({ ...e, seq: seqs[i] })));
      });

      it('pages through the log with afterSeq and limit', async () => {
        await store.append([makeEvent('a'), makeEvent('b'), makeEvent('c')]);
        await store.append([makeEvent('d'), makeEvent('e')]);
        const first = await store.readLog(0, 2);
        expect(first.map((e) => e.id)).toEqual(['a', 'b']);
        const second = await store.readLog(first[1].seq, 2);
        expect(second.map((e) => e.id)).toEqual(['c', 'd']);
        const rest = await store.readLog(second[1].seq, 100);
        expect(rest.map((e) => e.id)).toEqual(['e']);
        expect(await store.readLog(rest[0].seq, 100)).toEqual([]);
      });

      it('numbers a 5,000-event batch in input order, after the previous batch', async () => {
        const [before] = await store.append([makeEvent('before')]);
        const batch = Array.from({ length: 5_000 }, (_, i) => makeEvent(`big-${i}`, { customerId: `cust-${i % 37}` }));
        const outcomes = await store.append(batch);
        let previous = before.seq;
        for (const o of outcomes) {
          expect(o.status).toBe('accepted');
          expect(o.seq).toBeGreaterThan(previous);
          previous = o.seq;
        }
        expect(await store.countEvents()).toBe(5_001);
        const log = await store.readLog(before.seq, 10_000);
        expect(log.map((e) => e.id)).toEqual(batch.map((e) => e.id));
      });

      it('applies concurrent append calls one after another, in call order', async () => {
        const calls = Array.from({ length: 8 }, (_, c) =>
          store.append(Array.from({ length: 50 }, (_, i) => makeEvent(`c${c}-${i}`))),
        );
        const results = await Promise.all(calls);
        for (let c = 1; c < results.length; c++) {
          expect(Math.min(...results[c].map((o) => o.seq))).toBeGreaterThan(Math.max(...results[c - 1].map((o) => o.seq)));
        }
      });

      it('does nothing for an empty append', async () => {
        expect(await store.append([])).toEqual([]);
        expect(await store.append([], [])).toEqual([]);
        expect(await store.countEvents()).toBe(0);
      });
    });

    describe('duplicates', () => {
      it('reports an id already in the log with its stored seq and body and does not write it again', async () => {
        const [stored] = await store.append([makeEvent('dup')]);
        const reused = makeEvent('dup', { body: '{"other":true}' });
        const outcomes = await store.append([makeEvent('fresh'), reused]);
        expect(outcomes[0].status).toBe('accepted');
        expect(outcomes[1]).toEqual({ status: 'duplicate', seq: stored.seq, body: makeEvent('dup').body });
        expect(await store.countEvents()).toBe(2);
        const [kept] = await store.readLog(0, 1);
        expect(kept.body).toBe(makeEvent('dup').body);
      });

      it('treats a repeated id inside one batch as a duplicate of its first occurrence', async () => {
        const outcomes = await store.append([
          makeEvent('x'),
          makeEvent('y'),
          makeEvent('x', { body: '{"second":"copy"}' }),
          makeEvent('x'),
        ]);
        expect(outcomes[0].status).toBe('accepted');
        expect(outcomes[1].status).toBe('accepted');
        expect(outcomes[2]).toEqual({ status: 'duplicate', seq: outcomes[0].seq, body: makeEvent('x').body });
        expect(outcomes[3]).toEqual({ status: 'duplicate', seq: outcomes[0].seq, body: makeEvent('x').body });
        expect(await store.countEvents()).toBe(2);
      });

      it('findExisting gives the stored seq and body of known ids only', async () => {
        const [a, b] = await store.append([makeEvent('known-a'), makeEvent('known-b')]);
        const found = await store.findExisting(['known-a', 'unknown', 'known-b', 'known-a']);
        expect(found).toEqual(
          new Map([
            ['known-a', { seq: a.seq, body: makeEvent('known-a').body }],
            ['known-b', { seq: b.seq, body: makeEvent('known-b').body }],
          ]),
        );
        expect((await store.findExisting([])).size).toBe(0);
      });
    });

    describe('atomic batches', () => {
      it('lands the events and the dead letters of one append together', async () => {
        await store.append([makeEvent('ok-1'), makeEvent('ok-2')], [makeLetter(1), makeLetter(2)]);
        expect(await store.countEvents()).toBe(2);
        const letters = await store.listDeadLetters();
        expect(letters.map(({ id: _id, ...rest }) => rest)).toEqual([makeLetter(1), makeLetter(2)]);
      });

      it('refuses the appends of a chain after one of it failed, even those asked for before the failure was answered; another chain is written', async () => {
        const broken = { ...makeEvent('broken'), customerId: null } as unknown as NewEvent;
        const failing = store.append([broken], [], { chain: 1 });
        const behind = store.append([makeEvent('behind')], [makeLetter(1)], { chain: 1 });
        await expect(failing).rejects.toBeInstanceOf(TwinloopError);
        await expect(behind).rejects.toMatchObject({ code: 'UNAVAILABLE', context: { afterFailedWrite: true } });
        expect(await store.countEvents()).toBe(0);
        expect(await store.countDeadLetters()).toBe(0);
        expect((await store.append([makeEvent('behind')], [], { chain: 2 }))[0].status).toBe('accepted');
      });

      it('writes nothing from a batch that fails', async () => {
        const broken = { ...makeEvent('broken'), customerId: null } as unknown as NewEvent;
        await expect(store.append([makeEvent('good'), broken], [makeLetter(1)])).rejects.toBeInstanceOf(TwinloopError);
        expect(await store.countEvents()).toBe(0);
        expect(await store.countDeadLetters()).toBe(0);
        expect((await store.append([makeEvent('good')]))[0].status).toBe('accepted');
      });
    });

    describe('customer reads and counters', () => {
      it('readCustomer filters by customer, untilTime, afterSeq and limit', async () => {
        const outcomes = await store.append([
          makeEvent('k1', { customerId: 'kim', time: T0 + 1 }),
          makeEvent('o1', { customerId: 'other', time: T0 + 1 }),
          makeEvent('k2', { customerId: 'kim', time: T0 + 2 }),
          makeEvent('k3', { customerId: 'kim', time: T0 + 3 }),
          // Late arrival: appended last, but its event time is the earliest.
          makeEvent('k0', { customerId: 'kim', time: T0 }),
        ]);
        const ids = async (query?: Parameters<EventStore['readCustomer']>[1]) =>
          (await store.readCustomer('kim', query)).map((e) => e.id);
        expect(await ids()).toEqual(['k1', 'k2', 'k3', 'k0']);
        expect(await ids({ untilTime: T0 + 2 })).toEqual(['k1', 'k2', 'k0']);
        expect(await ids({ afterSeq: outcomes[2].seq })).toEqual(['k3', 'k0']);
        expect(await ids({ limit: 2 })).toEqual(['k1', 'k2']);
        expect(await ids({ untilTime: T0 + 2, afterSeq: outcomes[0].seq, limit: 1 })).toEqual(['k2']);
        expect(await store.readCustomer('nobody')).toEqual([]);
      });

      it('lastSeq and countEvents start at 0 and follow appends', async () => {
        expect(await store.lastSeq()).toBe(0);
        expect(await store.countEvents()).toBe(0);
        const outcomes = await store.append([makeEvent('one'), makeEvent('two')]);
        await store.append([makeEvent('one')]);
        expect(await store.lastSeq()).toBe(outcomes[1].seq);
        expect(await store.countEvents()).toBe(2);
      });
    });

    describe('dead letters', () => {
      it('lists dead letters in order, page by page', async () => {
        await store.addDeadLetters([makeLetter(1), makeLetter(2), makeLetter(3)]);
        await store.addDeadLetters([]);
        await store.append([], [makeLetter(4), makeLetter(5)]);
        expect(await store.countDeadLetters()).toBe(5);
        const first = await store.listDeadLetters({ limit: 2 });
        expect(first.map((l) => l.reason)).toEqual(['unparseable record 1', 'unparseable record 2']);
        const second = await store.listDeadLetters({ afterId: first[1].id, limit: 2 });
        expect(second.map((l) => l.at)).toEqual([T0 + 3, T0 + 4]);
        const rest = await store.listDeadLetters({ afterId: second[1].id });
        expect(rest.map((l) => l.record)).toEqual([makeLetter(5).record]);
      });

      it('keeps at most 64 KiB of a record, cut between characters, and survives NUL characters', async () => {
        const long = 'x'.repeat(100_000);
        const euros = '€'.repeat(30_000);
        await store.addDeadLetters([
          { ...makeLetter(1), record: long },
          { ...makeLetter(2), record: euros },
          { ...makeLetter(3), record: 'a\u0000b', reason: 'bad byte \u0000', source: 'src\u0000' },
        ]);
        const [cutLong, cutEuros, nul] = await store.listDeadLetters();
        expect(cutLong.record).toBe(long.slice(0, DEAD_LETTER_RECORD_MAX_BYTES));
        expect(Buffer.byteLength(cutEuros.record)).toBeLessThanOrEqual(DEAD_LETTER_RECORD_MAX_BYTES);
        expect(cutEuros.record).toBe('€'.repeat(Math.floor(DEAD_LETTER_RECORD_MAX_BYTES / 3)));
        expect(nul).toMatchObject({ record: 'a\uFFFDb', reason: 'bad byte \uFFFD', source: 'src\uFFFD' });
      });
    });

    describe('history snapshots', () => {
      it('finds the latest history snapshot at or before a time, saved with a checkpoint', async () => {
        const a = new Uint8Array([1, 0, 255]);
        const b = new Uint8Array([2, 0, 255, 7]);
        await store.saveCheckpoint({ seq: 10, meta: '{}' }, [], [{ customerId: 'h1', at: T0, seq: 5, bytes: a }, { customerId: 'h2', at: T0, seq: 6, bytes: b }]);
        await store.saveCheckpoint({ seq: 20, meta: '{}' }, [], [{ customerId: 'h1', at: T0 + 30, seq: 15, bytes: b }]);
        expect(await store.loadHistorySnapshot('h1', T0 - 1)).toBeNull();
        const first = (await store.loadHistorySnapshot('h1', T0 + 29))!;
        expect({ ...first, bytes: hex(first.bytes) }).toEqual({ customerId: 'h1', at: T0, seq: 5, bytes: hex(a) });
        const later = (await store.loadHistorySnapshot('h1', T0 + 1_000))!;
        expect({ at: later.at, seq: later.seq, bytes: hex(later.bytes) }).toEqual({ at: T0 + 30, seq: 15, bytes: hex(b) });
        expect((await store.loadHistorySnapshot('h2', T0 + 1_000))!.seq).toBe(6);
        expect(await store.loadHistorySnapshot('nobody', T0 + 1_000)).toBeNull();
      });

      it('replaces a history snapshot saved again for the same customer and time', async () => {
        await store.saveCheckpoint({ seq: 1, meta: '{}' }, [], [{ customerId: 'h', at: T0, seq: 1, bytes: new Uint8Array([1]) }]);
        await store.saveCheckpoint({ seq: 2, meta: '{}' }, [], [{ customerId: 'h', at: T0, seq: 2, bytes: new Uint8Array([2]) }]);
        const got = (await store.loadHistorySnapshot('h', T0))!;
        expect([got.seq, hex(got.bytes)]).toEqual([2, '02']);
      });
    });

    describe('checkpoints and snapshots', () => {
      const binary = new Uint8Array([0, 255, 0, 0, 1, 127, 128, 255, 0]);
      const large = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 256);

      it('has no checkpoint and no snapshots before the first save', async () => {
        expect(await store.loadCheckpoint()).toBeNull();
        expect(await store.loadSnapshot('cust-1')).toBeNull();
        expect(await collect(store.loadSnapshots())).toEqual([]);
      });

      it('loads back the checkpoint and the snapshots byte for byte', async () => {
        await store.saveCheckpoint({ seq: 42, meta: '{"model":"v1"}' }, [
          { customerId: 'bin', bytes: binary },
          { customerId: 'large', bytes: large },
          { customerId: 'empty', bytes: new Uint8Array(0) },
          { customerId: 'slice', bytes: large.subarray(10, 20) },
        ]);
        expect(await store.loadCheckpoint()).toEqual({ seq: 42, meta: '{"model":"v1"}' });
        expect(hex((await store.loadSnapshot('bin'))!.bytes)).toBe(hex(binary));
        expect(hex((await store.loadSnapshot('large'))!.bytes)).toBe(hex(large));
        expect((await store.loadSnapshot('empty'))!.bytes.byteLength).toBe(0);
        expect(hex((await store.loadSnapshot('slice'))!.bytes)).toBe(hex(large.subarray(10, 20)));
        expect(await store.loadSnapshot('nobody')).toBeNull();
      });

      it('a later save replaces the checkpoint and the snapshots it names, and keeps the others', async () => {
        await store.saveCheckpoint({ seq: 1, meta: '{}' }, [
          { customerId: 'a', bytes: new Uint8Array([1]) },
          { customerId: 'b', bytes: new Uint8Array([2]) },
        ]);
        await store.saveCheckpoint({ seq: 9, meta: '{"n":2}' }, [{ customerId: 'a', bytes: binary }]);
        expect(await store.loadCheckpoint()).toEqual({ seq: 9, meta: '{"n":2}' });
        expect(hex((await store.loadSnapshot('a'))!.bytes)).toBe(hex(binary));
        expect(hex((await store.loadSnapshot('b'))!.bytes)).toBe('02');
      });

      it('keeps the seq of a snapshot saved with one (a slice of a checkpoint), and replaces it with the next save', async () => {
        await store.saveCheckpoint({ seq: 10, meta: 'a' }, [{ customerId: 'x', bytes: new Uint8Array([1]) }]);
        // A slice: its snapshots carry their own seq; the checkpoint in force keeps its seq, the meta is the slice's.
        await store.saveCheckpoint({ seq: 10, meta: 'b' }, [{ customerId: 'y', bytes: new Uint8Array([2]), seq: 17 }], [], { part: true });
        expect(await store.loadCheckpoint()).toEqual({ seq: 10, meta: 'b' });
        expect(await store.loadSnapshot('x')).toEqual({ customerId: 'x', bytes: new Uint8Array([1]) });
        expect(await store.loadSnapshot('y')).toEqual({ customerId: 'y', bytes: new Uint8Array([2]), seq: 17 });
        expect((await collect(store.loadSnapshots())).flat().map((t) => t.seq)).toEqual([undefined, 17]);
        await store.saveCheckpoint({ seq: 20, meta: 'c' }, [{ customerId: 'y', bytes: new Uint8Array([3]) }]);
        expect(await store.loadSnapshot('y')).toEqual({ customerId: 'y', bytes: new Uint8Array([3]) });
      });

      it('a failed save leaves the previous checkpoint and snapshots as they were', async () => {
        await store.saveCheckpoint({ seq: 5, meta: 'old' }, [{ customerId: 'a', bytes: new Uint8Array([1]) }]);
        const broken = { customerId: null, bytes: new Uint8Array([9]) } as unknown as TwinSnapshot;
        await expect(
          store.saveCheckpoint({ seq: 6, meta: 'new' }, [{ customerId: 'a', bytes: new Uint8Array([2]) }, broken]),
        ).rejects.toBeInstanceOf(TwinloopError);
        expect(await store.loadCheckpoint()).toEqual({ seq: 5, meta: 'old' });
        expect(hex((await store.loadSnapshot('a'))!.bytes)).toBe('01');
      });

      it('loadSnapshots pages through more snapshots than fit one page, each once, by customer id', async () => {
        const twins = Array.from({ length: 25 }, (_, i) => ({ customerId: `c-${String(i).padStart(3, '0')}`, bytes: new Uint8Array([i, 0, 255]) }));
        await store.saveCheckpoint({ seq: 1, meta: '{}' }, [...twins].reverse());
        const pages = await collect(store.loadSnapshots(10));
        expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
        const loaded = pages.flat();
        expect(loaded.map((t) => t.customerId)).toEqual(twins.map((t) => t.customerId));
        expect(loaded.map((t) => hex(t.bytes))).toEqual(twins.map((t) => hex(t.bytes)));
        expect((await collect(store.loadSnapshots(25))).map((p) => p.length)).toEqual([25]);
        expect((await collect(store.loadSnapshots())).flat()).toHaveLength(25);
      });
    });

    describe('lifecycle', () => {
      it('running migrate() again changes nothing', async () => {
        const [first] = await store.append([makeEvent('before-migrate')]);
        await store.migrate();
        await store.migrate();
        expect(await store.readLog(0, 10)).toEqual([{ ...makeEvent('before-migrate'), seq: first.seq }]);
        const [second] = await store.append([makeEvent('after-migrate')]);
        expect(second.seq).toBeGreaterThan(first.seq);
      });

      it('refuses calls after close with a TwinloopError, and closing twice is harmless', async () => {
        await store.close();
        await store.close();
        await expect(store.countEvents()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      });

      it('keeps everything across close and reopen', async () => {
        const bytes = new Uint8Array([0, 255, 0, 42, 255]);
        const outcomes = await store.append([makeEvent('kept-1'), makeEvent('kept-2')], [makeLetter(1)]);
        await store.saveCheckpoint({ seq: outcomes[1].seq, meta: '{"kept":true}' }, [{ customerId: 'kept', bytes }]);
        const log = await store.readLog(0, 10);
        await store.close();

        const again = await opened.reopen();
        try {
          expect(await again.readLog(0, 10)).toEqual(log);
          expect(await again.countDeadLetters()).toBe(1);
          expect(await again.loadCheckpoint()).toEqual({ seq: outcomes[1].seq, meta: '{"kept":true}' });
          expect(hex((await again.loadSnapshot('kept'))!.bytes)).toBe(hex(bytes));
          const [dup, fresh] = await again.append([makeEvent('kept-1'), makeEvent('kept-3')]);
          expect(dup).toEqual({ status: 'duplicate', seq: outcomes[0].seq, body: makeEvent('kept-1').body });
          expect(fresh.seq).toBeGreaterThan(outcomes[1].seq);
        } finally {
          await again.close();
        }
      });
    });
  });
}
