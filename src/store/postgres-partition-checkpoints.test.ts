import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import type { PartitionCheckpoints } from './partition-checkpoints.js';
import { dropPostgresSchema } from './postgres-connection.js';
import { openPostgresPartitionCheckpoints } from './postgres-partition-checkpoints.js';
import { describePostgres } from './store-fixtures.js';

const bytes = (...b: number[]) => new Uint8Array(b);

async function all(pages: AsyncGenerator<{ customerId: string; bytes: Uint8Array }[]>) {
  const out: { customerId: string; bytes: number[] }[] = [];
  for await (const page of pages) for (const s of page) out.push({ customerId: s.customerId, bytes: [...s.bytes] });
  return out;
}

describePostgres('partition checkpoints on PostgreSQL', (url) => {
  const schema = `twinloop_test_pcp_${randomBytes(4).toString('hex')}`;
  const opened: PartitionCheckpoints[] = [];
  const open = async () => {
    const c = await openPostgresPartitionCheckpoints({ url, schema });
    opened.push(c);
    return c;
  };
  afterAll(async () => {
    for (const c of opened) await c.close().catch(() => undefined);
    await dropPostgresSchema(url, schema);
  });

  it('keeps each partition\'s position and its twins apart; a later save moves the position and replaces only the twins it names', async () => {
    const a = await open();
    expect(await a.positions([3, 4])).toEqual(new Map());
    await a.save([
      { partition: 3, seq: 10, twins: [{ customerId: 'x', bytes: bytes(1) }, { customerId: 'y', bytes: bytes(2) }] },
      { partition: 4, seq: 12, twins: [{ customerId: 'z', bytes: bytes(3) }] },
    ], [{ kind: 'subscription', hash: 4_000_000_000, name: 'S1' }]);
    await a.save([{ partition: 3, seq: 20, twins: [{ customerId: 'y', bytes: bytes(9, 9) }] }], [{ kind: 'cellSite', hash: 7, name: 'site-a' }]);

    // Another worker (another connection) reads what the first wrote.
    const b = await open();
    expect(await b.positions([3, 4, 5])).toEqual(new Map([[3, 20], [4, 12]]));
    expect(await all(b.snapshots(3, 1))).toEqual([{ customerId: 'x', bytes: [1] }, { customerId: 'y', bytes: [9, 9] }]);
    expect(await all(b.snapshots(4))).toEqual([{ customerId: 'z', bytes: [3] }]);
    expect(await all(b.snapshots(5))).toEqual([]);
    // A name's latest value wins (a cell may move to another site).
    await b.save([], [{ kind: 'cellSite', hash: 7, name: 'site-b' }]);
    expect((await b.names()).sort((p, q) => p.kind.localeCompare(q.kind))).toEqual([
      { kind: 'cellSite', hash: 7, name: 'site-b' },
      { kind: 'subscription', hash: 4_000_000_000, name: 'S1' },
    ]);
  });

  it('a save that fails leaves the position and the twins as they were', async () => {
    const c = await open();
    await c.save([{ partition: 9, seq: 5, twins: [{ customerId: 'k', bytes: bytes(1) }] }], []);
    const broken = { customerId: 'k2', bytes: undefined as unknown as Uint8Array };
    await expect(c.save([{ partition: 9, seq: 6, twins: [{ customerId: 'k', bytes: bytes(2) }, broken] }], [])).rejects.toThrow();
    expect(await c.positions([9])).toEqual(new Map([[9, 5]]));
    expect(await all(c.snapshots(9))).toEqual([{ customerId: 'k', bytes: [1] }]);
  });
});
