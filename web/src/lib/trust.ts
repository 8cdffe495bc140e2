/** Pure helpers for the trust report: the human ceiling and the CI gate command line. */
import type { GateThresholds, Report } from './types.ts';

/**
 * The human–human agreement to quote as the ceiling: Cohen's kappa of the pair with two
 * annotators, Fleiss' kappa with three or more. Null with fewer than two annotators.
 */
export function humanCeiling(a: Report['annotators'] | undefined): { kappa: number; what: string; range: [number, number] | null } | null {
  if (!a || a.annotators.length < 2) return null;
  const kappas = a.pairwise.map((p) => p.kappa).filter((k): k is number => k !== null);
  if (a.annotators.length === 2) {
    const k = kappas[0];
    return k === undefined ? null : { kappa: k, what: `${a.pairwise[0]!.a} vs ${a.pairwise[0]!.b}, ${a.pairwise[0]!.n} items`, range: null };
  }
  if (a.fleissKappa === null) return null;
  // a loop, not Math.min(...kappas): one kappa per annotator pair grows quadratically with annotators
  let range: [number, number] | null = null;
  for (const k of kappas) range = range ? [Math.min(range[0], k), Math.max(range[1], k)] : [k, k];
  return { kappa: a.fleissKappa, what: `Fleiss' kappa, ${a.annotators.length} annotators, ${a.fleissItems} items`, range };
}

/** Quotes a word for a POSIX shell when it needs it: double quotes unless it holds $ ` \\ " or !, else single. */
export function shellQuote(s: string): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  if (!/[$`\\"!]/.test(s)) return `"${s}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `concur gate …` line that checks exactly what the gate panel checked, to paste into CI. */
export function gateCommand(p: { dataset: string; criterion: string; runId: number; split: string; thresholds: GateThresholds; lowerBound: boolean }): string {
  const t = p.thresholds;
  const parts = ['concur gate', '--dataset', shellQuote(p.dataset), '--criterion', shellQuote(p.criterion), '--run', String(p.runId), '--split', p.split];
  const flag = (name: string, v: number | undefined) => { if (v !== undefined) parts.push(`--${name}`, String(v)); };
  flag('min-agreement', t.minAgreement);
  flag('min-kappa', t.minKappa);
  flag('min-tpr', t.minTpr);
  flag('min-tnr', t.minTnr);
  flag('max-error-rate', t.maxErrorRate);
  if (p.lowerBound) parts.push('--lower-bound');
  return parts.join(' ');
}
