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
