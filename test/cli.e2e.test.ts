import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGovernanceStore } from '../src/store/open-governance-store.js';
import { openModelRegistry } from '../src/store/open-model-registry.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');

/** Runs the built CLI (npm test builds first) and returns stdout, stderr and the exit code. */
async function twinloop(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const T = Date.now() - 2 * 86_400_000;

describe('twinloop CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes, lists and revokes API keys; the secret is printed once and never listed', async () => {
    const data = ['--data-dir', join(dir, 'keys')];
    const made = await twinloop(['keys', 'create', '--subject', 'alice', '--role', 'care_agent', '--channels', 'call,chat', '--expires', '90d', '--json', ...data]);
    expect(made.code, made.stderr).toBe(0);
    const key = JSON.parse(made.stdout) as { id: string; key: string; role: string; channels: string[]; expiresAt: string };
    expect(key).toMatchObject({ role: 'care_agent', channels: ['call', 'chat'] });
    expect(key.key).toMatch(/^twl_[0-9a-f]{16}_/);
    expect(Date.parse(key.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    const listed = await twinloop(['keys', 'list', ...data]);
    expect(listed.stdout).toMatch(new RegExp(`${key.id}\\s+active\\s+care_agent\\s+alice`));
    expect(listed.stdout).not.toContain(key.key.slice(22));
    expect((await twinloop(['keys', 'revoke', key.id, ...data])).stdout).toMatch(/revoked/);
    expect((await twinloop(['keys', 'list', '--json', ...data])).stdout).toContain('"status":"revoked"');
    const bad = await twinloop(['keys', 'create', '--subject', 'bob', '--role', 'emperor', ...data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--role: "emperor" is not a role; one of .*care_agent/);
    expect(bad.stderr).not.toMatch(/\{"subject"/);
    const misspelt = await twinloop(['keys', 'create', '--subject', 'bob', '--role', 'viewr', ...data]);
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toMatch(/did you mean viewer\?/);
    expect((await twinloop(['keys', 'revoke', 'nope', ...data])).code).toBe(3);
  });

  it('ingests NDJSON, reports each rejected line, and shows the twin', async () => {
    const lines = [
      JSON.stringify({ id: 'r1', kind: 'customer', customerId: 'C7', time: iso(T), source: 'crm', v: 1, data: { segment: 'consumer', billing: 'prepaid', contractMonths: 0, paymentMethod: 'voucher', since: iso(T - 86_400_000 * 30) } }),
      JSON.stringify({ id: 'u1', kind: 'usage', customerId: 'C7', time: iso(T + 1000), source: 'cdr', v: 1, data: { subscriptionId: 'S7', dataMb: 123.5, voiceMin: 2, sms: 1, roaming: false } }),
      '',
      'this is not json',
      JSON.stringify({ id: 'u2', kind: 'usage', customerId: 'C7', time: iso(T + 2000), source: 'cdr', v: 1, data: { subscriptionId: 'S7', dataMb: -1, voiceMin: 2, sms: 1, roaming: false } }),
    ];
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const data = join(dir, 'store');
    const ingest = await twinloop(['ingest', file, '--json', '--data-dir', data]);
    // The good records land; the exit code tells a script that some were refused.
    expect(ingest.code).toBe(2);
    const summary = JSON.parse(ingest.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ accepted: 2, duplicates: 0, rejected: 2 });
    expect(summary.rejections.map((r: { line: number }) => r.line)).toEqual([4, 5]);
    expect(summary.rejections[1].reason).toMatch(/^data\.dataMb/);

    const again = JSON.parse((await twinloop(['ingest', file, '--json', '--data-dir', data])).stdout.trim());
    expect(again).toMatchObject({ accepted: 0, duplicates: 2, rejected: 2 });

    const twin = await twinloop(['twin', 'C7', '--json', '--data-dir', data]);
    expect(JSON.parse(twin.stdout)).toMatchObject({ customerId: 'C7', profile: { billing: 'prepaid' }, features: { data_mb_7d: 123.5 } });
    const missing = await twinloop(['twin', 'NOBODY', '--data-dir', data]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/twin "NOBODY" not found/);

    const replay = await twinloop(['replay', '--verify', '--json', '--data-dir', data]);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ twins: 1, identical: 1, different: 0 });
  });

  it('ingests a CSV through a column mapping', async () => {
    const data = join(dir, 'csv-store');
    const reg = join(dir, 'reg.ndjson');
    writeFileSync(reg, `${JSON.stringify({ id: 'r9', kind: 'customer', customerId: '0612', time: iso(T), source: 'crm', v: 1, data: { segment: 'consumer', billing: 'postpaid', contractMonths: 12, paymentMethod: 'card', since: iso(T - 86_400_000) } })}\n`);
    expect((await twinloop(['ingest', reg, '--data-dir', data])).code).toBe(0);
    const csv = join(dir, 'cdr.csv');
    writeFileSync(csv, `record,msisdn,at,mb,minutes,texts,roam\nx1,0612,${iso(T + 5000)},10.5,3,0,no\nx2,0612,${iso(T + 6000)},oops,1,0,no\n`);
    const map = join(dir, 'map.json');
    writeFileSync(map, JSON.stringify({ kind: 'usage', constants: { source: 'cdr', 'data.subscriptionId': 'L1' }, fields: { id: 'record', customerId: { column: 'msisdn', type: 'string' }, time: 'at', 'data.dataMb': 'mb', 'data.voiceMin': 'minutes', 'data.sms': 'texts', 'data.roaming': { column: 'roam', type: 'boolean' } } }));
    const res = await twinloop(['ingest', csv, '--csv-map', map, '--json', '--data-dir', data]);
    const summary = JSON.parse(res.stdout.trim());
    expect(summary).toMatchObject({ accepted: 1, rejected: 1 });
    expect(summary.rejections[0]).toMatchObject({ line: 3, reason: expect.stringMatching(/^data\.dataMb/) });
  });

  it('ends quietly when the reader of its output goes away (| head)', async () => {
    const data = join(dir, 'dead-letters');
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, `${Array.from({ length: 3000 }, (_, i) => `not an event, line ${i} ${'x'.repeat(100)}`).join('\n')}\n`);
    expect((await twinloop(['ingest', bad, '--data-dir', data])).code).toBe(2);
    // Reads the first chunk of the listing (~600 kB, more than a pipe holds), then closes the pipe.
    const child = spawn(process.execPath, [BIN, 'dead-letters', '--limit', '3000', '--data-dir', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const first = await new Promise<string>((r) => child.stdout.once('data', (c: Buffer) => r(c.toString())));
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.once('close', r));
    expect(first).toMatch(/^#\d+ \S+ \[cli\] record: malformed JSON.*\n +not an event, line 0/);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('maps every refusal to its exit code with one line on stderr', async () => {
    const data = join(dir, 'codes');
    // Usage errors found by the option parser are bad input too.
    const unknown = await twinloop(['twin', 'C1', '--colour', 'red', '--data-dir', data]);
    expect(unknown).toMatchObject({ code: 2, stderr: "twinloop: unknown option '--colour'\n" });
    const notInt = await twinloop(['dead-letters', '--limit', 'many', '--data-dir', data]);
    expect(notInt.code).toBe(2);
    expect(notInt.stderr).toMatch(/^twinloop: .*--limit must be an integer/);
    const duration = await twinloop(['--lateness', 'three days', 'twin', 'C1', '--data-dir', data]);
    expect(duration).toMatchObject({ code: 2, stderr: 'twinloop: --lateness: "three days" is not a duration (examples: 72h, 3d, 30m, 500ms)\n' });
    const horizon = await twinloop(['model', 'train-twins', '--horizon', 'soon', '--data-dir', data]);
    expect(horizon).toMatchObject({ code: 2, stderr: expect.stringMatching(/^twinloop: --horizon: "soon" is not a duration/) });
    const world = join(dir, 'world.json');
    writeFileSync(world, JSON.stringify({ extends: 'small', population: { customers: -5 } }));
    const invalid = await twinloop(['sandbox', 'validate', '--config', world]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/world\.json is not a valid world configuration:\npopulation\.customers: /);
    const promote = await twinloop(['model', 'promote', 'churn-v99', '--reason', 'it is better', '--data-dir', data]);
    expect(promote).toMatchObject({ code: 3, stderr: expect.stringMatching(/^twinloop: model version "churn-v99" not found/) });
    expect((await twinloop(['--help'])).code).toBe(0);
  });

  it('promotes a model version only with a reason, and audits who promoted it over which champion', async () => {
    const data = join(dir, 'promote');
    const store = { kind: 'sqlite' as const, dataDir: data };
    const registry = await openModelRegistry(store);
    for (const status of ['champion', 'challenger'] as const) await registry.save({ name: 'churn', status, document: '{}', metadata: { learner: 'logistic' }, createdAt: Date.now() });
    await registry.close();
    // No reason, or a blank one: refused before anything changes.
    expect(await twinloop(['model', 'promote', 'churn-v2', '--data-dir', data])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^twinloop: required option '--reason <text>' not specified/) });
    expect(await twinloop(['model', 'promote', 'churn-v2', '--reason', '  ', '--data-dir', data])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^twinloop: reason: say why this version should serve/) });
    expect(await twinloop(['model', 'train-twins', '--promote', '--data-dir', data])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^twinloop: reason: say why/) });
    const listed = async () => JSON.parse((await twinloop(['model', 'list', '--json', '--data-dir', data])).stdout) as { id: string; status: string }[];
    expect((await listed()).find((v) => v.id === 'churn-v2')?.status).toBe('challenger');

    const done = await twinloop(['model', 'promote', 'churn-v2', '--reason', 'AUC up on the last 3 cutoffs', '--data-dir', data]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^churn-v2 is now the champion \(on the store; .*\), audited as promoted by cli:\S+: AUC up on the last 3 cutoffs\n$/);
    expect(Object.fromEntries((await listed()).map((v) => [v.id, v.status]))).toEqual({ 'churn-v2': 'champion', 'churn-v1': 'retired' });
    // The audit trail holds it as the HTTP route writes it, and the chain still verifies.
    const governance = await openGovernanceStore(store);
    const [entry] = await governance.readAudit({ newestFirst: true, limit: 1 });
    await governance.close();
    expect(entry.entry).toMatchObject({ type: 'model.promoted', actor: { kind: 'human', id: expect.stringMatching(/^cli:/) }, target: { kind: 'model', id: 'churn-v2', previousChampion: 'churn-v1' }, why: { summary: 'AUC up on the last 3 cutoffs' } });
    expect((await twinloop(['audit', 'verify', '--data-dir', data])).code).toBe(0);
  });

  it('names a missing file and exits 2', async () => {
    const res = await twinloop(['ingest', join(dir, 'nope.ndjson'), '--data-dir', join(dir, 'x')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/nope\.ndjson: no such file/);
    const csv = await twinloop(['model', 'train', '--csv', join(dir, 'nope.csv'), '--target', 'Churn', '--out', join(dir, 'm.json')]);
    expect(csv).toMatchObject({ code: 2, stderr: expect.stringMatching(/^twinloop: CSV file not found: .*nope\.csv/) });
  });

  it.skipIf(!process.env.NATS_URL)('publishes the UTF-8 lines of a file to NATS and refuses the others, naming their lines', async () => {
    const url = process.env.NATS_URL!;
    const stream = `reliability_TWINLOOP_PUBLISH_${process.pid}_${Date.now()}`;
    const subject = `twinloop.test.${stream}`;
    const file = join(dir, 'latin1.ndjson');
    writeFileSync(file, Buffer.concat([Buffer.from('{"id":"a"}\n{"id":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"id":"b"}\n')]));
    const { NatsEventBus } = await import('../src/bus/nats-event-bus.js');
    try {
      const res = await twinloop(['publish', file, '--nats', url, '--nats-stream', stream, '--nats-subject', subject, '--json']);
      expect(res.code).toBe(2);
      expect(JSON.parse(res.stdout.trim().split('\n').pop()!)).toEqual({ published: 2, refused: 1, refusals: [{ line: 2, reason: expect.stringContaining('not valid UTF-8') }] });
      const bus = await NatsEventBus.open({ url, stream, subject });
      try {
        const got = [];
        for (let i = 0; i < 20 && got.length < 2; i++) got.push(...(await bus.pull(10, 200)));
        expect(got.map((m) => m.data)).toEqual(['{"id":"a"}', '{"id":"b"}']);
      } finally {
        await bus.close();
      }
    } finally {
      await NatsEventBus.deleteStream(url, stream);
    }
  });
});
