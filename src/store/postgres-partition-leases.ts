import type pg from 'pg';
import { TwinloopError } from '../domain/errors.js';
import { PARTITION_COUNT } from '../domain/partitions.js';
import { fnv1a32 } from '../domain/string-hash.js';
import type { PartitionLeases, PartitionOwner } from './partition-leases.js';
import { openPostgresConnection, type PostgresConnection, type PostgresOptions } from './postgres-connection.js';

/** The leases' connection: one session holding the locks, one for the owners' reads. */
const POOL_SIZE = 2;

/**
 * The first key of the leases' advisory locks, `(key, partition)`: one per schema, since advisory
 * locks are database-wide and two deployments (or test schemas) in one database must not share
 * partitions. Positive, so it reads the same in `pg_locks.classid` (an oid).
 */
export function leaseLockKey(schema: string | undefined): number {
  return fnv1a32(`twinloop.partitions:${schema ?? ''}`) & 0x7fffffff;
}

/** The first key of the workers' presence locks, `(key, hash of the worker id)`: how many workers are alive. */
function presenceLockKey(schema: string | undefined): number {
  return fnv1a32(`twinloop.workers:${schema ?? ''}`) & 0x7fffffff;
}

/** Which database's locks are ours (pg_locks lists every database's). */
const THIS_DATABASE = '(SELECT oid FROM pg_database WHERE datname = current_database())';

/** The owners whose lease is held now. Only rows whose lock is held count: a dead worker's rows stay until the next owner writes over them. */
function selectOwners(db: PostgresConnection, key: number): Promise<PartitionOwner[]> {
  return db.run('owners', async () => {
    const { rows } = await db.query<{ partition: number; worker_id: string; url: string; since: number }>(
      `SELECT o.partition, o.worker_id, o.url, o.since FROM partition_owners o
       JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
         AND l.database = ${THIS_DATABASE}
         AND l.classid = $1::bigint::oid AND l.objid = o.partition::bigint::oid
       ORDER BY o.partition`,
      [key],
    );
    return rows.map((r): PartitionOwner => ({ partition: r.partition, workerId: r.worker_id, url: r.url, since: Number(r.since) }));
  });
}

/** Who owns which partition, read without being a worker (the gateway's routing table). */
export interface PartitionOwners {
  owners(): Promise<PartitionOwner[]>;
  close(): Promise<void>;
}

/** Reads `partition_owners` of the database (and schema) the workers lease in; migrates the tables it reads. */
export async function openPartitionOwners(options: PostgresOptions): Promise<PartitionOwners> {
  const db = openPostgresConnection('partition owners', options, 1);
  await db.migrate();
  const key = leaseLockKey(options.schema);
  return { owners: () => selectOwners(db, key), close: () => db.close() };
}

export interface PostgresPartitionLeasesOptions extends PostgresOptions {
  workerId: string;
  /** Where this worker answers for its partitions (the gateway routes there). */
  answersAt: string;
  /** Told when the session ends under the worker (every lease is gone with it). */
  onLost?: (err: Error) => void;
}

/**
 * Partition leases in PostgreSQL session-level advisory locks (decision 0012): held on one
 * connection of this worker's, so PostgreSQL frees them the moment that session ends, and
 * advertised in `partition_owners`. A row whose lock nobody holds is stale and never read as an
 * owner. Migrates the tables it needs.
 */
export async function openPostgresPartitionLeases(options: PostgresPartitionLeasesOptions): Promise<PartitionLeases> {
  const db = openPostgresConnection('partition leases', options, POOL_SIZE);
  await db.migrate();
  const key = leaseLockKey(options.schema);
  const presence = presenceLockKey(options.schema);
  const held = new Set<number>();
  let lost: Error | undefined;
  const onSessionLost = (err: Error) => {
    // PostgreSQL ended the session: the locks are gone, so nothing is held any more.
    lost = err;
    held.clear();
    options.onLost?.(err);
  };
  // Listening from the moment the session is handed over: PostgreSQL may end it at any time.
  const session = await db.run('connect', () => db.checkout(onSessionLost));
  // Present while the session lives, holding partitions or not: the others count it in their fair share.
  const { rows: present } = await db.run('announce', () => session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [presence, fnv1a32(options.workerId) & 0x7fffffff]));
  if (!present[0].ok) {
    session.removeListener('error', onSessionLost);
    session.release();
    await db.close();
    throw new TwinloopError('CONFLICT', `A worker named ${options.workerId} is already running at ${db.target}; give each worker its own --worker-id`);
  }
  const live = (operation: string) => {
    if (lost) throw new TwinloopError('UNAVAILABLE', `The partition leases of ${options.workerId} at ${db.target} were lost with their session (${lost.message}); open them again before ${operation}`, { context: { retryable: false } });
  };
  // Workers start their search at different partitions, so two starting at once rarely race for the same ones.
  const offset = fnv1a32(options.workerId) % PARTITION_COUNT;

  const take = async (client: pg.PoolClient, partition: number): Promise<boolean> => {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [key, partition]);
    if (!rows[0].ok) return false;
    await client.query(
      `INSERT INTO partition_owners (partition, worker_id, url, since) VALUES ($1, $2, $3, $4)
       ON CONFLICT (partition) DO UPDATE SET worker_id = EXCLUDED.worker_id, url = EXCLUDED.url, since = EXCLUDED.since`,
      [partition, options.workerId, options.answersAt, Date.now()],
    );
    return true;
  };

  return {
    workerId: options.workerId,
    held: () => [...held].sort((a, b) => a - b),
    acquire: (want) =>
      db.run('acquire', async () => {
        live('acquire');
        const taken: number[] = [];
        for (let i = 0; i < PARTITION_COUNT && held.size < want; i++) {
          const p = (offset + i) % PARTITION_COUNT;
          if (held.has(p) || !(await take(session, p))) continue;
          held.add(p);
          taken.push(p);
        }
        return taken;
      }),
    release: (partitions) =>
      db.run('release', async () => {
        live('release');
        for (const p of partitions) {
          if (!held.has(p)) continue;
          await session.query('DELETE FROM partition_owners WHERE partition = $1 AND worker_id = $2', [p, options.workerId]);
          await session.query('SELECT pg_advisory_unlock($1, $2)', [key, p]);
          held.delete(p);
        }
      }),
    owners: () => selectOwners(db, key),
    liveWorkers: () =>
      db.run('liveWorkers', async () => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND database = ${THIS_DATABASE} AND classid = $1::bigint::oid`,
          [presence],
        );
        return rows[0].n;
      }),
    async close() {
      if (!lost) {
        await session.query('DELETE FROM partition_owners WHERE worker_id = $1', [options.workerId]).catch(() => undefined);
        await session.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      }
      held.clear();
      session.release(Boolean(lost));
      await db.close();
    },
  };
}
