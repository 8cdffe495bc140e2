import { describe, expect, it } from 'vitest';
import { hasResults, measuringRun, progressOf, reportableRuns } from '../../shared/runs.ts';
import type { Run } from '../../shared/types.ts';

const DS = 1;
let nextId = 1;
function run(over: Partial<Run>): Run {
  return {
    id: nextId++, criterionId: 1, datasetId: DS, versionId: 10, versionNumber: 1, kind: 'judged', name: 'r', split: 'dev', scope: 'labelled',
    samples: 1, variant: {}, concurrency: 8, status: 'done', message: '', total: 10, done: 10, errors: 0, cached: 0,
    promptTokens: 100, completionTokens: 20, cost: 0.5, createdAt: '', startedAt: null, finishedAt: null, baseUrl: null, model: null, settings: null, profileId: null, profileName: null, ...over,
  };
}

describe('which run measures a criterion (shared/runs.ts)', () => {
  const v1dev = run({});
  const v1test = run({ split: 'test' });
  const traffic = run({ datasetId: 2, split: 'all', scope: 'all' });
  const swapped = run({ variant: { swap: true } });
  const permuted = run({ variant: { permuteSeed: 3 } });
  const v2devCancelled = run({ versionId: 20, versionNumber: 2, status: 'cancelled', done: 4 });
  const v2queued = run({ versionId: 20, versionNumber: 2, status: 'queued', done: 0 });
  const all = [v1dev, v1test, traffic, swapped, permuted, v2devCancelled, v2queued];

  it('lists alignment runs with results, newest first: not reruns, not another dataset\'s traffic, not queued', () => {
    expect(reportableRuns(all, DS).map((r) => r.id)).toEqual([v2devCancelled.id, v1test.id, v1dev.id]);
    expect(hasResults(run({ status: 'running', done: 0 }))).toBe(false);
    expect(hasResults(run({ status: 'failed', done: 3 }))).toBe(true);
  });

  it('prefers the newest finished run to a newer partial one', () => {
    expect(measuringRun(all, DS)?.id).toBe(v1test.id);
    expect(measuringRun([v1dev, v2devCancelled], DS)?.id).toBe(v1dev.id);
    expect(measuringRun([v2devCancelled], DS)?.id).toBe(v2devCancelled.id);
  });

  it('picks a run of the version, and one that judged the split asked for', () => {
    expect(measuringRun(all, DS, { versionId: 20 })?.id).toBe(v2devCancelled.id);
    expect(measuringRun(all, DS, { split: 'dev' })?.id).toBe(v1dev.id);
    expect(measuringRun(all, DS, { versionId: 10, split: 'test' })?.id).toBe(v1test.id);
    expect(measuringRun(all, DS, { versionId: 20, split: 'test' })).toBeNull();
    const everything = run({ split: 'all' });
    expect(measuringRun([v1dev, everything], DS, { split: 'test' })?.id).toBe(everything.id);
    expect(measuringRun([], DS)).toBeNull();
  });

  it('snapshots a run\'s progress from its stored counts', () => {
    const r = run({ status: 'running', done: 3, errors: 1, cached: 2, message: 'x' });
    expect(progressOf(r)).toEqual({ runId: r.id, status: 'running', total: 10, done: 3, errors: 1, cached: 2, promptTokens: 100, completionTokens: 20, cost: 0.5, ratePerSec: 0, etaSec: null, message: 'x' });
  });
});
