/** Pure helpers for the trust report: the human ceiling and the CI gate command line. */
import type { GateThresholds, Report } from './types.ts';
import { shellQuote } from '../../../shared/shell.ts';

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
  // a loop, not a spread into one call: one kappa per annotator pair grows quadratically with annotators
  let range: [number, number] | null = null;
  for (const k of kappas) range = range ? [Math.min(range[0], k), Math.max(range[1], k)] : [k, k];
  return { kappa: a.fleissKappa, what: `Fleiss' kappa, ${a.annotators.length} annotators, ${a.fleissItems} items`, range };
}

/** Quotes a word for a POSIX shell (shared/shell.ts: single quotes unless the word is plainly safe). */
export { shellQuote };

/**
 * The gate command that checks what the gate panel checked, to paste in the repository (CI):
 * `npm run --silent concur -- gate`, with `--db` when the workspace is not the default one, naming
 * the version and split (`version` null: an imported run, named by its run id, which is local to
 * this workspace). Every user-named argument is quoted for the shell.
 */
export function gateCommand(p: {
  dataset: string; criterion: string; version: number | null; runId: number; split: string; thresholds: GateThresholds; lowerBound: boolean; dbArg: string | null;
}): string {
  const t = p.thresholds;
  const parts = ['npm run --silent concur -- gate'];
  if (p.dbArg !== null) parts.push('--db', shellQuote(p.dbArg));
  parts.push('--dataset', shellQuote(p.dataset), '--criterion', shellQuote(p.criterion));
  if (p.version !== null) parts.push('--version', String(p.version));
  else parts.push('--run', String(p.runId));
  parts.push('--split', p.split);
  const flag = (name: string, v: number | undefined) => { if (v !== undefined) parts.push(`--${name}`, String(v)); };
  flag('min-agreement', t.minAgreement);
  flag('min-kappa', t.minKappa);
  flag('min-tpr', t.minTpr);
  flag('min-tnr', t.minTnr);
  flag('max-error-rate', t.maxErrorRate);
  if (p.lowerBound) parts.push('--lower-bound');
  return parts.join(' ');
}
