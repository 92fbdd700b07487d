import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auditClockOf, createAuditTrail } from '../../agents/governance/audit-trail.js';
import { ManualClock, systemClock, type Clock } from '../../domain/clock.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { openApiKeys } from './api-keys.js';
import { auditKeyChanges, ensureAdminKey } from './local-auth.js';

describe('who may act is audited', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  /** Keys whose changes go to a trail stamped with `clock` (its wall clock `wall`), over fresh stores. */
  const keysAudited = async (clock: Clock, wall?: Clock) => {
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-key-audit-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    cleanup.push(() => records.close());
    const governance = await openGovernanceStore({ kind: 'sqlite', dataDir: dir });
    cleanup.push(() => governance.close());
    const audit = createAuditTrail(governance, clock, wall);
    const keys = await openApiKeys(records, { refreshMs: 0, onChange: auditKeyChanges(audit) });
    cleanup.push(() => keys.close());
    return { audit, keys };
  };

  it('every key made or revoked is an audit entry naming who did it, the key, its subject and role; the chain verifies', async () => {
    const { audit, keys } = await keysAudited(systemClock);

    await ensureAdminKey(keys, undefined);
    const { info } = await keys.create({ subject: 'alice', role: 'care_agent' }, 'admin');
    await keys.revoke(info.id, 'bob');
    await keys.revoke(info.id, 'bob'); // already revoked: nothing changes, nothing more to audit

    const entries = (await audit.read({ afterSeq: 0, limit: 100 })).map((r) => r.entry);
    expect(entries).toEqual([
      expect.objectContaining({ type: 'key.created', actor: { kind: 'system', id: 'twinloop start' }, target: expect.objectContaining({ kind: 'api-key', subject: 'admin', role: 'admin' }) }),
      expect.objectContaining({ type: 'key.created', actor: { kind: 'human', id: 'admin' }, target: { kind: 'api-key', id: info.id, subject: 'alice', role: 'care_agent' } }),
      expect.objectContaining({ type: 'key.revoked', actor: { kind: 'human', id: 'bob' }, target: { kind: 'api-key', id: info.id, subject: 'alice', role: 'care_agent' } }),
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/twl_/); // never the secret
    expect((await audit.verify()).ok).toBe(true);
  });

  it("dates a key's entries on the wall clock, marked so, while the trail's other entries follow the operator's (the sandbox world's) clock", async () => {
    // The sandbox world is in 2025 while the person makes the key in 2026.
    const { audit, keys } = await keysAudited(new ManualClock(Date.parse('2025-03-01T00:00:00Z')), new ManualClock(Date.parse('2026-12-07T19:00:00Z')));
    await keys.create({ subject: 'alice', role: 'care_agent' }, 'admin');
    await audit.record({ type: 'action.requested', requestId: 'r1', actor: { kind: 'human', id: 'alice' }, action: { actionClass: 'credit', channel: 'call', customerId: 'C1', cost: 5, params: {} }, why: {}, outcome: {} });
    const read = await audit.read({ afterSeq: 0, limit: 10 });
    expect(read.map((r) => [r.entry.type, new Date(r.at).toISOString(), auditClockOf(r)])).toEqual([
      ['key.created', '2026-12-07T19:00:00.000Z', 'wall'],
      ['action.requested', '2025-03-01T00:00:00.000Z', 'operator'],
    ]);
    expect((await audit.verify()).ok).toBe(true);
  });
});
