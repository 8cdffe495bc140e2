import { cohenKappa, type KappaResult } from './cohen-kappa.ts';
import { confusionMatrixFromIndices } from './confusion-matrix.ts';
import { gwetAC1 } from './gwet-ac1.ts';
import type { Matrix } from './matrix.ts';
import { pabak } from './pabak.ts';
import { wilsonInterval, type Interval } from './wilson.ts';

/** Agreement between judge and expert on nominal categories. */
export interface CategoricalMetrics {
  n: number;
  /** Rows expert, columns judge, in `labels` order. */
  confusion: { labels: readonly string[]; matrix: Matrix };
  /** Share of items with the same category, with a Wilson interval. */
  agreement: Interval;
  kappa: KappaResult;
  pabak: number | null;
  ac1: number | null;
}

/**
 * Agreement between a judge and an expert who each pick one of k nominal categories.
 *
 * Definitions: matrix = {@link confusionMatrixFromIndices}; agreement = trace/n with a
 * {@link wilsonInterval}; kappa = {@link cohenKappa}; pabak = {@link pabak} and
 * ac1 = {@link gwetAC1}, both with k = labels.length. n = 0 gives nulls.
 *
 * Complexity: O(n + k²).
 *
 * @param pairs [expert, judge] 0-based indices into `labels`.
 * @param labels category names; k = labels.length.
 * @throws {Error} "categoricalAgreement: ..." when an index is not an integer in [0, k).
 * @example
 * categoricalAgreement([[0, 0], [1, 2], [2, 2]], ['low', 'mid', 'high']).agreement.value; // => 0.6666666666666666
 */
export function categoricalAgreement(pairs: Array<[number, number]>, labels: readonly string[]): CategoricalMetrics {
  const matrix = confusionMatrixFromIndices(pairs, labels.length, 'categoricalAgreement');
  const n = pairs.length;
  const agree = matrix.reduce((sum, row, i) => sum + row[i], 0);
  return {
    n,
    confusion: { labels, matrix },
    agreement: wilsonInterval(agree, n),
    kappa: cohenKappa(matrix),
    pabak: pabak(matrix),
    ac1: gwetAC1(matrix),
  };
}
