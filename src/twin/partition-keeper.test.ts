import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { PARTITION_COUNT } from '../domain/partitions.js';
import type { PartitionLeases } from '../store/partition-leases.js';
import { dropPostgresSchema } from '../store/postgres-connection.js';
import { leaseLockKey, openPostgresPartitionLeases } from '../store/postgres-partition-leases.js';
import { describePostgres } from '../store/store-fixtures.js';
import { keepPartitions } from './partition-keeper.js';

describePostgres('partition keeper', (url) => {
  const schema = `twinloop_test_keeper_${randomBytes(4).toString('hex')}`;
  const opened: PartitionLeases[] = [];
  afterAll(async () => {
    for (const l of opened) await l.close().catch(() => undefined);
    await dropPostgresSchema(url, schema);
  });

  it('keeps each worker at its fair share: a second worker gets half, and all of a worker whose session died', async () => {
    const worker = async (id: string) => {
      const leases = await openPostgresPartitionLeases({ url, schema, workerId: id, answersAt: `http://${id}.test` });
      opened.push(leases);
      const taken: number[] = [];
      const released: number[] = [];
      const keeper = keepPartitions({ leases, everyMs: 0, onTaken: async (ps) => void taken.push(...ps), beforeRelease: async (p) => void released.push(p) });
      keeper.stop();
      return { leases, keeper, taken, released };
    };
    const a = await worker('a');
    await a.keeper.step();
    expect(a.leases.held()).toHaveLength(PARTITION_COUNT);
    expect(a.taken).toHaveLength(PARTITION_COUNT);

    const b = await worker('b');
    for (let i = 0; i < 3 * PARTITION_COUNT && b.leases.held().length < PARTITION_COUNT / 2; i++) {
      await a.keeper.step();
      await b.keeper.step();
    }
    expect(a.leases.held()).toHaveLength(PARTITION_COUNT / 2);
    expect(b.leases.held()).toHaveLength(PARTITION_COUNT / 2);
    // Each partition a gave back was checkpointed first (beforeRelease) and recovered by b (onTaken).
    expect([...a.released].sort()).toEqual([...b.taken].sort());
    expect((await a.leases.owners()).length).toBe(PARTITION_COUNT);

    // a's session ends (its process died, or the server cut it): b takes the rest at its next round.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND pid <> pg_backend_pid()`,
        [leaseLockKey(schema), a.leases.held()[0]],
      );
    } finally {
      await admin.end();
    }
    for (let i = 0; i < 50 && b.leases.held().length < PARTITION_COUNT; i++) {
      await b.keeper.step();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(b.leases.held()).toHaveLength(PARTITION_COUNT);
    expect((await b.leases.owners()).every((o) => o.workerId === 'b')).toBe(true);
  }, 120_000);
});
