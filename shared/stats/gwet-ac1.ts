import { summarizeMatrix, type Matrix } from './matrix.ts';

/**
 * Gwet's AC1 agreement coefficient for two raters and k categories (Gwet 2008,
 * "Computing inter-rater reliability and its variance in the presence of high
 * agreement", Br J Math Stat Psychol 61(1), 29–48, eq. 4–5). Unlike kappa it stays
 * stable when one category dominates.
 *
 * Definition, with π_q = (row_q + col_q) / 2n the mean share of category q:
 *   p_e = Σ_q π_q (1 − π_q) / (k − 1)
 *   AC1 = (p_o − p_e) / (1 − p_e)
 * k is the matrix size (all declared categories). p_e ≤ 1/k, so the denominator is
 * never 0 for k ≥ 2.
 *
 * Complexity: O(k²).
 *
 * @returns AC1 in [−1, 1], or null when n = 0 or k < 2.
 * @throws {Error} "gwetAC1: ..." when m is not a square matrix of counts ≥ 0.
 * @example
 * // p_o = 0.9, π = (0.45, 0.55), p_e = 2·0.45·0.55 = 0.495, AC1 = 0.405/0.505
 * gwetAC1([[40, 5], [5, 50]]); // => 0.801980198019802
 */
export function gwetAC1(m: Matrix): number | null {
  const { k, n, rows, cols, agree } = summarizeMatrix(m, 'gwetAC1');
  if (n === 0 || k < 2) return null;
  let chance = 0;
  for (let q = 0; q < k; q++) {
    const share = (rows[q] + cols[q]) / (2 * n);
    chance += share * (1 - share);
  }
  chance /= k - 1;
  return (agree / n - chance) / (1 - chance);
}
