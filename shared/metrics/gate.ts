import type { Interval } from '../stats/index.ts';

export interface GateThresholds { minAgreement?: number; minKappa?: number; minTpr?: number; minTnr?: number }

export interface GateMetrics { n: number; agreement: Interval; kappa: Interval; tpr: Interval; tnr: Interval }

export interface GateResult { pass: boolean; failures: string[]; checked: string[] }

const CHECKS: Array<[keyof GateThresholds, keyof Omit<GateMetrics, 'n'>, string]> = [
  ['minAgreement', 'agreement', 'agreement'], ['minKappa', 'kappa', 'kappa'], ['minTpr', 'tpr', 'TPR'], ['minTnr', 'tnr', 'TNR'],
];

const fmt = (x: number) => x.toFixed(3);

/**
 * Compares a report with minimum thresholds. With `lowerBound`, the lower end of each 95%
 * interval must clear the threshold (the judge is trusted only as far as the evidence allows).
 * An undefined metric fails its threshold, with the reason.
 */
export function evaluateGate(m: GateMetrics, t: GateThresholds, lowerBound = false): GateResult {
  const failures: string[] = [];
  const checked: string[] = [];
  for (const [key, metric, label] of CHECKS) {
    const min = t[key];
    if (min === undefined) continue;
    const iv = m[metric];
    const value = lowerBound ? iv.low : iv.value;
    const what = lowerBound ? `${label} lower 95% bound` : label;
    if (value === null) failures.push(`${label} is undefined (n = ${m.n}); needs ≥ ${fmt(min)}`);
    else if (value < min) failures.push(`${what} ${fmt(value)} < ${fmt(min)}${lowerBound ? '' : ` (95% CI ${fmt(iv.low ?? NaN)}–${fmt(iv.high ?? NaN)})`}`);
    else checked.push(`${what} ${fmt(value)} ≥ ${fmt(min)}`);
  }
  return { pass: failures.length === 0, failures, checked };
}
