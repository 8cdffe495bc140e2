import { bootstrapInterval, resolveBootstrapOptions, type BootstrapOptions } from './bootstrap.ts';
import { confusionMatrixFromIndices } from './confusion-matrix.ts';
import { weightedKappa, type KappaWeights } from './weighted-kappa.ts';
import type { Interval } from './wilson.ts';

/**
 * Weighted kappa with a percentile bootstrap interval.
 *
 * Definition: value = {@link weightedKappa} of the k×k matrix of all pairs; low and high
 * come from {@link bootstrapInterval}, resampling the pairs with replacement and
 * skipping resamples where weighted kappa is undefined. A bootstrap is used rather than
 * a closed-form standard error because it is assumption-light and reproducible by seed.
 * Like any percentile interval it need not contain `value` when the statistic is skewed.
 *
 * Complexity: O(iterations · (n + k²)).
 *
 * @param pairs [expert, judge] 0-based category indices.
 * @param k number of ordinal categories.
 * @param weights 'linear' or 'quadratic'.
 * @param opts bootstrap iterations (default 2000), seed (default 1), level (default 0.95).
 * @throws {Error} "weightedKappaInterval: ..." on an index outside [0, k), an invalid k,
 *   unknown weights or an invalid option.
 * @example
 * weightedKappaInterval([[0, 0], [1, 1], [2, 1], [2, 2]], 3, 'quadratic');
 * // => { value: 0.8, low: …, high: … } (all null when there are no pairs)
 */
export function weightedKappaInterval(
  pairs: Array<[number, number]>,
  k: number,
  weights: KappaWeights,
  opts: BootstrapOptions = {},
): Interval {
  const caller = 'weightedKappaInterval';
  if (weights !== 'linear' && weights !== 'quadratic') {
    throw new Error(`${caller}: weights must be 'linear' or 'quadratic', got ${String(weights)}`);
  }
  resolveBootstrapOptions(opts, caller);
  const value = weightedKappa(confusionMatrixFromIndices(pairs, k, caller), weights);
  const { low, high } = bootstrapInterval(
    pairs.length,
    (indices) => weightedKappa(confusionMatrixFromIndices(indices.map((i) => pairs[i]), k, caller), weights),
    opts,
  );
  return { value, low, high };
}
