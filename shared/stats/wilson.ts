/** A point estimate with a two-sided confidence interval. Every field is null when undefined. */
export interface Interval {
  value: number | null;
  low: number | null;
  high: number | null;
}

/** The standard normal quantile for a two-sided 95% interval, scipy.stats.norm.isf(0.025). */
export const Z_95 = 1.959963984540054;

/**
 * Wilson score interval for a binomial proportion.
 *
 * Definition (Wilson 1927; Agresti & Coull 1998), with p = successes / n:
 *   centre = (p + z²/2n) / (1 + z²/n)
 *   half   = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²)
 *   [low, high] = centre ∓ half
 * The same as statsmodels `proportion_confint(successes, n, method='wilson')`.
 * The bounds at p = 0 and p = 1 are exactly 0 and 1 (the formula gives them up to
 * rounding), so the interval always contains `value`.
 *
 * Complexity: O(1).
 *
 * @param successes number of successes, 0 ≤ successes ≤ n.
 * @param n number of trials; n = 0 gives `{ value: null, low: null, high: null }`.
 * @param z normal quantile, default 1.959963984540054 (95%).
 * @throws {Error} "wilsonInterval: ..." on a negative or non-finite count, successes > n, or z ≤ 0.
 * @example
 * wilsonInterval(8, 10); // => { value: 0.8, low: 0.4901..., high: 0.9433... }
 */
export function wilsonInterval(successes: number, n: number, z = Z_95): Interval {
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`wilsonInterval: n must be a finite number ≥ 0, got ${n}`);
  }
  if (!Number.isFinite(successes) || successes < 0 || successes > n) {
    throw new Error(`wilsonInterval: successes must be between 0 and n = ${n}, got ${successes}`);
  }
  if (!Number.isFinite(z) || z <= 0) {
    throw new Error(`wilsonInterval: z must be a finite number > 0, got ${z}`);
  }
  if (n === 0) return { value: null, low: null, high: null };
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return {
    value: p,
    low: successes === 0 ? 0 : centre - half,
    high: successes === n ? 1 : centre + half,
  };
}
