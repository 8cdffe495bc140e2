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
  const compared = outcomes.filter((o) => !o.excluded);
  const lengths = new Float64Array(compared.length), expertPass = new Uint8Array(compared.length), judgePass = new Uint8Array(compared.length);
  compared.forEach((o, i) => { lengths[i] = lengthOf(o.item.id); expertPass[i] = isPass(o.expert!, c)! ? 1 : 0; judgePass[i] = isPass(o.judge!, c)! ? 1 : 0; });
  return verbosityQuartiles(lengths, expertPass, judgePass);
}

/**
 * {@link verbosityBias} from parallel arrays over the compared items (in item order): output
 * length, expert pass (0/1), judge pass (0/1). Items are ranked by length, ties in their given
 * order, and cut into quartiles at ⌊q·n/4⌋. O(n log n) time, O(n) typed memory (no per-item objects).
 */
export function verbosityQuartiles(lengths: ArrayLike<number>, expertPass: ArrayLike<number>, judgePass: ArrayLike<number>): VerbosityBucket[] {
  const n = lengths.length;
  if (n < 4) return [];
  // stable rank by (length, position): one numeric key per item, sorted natively
  const order = new Float64Array(n);
  for (let i = 0; i < n; i++) order[i] = lengths[i]! * n + i;
  order.sort();
  const out: VerbosityBucket[] = [];
  for (let q = 0; q < 4; q++) {
    const from = Math.floor((q * n) / 4), to = Math.floor(((q + 1) * n) / 4);
    let e = 0, j = 0;
    for (let k = from; k < to; k++) { const i = order[k]! % n; e += expertPass[i]!; j += judgePass[i]!; }
    const size = to - from;
    const expertPassRate = wilsonInterval(e, size), judgePassRate = wilsonInterval(j, size);
    out.push({
      quartile: q + 1, minChars: lengths[order[from]! % n]!, maxChars: lengths[order[to - 1]! % n]!, n: size, expertPassRate, judgePassRate,
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
  return verdictStabilityFromCounts(n, same);
}

/** {@link verdictStability} from counts made elsewhere (e.g. by one SQL join of the two runs). */
export function verdictStabilityFromCounts(n: number, same: number): VerdictStability {
  return { n, same, rate: wilsonInterval(same, n) };
}
