import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { SQLITE_FILE_NAME } from '../../store/sqlite-connection.js';
import { describePostgres, onPostgres, onSqlite, type OpenedStore } from '../../store/store-fixtures.js';
import { createAuditTrail, type AuditEntry, type AuditTrail } from './audit-trail.js';
import { formatAuditVerification, verifyAudit } from './verify-audit.js';

const entry = (n: number): AuditEntry => ({
  type: 'action.executed',
  requestId: `r${n}`,
  actor: { kind: 'agent', id: 'retention' },
  action: { actionClass: 'credit', channel: 'app', customerId: 'C1', cost: n, params: {} },
  why: { simulationId: 'sim-1', features: { arpu_3m: 42 }, rule: 'credits' },
  outcome: { status: 'executed' },
});

describe('audit trail verification (tampering through raw SQL)', () => {
  let dataDir: string;
  let store: GovernanceStore;
  let trail: AuditTrail;
  const sql = (statement: string) => {
    const db = new Database(join(dataDir, SQLITE_FILE_NAME));
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'twinloop-audit-'));
    store = await openGovernanceStore({ kind: 'sqlite', dataDir });
    trail = createAuditTrail(store, new ManualClock(Date.UTC(2026, 4, 1)));
    for (let n = 1; n <= 5; n++) await trail.record(entry(n));
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('passes an untouched chain', async () => {
    expect(await trail.verify()).toMatchObject({ ok: true, entries: 5, headSeq: 5 });
    expect(formatAuditVerification(await verifyAudit({ kind: 'sqlite', dataDir }))).toMatch(/intact: 5 entries/);
  });

  it('detects an edited row', async () => {
    sql(`UPDATE audit_log SET entry = replace(entry, '"cost":3', '"cost":300') WHERE seq = 3`);
    expect(await trail.verify()).toMatchObject({ ok: false, entries: 2, firstBreak: { kind: 'content', seq: 3 } });
  });

  it('detects an edited row whose hash was recomputed, at the next link', async () => {
    sql(`UPDATE audit_log SET hash = 'f00d' WHERE seq = 3`);
    const v = await trail.verify();
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.firstBreak.seq).toBe(3);
  });

  it('detects a deleted row', async () => {
    sql('DELETE FROM audit_log WHERE seq = 2');
    expect(await trail.verify()).toMatchObject({ ok: false, entries: 1, firstBreak: { kind: 'gap', seq: 2 } });
  });

  it('detects reordered rows', async () => {
    sql('UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = -1');
    expect(await trail.verify()).toMatchObject({ ok: false, entries: 1, firstBreak: { seq: 2 } });
  });

  it('detects entries cut off the end', async () => {
    sql('DELETE FROM audit_log WHERE seq = 5');
    const v = await verifyAudit({ kind: 'sqlite', dataDir });
    expect(v).toMatchObject({ ok: false, entries: 4, firstBreak: { kind: 'head' } });
    expect(formatAuditVerification(v)).toMatch(/BROKEN/);
  });
});

/**
 * The facts an entry was appended for (audit_facts, migration 19) are inside what the chain proves,
 * on each adapter: a fact row deleted, moved to another entry or added outside the trail breaks it.
 */
function factTampering(name: string, open: () => Promise<OpenedStore<GovernanceStore>>): void {
  describe(`audit facts verification on ${name} (tampering through raw SQL)`, () => {
    let opened: OpenedStore<GovernanceStore>;
    let trail: AuditTrail;
    beforeEach(async () => {
      opened = await open();
      trail = createAuditTrail(opened.store, new ManualClock(Date.UTC(2026, 4, 1)));
      for (let n = 1; n <= 3; n++) await trail.record(entry(n));
      // An offer's settlement and a late acceptance: one entry per fact, whoever repeats it.
      await trail.record(entry(4), 'offer-settled:r4');
      await trail.record(entry(5), 'offer-accepted-late:r5');
      expect((await trail.record(entry(4), 'offer-settled:r4')).seq).toBe(4);
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('passes untouched facts, each named by its entry', async () => {
      expect(await trail.verify()).toMatchObject({ ok: true, entries: 5 });
      expect((await trail.read({ afterSeq: 3 })).map((r) => r.entry.fact)).toEqual(['offer-settled:r4', 'offer-accepted-late:r5']);
    });

    it('holds a fact appended before entries named theirs when its entry is about the request the fact names', async () => {
      // As a settlement appended by the version before: the fact row beside an entry that does not name it.
      await trail.record(entry(6));
      await opened.sql(`INSERT INTO audit_facts (fact, seq) VALUES ('offer-settled:r6', 6)`);
      expect(await trail.verify()).toMatchObject({ ok: true, entries: 6 });
    });

    it('detects a fact row deleted: a repeat would append the settlement again', async () => {
      await opened.sql(`DELETE FROM audit_facts WHERE fact = 'offer-settled:r4'`);
      expect(await trail.verify()).toMatchObject({ ok: false, firstBreak: { kind: 'fact', seq: 4, message: expect.stringMatching(/no fact row: the row was deleted/) } });
    });

    it('detects a fact row moved to another entry', async () => {
      await opened.sql(`UPDATE audit_facts SET seq = 2 WHERE fact = 'offer-accepted-late:r5'`);
      expect(await trail.verify()).toMatchObject({ ok: false, firstBreak: { kind: 'fact', seq: 5, message: expect.stringMatching(/points at audit entry 2, but entry 5 records it/) } });
    });

    it('detects a fact row added outside the trail: the real settlement would append nothing', async () => {
      await opened.sql(`INSERT INTO audit_facts (fact, seq) VALUES ('offer-settled:r9', 3)`);
      expect(await trail.verify()).toMatchObject({ ok: false, firstBreak: { kind: 'fact', seq: 3, message: expect.stringMatching(/does not record it/) } });
    });
  });
}

factTampering('SQLite', onSqlite((options) => openGovernanceStore(options)));
describePostgres('audit facts on PostgreSQL', (url) => factTampering('PostgreSQL', onPostgres(url, (options) => openGovernanceStore(options))));
