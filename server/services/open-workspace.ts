import { openWorkspace } from '../db/index.ts';
import { Workspace } from './workspace.ts';
import { UserError, WorkspaceError } from './errors.ts';

/**
 * Opens (creating if needed) the workspace file for the CLI and the server. Whatever stops it
 * opening — not a SQLite file, a schema newer than this Concur, an unreadable path — is the
 * user's to fix, so it becomes a WorkspaceError naming the file (the original error is its cause).
 */
export function openWorkspaceFile(path: string, opts: { busyTimeoutMs?: number } = {}): Workspace {
  let repos;
  try {
    repos = openWorkspace(path, opts);
  } catch (e) {
    if (e instanceof UserError) throw e; // already says what is wrong (e.g. WorkspaceOpenError)
    throw new WorkspaceError(path, e instanceof Error ? e.message : String(e), e);
  }
  return new Workspace(repos);
}
