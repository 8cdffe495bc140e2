import { percentileInterval, resampleIndices, resolveBootstrapOptions, type BootstrapOptions } from './bootstrap.ts';
import { createRng } from './rng.ts';
import { roganGladen } from './rogan-gladen.ts';

/** Items with both verdicts (the calibration set) and judge-only verdicts (the population). */
export interface PassRateInput {
  labelled: Array<{ expertPass: boolean; judgePass: boolean }>;
  unlabelledJudgePass: boolean[];
}

export interface CorrectedPassRate {
  /** The judge's raw pass rate on the unlabelled items. */
  observed: number | null;
  /** Rogan–Gladen estimate of the pass rate the expert would give the unlabelled items. */
  estimate: number | null;
  low: number | null;
  high: number | null;
  /** P(judge pass | expert pass) on the labelled items. */
  tpr: number | null;
  /** P(judge fail | expert fail) on the labelled items. */
  tnr: number | null;
  /** Bootstrap resamples where the correction was defined and so entered the interval. */
  iterations: number;
  /** Why no estimate is given, as a sentence for people; null when there is one. */
  refused: string | null;
}

interface Rates {
  tpr: number | null;
  tnr: number | null;
}

/**
 * The expert pass rate of unlabelled items, estimated from the judge's verdicts and
 * corrected for the judge's errors measured on a labelled (expert-graded) set.
 *
 * Definition: observed = judge pass rate on the unlabelled items; TPR and TNR come
 * from the labelled items; estimate = {@link roganGladen}(observed, TPR, TNR).
 * The interval is a percentile bootstrap (Efron & Tibshirani 1993) that resamples the
 * labelled and the unlabelled items independently with replacement in every
 * iteration, so it carries the uncertainty of both the judge's error rates and the
 * observed rate. Iterations whose resampled labelled set lacks expert passes or
 * fails, or where TPR + TNR ≤ 1, are skipped; `iterations` reports how many were used.
 *
 * `refused` explains a missing estimate: no unlabelled items, no labelled expert
 * passes or fails (so TPR or TNR is unknown), or TPR + TNR ≤ 1.
 *
 * Complexity: O(iterations · (L + U)) for L labelled and U unlabelled items.
 *
 * @param opts bootstrap iterations (default 2000), seed (default 1), level (default 0.95).
 * @throws {Error} "correctedPassRate: ..." on an invalid option.
 * @example
 * // labelled: 30 expert-pass/judge-pass, 5 pass/fail, 4 fail/pass, 11 fail/fail;
 * // unlabelled: the judge passes 42 of 70
 * correctedPassRate({ labelled, unlabelledJudgePass });
 * // => { observed: 0.6, tpr: 0.857…, tnr: 0.733…, estimate: (0.6 + 0.733 − 1)/(0.857 + 0.733 − 1) = 0.5645…,
 * //      low: …, high: …, iterations: ≈2000, refused: null }
 */
export function correctedPassRate(input: PassRateInput, opts: BootstrapOptions = {}): CorrectedPassRate {
  const { iterations, seed, level } = resolveBootstrapOptions(opts, 'correctedPassRate');
  const { labelled, unlabelledJudgePass: unlabelled } = input;
  if (!Array.isArray(labelled) || !Array.isArray(unlabelled)) {
    throw new Error('correctedPassRate: labelled and unlabelledJudgePass must be arrays');
  }
  const { tpr, tnr } = judgeRates(labelled, labelled.map((_, i) => i));
  const observed = unlabelled.length === 0 ? null : passRate(unlabelled, unlabelled.map((_, i) => i));
  const result = { observed, estimate: null, low: null, high: null, tpr, tnr, iterations: 0 };
  if (observed === null || tpr === null || tnr === null || tpr + tnr <= 1) {
    return { ...result, refused: refusal(tpr, tnr) };
  }
  const estimate = roganGladen(observed, tpr, tnr);

  const rng = createRng(seed);
  const estimates: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const rates = judgeRates(labelled, resampleIndices(labelled.length, rng));
    const rate = passRate(unlabelled, resampleIndices(unlabelled.length, rng));
    if (rates.tpr === null || rates.tnr === null) continue;
    const corrected = roganGladen(rate, rates.tpr, rates.tnr);
    if (corrected !== null) estimates.push(corrected);
  }
  return { ...result, estimate, ...percentileInterval(estimates, level), iterations: estimates.length, refused: null };
}

/** The sentence shown when the correction is undefined; checks in the order a person would fix them. */
function refusal(tpr: number | null, tnr: number | null): string {
  if (tpr === null && tnr === null) {
    return "There are no labelled items, so the judge's error rates are unknown and its pass rate cannot be corrected.";
  }
  if (tpr === null) {
    return (
      "No labelled item was passed by the expert, so the judge's true positive rate is unknown " +
      'and its pass rate cannot be corrected.'
    );
  }
  if (tnr === null) {
    return (
      "No labelled item was failed by the expert, so the judge's true negative rate is unknown " +
      'and its pass rate cannot be corrected.'
    );
  }
  if (tpr + tnr <= 1) {
    return (
      `TPR + TNR = ${round(tpr + tnr)} ≤ 1: the judge is no better than chance on the labelled set, ` +
      'so its pass rate cannot be corrected.'
    );
  }
  return 'There are no unlabelled items, so there is no pass rate to correct.';
}

function judgeRates(labelled: PassRateInput['labelled'], indices: number[]): Rates {
  let passes = 0;
  let truePasses = 0;
  let fails = 0;
  let trueFails = 0;
  for (const i of indices) {
    const { expertPass, judgePass } = labelled[i];
    if (expertPass) {
      passes++;
      if (judgePass) truePasses++;
    } else {
      fails++;
      if (!judgePass) trueFails++;
    }
  }
  return { tpr: passes === 0 ? null : truePasses / passes, tnr: fails === 0 ? null : trueFails / fails };
}

function passRate(verdicts: boolean[], indices: number[]): number {
  let passes = 0;
  for (const i of indices) if (verdicts[i]) passes++;
  return passes / indices.length;
}

function round(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}
