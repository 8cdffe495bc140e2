import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { UserError } from '../errors.ts';

/**
 * How long one SQLite call may wait for another connection's lock, in milliseconds. better-sqlite3
 * is synchronous, so this wait blocks the whole event loop: it stays short, and a write that
 * meets a lock is retried asynchronously (withWriteRetry) instead.
 */
export const BUSY_TIMEOUT_MS = 50;

/** Another connection (a CLI import, another server) holds the workspace's write lock: retry shortly (HTTP 503). */
export class WorkspaceBusyError extends UserError {
  constructor(readonly path: string, waitedMs: number) {
    super(`workspace ${path} is busy: another process holds its write lock${waitedMs >= 100 ? ` (waited ${(waitedMs / 1000).toFixed(1)} s)` : ''}; try again in a moment`,
      { code: 'workspace_busy', status: 503, retryable: true });
  }
}

/** A write to a workspace that was opened read-only (its file is not writable): HTTP 409. */
export class WorkspaceReadOnlyError extends UserError {
  constructor(readonly path: string, reason: string) {
    super(`workspace ${path} is read-only: ${reason}`, { code: 'workspace_read_only', status: 409 });
  }
}

/** SQLite cannot open the file at all (not a database, unreadable, a WAL file on a read-only file system). */
export class WorkspaceOpenError extends UserError {
  constructor(readonly path: string, reason: string) {
    super(`cannot open workspace ${path}: ${reason}`, { code: 'workspace_unopenable', field: 'db' });
  }
}

const sqliteCode = (e: unknown): string => (e instanceof Database.SqliteError ? e.code : '');

/** SQLITE_BUSY / SQLITE_LOCKED and their extended codes: the write may succeed if tried again later. */
export function isLockError(e: unknown): boolean {
  const code = sqliteCode(e);
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** SQLITE_READONLY and its extended codes. */
export function isReadOnlyError(e: unknown): boolean {
  return sqliteCode(e).startsWith('SQLITE_READONLY');
}

export interface WriteRetryOptions {
  /** give up on a lock after this long (ms) */
  deadlineMs: number;
  /** other write errors (SQLITE_FULL, I/O) are tried this many times in all before they are thrown (default 1: not retried) */
  otherAttempts?: number;
  /** first pause between attempts (ms); doubles up to maxPauseMs */
  pauseMs?: number;
  maxPauseMs?: number;
  /** told about every failed attempt, e.g. to renew a lease while waiting */
  onRetry?: (error: unknown, attempt: number) => void;
  /** stops waiting (the last error is thrown) */
  signal?: AbortSignal;
}

/**
 * Runs a synchronous write, retrying it after an asynchronous pause while another connection
 * holds the lock, so the event loop is never blocked for more than BUSY_TIMEOUT_MS at a time.
 * The write must be all-or-nothing (one statement or one transaction) so that a retry is safe.
 * Throws the last error once `deadlineMs` has passed; a lock error is then a WorkspaceBusyError.
 */
export async function withWriteRetry<T>(db: Database.Database, write: () => T, o: WriteRetryOptions): Promise<T> {
  const start = Date.now();
  let pause = o.pauseMs ?? 25;
  for (let attempt = 1; ; attempt++) {
    try {
      return write();
    } catch (e) {
      const waited = Date.now() - start;
      const retryable = isLockError(e) ? waited < o.deadlineMs : !isReadOnlyError(e) && attempt < (o.otherAttempts ?? 1);
      if (!retryable || o.signal?.aborted) throw isLockError(e) ? new WorkspaceBusyError(db.name, waited) : e;
      o.onRetry?.(e, attempt);
      await sleep(Math.min(pause, Math.max(1, o.deadlineMs - waited)));
      pause = Math.min(pause * 2, o.maxPauseMs ?? 250);
    }
  }
}
