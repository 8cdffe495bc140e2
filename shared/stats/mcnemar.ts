/**
 * Exact two-sided McNemar test for paired binary outcomes, e.g. "does the judge
 * fail items the expert passes more often than the reverse?".
 *
 * Definition (McNemar 1947; exact form as in Fagerland, Lydersen & Laake 2013): given
 * the discordant counts b and c, under H0 each discordant pair is equally likely to fall
 * either way, so min(b, c) ~ Binomial(b + c, 1/2) and
 *   p = min(1, 2 · P(X ≤ min(b, c))).
 * The same as statsmodels.stats.contingency_tables.mcnemar([[a, b], [c, d]], exact=True).pvalue.
 * Binomial terms are built up and summed in log space so large counts neither overflow
 * nor underflow prematurely; the result is accurate to about 1e-11 relative for
 * b + c in the thousands (the log-space running sum is the limit).
 *
 * Complexity: O(min(b, c)).
 *
 * @param b discordant count one way (e.g. expert pass, judge fail).
 * @param c discordant count the other way.
 * @returns the p-value in (0, 1]; b = c = 0 gives 1.
 * @throws {Error} "mcnemarExact: ..." when b or c is not an integer ≥ 0.
 * @example
 * mcnemarExact(1, 9); // => 0.021484375 (2·11/1024, up to rounding in the last digit)
 */
export function mcnemarExact(b: number, c: number): number {
  for (const [name, value] of [['b', b], ['c', c]] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`mcnemarExact: ${name} must be an integer ≥ 0, got ${value}`);
    }
  }
  const total = b + c;
  const smaller = Math.min(b, c);
  // log P(X = i) = log C(total, i) − total·log 2, built up term by term.
  const logHalfPower = -total * Math.LN2;
  const logTerms = new Float64Array(smaller + 1);
  let logChoose = 0;
  let largest = -Infinity;
  for (let i = 0; i <= smaller; i++) {
    logTerms[i] = logChoose + logHalfPower;
    if (logTerms[i]! > largest) largest = logTerms[i]!;
    logChoose += Math.log(total - i) - Math.log(i + 1);
  }
  // (a loop: spreading the terms into one call overflows the stack once min(b, c) passes ~125k)
  const logCdf = largest + Math.log(logTerms.reduce((sum, t) => sum + Math.exp(t - largest), 0));
  return Math.min(1, 2 * Math.exp(logCdf));
}
