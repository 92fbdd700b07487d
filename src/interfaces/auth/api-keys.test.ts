import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRecordStore } from '../../store/open-record-store.js';
import type { RecordStore } from '../../store/record-store.js';
import { API_KEY_COLLECTION, openApiKeys, parseApiKey } from './api-keys.js';

describe('API keys', () => {
  const dirs: string[] = [];
  const stores: RecordStore[] = [];
  const open = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinloop-keys-'));
    dirs.push(dir);
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    stores.push(records);
    return { dir, records };
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('creates a key whose secret is shown once and stored only as a hash; the key stands for its subject, role and scope', async () => {
    const { records } = await open();
    const keys = await openApiKeys(records, { refreshMs: 0 });
    const { key, info } = await keys.create({ subject: 'alice', role: 'care_agent', channels: ['call', 'chat'], description: 'desk 4' }, 'admin');
    expect(parseApiKey(key)).not.toBeNull();
    expect(info).toMatchObject({ subject: 'alice', role: 'care_agent', channels: ['call', 'chat'], status: 'active', createdBy: 'admin' });
    const stored = JSON.stringify((await records.list(API_KEY_COLLECTION)).map((r) => r.body));
    expect(stored).not.toContain(parseApiKey(key)!.secret);
    expect(JSON.stringify(await keys.list())).not.toContain(parseApiKey(key)!.secret);
    expect(JSON.stringify(await keys.list())).not.toContain('hash');
    expect(await keys.verify(key)).toEqual({ ok: true, identity: { subject: 'alice', role: 'care_agent', scope: { channels: ['call', 'chat'] }, via: 'api-key', keyId: info.id } });
    keys.close();
  });

  it('refuses a wrong secret, a made-up key and anything not shaped like a key, saying why', async () => {
    const { records } = await open();
    const keys = await openApiKeys(records, { refreshMs: 0 });
    const { key } = await keys.create({ subject: 'bob', role: 'viewer' }, 'admin');
    const { id } = parseApiKey(key)!;
    const forged = `twl_${id}_${'A'.repeat(43)}`;
    expect(await keys.verify(forged)).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown/) });
    expect(await keys.verify(`twl_0123456789abcdef_${'B'.repeat(43)}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown/) });
    expect(await keys.verify('hunter2')).toMatchObject({ ok: false, reason: expect.stringMatching(/not a Twinloop API key/) });
    keys.close();
  });

  it('a key verified once is remembered, yet a wrong secret for its id, its revocation and its expiry are each refused at once', async () => {
    const { records } = await open();
    let t = Date.parse('2026-05-01T00:00:00Z');
    const keys = await openApiKeys(records, { refreshMs: 0, now: () => t });
    const { key, info } = await keys.create({ subject: 'frank', role: 'care_agent', expiresAt: '2026-05-03T00:00:00Z' }, 'admin');
    const first = await keys.verify(key);
    expect(first.ok).toBe(true);
    // The same identity object: the second check was answered from memory.
    expect(await keys.verify(key)).toEqual(first);
    expect((await keys.verify(key) as { identity: unknown }).identity).toBe((first as { identity: unknown }).identity);
    const { id, secret } = parseApiKey(key)!;
    const forged = `twl_${id}_${secret.slice(0, 42)}${secret.endsWith('A') ? 'B' : 'A'}`;
    expect(await keys.verify(forged)).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown/) });
    t = Date.parse('2026-05-03T00:00:01Z');
    expect(await keys.verify(key)).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    t = Date.parse('2026-05-02T00:00:00Z');
    expect((await keys.verify(key)).ok).toBe(true);
    await keys.revoke(info.id, 'admin');
    expect(await keys.verify(key)).toMatchObject({ ok: false, reason: expect.stringMatching(/revoked/) });
    keys.close();
  });

  it('a revoked key stops working at once, here and (after a refresh) in another process on the same store', async () => {
    const { records } = await open();
    const here = await openApiKeys(records, { refreshMs: 0 });
    const elsewhere = await openApiKeys(records, { refreshMs: 0 });
    const { key, info } = await here.create({ subject: 'carol', role: 'supervisor' }, 'admin');
    // The other process never saw the key: it finds it in the store on first use.
    expect((await elsewhere.verify(key)).ok).toBe(true);
    expect(await here.revoke(info.id, 'admin')).toMatchObject({ status: 'revoked', revokedBy: 'admin' });
    expect(await here.verify(key)).toMatchObject({ ok: false, reason: expect.stringMatching(/revoked/) });
    await elsewhere.list(); // a refresh, as the timer does
    expect(await elsewhere.verify(key)).toMatchObject({ ok: false, reason: expect.stringMatching(/revoked/) });
    await expect(here.revoke('feedfacefeedface', 'admin')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    here.close();
    elsewhere.close();
  });

  it('an expired key is refused, and a key cannot be made already expired', async () => {
    const { records } = await open();
    let t = Date.parse('2026-05-01T00:00:00Z');
    const keys = await openApiKeys(records, { refreshMs: 0, now: () => t });
    const { key } = await keys.create({ subject: 'dave', role: 'marketer', expiresAt: '2026-05-02T00:00:00Z' }, 'admin');
    expect((await keys.verify(key)).ok).toBe(true);
    t = Date.parse('2026-05-02T00:00:01Z');
    expect(await keys.verify(key)).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    expect((await keys.list())[0].status).toBe('expired');
    await expect(keys.create({ subject: 'dave', role: 'marketer', expiresAt: '2026-05-01T00:00:00Z' }, 'admin')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    keys.close();
  });

  it('names what is wrong with a new key', async () => {
    const { records } = await open();
    const keys = await openApiKeys(records, { refreshMs: 0 });
    await expect(keys.create({ subject: 'erin', role: 'root' }, 'admin')).rejects.toThrow(/role/);
    await expect(keys.create({ subject: 'erin', role: 'viewer', channels: ['fax'] }, 'admin')).rejects.toThrow(/channels/);
    await expect(keys.create({ subject: '', role: 'viewer' }, 'admin')).rejects.toThrow(/subject/);
    await expect(keys.create({ subject: 'erin', role: 'viewer', isAdmin: true }, 'admin')).rejects.toThrow(/isAdmin|Unrecognized/);
    // Every problem at once, each with what came: not the first alone.
    await expect(keys.create({ subject: '', role: 'root', channels: ['fax'] }, 'admin')).rejects.toThrow(/^new key: subject: letters, digits .* \(got ""\); role: expected one of .*, got "root"; channels\[0\]: expected one of .*, got "fax" \(example:/);
    expect(await keys.hasActive('admin')).toBe(false);
    await keys.create({ subject: 'root', role: 'admin' }, 'first start');
    expect(await keys.hasActive('admin')).toBe(true);
    keys.close();
  });

  it('refuses a key scoped to a segment the policy in force does not have, naming it and the known ones; nothing is stored', async () => {
    const { records } = await open();
    let known = ['high_value'];
    const keys = await openApiKeys(records, { refreshMs: 0, segments: () => known });
    const refused = keys.create({ subject: 'mia', role: 'marketer', segments: ['high_value', 'nonsense'] }, 'admin');
    await expect(refused).rejects.toMatchObject({ code: 'BAD_INPUT', context: { field: 'segments', unknown: ['nonsense'], known: ['high_value'] } });
    await expect(refused).rejects.toThrow(/segments: "nonsense" is not a segment of the action policy in force, which has high_value/);
    expect(await keys.list()).toEqual([]);
    expect((await keys.create({ subject: 'mia', role: 'marketer', segments: ['high_value'] }, 'admin')).info.segments).toEqual(['high_value']);
    // The policy changed: the names follow the policy in force.
    known = ['high_value', 'prepaid'];
    expect((await keys.create({ subject: 'pat', role: 'marketer', segments: ['prepaid'] }, 'admin')).info.segments).toEqual(['prepaid']);
    keys.close();
  });
});
