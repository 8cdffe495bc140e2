import { summarizeMatrix, type Matrix } from './matrix.ts';
import { Z_95, type Interval } from './wilson.ts';

/** Cohen's kappa with its asymptotic standard error and a normal-approximation interval. */
export interface KappaResult extends Interval {
  se: number | null;
  /** why the interval is undefined although kappa is defined (e.g. one rater gave a single category) */
  reason?: string;
}

const UNDEFINED_KAPPA: KappaResult = { value: null, se: null, low: null, high: null };

/**
 * Cohen's kappa for two raters, with the large-sample standard error of
 * Fleiss, Cohen & Everitt (1969), "Large sample standard errors of kappa and
 * weighted kappa", Psychological Bulletin 72(5), 323–327.
 *
 * Definition, with p_ij = m[i][j]/n, row marginals p_i., column marginals p_.j,
 * p_o = Σ p_ii and p_e = Σ p_i. p_.i:
 *   κ   = (p_o − p_e) / (1 − p_e)
 *   Var = [ Σ_i p_ii (1 − (p_i. + p_.i)(1 − κ))²
 *         + (1 − κ)² Σ_{i≠j} p_ij (p_.i + p_j.)²
 *         − (κ − p_e(1 − κ))² ] / ((1 − p_e)² n)
 *   [low, high] = κ ∓ z·√Var
 * These are statsmodels.stats.inter_rater.cohens_kappa's kappa, std_kappa,
 * kappa_low and kappa_upp. Like statsmodels, the interval is NOT clipped, so
 * `high` can exceed 1 (or `low` fall below −1) on small samples; clip for display.
 * A variance that rounds below zero (perfect agreement gives exactly 0) is taken as 0.
 *
 * All fields are null when κ is undefined: n = 0, or p_e = 1 (both raters put every
 * item in the same single category). When only one rater used a single category, κ is 0 and
 * the variance formula gives 0: the interval (low, high) is null with a `reason` instead of
 * a false [0, 0] (statsmodels reports std_kappa 0 there).
 *
 * Complexity: O(k²).
 *
 * @param m square count matrix, rows rater A (expert), columns rater B (judge).
 * @param z normal quantile for the interval, default 1.959963984540054 (95%).
 * @throws {Error} "cohenKappa: ..." when m is not a square matrix of counts ≥ 0, or z ≤ 0.
 * @example
 * cohenKappa([[2, 1], [0, 1]]).value; // => 0.5
 */
export function cohenKappa(m: Matrix, z = Z_95): KappaResult {
  const { k, n, rows, cols, agree } = summarizeMatrix(m, 'cohenKappa');
  if (!Number.isFinite(z) || z <= 0) {
    throw new Error(`cohenKappa: z must be a finite number > 0, got ${z}`);
  }
  if (n === 0) return { ...UNDEFINED_KAPPA };
  const rowFreq = rows.map((r) => r / n);
  const colFreq = cols.map((c) => c / n);
  let expected = 0;
  for (let i = 0; i < k; i++) expected += rowFreq[i] * colFreq[i];
  if (expected >= 1) return { ...UNDEFINED_KAPPA };

  const kappa = (agree / n - expected) / (1 - expected);
  let termA = 0;
  let termB = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const p = m[i][j] / n;
      if (i === j) termA += p * (1 - (rowFreq[i] + colFreq[i]) * (1 - kappa)) ** 2;
      else termB += p * (colFreq[i] + rowFreq[j]) ** 2;
    }
  }
  termB *= (1 - kappa) ** 2;
  const termC = (kappa - expected * (1 - kappa)) ** 2;
  const variance = (termA + termB - termC) / (1 - expected) ** 2 / n;
  const se = Math.sqrt(Math.max(0, variance));
  // A rater who used one category only: kappa is 0 by construction and the asymptotic variance
  // collapses to 0, so [0, 0] would claim certainty the data cannot give. The interval is undefined.
  const used = (xs: number[]) => xs.reduce((u, x) => u + (x > 0 ? 1 : 0), 0);
  if (used(rows) === 1 || used(cols) === 1) {
    return { value: kappa, se, low: null, high: null, reason: `${used(rows) === 1 ? 'the expert' : 'the judge'} gave one category only` };
  }
  return { value: kappa, se, low: kappa - z * se, high: kappa + z * se };
}
