import { summarizeMatrix, type Matrix } from './matrix.ts';

/** Disagreement weights for ordinal categories: |i − j| or (i − j)². */
export type KappaWeights = 'linear' | 'quadratic';

/**
 * Weighted kappa (Cohen 1968, "Weighted kappa", Psychological Bulletin 70(4), 213–220)
 * for ordinal categories 0..k−1.
 *
 * Definition, with disagreement weights w_ij = |i − j| (linear) or (i − j)² (quadratic)
 * and expected counts e_ij = (row_i · col_j) / n:
 *   κ_w = 1 − Σ w_ij m_ij / Σ w_ij e_ij
 * The same as sklearn.metrics.cohen_kappa_score(expert, judge, weights=..., labels=range(k)).
 * Distances are between category indices of the full k×k matrix, so an unused
 * middle category still counts (pass `labels` to sklearn to match).
 *
 * Complexity: O(k²).
 *
 * @param m square count matrix, rows rater A (expert), columns rater B (judge).
 * @param weights 'linear' or 'quadratic'.
 * @returns κ_w, or null when n = 0 or the expected disagreement is 0 (both raters
 *   used one and the same category).
 * @throws {Error} "weightedKappa: ..." on an invalid matrix or unknown weights.
 * @example
 * weightedKappa([[1, 1, 0], [0, 1, 0], [0, 0, 1]], 'linear'); // => 0.7142857142857143
 */
export function weightedKappa(m: Matrix, weights: KappaWeights): number | null {
  const { k, n, rows, cols } = summarizeMatrix(m, 'weightedKappa');
  if (weights !== 'linear' && weights !== 'quadratic') {
    throw new Error(`weightedKappa: weights must be 'linear' or 'quadratic', got ${String(weights)}`);
  }
  if (n === 0) return null;
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = weights === 'linear' ? Math.abs(i - j) : (i - j) ** 2;
      observed += w * m[i][j];
      expected += (w * rows[i] * cols[j]) / n;
    }
  }
  return expected === 0 ? null : 1 - observed / expected;
}
