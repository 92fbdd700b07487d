import { checkPageSize, DEFAULT_SNAPSHOT_PAGE_SIZE, type TwinSnapshot } from './event-store.js';
import { toBuffer, toSnapshot, toStoredEvent, type EventRow } from './event-rows.js';
import type { PartitionCheckpoints, TwinName } from './partition-checkpoints.js';
import { bigintArray, textArray } from './postgres-arrays.js';
import { EVENT_COLUMNS } from './postgres-event-store.js';
import { openPostgresConnection, type PostgresOptions } from './postgres-connection.js';

/** A save and a read may run at once (a keeper round checkpointing while another partition is taken). */
const POOL_SIZE = 2;
/** Snapshots per upsert statement: bounds one statement's parameters to a few MB. */
const SNAPSHOT_CHUNK = 1_000;

const UPSERT_SNAPSHOTS = `
  INSERT INTO partition_snapshots (partition, customer_id, bytes)
  SELECT $1::int, customer_id, bytes FROM unnest($2::text[], $3::bytea[]) AS input(customer_id, bytes)
  ON CONFLICT (partition, customer_id) DO UPDATE SET bytes = excluded.bytes`;

const UPSERT_NAMES = `
  INSERT INTO twin_names (kind, hash, name)
  SELECT DISTINCT ON (kind, hash) kind, hash, name
  FROM unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS input(kind, hash, name, ord)
  ORDER BY kind, hash, ord DESC
  ON CONFLICT (kind, hash) DO UPDATE SET name = excluded.name`;

// Each partition's first `limit` events after its own position, by the (partition, seq) index, then
// the lowest `limit` of them all: every event of these partitions up to the last seq returned is
// in the page (one that is not would have been among its partition's first `limit`, below it).
const READ_LOG = `
  SELECT e.* FROM unnest($1::int[], $2::bigint[]) AS p(partition, after)
  CROSS JOIN LATERAL (
    SELECT ${EVENT_COLUMNS} FROM events WHERE events.partition = p.partition AND events.seq > p.after ORDER BY events.seq LIMIT $3
  ) AS e
  ORDER BY e.seq LIMIT $3`;

/** Partition checkpoints in `partition_checkpoints`, `partition_snapshots` and `twin_names` (migration 15); migrates on open. */
export async function openPostgresPartitionCheckpoints(options: PostgresOptions): Promise<PartitionCheckpoints> {
  const db = openPostgresConnection('partition checkpoints', options, POOL_SIZE);
  await db.migrate();
  return {
    save: (partitions, names) =>
      db.run('save', () =>
        db.transaction(async (client) => {
          for (const p of partitions) {
            for (let i = 0; i < p.twins.length; i += SNAPSHOT_CHUNK) {
              const chunk = p.twins.slice(i, i + SNAPSHOT_CHUNK);
              await client.query(UPSERT_SNAPSHOTS, [p.partition, textArray(chunk.map((t) => t.customerId)), chunk.map((t) => toBuffer(t.bytes))]);
            }
            await client.query(
              `INSERT INTO partition_checkpoints (partition, seq, at) VALUES ($1, $2, $3)
               ON CONFLICT (partition) DO UPDATE SET seq = excluded.seq, at = excluded.at`,
              [p.partition, p.seq, Date.now()],
            );
          }
          if (names.length > 0) await client.query(UPSERT_NAMES, [textArray(names.map((n) => n.kind)), bigintArray(names.map((n) => n.hash)), textArray(names.map((n) => n.name))]);
        }),
      ),
    positions: (partitions) =>
      db.run('positions', async () => {
        const { rows } = await db.query<{ partition: number; seq: number }>('SELECT partition, seq FROM partition_checkpoints WHERE partition = ANY($1::int[])', [[...partitions]]);
        return new Map(rows.map((r) => [r.partition, Number(r.seq)]));
      }),
    async *snapshots(partition, pageSize = DEFAULT_SNAPSHOT_PAGE_SIZE) {
      checkPageSize(pageSize);
      // Keyset paging by customer id, as the event store's snapshots.
      let after: string | null = null;
      for (;;) {
        const { rows } = await db.run('snapshots', () =>
          db.query<{ customer_id: string; bytes: Buffer }>(
            `SELECT customer_id, bytes FROM partition_snapshots WHERE partition = $1 AND ($2::text IS NULL OR customer_id > $2)
             ORDER BY customer_id LIMIT $3`,
            [partition, after, pageSize],
          ),
        );
        if (rows.length === 0) return;
        yield rows.map((r): TwinSnapshot => toSnapshot(r));
        if (rows.length < pageSize) return;
        after = rows[rows.length - 1].customer_id;
      }
    },
    names: () =>
      db.run('names', async () => {
        const { rows } = await db.query<{ kind: TwinName['kind']; hash: number; name: string }>('SELECT kind, hash, name FROM twin_names');
        return rows.map((r): TwinName => ({ kind: r.kind, hash: Number(r.hash), name: r.name }));
      }),
    readLog: (after, limit) =>
      db.run('readLog', async () => {
        checkPageSize(limit);
        if (after.size === 0) return [];
        const { rows } = await db.query<EventRow>(READ_LOG, [[...after.keys()], bigintArray([...after.values()]), limit]);
        return rows.map(toStoredEvent);
      }),
    close: () => db.close(),
  };
}
