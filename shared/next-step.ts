/**
 * The next step for a criterion, as the home screen shows it: label more dev items, write the
 * first version, run the newest version on dev, improve it, or confirm it on test. One rule, in
 * shared/, used by the web UI (and testable without a browser). Which run measures a version on a
 * split is the shared rule of shared/runs.ts.
 */
import { measuringRun } from './runs.ts';
import type { Run } from './types.ts';

/** Fewer labelled dev items than this (or than the split holds) make any dev figure too uncertain to act on. */
export const MIN_DEV_LABELS = 30;

type RunFacts = Pick<Run, 'id' | 'datasetId' | 'versionId' | 'status' | 'done' | 'split' | 'variant'>;

export interface NextStepFacts {
  datasetId: number;
  targetAgreement: number;
  /** labelled and total items of the dev split (principal annotator) */
  dev: { labelled: number; total: number };
  /** the criterion's prompt versions */
  versions: ReadonlyArray<{ id: number; number: number }>;
  /** its runs, with each run's dev figures (n compared and agreement) */
  runs: ReadonlyArray<RunFacts & { devN: number; devAgreement: number | null }>;
}

export type NextStepKind = 'label' | 'write-first' | 'run-dev' | 'fix-run' | 'improve' | 'run-test' | 'trust';
export interface NextStep { kind: NextStepKind; text: string; screen: 'review' | 'prompts' | 'trust' }

export function nextStep(f: NextStepFacts): NextStep {
  const wanted = Math.min(MIN_DEV_LABELS, f.dev.total);
  if (f.dev.labelled < wanted) {
    const more = wanted - f.dev.labelled;
    return { kind: 'label', text: `label ${more} more dev item${more === 1 ? '' : 's'}`, screen: 'review' };
  }
  if (f.versions.length === 0) return { kind: 'write-first', text: 'write v1', screen: 'prompts' };
  const latest = f.versions.reduce((a, b) => (b.number > a.number ? b : a));
  const dev = measuringRun(f.runs, f.datasetId, { versionId: latest.id, split: 'dev' });
  if (!dev) return { kind: 'run-dev', text: `run v${latest.number} on dev`, screen: 'prompts' };
  const figures = f.runs.find((r) => r.id === dev.id)!;
  if (figures.devN === 0 || figures.devAgreement === null) {
    return { kind: 'fix-run', text: `v${latest.number} compared no dev item: see its run's errors and run it again`, screen: 'prompts' };
  }
  if (figures.devAgreement < f.targetAgreement) {
    return { kind: 'improve', text: `write v${latest.number + 1}: v${latest.number} is below the target on dev`, screen: 'prompts' };
  }
  const test = measuringRun(f.runs, f.datasetId, { versionId: latest.id, split: 'test' });
  if (!test) return { kind: 'run-test', text: `run v${latest.number} on test`, screen: 'prompts' };
  return { kind: 'trust', text: `read v${latest.number}'s trust report`, screen: 'trust' };
}
