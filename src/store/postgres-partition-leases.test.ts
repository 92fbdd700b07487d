import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import pg from 'pg';
import { PARTITION_COUNT } from '../domain/partitions.js';
import type { PartitionLeases } from './partition-leases.js';
import { dropPostgresSchema } from './postgres-connection.js';
import { leaseLockKey, openPostgresPartitionLeases } from './postgres-partition-leases.js';
import { describePostgres } from './store-fixtures.js';

describePostgres('partition leases on PostgreSQL advisory locks', (url) => {
  const prefix = `twinloop_test_leases_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];
  const opened: PartitionLeases[] = [];
  const schema = () => {
    schemas.push(`${prefix}_${schemas.length + 1}`);
    return schemas[schemas.length - 1];
  };
  const worker = async (schemaName: string, workerId: string, onLost?: (err: Error) => void) => {
    const leases = await openPostgresPartitionLeases({ url, schema: schemaName, workerId, answersAt: `http://${workerId}.test`, onLost });
    opened.push(leases);
    return leases;
  };
  afterAll(async () => {
    for (const l of opened) await l.close().catch(() => undefined);
    for (const s of schemas) await dropPostgresSchema(url, s);
  });

  it('a partition has one owner; a worker SIGKILLed frees its leases at once and another takes them', async () => {
    const s = schema();
    const b = await worker(s, 'b');
    // Worker a is a real process holding every partition, killed with SIGKILL.
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { openPostgresPartitionLeases } = await import(${JSON.stringify(new URL('./postgres-partition-leases.ts', import.meta.url).href)});
      const a = await openPostgresPartitionLeases({ url: ${JSON.stringify(url)}, schema: ${JSON.stringify(s)}, workerId: 'a', answersAt: 'http://a.test' });
      console.log('held ' + (await a.acquire(64)).length);
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const held = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => resolve(String(d).trim()));
      child.once('exit', (code) => reject(new Error(`the worker exited (${code})`)));
    });
    expect(held).toBe(`held ${PARTITION_COUNT}`);
    expect(await b.acquire(PARTITION_COUNT)).toEqual([]);
    const owners = await b.owners();
    expect(owners).toHaveLength(PARTITION_COUNT);
    expect(new Set(owners.map((o) => o.workerId))).toEqual(new Set(['a']));
    expect(owners[0].url).toBe('http://a.test');

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The killed process's socket closes at once; its session ends and its rows are no longer owners.
    // (Its backend may still be exiting for a moment: b tries again until it holds them all.)
    for (let i = 0; i < 50 && b.held().length < PARTITION_COUNT; i++) {
      await b.acquire(PARTITION_COUNT);
      if (b.held().length < PARTITION_COUNT) await new Promise((r) => setTimeout(r, 100));
    }
    expect(b.held()).toEqual(Array.from({ length: PARTITION_COUNT }, (_, i) => i));
    expect(new Set((await b.owners()).map((o) => o.workerId))).toEqual(new Set(['b']));
  }, 60_000);

  it('a worker whose session is terminated knows it lost everything; its partitions go to the next; a release hands over a share', async () => {
    const s = schema();
    let lostWith: Error | undefined;
    const a = await worker(s, 'a', (err) => (lostWith = err));
    const b = await worker(s, 'b');
    expect(await a.acquire(PARTITION_COUNT)).toHaveLength(PARTITION_COUNT);
    // Half handed over: a releases what is beyond its share of two workers, b takes it.
    await a.release(a.held().slice(PARTITION_COUNT / 2));
    expect(await b.acquire(PARTITION_COUNT / 2)).toHaveLength(PARTITION_COUNT / 2);
    const owners = await b.owners();
    expect(owners.filter((o) => o.workerId === 'a')).toHaveLength(PARTITION_COUNT / 2);
    expect(owners.filter((o) => o.workerId === 'b')).toHaveLength(PARTITION_COUNT / 2);

    // a's session ended by the server (a failover, pg_terminate_backend).
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::bigint::oid AND pid <> pg_backend_pid() AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $2::bigint::oid)`, [leaseLockKey(s), a.held()[0]]);
    } finally {
      await admin.end();
    }
    for (let i = 0; i < 50 && !lostWith; i++) await new Promise((r) => setTimeout(r, 100));
    expect(lostWith).toBeDefined();
    expect(a.held()).toEqual([]);
    await expect(a.acquire(1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(await b.acquire(PARTITION_COUNT)).toHaveLength(PARTITION_COUNT / 2);
    expect((await b.owners()).every((o) => o.workerId === 'b')).toBe(true);
  }, 60_000);

  it('two deployments (schemas) in one database do not share partitions', async () => {
    const x = await worker(schema(), 'x');
    const y = await worker(schema(), 'y');
    expect(await x.acquire(PARTITION_COUNT)).toHaveLength(PARTITION_COUNT);
    expect(await y.acquire(PARTITION_COUNT)).toHaveLength(PARTITION_COUNT);
    expect(await x.owners()).toHaveLength(PARTITION_COUNT);
  });
});
