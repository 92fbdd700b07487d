import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import type { GovernanceStore } from '../../store/governance-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { SQLITE_FILE_NAME } from '../../store/sqlite-connection.js';
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
