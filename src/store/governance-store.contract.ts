import { describe, expect, it } from 'vitest';
import { auditHash, GENESIS_HASH, type ApprovalRecord, type GovernanceStore } from './governance-store.js';
import { freshPerTest, type OpenedStore } from './store-fixtures.js';

const T0 = Date.UTC(2026, 4, 1);
// Characters that break naive quoting in SQL and JSON.
const AWKWARD = `quote " apostrophe ' backslash \\ newline \n emoji 📶`;

function approval(id: string, fields: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return { id, status: 'pending', createdAt: T0, expiresAt: T0 + 3_600_000, decidedBy: null, decidedAt: null, reason: null, payload: { what: 'credit', note: AWKWARD }, ...fields };
}

/** The behaviour every GovernanceStore adapter must show; `open` gives a fresh, migrated, empty store per test. */
export function describeGovernanceStoreContract(name: string, open: () => Promise<OpenedStore<GovernanceStore>>): void {
  describe(`${name}: governance store contract`, () => {
    let opened: OpenedStore<GovernanceStore>;
    let store: GovernanceStore;
    freshPerTest(open, (o) => { opened = o; store = o.store; });

    it('chains audit entries: each stores the previous hash and the SHA-256 of its content', async () => {
      expect(await store.auditHead()).toEqual({ seq: 0, hash: '' });
      const a = await store.appendAudit({ action: 'credit', note: AWKWARD }, T0);
      const b = await store.appendAudit({ action: 'offer', nested: { z: 1, a: [1, 2] } }, T0 + 1);
      expect(a).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
      expect(a.hash).toBe(auditHash(1, T0, GENESIS_HASH, { action: 'credit', note: AWKWARD }));
      expect(b).toMatchObject({ seq: 2, prevHash: a.hash });
      expect(await store.auditHead()).toEqual({ seq: 2, hash: b.hash });
      const read = await store.readAudit();
      expect(read).toEqual([a, b]);
      expect(await store.readAudit({ afterSeq: 1, limit: 5 })).toEqual([b]);
    });

    it('reads the trail backwards from the newest, a page at a time, and searches all of it', async () => {
      const rows = [];
      for (let i = 1; i <= 5; i++) rows.push(await store.appendAudit({ customerId: i % 2 ? 'C-Odd' : 'C-even', i }, T0 + i));
      expect((await store.readAudit({ newestFirst: true, limit: 2 })).map((r) => r.seq)).toEqual([5, 4]);
      expect((await store.readAudit({ newestFirst: true, beforeSeq: 4, limit: 2 })).map((r) => r.seq)).toEqual([3, 2]);
      expect((await store.readAudit({ newestFirst: true, beforeSeq: 2 })).map((r) => r.seq)).toEqual([1]);
      // case-insensitive, over every entry (not one page): the odd ones, newest first
      expect((await store.readAudit({ newestFirst: true, contains: 'c-odd' })).map((r) => r.seq)).toEqual([5, 3, 1]);
      expect(await store.readAudit({ newestFirst: true, contains: 'c-odd', beforeSeq: 3 })).toEqual([rows[0]]);
      expect(await store.readAudit({ newestFirst: true, contains: 'nobody' })).toEqual([]);
    });

    it('appends one entry per fact, however often or concurrently the fact is appended', async () => {
      const first = await store.appendAudit({ type: 'action.settled', requestId: 'R1', answer: 'accepted' }, T0, 'offer-settlement:R1');
      // A repeat (after a crash, or by another process) is answered the first entry, and nothing is written.
      expect(await store.appendAudit({ type: 'action.settled', requestId: 'R1', answer: 'accepted', again: true }, T0 + 5, 'offer-settlement:R1')).toEqual(first);
      const raced = await Promise.all(Array.from({ length: 8 }, (_, i) => store.appendAudit({ type: 'action.settled', requestId: 'R2', i }, T0 + i, 'offer-settlement:R2')));
      expect(new Set(raced.map((r) => r.seq)).size).toBe(1);
      // Entries without a fact are appended as before; the chain holds.
      await store.appendAudit({ n: 1 }, T0);
      await store.appendAudit({ n: 1 }, T0);
      const rows = await store.readAudit();
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect(rows.filter((r) => r.entry.requestId === 'R2')).toHaveLength(1);
      expect((await store.auditHead()).seq).toBe(4);
      await expect(store.appendAudit({ n: 2 }, T0, '')).rejects.toMatchObject({ code: 'BAD_INPUT' });
      // The entry names its fact (inside its hash), and the facts read back in fact order, paged.
      expect(first.entry.fact).toBe('offer-settlement:R1');
      expect(await store.readAuditFacts()).toEqual([
        { fact: 'offer-settlement:R1', seq: 1 },
        { fact: 'offer-settlement:R2', seq: 2 },
      ]);
      expect(await store.readAuditFacts({ afterFact: 'offer-settlement:R1', limit: 1 })).toEqual([{ fact: 'offer-settlement:R2', seq: 2 }]);
      // One fact's entry read back (a repeat's own record), or null for a fact never appended.
      expect(await store.auditOfFact('offer-settlement:R1')).toEqual(first);
      expect(await store.auditOfFact('offer-settlement:R3')).toBeNull();
    });

    it('never forks the chain under concurrent appends', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendAudit({ i }, T0 + i)));
      const rows = await store.readAudit();
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      for (let i = 1; i < rows.length; i++) expect(rows[i].prevHash).toBe(rows[i - 1].hash);
    });

    it('lets raw SQL tamper with rows (the audit verifier must catch it)', async () => {
      await store.appendAudit({ n: 1 }, T0);
      await opened.sql(`UPDATE audit_log SET entry = '{"n":2}' WHERE seq = 1`);
      const [row] = await store.readAudit();
      expect(row.entry).toEqual({ n: 2 });
      expect(row.hash).not.toBe(auditHash(row.seq, row.at, row.prevHash, row.entry));
    });

    it('stores, lists and decides approvals exactly once', async () => {
      await store.insertApproval(approval('a1'));
      await store.insertApproval(approval('a2', { createdAt: T0 + 1 }));
      await expect(store.insertApproval(approval('a1'))).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await store.getApproval('a1'))?.payload).toEqual({ what: 'credit', note: AWKWARD });
      expect(await store.getApproval('nope')).toBeNull();
      expect((await store.listApprovals({ status: 'pending' })).map((a) => a.id)).toEqual(['a1', 'a2']);
      const decided = await store.decideApproval('a1', { status: 'approved', decidedBy: 'u:alice', decidedAt: T0 + 5, reason: AWKWARD });
      expect(decided).toMatchObject({ id: 'a1', status: 'approved', decidedBy: 'u:alice', decidedAt: T0 + 5, reason: AWKWARD });
      await expect(store.decideApproval('a1', { status: 'rejected', decidedBy: 'u:bob', decidedAt: T0 + 6, reason: 'late' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(store.decideApproval('zz', { status: 'rejected', decidedBy: 'u:bob', decidedAt: T0, reason: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await store.listApprovals({ status: 'pending' })).map((a) => a.id)).toEqual(['a2']);
      expect((await store.listApprovals()).length).toBe(2);
    });

    it('decides a pending approval once even when two deciders race', async () => {
      await store.insertApproval(approval('race'));
      const results = await Promise.allSettled([
        store.decideApproval('race', { status: 'approved', decidedBy: 'a', decidedAt: T0, reason: 'ok' }),
        store.decideApproval('race', { status: 'rejected', decidedBy: 'b', decidedAt: T0, reason: 'no' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
    });

    it('reserves budget lines all or nothing, then commits or releases', async () => {
      const credit = { periodKey: '2026-05', scope: 'credit|*', limit: 100 };
      const total = { periodKey: '2026-05', scope: '*|*', limit: 50 };
      expect(await store.reserveBudget([{ ...credit, amount: 30 }, { ...total, amount: 30 }])).toEqual({ ok: true });
      const refused = await store.reserveBudget([{ ...credit, amount: 30 }, { ...total, amount: 30 }]);
      expect(refused).toMatchObject({ ok: false, line: { scope: '*|*' }, spend: { reserved: 30, committed: 0 } });
      // Nothing of the refused reservation was kept.
      expect(await store.budgetSpend('2026-05', 'credit|*')).toEqual({ periodKey: '2026-05', scope: 'credit|*', reserved: 30, committed: 0 });
      await store.commitBudget([{ periodKey: '2026-05', scope: 'credit|*', reserved: 30, committed: 25 }]);
      expect(await store.budgetSpend('2026-05', 'credit|*')).toMatchObject({ reserved: 0, committed: 25 });
      await store.releaseBudget([{ periodKey: '2026-05', scope: '*|*', amount: 30 }]);
      expect(await store.budgetSpend('2026-05', '*|*')).toMatchObject({ reserved: 0, committed: 0 });
      expect(await store.budgetSpend('2026-06', 'credit|*')).toMatchObject({ reserved: 0, committed: 0 });
      await expect(store.reserveBudget([{ ...credit, amount: -1 }])).rejects.toMatchObject({ code: 'BAD_INPUT' });
    });

    it('books a reservation to its request: reserved and committed once, released once, however often repeated', async () => {
      const line = { periodKey: '2026-07', scope: 'credit|*', limit: 100, amount: 10 };
      const spent = () => store.budgetSpend('2026-07', 'credit|*');
      expect(await store.reserveBudget([line], 'req-a')).toEqual({ ok: true });
      expect(await store.reserveBudget([line], 'req-a')).toEqual({ ok: true });
      expect(await spent()).toMatchObject({ reserved: 10, committed: 0 });
      const commit = [{ periodKey: '2026-07', scope: 'credit|*', reserved: 10, committed: 10 }];
      await store.commitBudget(commit, 'req-a');
      await store.commitBudget(commit, 'req-a');
      // A repeat after the charge (a crash before the answer was kept) neither reserves nor charges.
      expect(await store.reserveBudget([line], 'req-a')).toEqual({ ok: true });
      await store.commitBudget(commit, 'req-a');
      await store.releaseBudget([{ periodKey: '2026-07', scope: 'credit|*', amount: 10 }], 'req-a');
      expect(await spent()).toMatchObject({ reserved: 0, committed: 10 });
      // A released booking is gone: releasing again gives nothing back twice, and it may reserve anew.
      expect(await store.reserveBudget([line], 'req-b')).toEqual({ ok: true });
      await store.releaseBudget([{ periodKey: '2026-07', scope: 'credit|*', amount: 10 }], 'req-b');
      await store.releaseBudget([{ periodKey: '2026-07', scope: 'credit|*', amount: 10 }], 'req-b');
      expect(await spent()).toMatchObject({ reserved: 0, committed: 10 });
      expect(await store.reserveBudget([line], 'req-b')).toEqual({ ok: true });
      expect(await spent()).toMatchObject({ reserved: 10, committed: 10 });
    });

    it('never overspends a budget under concurrent reservations', async () => {
      const line = { periodKey: '2026-05', scope: 'offer|*', limit: 10, amount: 1 };
      const results = await Promise.all(Array.from({ length: 15 }, () => store.reserveBudget([line])));
      expect(results.filter((r) => r.ok).length).toBe(10);
      expect((await store.budgetSpend('2026-05', 'offer|*')).reserved).toBe(10);
    });

    it('keeps the chain, approvals and spending across a reopen', async () => {
      const a = await store.appendAudit({ n: 1 }, T0);
      await store.insertApproval(approval('keep'));
      await store.reserveBudget([{ periodKey: '2026-05', scope: 'credit|*', limit: 100, amount: 7 }]);
      const again = await opened.reopen();
      try {
        const b = await again.appendAudit({ n: 2 }, T0 + 1);
        expect(b).toMatchObject({ seq: 2, prevHash: a.hash });
        expect((await again.getApproval('keep'))?.status).toBe('pending');
        expect((await again.budgetSpend('2026-05', 'credit|*')).reserved).toBe(7);
      } finally {
        await again.close();
      }
    });
  });
}
