import Database from 'better-sqlite3';
import { migrations } from '../../server/db/migrations.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkspace } from '../../server/db/index.ts';
import { Workspace } from '../../server/services/workspace.ts';
import type { EngineOptions } from '../../server/judge/engine.ts';

/** A workspace in a fresh temp directory (a real file, WAL and all); `cleanup()` removes it. */
export function tempWorkspace(engine: EngineOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'concur-test-'));
  const path = join(dir, 'workspace.sqlite');
  const ws = new Workspace(openWorkspace(path), engine);
  return {
    ws, dir, path,
    cleanup() { try { ws.repos.db.close(); } catch { /* already closed */ } rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Parses text as import records under a file name (as the API does). */
export { parseRecords } from '../../server/services/records.ts';

/**
 * A workspace file at the schema just before the migration whose SQL contains `marker` (only the
 * migrations before it applied, `user_version` set to match), open for the test to write the data
 * an older Concur would have; the migration runs when the file is next opened with openWorkspace.
 */
export function databaseBeforeMigration(path: string, marker: string): Database.Database {
  const before = migrations.findIndex((m) => m.includes(marker));
  if (before <= 0) throw new Error(`databaseBeforeMigration: no migration after the first contains "${marker}"`);
  const db = new Database(path);
  db.pragma('foreign_keys = ON');
  for (const m of migrations.slice(0, before)) db.exec(m);
  db.pragma(`user_version = ${before}`);
  return db;
}
