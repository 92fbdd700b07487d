import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { DEFAULT_ACTION_POLICY, matchRule, type ActionPolicy, type ActionPolicyDocument } from '../../decisioning/policy/index.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import type { StoreOptions } from '../../store/store-options.js';
import { describePostgres, onPostgres, onSqlite } from '../../store/store-fixtures.js';
import { openActionPolicySettings } from './action-policy-settings.js';
import { createAuditTrail } from './audit-trail.js';

/** The record and governance stores of one database, opened and closed together. */
async function openStores(options: StoreOptions) {
  const records = await openRecordStore(options);
  const governance = await openGovernanceStore(options);
  return {
    records,
    governance,
    async close() {
      await governance.close();
      await records.close();
    },
  };
}
type Stores = Awaited<ReturnType<typeof openStores>>;

const admin = { kind: 'human' as const, id: 'alice' };
const credit = (p: ActionPolicy) => matchRule(p, { actionClass: 'credit', channel: 'call', features: {} });
/** The default policy with credits approved above `above` instead of 10. */
const withCreditApproval = (above: number): ActionPolicyDocument => ({
  ...DEFAULT_ACTION_POLICY,
  rules: (DEFAULT_ACTION_POLICY.rules ?? []).map((r) => (r.id === 'credits' ? { ...r, guardrails: { ...r.guardrails, approveAboveCost: above } } : r)),
});

function describeSettings(name: string, fresh: () => Promise<{ store: Stores; reopen: () => Promise<Stores>; cleanup: () => Promise<void> }>) {
  describe(`action policy settings (${name})`, () => {
    const open = (s: Stores, onChange?: (p: ActionPolicy) => void) =>
      openActionPolicySettings({ records: s.records, audit: createAuditTrail(s.governance, new ManualClock(Date.UTC(2026, 11, 2))), defaults: DEFAULT_ACTION_POLICY, refreshMs: 0, onChange, now: () => Date.UTC(2026, 11, 2, 15) });

    it('starts on the built-in default; a change is in force at once, kept with who and why, and audited', async () => {
      const { store, cleanup } = await fresh();
      try {
        const settings = await open(store);
        expect(await settings.get()).toMatchObject({ version: 0, changedBy: null });
        expect(credit(settings.current())?.guardrails.approveAboveCost).toBe(10);
        const v1 = await settings.set({ document: withCreditApproval(50), reason: 'goodwill up to 50 is routine', basedOn: 0 }, admin);
        expect(v1).toMatchObject({ version: 1, changedBy: admin, reason: 'goodwill up to 50 is routine', changedAt: '2026-12-02T15:00:00.000Z' });
        expect(credit(settings.current())?.guardrails.approveAboveCost).toBe(50);
        const history = await settings.history();
        expect(history.map((v) => [v.version, v.changedBy?.id ?? null])).toEqual([[1, 'alice'], [0, null]]);
        const audit = await createAuditTrail(store.governance, new ManualClock(0)).read();
        expect(audit.map((r) => r.entry)).toEqual([{ type: 'policy.changed', actor: admin, target: { kind: 'policy', version: 1, previousVersion: 0 }, why: { summary: 'goodwill up to 50 is routine' }, clock: 'wall' }]);
        settings.close();
      } finally {
        await cleanup();
      }
    });

    it('refuses a bad document naming the field, a change without a reason, and one edited from an old version; nothing is stored', async () => {
      const { store, cleanup } = await fresh();
      try {
        const settings = await open(store);
        const bad = { ...DEFAULT_ACTION_POLICY, rules: [{ id: 'x', actionClass: 'credit', mode: 'sometimes' }] };
        await expect(settings.set({ document: bad, reason: 'try' }, admin)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/rules\[0\]\.mode/) });
        await expect(settings.set({ document: { ...DEFAULT_ACTION_POLICY, capz: 1 }, reason: 'try' }, admin)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/capz/) });
        await expect(settings.set({ document: withCreditApproval(20), reason: '  ' }, admin)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^reason/) });
        await settings.set({ document: withCreditApproval(20), reason: 'first' }, admin);
        await expect(settings.set({ document: withCreditApproval(30), reason: 'second', basedOn: 0 }, { kind: 'human', id: 'bob' })).rejects.toMatchObject({ code: 'CONFLICT' });
        expect((await settings.history()).map((v) => v.version)).toEqual([1, 0]);
        expect(credit(settings.current())?.guardrails.approveAboveCost).toBe(20);
        settings.close();
      } finally {
        await cleanup();
      }
    });

    it("says one version number: the document's version field is the version it is, from the default's 0 on", async () => {
      const { store, cleanup } = await fresh();
      try {
        const settings = await open(store);
        expect((await settings.get()).document.version).toBe(0);
        const v1 = await settings.set({ document: withCreditApproval(50), reason: 'first' }, admin);
        expect(v1.document.version).toBe(1);
        const v2 = await settings.set({ document: { ...withCreditApproval(60), version: 7 }, reason: 'second' }, admin);
        expect([v2.version, v2.document.version]).toEqual([2, 2]);
        expect((await settings.history()).map((v) => [v.version, v.document.version])).toEqual([[2, 2], [1, 1], [0, 0]]);
        settings.close();
      } finally {
        await cleanup();
      }
    });

    it('writes the audit entry before the version is stored: a store that fails leaves the entry and a second one saying so, no version', async () => {
      const { store, cleanup } = await fresh();
      try {
        const trail = createAuditTrail(store.governance, new ManualClock(0));
        const entriesAtPut: string[][] = [];
        let fail = false;
        const records = Object.create(store.records) as typeof store.records;
        records.put = async <T>(collection: string, id: string, body: T, options?: Parameters<typeof store.records.put>[3]) => {
          entriesAtPut.push((await trail.read()).map((r) => String(r.entry.type)));
          if (fail) throw new Error('disk full');
          return store.records.put(collection, id, body, options);
        };
        const settings = await openActionPolicySettings({ records, audit: trail, defaults: DEFAULT_ACTION_POLICY, refreshMs: 0 });
        await settings.set({ document: withCreditApproval(50), reason: 'first' }, admin);
        expect(entriesAtPut).toEqual([['policy.changed']]);
        fail = true;
        await expect(settings.set({ document: withCreditApproval(60), reason: 'second' }, admin)).rejects.toThrow(/disk full/);
        expect((await settings.get()).version).toBe(1);
        expect((await trail.read()).map((r) => [r.entry.type, 'target' in r.entry ? r.entry.target : null])).toEqual([
          ['policy.changed', { kind: 'policy', version: 1, previousVersion: 0 }],
          ['policy.changed', { kind: 'policy', version: 2, previousVersion: 1 }],
          ['policy.change-failed', { kind: 'policy', version: 2, previousVersion: 1 }],
        ]);
        settings.close();
      } finally {
        await cleanup();
      }
    });

    it('a version read and put back as it is changes nothing; edited, it needs a reason of its own', async () => {
      const { store, cleanup } = await fresh();
      try {
        const settings = await open(store);
        const read = await settings.set({ document: withCreditApproval(50), reason: 'first' }, admin);
        expect(await settings.set({ document: read.document, reason: read.reason, basedOn: read.version, readBack: true }, admin)).toEqual({ ...read, unchanged: true });
        const edited = { ...read.document, fallbackMode: 'approve' as const };
        await expect(settings.set({ document: edited, reason: read.reason, basedOn: read.version, readBack: true }, admin)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^reason: still version 1's reason/) });
        expect(await settings.set({ document: edited, reason: 'unknown requests wait for a person', basedOn: read.version, readBack: true }, admin)).toMatchObject({ version: 2 });
        const audit = await createAuditTrail(store.governance, new ManualClock(0)).read();
        expect(audit.map((r) => r.entry.type)).toEqual(['policy.changed', 'policy.changed']);
        settings.close();
      } finally {
        await cleanup();
      }
    });

    it('a change made by another process is in force here after a refresh, contact rules included; the same file adopted at every start makes one version', async () => {
      const { store, reopen, cleanup } = await fresh();
      const other = await reopen();
      try {
        const seen: ActionPolicy[] = [];
        const here = await open(store, (p) => seen.push(p));
        const there = await open(other);
        const quiet = { ...withCreditApproval(40), contact: { maxContacts: 1, quietHours: null } };
        await there.set({ document: quiet, reason: 'one marketing contact a month' }, admin);
        expect((await here.get()).version).toBe(1);
        expect(credit(here.current())?.guardrails.approveAboveCost).toBe(40);
        expect(seen.at(-1)?.contact).toMatchObject({ maxContacts: 1, quietHours: null, periodDays: 30 });
        const start = { kind: 'system' as const, id: 'twinloop-start' };
        expect((await here.adopt(withCreditApproval(60), start, 'loaded from p.json at start')).version).toBe(2);
        expect((await here.adopt(withCreditApproval(60), start, 'loaded from p.json at start')).version).toBe(2);
        here.close();
        there.close();
      } finally {
        await other.close();
        await cleanup();
      }
    });
  });
}

describeSettings('SQLite', onSqlite(openStores));
describePostgres('action policy settings on PostgreSQL', (url) => describeSettings('PostgreSQL', onPostgres(url, openStores)));
