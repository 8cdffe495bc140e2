import { resolveBootstrapOptions, type BootstrapOptions } from './bootstrap.ts';
import { categoricalAgreement, type CategoricalMetrics } from './categorical-agreement.ts';
import { confusionMatrixFromIndices } from './confusion-matrix.ts';
import { weightedKappaInterval } from './weighted-kappa-interval.ts';
import type { Interval } from './wilson.ts';

/** Categorical agreement plus weighted kappas that credit near misses on an ordered scale. */
export interface OrdinalMetrics extends CategoricalMetrics {
  weightedKappa: { linear: Interval; quadratic: Interval };
}

/**
 * Agreement between a judge and an expert on an ordinal scale 0..k−1 (e.g. a 1–5 score
 * stored as 0–4).
 *
 * Definitions: every field of {@link categoricalAgreement} with labels "0".."k−1", plus
 * linear and quadratic {@link weightedKappaInterval}s (percentile bootstrap, both using the
 * same seed so they resample the same items).
 *
 * Complexity: O(iterations · (n + k²)).
 *
 * @param pairs [expert, judge] 0-based scores.
 * @param k number of scale points.
 * @param opts bootstrap seed (default 1), iterations (default 2000), level (default 0.95).
 * @throws {Error} "ordinalAgreement: ..." when k is not an integer ≥ 1, a score is outside [0, k)
 *   or a bootstrap option is invalid.
 * @example
 * ordinalAgreement([[0, 0], [1, 1], [2, 1], [2, 2]], 3).weightedKappa.quadratic.value; // => 0.8
 */
export function ordinalAgreement(pairs: Array<[number, number]>, k: number, opts: BootstrapOptions = {}): OrdinalMetrics {
  if (!Number.isInteger(k) || k < 1) throw new Error(`ordinalAgreement: k must be an integer ≥ 1, got ${k}`);
  const labels = Array.from({ length: k }, (_, i) => String(i));
  // Validate here so that errors name this function rather than the helpers it calls.
  confusionMatrixFromIndices(pairs, k, 'ordinalAgreement');
  resolveBootstrapOptions(opts, 'ordinalAgreement');
  return {
    ...categoricalAgreement(pairs, labels),
    weightedKappa: {
      linear: weightedKappaInterval(pairs, k, 'linear', opts),
      quadratic: weightedKappaInterval(pairs, k, 'quadratic', opts),
    },
  };
}
