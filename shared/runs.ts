/**
 * Which run measures a criterion (or one of its versions), and the progress snapshot of a run:
 * one definition used by the report service, the routes, the CLI and every screen.
 */
import type { Run, SplitFilter } from './types.ts';

type RunFacts = Pick<Run, 'id' | 'datasetId' | 'versionId' | 'status' | 'done' | 'split' | 'variant'>;

/** A few-shot-order or A/B-swap rerun of a version: it appears inside its base run's report as a consistency check. */
export const isConsistencyRerun = (r: Pick<Run, 'variant'>): boolean => r.variant.permuteSeed !== undefined || Boolean(r.variant.swap);

/**
 * A run that measures the judge against the criterion's labels: on the criterion's own dataset
 * (`datasetId`) and not a consistency rerun. A run on another dataset judges unlabelled traffic
 * for a corrected pass rate; it has nothing to compare with the expert.
 */
export const isAlignmentRun = (r: Pick<Run, 'datasetId' | 'variant'>, datasetId: number): boolean => r.datasetId === datasetId && !isConsistencyRerun(r);

/** A run with judgments to report: finished, or stopped (or still going) after judging some items. */
export const hasResults = (r: Pick<Run, 'status' | 'done'>): boolean => r.status === 'done' || (r.status !== 'queued' && r.done > 0);

/** A run that judged items of `split`: a run on that split or on "all" (every run has items in "all"). */
export const coversSplit = (r: Pick<Run, 'split'>, split: SplitFilter): boolean => split === 'all' || r.split === split || r.split === 'all';

/** The runs a report can be about, newest first: alignment runs (see {@link isAlignmentRun}) with results. */
export function reportableRuns<T extends RunFacts>(runs: readonly T[], datasetId: number): T[] {
  return runs.filter((r) => isAlignmentRun(r, datasetId) && hasResults(r)).sort((a, b) => b.id - a.id);
}

/**
 * The run that measures the criterion when none is named: among its reportable runs — of
 * `versionId` when given, covering `split` when given — the newest finished one, else the newest
 * with partial results (cancelled, failed or still running). Null when there is none.
 *
 * @example
 * measuringRun(runs, criterion.datasetId)                                 // the criterion's report
 * measuringRun(runs, criterion.datasetId, { versionId: v.id, split: 'test' }) // calibration of a corrected pass rate
 */
export function measuringRun<T extends RunFacts>(runs: readonly T[], datasetId: number, opts: { versionId?: number; split?: SplitFilter } = {}): T | null {
  const candidates = reportableRuns(runs, datasetId)
    .filter((r) => (opts.versionId === undefined || r.versionId === opts.versionId) && (opts.split === undefined || coversSplit(r, opts.split)));
  return candidates.find((r) => r.status === 'done') ?? candidates[0] ?? null;
}

/** A run's live progress, as the server sends it (server-sent events) and the screens show it. */
export interface RunProgress {
  runId: number; status: Run['status']; total: number; done: number; errors: number; cached: number;
  promptTokens: number; completionTokens: number; cost: number; ratePerSec: number; etaSec: number | null; message: string;
}

/** The progress snapshot of a run as stored; `ratePerSec` and `etaSec` come from whoever is timing it. */
export function progressOf(run: Run, ratePerSec = 0, etaSec: number | null = null): RunProgress {
  return {
    runId: run.id, status: run.status, total: run.total, done: run.done, errors: run.errors, cached: run.cached,
    promptTokens: run.promptTokens, completionTokens: run.completionTokens, cost: run.cost, ratePerSec, etaSec, message: run.message,
  };
}

/** POST /criteria/:id/runs/cost-preview (and `concur run --estimate`): what a run (or the rest of one) is expected to send and cost, before any call is made. */
export interface RunCostPreview {
  model: string;
  items: number;
  samples: number;
  /** (item, sample) pairs still to judge */
  requests: number;
  /** of those, answered from the response cache (free) */
  cachedRequests: number;
  /** requests that would reach the endpoint */
  billableRequests: number;
  /** mean rendered prompt size, at 4 characters per token */
  avgPromptTokens: number;
  completionTokensPerRequest: number;
  /** where the completion allowance comes from: the version's max_tokens, or Concur's default */
  completionTokensFrom: 'max_tokens' | 'default';
  promptTokens: number;
  completionTokens: number;
  /** USD from the price table; null when the model has no price (unknown, not free) */
  cost: number | null;
  price: { inputPerMTok: number; outputPerMTok: number } | null;
  /** true when the averages come from a sample of the requests (large runs) */
  sampled: boolean;
}
