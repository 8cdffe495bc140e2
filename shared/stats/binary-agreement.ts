import { cohenKappa, type KappaResult } from './cohen-kappa.ts';
import { gwetAC1 } from './gwet-ac1.ts';
import type { Matrix } from './matrix.ts';
import { pabak } from './pabak.ts';
import { wilsonInterval, type Interval } from './wilson.ts';

/** Everything Concur reports about a pass/fail judge against a pass/fail expert. */
export interface BinaryMetrics {
  n: number;
  /** Rows expert, columns judge: [[pass·pass, pass·fail], [fail·pass, fail·fail]]. */
  confusion: { labels: ['pass', 'fail']; matrix: Matrix };
  /** Share of items where judge and expert agree, with a Wilson interval. */
  agreement: Interval;
  kappa: KappaResult;
  /** P(judge pass | expert pass), Wilson. */
  tpr: Interval;
  /** P(judge fail | expert fail), Wilson. */
  tnr: Interval;
  /** Precision, recall and F1 with "fail" as the positive class: how well the judge catches failures. */
  failClass: { precision: number | null; recall: number | null; f1: number | null };
  /** (TPR + TNR) / 2. */
  balancedAccuracy: number | null;
  /** The expert pass rate, Wilson. */
  prevalence: Interval;
  /** The judge pass rate, Wilson. */
  judgePassRate: Interval;
  /** judgePassRate − prevalence: > 0 means the judge is more lenient than the expert. */
  bias: number | null;
  pabak: number | null;
  ac1: number | null;
}

/**
 * Agreement between a pass/fail judge and a pass/fail expert.
 *
 * Definitions, with pp, pf, fp, ff the counts of (expert, judge) = (pass, pass),
 * (pass, fail), (fail, pass), (fail, fail):
 *   agreement = (pp + ff)/n; TPR = pp/(pp + pf); TNR = ff/(fp + ff) — Wilson intervals;
 *   fail-class precision = ff/(pf + ff), recall = TNR, F1 = 2·ff/(2·ff + pf + fp)
 *     (sklearn precision/recall/f1_score with pos_label = fail);
 *   balanced accuracy = (TPR + TNR)/2; prevalence = (pp + pf)/n;
 *   judge pass rate = (pp + fp)/n; bias = judge pass rate − prevalence = (fp − pf)/n;
 *   kappa = {@link cohenKappa}; pabak = {@link pabak}; ac1 = {@link gwetAC1}.
 * A ratio whose denominator is 0 is null (sklearn would warn and report 0); an F1 whose
 * precision or recall is null is null. n = 0 gives nulls everywhere and never throws.
 *
 * Complexity: O(n).
 *
 * @param pairs [expertPass, judgePass] per item.
 * @example
 * binaryAgreement([[true, true], [true, false], [false, false]]).agreement.value; // => 0.6666666666666666
 */
export function binaryAgreement(pairs: Array<[boolean, boolean]>): BinaryMetrics {
  const counts: BinaryCounts = { pp: 0, pf: 0, fp: 0, ff: 0 };
  for (const [expertPass, judgePass] of pairs) addPair(counts, expertPass, judgePass);
  return binaryAgreementFromCounts(counts);
}

/** The 2×2 counts of (expert, judge) = (pass, pass), (pass, fail), (fail, pass), (fail, fail). */
export interface BinaryCounts { pp: number; pf: number; fp: number; ff: number }

/** Adds one [expertPass, judgePass] pair to running counts (for callers that aggregate without arrays). */
export function addPair(c: BinaryCounts, expertPass: boolean, judgePass: boolean): void {
  if (expertPass) { if (judgePass) c.pp++; else c.pf++; } else if (judgePass) c.fp++; else c.ff++;
}

/**
 * {@link binaryAgreement} from already-counted cells: the same metrics in O(1), so reports over
 * millions of judgments and many slices need no per-item arrays.
 * @throws if a count is negative or not an integer (via the matrix checks of cohenKappa)
 */
export function binaryAgreementFromCounts({ pp, pf, fp, ff }: BinaryCounts): BinaryMetrics {
  const n = pp + pf + fp + ff;
  const matrix = [
    [pp, pf],
    [fp, ff],
  ];
  const tpr = wilsonInterval(pp, pp + pf);
  const tnr = wilsonInterval(ff, fp + ff);
  const precision = ratio(ff, pf + ff);
  const recall = tnr.value;
  const prevalence = wilsonInterval(pp + pf, n);
  const judgePassRate = wilsonInterval(pp + fp, n);
  return {
    n,
    confusion: { labels: ['pass', 'fail'], matrix },
    agreement: wilsonInterval(pp + ff, n),
    kappa: cohenKappa(matrix),
    tpr,
    tnr,
    failClass: { precision, recall, f1: precision === null || recall === null ? null : ratio(2 * ff, 2 * ff + pf + fp) },
    balancedAccuracy: tpr.value === null || tnr.value === null ? null : (tpr.value + tnr.value) / 2,
    prevalence,
    judgePassRate,
    bias: n === 0 ? null : (fp - pf) / n,
    pabak: pabak(matrix),
    ac1: gwetAC1(matrix),
  };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}
