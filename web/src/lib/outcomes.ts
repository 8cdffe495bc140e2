import { verdictOptions } from '../../../shared/verdicts.ts';
import type { Criterion, OutcomeRow } from './types.ts';

/** Outcomes that count in the metrics (labelled, not ambiguous, judged, not a few-shot example). */
export const compared = (outcomes: OutcomeRow[]) => outcomes.filter((o) => !o.excluded && o.expert !== null && o.judge !== null);

/**
 * The k×k confusion matrix (rows expert, columns judge) on the criterion's own verdicts, built
 * from the report's outcomes so every cell maps to exactly the items listed under it.
 */
export function confusionFromOutcomes(criterion: Pick<Criterion, 'scale' | 'levels' | 'passAt'>, outcomes: OutcomeRow[]) {
  const labels = verdictOptions(criterion);
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  for (const o of compared(outcomes)) {
    const r = index.get(o.expert!), c = index.get(o.judge!);
    if (r !== undefined && c !== undefined) matrix[r]![c]!++;
  }
  return { labels, matrix };
}

/** Run label for tables and charts: "v3" for a judged version, the name for an imported run. */
export function runLabel(run: { kind: string; versionNumber?: number | null; version?: number | null; name: string; id: number }): string {
  const v = run.versionNumber ?? run.version ?? null;
  return run.kind === 'imported' || v === null ? run.name : `v${v}`;
}
