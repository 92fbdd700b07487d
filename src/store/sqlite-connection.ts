import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { TwinloopError } from '../domain/errors.js';

/** Name of the database file inside the data directory: every SQLite adapter keeps its tables there. */
export const SQLITE_FILE_NAME = 'twinloop.db';

/** Same wait as the event store: the intake may hold the write lock for one batch commit. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Which store a message is about: `what` names it in lower case ("model registry"), `dataDir` is
 * the directory holding its database file.
 */
export interface SqliteTarget {
  readonly what: string;
  readonly dataDir: string;
}

/**
 * Checks a SQLite adapter's `dataDir` option once, in its factory, and returns it resolved to an
 * absolute path (messages then name the directory unambiguously).
 */
export function resolveSqliteDataDir(dataDir: string, what: string): string {
  if (typeof dataDir !== 'string' || dataDir.trim() === '') {
    throw new TwinloopError('BAD_INPUT', `The SQLite ${what} needs a data directory; pass --data-dir or set TWINLOOP_DATA_DIR`);
  }
  return resolve(dataDir);
}

/**
 * Opens (creating when missing) a second connection to the event store's database file in
 * `dataDir`, for the adapters that keep their tables beside the events: WAL so they do not block
 * the intake's readers, a busy timeout so they wait out its batch commits, and synchronous FULL so
 * a committed write (a journaled step, an audit record) survives a power cut, not only a killed
 * process. Throws UNAVAILABLE naming `what` when the file cannot be opened.
 */
export function openSqliteFile(dataDir: string, what: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dataDir, { recursive: true });
    db = new Database(join(dataDir, SQLITE_FILE_NAME), { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    return db;
  } catch (err) {
    db?.close();
    throw new TwinloopError('UNAVAILABLE', `Could not open the ${what} in ${dataDir} (${(err as Error).message}); check the directory is writable`, { cause: err });
  }
}

/**
 * Runs one synchronous operation of a SQLite adapter and settles a promise with its result (the
 * ports are asynchronous; better-sqlite3 is not). A closed connection and anything better-sqlite3
 * throws become TwinloopErrors naming the store and the operation: a held lock (SQLITE_BUSY,
 * SQLITE_LOCKED) is UNAVAILABLE, to retry; anything else is INTERNAL. TwinloopErrors thrown by
 * `work` (bad input, conflicts) pass through unchanged.
 */
export function sqliteCall<T>(target: SqliteTarget, closed: boolean, operation: string, work: () => T): Promise<T> {
  try {
    if (closed) throw new TwinloopError('UNAVAILABLE', `The ${target.what} in ${target.dataDir} is closed; open it again before ${operation}`);
    return Promise.resolve(work());
  } catch (err) {
    if (err instanceof TwinloopError) return Promise.reject(err);
    const code = err instanceof Database.SqliteError ? err.code : '';
    const busy = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
    const subject = target.what.charAt(0).toUpperCase() + target.what.slice(1);
    return Promise.reject(
      new TwinloopError(busy ? 'UNAVAILABLE' : 'INTERNAL', `${subject} in ${target.dataDir}: ${operation} failed (${(err as Error).message}); ${busy ? 'retry' : 'report it with the cause'}`, {
        cause: err,
      }),
    );
  }
}
