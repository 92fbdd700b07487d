import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../domain/clock.js';
import { decisionCursor, type RecordStore, type StoredDecision } from './record-store.js';
import { freshPerTest, type OpenedStore } from './store-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
// Characters that break naive quoting in SQL and JSON, plus LIKE wildcards.
const AWKWARD = `quote " apostrophe ' backslash \\ percent % underscore _ emoji 📶`;

interface Offer {
  name: string;
  price: number;
  tags: string[];
  note?: string;
}
const offer = (name: string, price = 10): Offer => ({ name, price, tags: ['a', AWKWARD], note: AWKWARD });

function decision(n: number, fields: Partial<StoredDecision> = {}): StoredDecision {
  return {
    decisionId: `d-${String(n).padStart(3, '0')}`,
    customerId: 'c-1',
    at: T0 + n * 1000,
    channel: 'call',
    reason: 'billing_question',
    contextKey: 'call|high-risk',
    candidates: [
      // Doubles that only survive storage bit for bit if nothing rounds them.
      { actionId: 'retention-10', score: 0.1 + 0.2, propensity: 1 / 3, expectedValue: -Math.E * 1e-7 },
      { actionId: 'do-nothing', score: -1e300, propensity: 5e-324, expectedValue: Math.PI * 1e12 },
    ],
    chosen: 'retention-10',
    propensity: 1 / 3,
    ...fields,
  };
}

/** The behaviour every RecordStore adapter must show; `open` gives a fresh, migrated, empty store per test on `clock`. */
export function describeRecordStoreContract(name: string, open: (clock: Clock) => Promise<OpenedStore<RecordStore>>): void {
  describe(`${name}: record store contract`, () => {
    let opened: OpenedStore<RecordStore>;
    let store: RecordStore;
    let clock: ManualClock;
    freshPerTest(() => open((clock = new ManualClock(T0))), (o) => { opened = o; store = o.store; });

    it('creates at version 1 and increments on every replacement, keeping createdAt', async () => {
      const created = await store.put<Offer>('offers', 'o1', offer('first'));
      expect(created).toEqual({ collection: 'offers', id: 'o1', version: 1, body: offer('first'), createdAt: T0, updatedAt: T0 });
      clock.advance(5);
      const replaced = await store.put<Offer>('offers', 'o1', offer('second', 12.5));
      expect(replaced).toMatchObject({ version: 2, createdAt: T0, updatedAt: T0 + 5 });
      expect(await store.get<Offer>('offers', 'o1')).toEqual(replaced);
      expect((await store.get<Offer>('offers', 'o1'))?.body).toEqual(offer('second', 12.5));
      expect(await store.get('offers', 'missing')).toBeNull();
      // Same id, other collection: a different record.
      expect(await store.get('intents', 'o1')).toBeNull();
    });

    it('refuses a write whose expectedVersion does not match, changing nothing', async () => {
      await store.put('offers', 'o1', offer('v1'), { expectedVersion: 0 });
      await expect(store.put('offers', 'o1', offer('again'), { expectedVersion: 0 })).rejects.toMatchObject({ code: 'CONFLICT' });
      await store.put('offers', 'o1', offer('v2'), { expectedVersion: 1 });
      // A writer holding the old version loses.
      await expect(store.put('offers', 'o1', offer('stale'), { expectedVersion: 1 })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(store.put('offers', 'nope', offer('x'), { expectedVersion: 3 })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.get('offers', 'nope')).toBeNull();
      expect(await store.get<Offer>('offers', 'o1')).toMatchObject({ version: 2, body: { name: 'v2' } });
      await expect(store.put('offers', 'o1', offer('x'), { expectedVersion: -1 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });

    it('lists by id, page by page, one collection at a time', async () => {
      for (const id of ['c', 'a', 'e', 'b', 'd']) await store.put('offers', id, offer(id));
      await store.put('intents', 'a', { other: true });
      const first = await store.list<Offer>('offers', { limit: 2 });
      expect(first.map((r) => r.id)).toEqual(['a', 'b']);
      expect(first[0].body).toEqual(offer('a'));
      const second = await store.list('offers', { limit: 2, after: 'b' });
      expect(second.map((r) => r.id)).toEqual(['c', 'd']);
      expect((await store.list('offers', { limit: 2, after: 'd' })).map((r) => r.id)).toEqual(['e']);
      expect(await store.list('offers', { after: 'e' })).toEqual([]);
      expect(await store.list('nothing-here')).toEqual([]);
      await expect(store.list('offers', { limit: 1001 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
      await expect(store.list('offers', { limit: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });

    it('returns 100 records per page unless told otherwise', async () => {
      for (let i = 0; i < 105; i++) await store.put('runs', `run-${String(i).padStart(3, '0')}`, { i });
      const page = await store.list<{ i: number }>('runs');
      expect(page.length).toBe(100);
      expect((await store.list('runs', { after: page[99].id })).length).toBe(5);
    });

    it('filters by id prefix, with wildcards taken literally, and pages within it', async () => {
      for (const id of ['offer-1', 'offer-2', 'offer-3', 'offer/x', 'offers', 'offe', 'other', 'o%fer-1', 'o_fer-1', 'offer-📶', 'offer-\u{10ffff}']) {
        await store.put('offers', id, { id });
      }
      expect((await store.list('offers', { prefix: 'offer-' })).map((r) => r.id)).toEqual(['offer-1', 'offer-2', 'offer-3', 'offer-📶', 'offer-\u{10ffff}']);
      expect((await store.list('offers', { prefix: 'offer-', after: 'offer-1', limit: 2 })).map((r) => r.id)).toEqual(['offer-2', 'offer-3']);
      expect((await store.list('offers', { prefix: 'o%' })).map((r) => r.id)).toEqual(['o%fer-1']);
      expect((await store.list('offers', { prefix: 'o_' })).map((r) => r.id)).toEqual(['o_fer-1']);
      expect((await store.list('offers', { prefix: 'offer-\u{10ffff}' })).map((r) => r.id)).toEqual(['offer-\u{10ffff}']);
      expect(await store.list('offers', { prefix: 'zzz' })).toEqual([]);
    });

    it('deletes once', async () => {
      await store.put('offers', 'o1', offer('x'));
      await store.put('offers', 'o1', offer('y'));
      expect(await store.delete('offers', 'o1')).toBe(true);
      expect(await store.delete('offers', 'o1')).toBe(false);
      expect(await store.get('offers', 'o1')).toBeNull();
      // Recreated from scratch.
      expect((await store.put('offers', 'o1', offer('z'), { expectedVersion: 0 })).version).toBe(1);
    });

    it('keeps awkward collection names, ids and bodies exact, in code point order', async () => {
      const collection = `col ${AWKWARD}`;
      const ids = [`id ${AWKWARD}`, '\u{fffd}', '📶', 'Ünïcödé', 'a\\b', "a'b", 'a"b'];
      const body = { text: AWKWARD, nested: { list: [1.5, 0, null, true, 'x', { deep: '\\"' }] }, unicode: '\u2028\u2029' };
      for (const id of ids) await store.put(collection, id, body);
      for (const id of ids) expect((await store.get(collection, id))?.body).toEqual(body);
      const codePointOrder = [...ids].sort((a, b) => {
        const [x, y] = [[...a].map((c) => c.codePointAt(0)!), [...b].map((c) => c.codePointAt(0)!)];
        for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
        return x.length - y.length;
      });
      expect((await store.list(collection)).map((r) => r.id)).toEqual(codePointOrder);
      // Scalars and arrays are bodies too.
      expect((await store.put('scalars', 's', 'just text')).body).toBe('just text');
      expect((await store.put('scalars', 'n', null)).body).toBeNull();
      expect((await store.get('scalars', 'n'))?.body).toBeNull();
    });

    it('refuses bad names, ids and bodies with BAD_INPUT', async () => {
      const bad = async (p: Promise<unknown>): Promise<void> => {
        await expect(p).rejects.toMatchObject({ code: 'BAD_INPUT' });
      };
      await bad(store.put('', 'x', {}));
      await bad(store.put('offers', '', {}));
      await bad(store.put('offers', 'x'.repeat(201), {}));
      await bad(store.put('offers', 'line\nbreak', {}));
      await bad(store.put('offers', 'nul\u0000', {}));
      await bad(store.put('offers', 'lone \ud800 surrogate', {}));
      await bad(store.put('offers', 'x', undefined));
      await bad(store.put('offers', 'x', () => 1));
      await bad(store.put('offers', 'x', { n: 10n }));
      await bad(store.put('offers', 'x', { n: Number.NaN }));
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      await bad(store.put('offers', 'x', cycle));
      await bad(store.get('offers', ''));
      await bad(store.list('offers', { prefix: '' }));
      // 200 characters is allowed, emoji counting as one.
      expect((await store.put('offers', '📶'.repeat(200), {})).version).toBe(1);
      expect(await store.list('offers')).toHaveLength(1);
    });

    it('logs decisions and reads them back exactly', async () => {
      const plain = decision(1);
      const { reason: _reason, ...noReason } = decision(2, { channel: 'web', contextKey: '' });
      const withOutcome = decision(3, { outcome: { accepted: true, reward: 12.75, at: T0 + 9000 }, reason: AWKWARD });
      await store.appendDecisions([plain, noReason, withOutcome]);
      const back = await store.listDecisions();
      expect(back).toEqual([plain, noReason, withOutcome]);
      expect(Object.is(back[0].candidates[1].propensity, 5e-324)).toBe(true);
      expect('outcome' in back[0]).toBe(false);
      expect('reason' in back[1]).toBe(false);
      await store.appendDecisions([]);
      expect((await store.listDecisions()).length).toBe(3);
    });

    it('ignores decisions already logged, keeping the rest of the batch', async () => {
      await store.appendDecisions([decision(1), decision(2)]);
      // A replay of a flushed batch, one new decision, and a repeated id within the batch: first write wins.
      await store.appendDecisions([decision(2, { chosen: 'changed' }), decision(3), decision(4), decision(4, { chosen: 'twice' })]);
      const back = await store.listDecisions();
      expect(back.map((d) => d.decisionId)).toEqual(['d-001', 'd-002', 'd-003', 'd-004']);
      expect(back[1].chosen).toBe('retention-10');
      expect(back[3].chosen).toBe('retention-10');
    });

    it('refuses a batch with one bad decision, writing none of it', async () => {
      const bad: StoredDecision[] = [
        decision(1, { propensity: 1.5 }),
        decision(1, { channel: 'fax' as 'web' }),
        decision(1, { at: 1.5 }),
        decision(1, { candidates: [{ actionId: 'x', score: Number.NaN, propensity: 0.5, expectedValue: 0 }] }),
        decision(1, { decisionId: '' }),
        decision(1, { outcome: { accepted: true, reward: Infinity, at: T0 } }),
      ];
      for (const d of bad) await expect(store.appendDecisions([decision(0), d])).rejects.toMatchObject({ code: 'BAD_INPUT' });
      expect(await store.listDecisions()).toEqual([]);
    });

    it('sets an outcome once', async () => {
      await store.appendDecisions([decision(1), decision(2, { outcome: { accepted: false, reward: 0, at: T0 } })]);
      const outcome = { accepted: true, reward: -3.25, at: T0 + 60_000 };
      expect(await store.recordOutcome('d-001', outcome)).toBe(true);
      expect(await store.recordOutcome('d-001', { accepted: false, reward: 0, at: T0 })).toBe(false);
      expect(await store.recordOutcome('d-002', outcome)).toBe(false);
      expect(await store.recordOutcome('d-999', outcome)).toBe(false);
      const back = await store.listDecisions();
      expect(back[0].outcome).toEqual(outcome);
      expect(back[1].outcome).toEqual({ accepted: false, reward: 0, at: T0 });
      await expect(store.recordOutcome('d-001', { accepted: 'yes' as unknown as boolean, reward: 0, at: T0 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });

    it('reads one decision by its id, with its outcome once set', async () => {
      const withReason = decision(2, { reason: AWKWARD, contextKey: 'app|high-risk' });
      await store.appendDecisions([decision(1), withReason]);
      expect(await store.getDecision('d-002')).toEqual(withReason);
      expect(await store.getDecision('d-999')).toBeNull();
      const outcome = { accepted: false, reward: 0, at: T0 + 60_000, result: 'declined', requestId: 'r-1' } as const;
      await store.recordOutcome('d-001', outcome);
      expect(await store.getDecision('d-001')).toEqual({ ...decision(1), outcome });
      await expect(store.getDecision('')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });

    it('keeps how a decision ended and the request that carried it out', async () => {
      const logged = decision(3, { outcome: { accepted: false, reward: 0, at: T0, result: 'not-acted' } });
      await store.appendDecisions([decision(1), decision(2), logged]);
      const ignored = { accepted: false, reward: 0, at: T0 + 7 * 86_400_000, result: 'ignored', requestId: 'd-001:retain-10' } as const;
      expect(await store.recordOutcome('d-001', ignored)).toBe(true);
      await expect(store.recordOutcome('d-002', { accepted: false, reward: 0, at: T0, result: 'maybe' as 'ignored' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
      await expect(store.recordOutcome('d-002', { accepted: false, reward: 0, at: T0, requestId: '' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
      const back = await store.listDecisions();
      expect(back.map((d) => d.outcome)).toEqual([ignored, undefined, logged.outcome]);
    });

    it('lists decisions in time order, by customer and half-open time range, page by page', async () => {
      // Out of order, with ties on `at` broken by decisionId.
      await store.appendDecisions([
        decision(5),
        decision(1, { customerId: 'c-2' }),
        decision(3),
        decision(2, { at: T0 + 3000 }),
        decision(4, { customerId: 'c-2', at: T0 + 3000 }),
      ]);
      const ids = (ds: StoredDecision[]): string[] => ds.map((d) => d.decisionId);
      expect(ids(await store.listDecisions())).toEqual(['d-001', 'd-002', 'd-003', 'd-004', 'd-005']);
      expect(ids(await store.listDecisions({ customerId: 'c-2' }))).toEqual(['d-001', 'd-004']);
      expect(ids(await store.listDecisions({ from: T0 + 3000, to: T0 + 5000 }))).toEqual(['d-002', 'd-003', 'd-004']);
      expect(ids(await store.listDecisions({ customerId: 'c-1', from: T0 + 3000, to: T0 + 5000 }))).toEqual(['d-002', 'd-003']);
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listDecisions({ limit: 2, after });
        if (page.length === 0) break;
        pages.push(ids(page));
        after = decisionCursor(page[page.length - 1]);
      }
      expect(pages).toEqual([['d-001', 'd-002'], ['d-003', 'd-004'], ['d-005']]);
      await expect(store.listDecisions({ after: 'not a cursor' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
      await expect(store.listDecisions({ limit: 5000 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });

    it('keeps records and decisions across a reopen', async () => {
      await store.put('offers', 'o1', offer('kept'));
      await store.appendDecisions([decision(1)]);
      const again = await opened.reopen();
      try {
        expect((await again.get<Offer>('offers', 'o1'))?.body).toEqual(offer('kept'));
        expect(await again.listDecisions()).toEqual([decision(1)]);
        expect((await again.put('offers', 'o1', offer('next'), { expectedVersion: 1 })).version).toBe(2);
      } finally {
        await again.close();
      }
    });
  });
}
