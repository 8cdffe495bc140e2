/** Which runs a screen lists: the ones measured against this criterion's labels. */
import type { Run } from './types.ts';

/**
 * Runs on the criterion's own (labelled) dataset. A run with `on` another dataset judges
 * unlabelled traffic for a corrected pass rate: it has nothing to compare with the expert.
 */
export function ownDatasetRuns<T extends Pick<Run, 'datasetId'>>(runs: T[], datasetId: number): T[] {
  return runs.filter((r) => r.datasetId === datasetId);
}

/**
 * Runs a report can be about, newest first: finished runs on the criterion's own dataset.
 * Few-shot-order and A/B-swap reruns are left out: they appear inside their base run's report
 * as consistency checks.
 */
export function reportableRuns(runs: Run[], datasetId: number): Run[] {
  return ownDatasetRuns(runs, datasetId)
    .filter((r) => r.done > 0 && r.variant.permuteSeed === undefined && !r.variant.swap)
    .sort((a, b) => b.id - a.id);
}
