import type { Interval } from '../stats/index.ts';
import type { ErrorRate } from './report.ts';
import { errorRateParts } from '../format.ts';

/** The largest share of labelled items a run may leave without a verdict (errors + not judged) unless told otherwise. */
export const DEFAULT_MAX_ERROR_RATE = 0.05;

/** `maxErrorRate` defaults to {@link DEFAULT_MAX_ERROR_RATE}: judge errors always count against the gate. */
export interface GateThresholds { minAgreement?: number; minKappa?: number; minTpr?: number; minTnr?: number; maxErrorRate?: number }

export interface GateMetrics { n: number; agreement: Interval; kappa: Interval; tpr: Interval; tnr: Interval; errorRate: ErrorRate }

export interface GateResult { pass: boolean; failures: string[]; checked: string[] }

const CHECKS: Array<[Exclude<keyof GateThresholds, 'maxErrorRate'>, 'agreement' | 'kappa' | 'tpr' | 'tnr', string]> = [
  ['minAgreement', 'agreement', 'agreement'], ['minKappa', 'kappa', 'kappa'], ['minTpr', 'tpr', 'TPR'], ['minTnr', 'tnr', 'TNR'],
];

const fmt = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * Compares a report with minimum thresholds. With `lowerBound`, the lower end of each 95%
 * interval must clear the threshold (the judge is trusted only as far as the evidence allows).
 * An undefined metric fails its threshold, with the reason. The error rate (judge errors and
 * labelled items the run did not judge, over the labelled items) must not exceed `maxErrorRate`,
 * so a judge cannot pass by failing on the items it would get wrong.
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
  const maxErrorRate = t.maxErrorRate ?? DEFAULT_MAX_ERROR_RATE;
  const e = m.errorRate;
  if (e.value === null) failures.push(`error rate is undefined: no labelled item in the population (n = ${m.n})`);
  else if (e.value > maxErrorRate) failures.push(`error rate ${pct(e.value)} > ${pct(maxErrorRate)} (${errorRateParts(e)})`);
  else checked.push(`error rate ${pct(e.value)} ≤ ${pct(maxErrorRate)} (${errorRateParts(e)})`);
  return { pass: failures.length === 0, failures, checked };
}
