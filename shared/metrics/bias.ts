import { wilsonInterval, type Interval } from '../stats/index.ts';
import { isPass } from '../verdicts.ts';
import type { Criterion } from '../types.ts';
import type { Outcome } from './outcomes.ts';

export interface VerbosityBucket { quartile: number; minChars: number; maxChars: number; n: number; expertPassRate: Interval; judgePassRate: Interval; gap: number | null }

/**
 * Verbosity bias: judge vs expert pass rate by output-length quartile (binary and ordinal).
 * A judge that passes long outputs more often than the expert does, and short ones less, shows
 * a growing gap across quartiles. `lengthOf` gives an item's output length in characters.
 */
export function verbosityBias(outcomes: Outcome[], c: Pick<Criterion, 'scale' | 'levels' | 'passAt'>, lengthOf: (itemId: number) => number): VerbosityBucket[] {
  if (c.scale === 'pairwise') return [];
  const rows = outcomes.filter((o) => !o.excluded).map((o) => ({ len: lengthOf(o.item.id), e: isPass(o.expert!, c)!, j: isPass(o.judge!, c)! }))
    .sort((x, y) => x.len - y.len);
  if (rows.length < 4) return [];
  const out: VerbosityBucket[] = [];
  for (let q = 0; q < 4; q++) {
    const part = rows.slice(Math.floor((q * rows.length) / 4), Math.floor(((q + 1) * rows.length) / 4));
    const e = part.filter((r) => r.e).length, j = part.filter((r) => r.j).length;
    const expertPassRate = wilsonInterval(e, part.length), judgePassRate = wilsonInterval(j, part.length);
    out.push({
      quartile: q + 1, minChars: part[0]!.len, maxChars: part[part.length - 1]!.len, n: part.length, expertPassRate, judgePassRate,
      gap: judgePassRate.value !== null && expertPassRate.value !== null ? judgePassRate.value - expertPassRate.value : null,
    });
  }
  return out;
}

export interface VerdictStability { n: number; same: number; rate: Interval }

/**
 * Share of items whose judge verdict is the same in two runs (e.g. a base run and a rerun with
 * permuted few-shot examples, or with A and B swapped — verdicts of swapped runs are stored in the
 * item's own orientation, so "same" means the preference survived the swap).
 */
export function verdictStability(a: Outcome[], b: Outcome[]): VerdictStability {
  const inB = new Map(b.filter((o) => o.judge !== null).map((o) => [o.item.id, o.judge]));
  let n = 0, same = 0;
  for (const o of a) {
    if (o.judge === null || !inB.has(o.item.id)) continue;
    n++;
    if (inB.get(o.item.id) === o.judge) same++;
  }
  return { n, same, rate: wilsonInterval(same, n) };
}
