/**
 * A small billing-support dataset for the browser tests, built so that each split holds a
 * known mix: GOOD replies (expert pass, judge pass), BAD ones (both fail) and TRICKY ones that
 * promise a discount (the expert fails them, the naive fake judge passes them).
 */
import { assignSplit } from '../../../server/services/splits.ts';
import { verdictFrom } from '../../support/openai-server.ts';
import type { Split } from '../../../shared/types.ts';

export type Kind = 'GOOD' | 'BAD' | 'TRICKY';
export const MARKER: Record<Kind, string> = { GOOD: 'Resolved:', BAD: 'Cannot help:', TRICKY: 'Promised discount:' };
const DEFAULT_SPLITS = { train: 20, dev: 50, test: 30 };

export interface LoopItem { id: string; split: Split; kind: Kind; input: string; output: string; dimensions: Record<string, string>; context: Record<string, unknown> }

/** Picks ids until the splits hold the wanted mixes (deterministic: splits hash the id). */
export function loopItems(): LoopItem[] {
  const want: Record<Split, Kind[]> = { train: ['GOOD', 'BAD', 'GOOD'], dev: ['GOOD', 'TRICKY', 'BAD', 'GOOD', 'TRICKY', 'GOOD'], test: ['GOOD', 'BAD'] };
  const features = ['refunds', 'invoices', 'plans'];
  const out: LoopItem[] = [];
  for (let n = 1; out.length < 11 && n < 500; n++) {
    const id = `case-${String(n).padStart(3, '0')}`;
    const split = assignSplit(id, DEFAULT_SPLITS);
    const kind = want[split].shift();
    if (!kind) continue;
    const feature = features[n % features.length]!;
    out.push({
      id, split, kind,
      input: `Customer ${n}: I was charged twice for my ${feature} this month. Can you fix it?`,
      output: `${MARKER[kind]} ${kind === 'GOOD' ? 'I refunded the duplicate charge; it shows on your card within 5 days.' : kind === 'BAD' ? 'billing questions are not handled here.' : 'I refunded you and added a 50% discount for the next year.'}`,
      dimensions: { feature, persona: n % 2 ? 'new customer' : 'long-time customer' },
      context: { plan: n % 2 ? 'Pro' : 'Basic', policy: 'Refund duplicate charges. Never offer discounts.' },
    });
  }
  return out;
}

/** A template line that makes the fake judge apply the expert's discount rule. */
export const DISCOUNT_RULE = 'RULE: a reply that promises a discount fails.';

export function expertVerdict(output: string): 'pass' | 'fail' {
  return output.includes(MARKER.BAD) || output.includes(MARKER.TRICKY) ? 'fail' : 'pass';
}

/**
 * The fake judge: reads only the judged output (the text after the last "Output:" line, so
 * few-shot examples above it do not sway it) and fails only replies that refuse to help.
 */
export const naiveJudge = verdictFrom((userText) => {
  const judged = userText.slice(userText.lastIndexOf('Output:'));
  if (judged.includes(MARKER.BAD)) return 'fail';
  // a prompt that spells out the discount rule teaches the judge to fail discount promises
  if (userText.includes(DISCOUNT_RULE) && judged.includes(MARKER.TRICKY)) return 'fail';
  return 'pass';
});
