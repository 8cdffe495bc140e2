import { measuringRun } from '../../../shared/runs.ts';
import type { DashboardRow } from './types.ts';
import { runLabel } from './outcomes.ts';

/**
 * One row per prompt version (an imported run is its own row): the run that measures that
 * version on dev and the one on test, by the shared rule (shared/runs.ts measuringRun), side by
 * side — not one half-empty row per run.
 */
export interface VersionRow { key: string; label: string; imported: boolean; dev: DashboardRow | null; test: DashboardRow | null; runs: DashboardRow[] }

export function versionRows(rows: readonly DashboardRow[], datasetId: number): VersionRow[] {
  const groups = new Map<string, DashboardRow[]>();
  for (const r of [...rows].sort((a, b) => a.run.id - b.run.id)) {
    const key = r.run.kind === 'imported' || r.run.versionId === null ? `run:${r.run.id}` : `version:${r.run.versionId}`;
    const g = groups.get(key);
    if (g) g.push(r); else groups.set(key, [r]);
  }
  return [...groups].map(([key, runs]) => {
    const pick = (split: 'dev' | 'test') => {
      const run = measuringRun(runs.map((r) => r.run), datasetId, { split });
      return runs.find((r) => r.run.id === run?.id) ?? null;
    };
    return { key, label: runLabel(runs[0]!.run), imported: key.startsWith('run:'), dev: pick('dev'), test: pick('test'), runs };
  });
}
