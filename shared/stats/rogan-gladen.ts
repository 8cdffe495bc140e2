/**
 * Rogan–Gladen estimator: the true prevalence implied by an observed positive rate
 * from an imperfect classifier of known sensitivity and specificity (Rogan & Gladen
 * 1978, "Estimating prevalence from the results of a screening test", Am J Epidemiol
 * 107(1), 71–76). Here: the expert pass rate implied by the judge's pass rate.
 *
 * Definition: θ = (p_obs + TNR − 1) / (TPR + TNR − 1), clipped to [0, 1] because sampling
 * noise can push the raw ratio outside the range of a proportion.
 *
 * Complexity: O(1).
 *
 * @param observed the judge's pass rate, in [0, 1].
 * @param tpr P(judge pass | expert pass), in [0, 1].
 * @param tnr P(judge fail | expert fail), in [0, 1].
 * @returns θ in [0, 1], or null when TPR + TNR ≤ 1 (the judge is no better than chance,
 *   so its verdicts carry no information about the true rate).
 * @throws {Error} "roganGladen: ..." when an argument is outside [0, 1] or not a number.
 * @example
 * roganGladen(0.6, 0.9, 0.8); // => (0.6 + 0.8 − 1) / (0.9 + 0.8 − 1) ≈ 0.5714285714
 */
export function roganGladen(observed: number, tpr: number, tnr: number): number | null {
  for (const [name, value] of [['observed', observed], ['tpr', tpr], ['tnr', tnr]] as const) {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new Error(`roganGladen: ${name} must be a number in [0, 1], got ${String(value)}`);
    }
  }
  if (tpr + tnr <= 1) return null;
  const theta = (observed + tnr - 1) / (tpr + tnr - 1);
  return Math.min(1, Math.max(0, theta));
}
