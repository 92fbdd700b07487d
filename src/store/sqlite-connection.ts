import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { TwinloopError } from '../domain/errors.js';
import { migrationsTable, pendingMigrations, SQLITE_DIALECT } from './migrations.js';

/** Name of the database file inside the data directory: every SQLite adapter keeps its tables there. */
export const SQLITE_FILE_NAME = 'twinloop.db';

/**
 * How long a statement waits for another connection's lock: far longer than one batch commit of
 * the intake takes, which is what the other connections usually wait out.
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
}

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

  constructor(
    /** Names the adapter in messages, in lower case ("model registry"). */
    readonly what: string,
    /** The data directory, absolute. */
    readonly dataDir: string,
    private readonly prepare: (db: Database.Database) => S,
    tuning: SqliteTuning = {},
  ) {
    this.db = openDatabaseFile(what, dataDir, tuning);
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
    try {
      if (this.isClosed) throw new TwinloopError('UNAVAILABLE', `The ${this.what} in ${this.dataDir} is closed; open it again before ${operation}`);
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(this.toError(operation, err));
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
    if (!drain) {
      this.db.close();
      return Promise.resolve();
    }
    return drain().finally(() => this.db.close());
  }

  private toError(operation: string, err: unknown): TwinloopError {
    if (err instanceof TwinloopError) return err;
    const code = err instanceof Database.SqliteError ? err.code : '';
    const transient = TRANSIENT_CODES.some((c) => code.startsWith(c));
    const hint = transient
      ? 'retry; if it persists, check free disk space and that no other process holds the database'
      : 'this is a bug in the caller or the store; report it with the cause';
    const subject = this.what.charAt(0).toUpperCase() + this.what.slice(1);
    return new TwinloopError(transient ? 'UNAVAILABLE' : 'INTERNAL', `${subject} in ${this.dataDir}: ${operation} failed (${errorMessage(err)}); ${hint}`, {
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
 * the writer; a busy timeout, so a connection waits out another's commit; synchronous FULL, so a
 * committed write (a batch of events, a journaled step, an audit record) survives a power cut,
 * not only a killed process. Throws UNAVAILABLE naming `what` when the file cannot be opened.
 */
function openDatabaseFile(what: string, dataDir: string, tuning: SqliteTuning): Database.Database {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dataDir, { recursive: true });
    // The busy timeout is set before anything else: switching to WAL needs a lock another process may hold.
    db = new Database(join(dataDir, SQLITE_FILE_NAME), { timeout: BUSY_TIMEOUT_MS });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`the file system does not support WAL mode (journal_mode stays ${String(mode)})`);
    db.pragma('synchronous = FULL');
    if (tuning.cacheSizeKib !== undefined) db.pragma(`cache_size = -${tuning.cacheSizeKib}`);
    if (tuning.walCheckpointPages !== undefined) db.pragma(`wal_autocheckpoint = ${tuning.walCheckpointPages}`);
    return db;
  } catch (err) {
    db?.close();
    throw new TwinloopError('UNAVAILABLE', `Could not open the ${what} in ${dataDir} (${errorMessage(err)}); check that the directory is on a local disk and writable`, {
      cause: err,
      context: { dataDir },
    });
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
