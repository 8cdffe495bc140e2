import Database from 'better-sqlite3';
import { openDatabase, type DB, type OpenOptions } from './open.ts';
import { datasetsRepository } from './datasets.ts';
import { itemsRepository } from './items.ts';
import { criteriaRepository } from './criteria.ts';
import { labelsRepository } from './labels.ts';
import { versionsRepository } from './versions.ts';
import { runsRepository } from './runs.ts';
import { rootCausesRepository } from './rootCauses.ts';
import { pricesRepository } from './prices.ts';
import { cacheRepository } from './cache.ts';
import { alignmentRepository } from './alignment.ts';
import { failureModesRepository } from './failureModes.ts';
import { confirmationsRepository } from './confirmations.ts';
import { tasksRepository } from './tasks.ts';
import { optimizationsRepository } from './optimizations.ts';
import { judgeWrongRepository } from './judgeWrong.ts';
import { profilesRepository } from './profiles.ts';

export type { DB } from './open.ts';
export { explainWriteError, readOnlyReason } from './open.ts';
export { LabelConflictError } from './labels.ts';
export { WorkspaceBusyError, WorkspaceOpenError, WorkspaceReadOnlyError, withWriteRetry } from './retry.ts';

/** Every repository of one workspace, statements prepared once. */
export function createRepositories(db: DB) {
  return {
    db,
    datasets: datasetsRepository(db),
    items: itemsRepository(db),
    criteria: criteriaRepository(db),
    labels: labelsRepository(db),
    versions: versionsRepository(db),
    runs: runsRepository(db),
    rootCauses: rootCausesRepository(db),
    prices: pricesRepository(db),
    cache: cacheRepository(db),
    alignment: alignmentRepository(db),
    failureModes: failureModesRepository(db),
    confirmations: confirmationsRepository(db),
    tasks: tasksRepository(db),
    optimizations: optimizationsRepository(db),
    judgeWrong: judgeWrongRepository(db),
    profiles: profilesRepository(db),
  };
}
export type Repositories = ReturnType<typeof createRepositories>;

/**
 * Opens a workspace file (see openDatabase). Opening never writes to an existing, up-to-date
 * workspace: the default price list is written only when the schema is created or upgraded.
 */
export function openWorkspace(path: string, opts: Omit<OpenOptions, 'onUpgrade'> = {}): Repositories {
  return createRepositories(openDatabase(path, { ...opts, onUpgrade: (db) => pricesRepository(db).seedDefaults() }));
}

/**
 * A second, read-only connection to an existing workspace file (the report worker's): it never
 * migrates or writes, and waits up to `busyTimeoutMs` for a writer's lock (a worker thread may block).
 */
export function openWorkspaceReadOnly(path: string, busyTimeoutMs = 5000): Repositories {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  return createRepositories(db);
}
