import { close as closeFile, closeSync, fsync, fsyncSync, mkdirSync, open as openFile, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { TwinloopError } from '../domain/errors.js';
import { migrationsTable, pendingMigrations, SQLITE_DIALECT } from './migrations.js';
import { LockWaits, LOOP_BUSY_TIMEOUT_MS, type LockAttempt } from './sqlite-lock-waits.js';

/** Name of the database file inside the data directory: every SQLite adapter keeps its tables there. */
export const SQLITE_FILE_NAME = 'twinloop.db';

/**
 * How long a statement of a connection that blocks (`lockWaits: 'block'`: the event store's, on
 * its writer thread or alone in a CLI command) waits for another connection's lock: far longer
 * than one commit of the others takes, which is what it waits out.
 */
const BUSY_TIMEOUT_MS = 5_000;

/** Error codes after which a retry can succeed (locks, a full or failing disk); anything else is a bug. */
const TRANSIENT_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_READONLY'];

/** A value better-sqlite3 binds to a `?`. */
export type SqlValue = string | number | null;

/** Connection settings an adapter may raise above SQLite's defaults (the event store does, for its batch commits). */
export interface SqliteTuning {
  /** Page cache of this connection, in KiB. */
  cacheSizeKib?: number;
  /** WAL size in pages at which a commit on this connection checkpoints the WAL into the database file. */
  walCheckpointPages?: number;
  /**
   * `full`: each commit is on disk before it returns (the event store: an acknowledged event
   * survives a power cut). By default (`normal`) a commit survives the process being killed at
   * once and a power cut within WAL_SYNC_MS (decision 0014): the fsync is what held the event loop.
   * `synced-after-commit`: commits like `normal`, and the adapter calls `syncWal()` after each
   * commit, before it answers: as durable as `full` for what it answers, but the write lock is
   * released before the fsync, so the other connections do not wait for the disk (the event
   * store's writer thread; decision 0014).
   */
  durability?: 'full' | 'normal' | 'synced-after-commit';
  /**
   * How an operation waits for the write lock another connection holds. `off-loop` (the default:
   * every store on the server's main thread): at most LOOP_BUSY_TIMEOUT_MS at a time, then in
   * this connection's queue, retried on a timer in order, so the event loop is never held for
   * long and nothing is lost to a busy writer (`sqlite-lock-waits.ts`). `block`: SQLite's busy
   * handler sleeps up to 5 s on the calling thread (the event store: its writes run on a thread
   * of their own, its reads never wait for the lock in WAL mode).
   */
  lockWaits?: 'off-loop' | 'block';
  /**
   * With `lockWaits: 'block'`, how long SQLite's busy handler sleeps for the lock (default 5 s):
   * a connection alone on a thread of its own whose every write must land (the decision log, whose
   * commit an action waits for) waits as long as the main thread's off-loop queue would.
   */
  busyTimeoutMs?: number;
}

/**
 * Every connection but the event store's commits without waiting for the disk (decision 0014);
 * its writes reach the disk with the next commit of the event store (which syncs the one WAL they
 * share) or, on a quiet system, with this connection's own sync of the WAL, off the event loop,
 * at most this long after.
 */
export const WAL_SYNC_MS = 1_000;

/**
 * A connection that does not wait for the disk must not checkpoint on the event loop either:
 * its autocheckpoint is left well above the event store's (10,000 pages), whose writer thread
 * does that work; this is the bound when no events flow.
 */
const NORMAL_WAL_CHECKPOINT_PAGES = 40_000;

/**
 * Bytes the WAL file is cut back to when a checkpoint has emptied it. SQLite otherwise keeps the
 * file at the largest size it ever reached: a first start's seals and bulk commits left 0.29 GB of
 * WAL beside the default world's database file for good (BENCHMARKS.md, "First start").
 */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * One SQLite adapter's connection to `twinloop.db` in its data directory, with the plumbing every
 * adapter shares: opening with the durability settings the ports promise, statements prepared
 * once, `run` turning what better-sqlite3 throws into TwinloopErrors, IMMEDIATE transactions,
 * migration and close. An adapter holds one and keeps only its own SQL and row mapping.
 * `prepare` compiles the adapter's fixed statements; it runs at first use after `migrate()`, since
 * the tables they name exist only then.
 */
export class SqliteConnection<S> {
  readonly db: Database.Database;
  private statements: S | null = null;
  /** Statements whose text depends on which filters a query uses, by SQL text. */
  private readonly shaped = new Map<string, Database.Statement<SqlValue[]>>();
  private isClosed = false;
  private walSync: { stop(): void } | undefined;
  /** The operations waiting for the write lock, on a connection that waits off the event loop. */
  private readonly lockWaits: LockWaits | undefined;
  private changes: Database.Statement<[], { n: number }> | undefined;

  constructor(
    /** Names the adapter in messages, in lower case ("model registry"). */
    readonly what: string,
    /** The data directory, absolute. */
    readonly dataDir: string,
    private readonly prepare: (db: Database.Database) => S,
    tuning: SqliteTuning = {},
  ) {
    this.db = openDatabaseFile(what, dataDir, tuning);
    if (tuning.durability === undefined || tuning.durability === 'normal') this.walSync = syncWalWhenChanged(this.db, join(this.dataDir, `${SQLITE_FILE_NAME}-wal`));
    if (tuning.lockWaits !== 'block') {
      this.db.pragma(`busy_timeout = ${LOOP_BUSY_TIMEOUT_MS}`);
      this.lockWaits = new LockWaits(
        (work) => this.attempt(work),
        (operation, err, waitedMs) => this.toError(operation, err, waitedMs),
      );
    }
  }

  /** Operations that waited for the write lock off the event loop, and those that gave up on it (none for a blocking connection). */
  get lockWaitCounts(): { waited: number; gaveUp: number } {
    return { ...(this.lockWaits?.counts ?? { waited: 0, gaveUp: 0 }) };
  }

  /**
   * Puts everything committed on this connection so far on the disk: an fsync of the WAL file
   * (whichever connection wrote it; SQLite keeps the file while connections are open), for a
   * connection opened `synced-after-commit`, outside the write lock. Throws UNAVAILABLE when the
   * disk fails: the commit then must not be answered as durable.
   */
  syncWal(operation: string): void {
    const file = join(this.dataDir, `${SQLITE_FILE_NAME}-wal`);
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      fsyncSync(fd);
    } catch (err) {
      throw new TwinloopError('UNAVAILABLE', `The ${this.what} in ${this.dataDir}: ${operation} committed but could not sync ${file} (${errorMessage(err)}); retry, and check the disk`, {
        cause: err,
        context: { dataDir: this.dataDir, operation },
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Whether `close()` has been called; every `run` then fails with UNAVAILABLE. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** The adapter's fixed statements, compiled once per connection (preparing per call would cost more than most statements). */
  get sql(): S {
    this.statements ??= this.prepare(this.db);
    return this.statements;
  }

  /** A statement whose text is built per query (optional filters), compiled once per distinct text. */
  statement(text: string): Database.Statement<SqlValue[]> {
    let s = this.shaped.get(text);
    if (!s) {
      s = this.db.prepare<SqlValue[]>(text);
      this.shaped.set(text, s);
    }
    return s;
  }

  /**
   * Runs one synchronous operation and settles a promise with its result (the ports are
   * asynchronous; better-sqlite3 is not). A closed connection and anything better-sqlite3 throws
   * become TwinloopErrors naming the store and the operation: a held lock or a full or failing
   * disk is UNAVAILABLE, to retry; anything else is INTERNAL. TwinloopErrors thrown by `work`
   * (bad input, conflicts) pass through unchanged.
   */
  run<T>(operation: string, work: () => T): Promise<T> {
    if (this.isClosed) {
      return Promise.reject(new TwinloopError('UNAVAILABLE', `The ${this.what} in ${this.dataDir} is closed; open it again before ${operation}`, { context: { retryable: false } }));
    }
    if (this.lockWaits) return this.lockWaits.run(operation, work);
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(this.toError(operation, err));
    }
  }

  /**
   * One try of `work` for the lock waits. Trying again is safe only when it failed on the lock and
   * changed nothing: no transaction left open and no row changed (an IMMEDIATE transaction meets
   * the lock at its BEGIN; a second statement outside one could meet it after a first committed).
   */
  private attempt<T>(work: () => T): LockAttempt<T> {
    this.changes ??= this.db.prepare<[], { n: number }>('SELECT total_changes() AS n');
    const before = this.changes.get()!.n;
    try {
      return { ok: true, value: work() };
    } catch (error) {
      const code = error instanceof Database.SqliteError ? error.code : '';
      const lockHeld = code.startsWith('SQLITE_BUSY') && !this.db.inTransaction && this.changes.get()!.n === before;
      return { ok: false, error, lockHeld };
    }
  }

  /** Runs `work` in one IMMEDIATE transaction: the write lock is taken up front, so it never fails half-way on a lock upgrade. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  /** `work` wrapped once as an IMMEDIATE transaction, for a write path called often enough that wrapping per call would show. */
  compileTransaction<A extends unknown[], T>(work: (...args: A) => T): (...args: A) => T {
    return this.db.transaction(work).immediate;
  }

  /**
   * Applies the missing migrations in one IMMEDIATE transaction (a second process waits instead
   * of racing), refusing a database written by a newer Twinloop.
   */
  migrate(): Promise<void> {
    return this.run('migrate', () => {
      this.db.exec(migrationsTable(SQLITE_DIALECT));
      this.transaction(() => {
        const applied = this.db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all();
        const record = this.db.prepare<[number, string, number]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
        for (const m of pendingMigrations(applied.map((r) => r.version), `in ${this.dataDir}`)) {
          for (const step of m.steps(SQLITE_DIALECT)) this.db.exec(step);
          record.run(m.version, m.name, Date.now());
        }
      });
      // Statements compiled before the schema changed would name tables as they were.
      this.statements = null;
      this.shaped.clear();
    });
  }

  /**
   * Closes the connection; safe to call twice. `drain` (the event store's writer thread) finishes
   * the writes already sent before the connection goes.
   */
  close(drain?: () => Promise<void>): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    const finish = (): Promise<void> => {
      this.walSync?.stop();
      if (!drain) {
        this.db.close();
        return Promise.resolve();
      }
      return drain().finally(() => this.db.close());
    };
    // Operations waiting for the lock were asked for before the close: they finish (or give up) first.
    return this.lockWaits?.idle === false ? this.lockWaits.drained().then(finish) : finish();
  }

  private toError(operation: string, err: unknown, waitedMs = 0): TwinloopError {
    if (err instanceof TwinloopError) return err;
    const code = err instanceof Database.SqliteError ? err.code : '';
    const transient = TRANSIENT_CODES.some((c) => code.startsWith(c));
    const hint = transient
      ? 'retry; if it persists, check free disk space and that no other process holds the database'
      : 'this is a bug in the caller or the store; report it with the cause';
    const subject = this.what.charAt(0).toUpperCase() + this.what.slice(1);
    const waited = waitedMs >= 1_000 ? ` after waiting ${Math.round(waitedMs / 1_000)} s for the write lock` : '';
    return new TwinloopError(transient ? 'UNAVAILABLE' : 'INTERNAL', `${subject} in ${this.dataDir}: ${operation} failed${waited} (${errorMessage(err)}); ${hint}`, {
      cause: err,
      context: { dataDir: this.dataDir, operation, sqliteCode: code },
    });
  }
}

/**
 * Checks a SQLite adapter's `dataDir` option once, in its factory, and opens its connection;
 * the directory is resolved to an absolute path, so messages name it unambiguously.
 */
export function openSqliteConnection<S>(what: string, dataDir: string, prepare: (db: Database.Database) => S, tuning?: SqliteTuning): SqliteConnection<S> {
  if (typeof dataDir !== 'string' || dataDir.trim() === '') {
    throw new TwinloopError('BAD_INPUT', `The SQLite ${what} needs a data directory; pass --data-dir or set TWINLOOP_DATA_DIR`);
  }
  return new SqliteConnection(what, resolve(dataDir), prepare, tuning);
}

/**
 * Opens (creating when missing) the database file in `dataDir`: WAL, so readers never wait for
 * the writer; a busy timeout, so a connection waits out another's commit; synchronous FULL for
 * `durability: 'full'` (the event store: an acknowledged batch survives a power cut), NORMAL for
 * the rest (a journaled step, an audit record survive a killed process at once and a power cut
 * within WAL_SYNC_MS; decision 0014). Throws UNAVAILABLE naming `what` when the file cannot be opened.
 */
function openDatabaseFile(what: string, dataDir: string, tuning: SqliteTuning): Database.Database {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dataDir, { recursive: true });
    // The busy timeout is set before anything else: switching to WAL needs a lock another process may hold.
    db = new Database(join(dataDir, SQLITE_FILE_NAME), { timeout: tuning.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`the file system does not support WAL mode (journal_mode stays ${String(mode)})`);
    const full = tuning.durability === 'full';
    db.pragma(full ? 'synchronous = FULL' : 'synchronous = NORMAL');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    if (tuning.cacheSizeKib !== undefined) db.pragma(`cache_size = -${tuning.cacheSizeKib}`);
    const checkpointPages = tuning.walCheckpointPages ?? (full ? undefined : NORMAL_WAL_CHECKPOINT_PAGES);
    if (checkpointPages !== undefined) db.pragma(`wal_autocheckpoint = ${checkpointPages}`);
    return db;
  } catch (err) {
    db?.close();
    throw new TwinloopError('UNAVAILABLE', `Could not open the ${what} in ${dataDir} (${errorMessage(err)}); check that the directory is on a local disk and writable`, {
      cause: err,
      context: { dataDir },
    });
  }
}

/**
 * Every WAL_SYNC_MS, when this connection committed anything since the last time, syncs the WAL
 * file to disk through the thread pool (fsync of the file, whichever descriptor wrote it): the
 * bound on what a power cut can take from a connection that commits without syncing. The file is
 * opened once: SQLite keeps it (rewinding, never deleting it) while this connection is open.
 */
function syncWalWhenChanged(db: Database.Database, walFile: string): { stop(): void } {
  const changes = db.prepare<[], { n: number }>('SELECT total_changes() AS n');
  let fd: number | undefined;
  let synced = 0;
  let syncing = false;
  const timer = setInterval(() => {
    if (syncing || !db.open) return;
    const n = changes.get()!.n;
    if (n === synced) return;
    syncing = true;
    // No WAL (checkpointed away at a close) or a failing disk: tried again at the next tick; the next commit meets it too.
    const done = (err: Error | null) => {
      syncing = false;
      if (!err) synced = n;
    };
    if (fd !== undefined) return fsync(fd, done);
    openFile(walFile, 'r', (err, opened) => {
      if (err) return done(err);
      fd = opened;
      fsync(opened, done);
    });
  }, WAL_SYNC_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (fd !== undefined) closeFile(fd, () => undefined);
    },
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Bytes of the embedded store's file by table or index (SQLite's `dbstat`), plus `(free)`: the
 * pages freed by deletes that later writes reuse. Opened read-only beside any writer; for
 * reports (the backfill bench's bytes per event by table), not for the running store.
 */
export function sqliteSpaceByTable(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true, timeout: BUSY_TIMEOUT_MS });
  try {
    const space: Record<string, number> = {};
    for (const row of db.prepare<[], { name: string; bytes: number }>('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all()) space[row.name] = row.bytes;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    space['(free)'] = (db.pragma('freelist_count', { simple: true }) as number) * pageSize;
    return space;
  } finally {
    db.close();
  }
}
