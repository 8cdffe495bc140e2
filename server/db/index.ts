import { openDatabase, type DB } from './open.ts';
import { datasetsRepository } from './datasets.ts';
import { itemsRepository } from './items.ts';
import { criteriaRepository } from './criteria.ts';
import { labelsRepository } from './labels.ts';
import { versionsRepository } from './versions.ts';
import { runsRepository } from './runs.ts';
import { rootCausesRepository } from './rootCauses.ts';
import { pricesRepository } from './prices.ts';
import { cacheRepository } from './cache.ts';
import { failureModesRepository } from './failureModes.ts';
import { confirmationsRepository } from './confirmations.ts';

export type { DB } from './open.ts';
export { LabelConflictError } from './labels.ts';

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
    failureModes: failureModesRepository(db),
    confirmations: confirmationsRepository(db),
  };
}
export type Repositories = ReturnType<typeof createRepositories>;

export function openWorkspace(path: string): Repositories {
  const repos = createRepositories(openDatabase(path));
  repos.prices.seedDefaults();
  return repos;
}
