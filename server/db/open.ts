import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrations } from './migrations.ts';
import { BUSY_TIMEOUT_MS, WorkspaceBusyError, WorkspaceOpenError, WorkspaceReadOnlyError, isLockError, isReadOnlyError } from './retry.ts';

export type DB = Database.Database;

const readOnlyReasons = new WeakMap<DB, string>();
/** Why this connection was opened read-only, or undefined when it can write. */
export const readOnlyReason = (db: DB): string | undefined => readOnlyReasons.get(db);

/**
 * The error to show for a failed write: a read-only or locked workspace becomes its one-line
 * error (WorkspaceReadOnlyError / WorkspaceBusyError); anything else is returned unchanged.
 */
export function explainWriteError(e: unknown, db: DB): unknown {
  if (isReadOnlyError(e)) return new WorkspaceReadOnlyError(db.name, readOnlyReason(db) ?? (e as Error).message);
  if (isLockError(e)) return new WorkspaceBusyError(db.name, 0);
  return e;
}

export interface OpenOptions {
  /** how long one call may block waiting for another connection's lock (default BUSY_TIMEOUT_MS) */
  busyTimeoutMs?: number;
  /** called after the schema was created or upgraded (never when it was up to date), to write defaults */
  onUpgrade?: (db: DB) => void;
}

/**
 * Opens (creating if needed) a workspace file, in WAL mode with foreign keys on, and brings its
 * schema up to date. `:memory:` gives a throwaway workspace. Opening an up-to-date workspace
 * writes nothing. A file without write permission (or on a read-only file system) opens
 * read-only: reads work, writes throw SQLITE_READONLY (see WorkspaceReadOnlyError). A file SQLite
 * cannot open at all throws WorkspaceOpenError.
 */
export function openDatabase(path: string, opts: OpenOptions = {}): DB {
  const memory = path === ':memory:';
  const readOnlyReason = memory ? null : whyReadOnly(path);
  if (!memory && !readOnlyReason) mkdirSync(dirname(path), { recursive: true });
  let db: DB | undefined;
  try {
    db = new Database(path, readOnlyReason ? { readonly: true, fileMustExist: true } : {});
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    // Reading the schema version is the first read of the file: an unopenable file fails here.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (readOnlyReason) {
      if (version < migrations.length) {
        throw new WorkspaceReadOnlyError(path, `${readOnlyReason}, and its schema (version ${version}) needs an upgrade to ${migrations.length} before this Concur can use it`);
      }
      checkNotNewer(version);
      readOnlyReasons.set(db, readOnlyReason);
      return db;
    }
    // Switching to WAL writes the file header: only when it is not in WAL mode already.
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
    if (version < migrations.length) opts.onUpgrade?.(db);
    return db;
  } catch (e) {
    try { db?.close(); } catch { /* closing a half-open handle */ }
    if (e instanceof Database.SqliteError) throw new WorkspaceOpenError(path, openFailure(e, readOnlyReason));
    throw e;
  }
}

/** Why an existing workspace file must be opened read-only, or null when it can be written. */
function whyReadOnly(path: string): string | null {
  if (!existsSync(path)) return null;
  // Root may write any file: the permission bits still say whether the owner meant it to change.
  if ((statSync(path).mode & 0o222) === 0) return 'the file is not writable (chmod u+w to allow changes)';
  try {
    accessSync(path, constants.W_OK);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EROFS' ? 'it is on a read-only file system' : 'the file is not writable by this user';
  }
}

function openFailure(e: InstanceType<typeof Database.SqliteError>, readOnlyReason: string | null): string {
  if (e.code === 'SQLITE_NOTADB') return 'the file is not a Concur workspace (not an SQLite database)';
  if (e.code.startsWith('SQLITE_CANTOPEN') && readOnlyReason) {
    return `${readOnlyReason}, and SQLite cannot read a WAL-mode workspace there without creating its -shm index file (${e.message}); copy the file somewhere writable`;
  }
  if (e.code.startsWith('SQLITE_CANTOPEN')) return `SQLite cannot open the file (${e.message}); check the path and the permissions of the file and its directory`;
  if (e.code === 'SQLITE_CORRUPT') return `the file is damaged (${e.message})`;
  return `${e.message} (${e.code})`;
}

function checkNotNewer(current: number) {
  if (current > migrations.length) {
    throw new Error(`workspace schema version ${current} is newer than this Concur (${migrations.length}); upgrade Concur`);
  }
}

/** String.length of a text (UTF-16 code units), as JavaScript measures it; SQLite's length() counts code points. */
export const utf16Length = (s: unknown) => (typeof s === 'string' ? s.length : 0);

export function migrate(db: DB): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  checkNotNewer(current);
  // migration 13 fills items.output_chars for non-ASCII texts with it
  if (current < migrations.length) db.function('concur_utf16_length', { deterministic: true }, utf16Length);
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
