import { summarizeMatrix, type Matrix } from './matrix.ts';

/**
 * Prevalence-adjusted bias-adjusted kappa (Byrt, Bishop & Carlin 1993, "Bias,
 * prevalence and kappa", J Clin Epidemiol 46(5), 423–429), generalised to k categories.
 *
 * Definition: PABAK = (k·p_o − 1) / (k − 1), with p_o the observed agreement and k the
 * matrix size (all declared categories, used or not). For k = 2 this is 2·p_o − 1. It is
 * kappa with chance agreement fixed at 1/k, i.e. the free-marginal kappa of Brennan &
 * Prediger (1981) and Randolph (2005): statsmodels fleiss_kappa(table, method='randolph')
 * for two raters.
 *
 * Complexity: O(k²).
 *
 * @returns PABAK in [−1/(k−1), 1], or null when n = 0 or k < 2.
 * @throws {Error} "pabak: ..." when m is not a square matrix of counts ≥ 0.
 * @example
 * pabak([[40, 5], [5, 50]]); // => 0.8
 */
export function pabak(m: Matrix): number | null {
  const { k, n, agree } = summarizeMatrix(m, 'pabak');
  if (n === 0 || k < 2) return null;
  return (k * (agree / n) - 1) / (k - 1);
}
