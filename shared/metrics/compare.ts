import { mcnemarExact } from '../stats/index.ts';
import type { Outcome } from './outcomes.ts';

export interface RunComparison {
  /** items compared in both runs */
  n: number;
  /** external ids the second run gets right and the first got wrong */
  fixed: string[];
  /** external ids the first run got right and the second gets wrong */
  regressed: string[];
  /** correct in A / in B */
  correctA: number;
  correctB: number;
  /** McNemar's exact test on the discordant items: b = right in A only (regressed), c = right in B only (fixed) */
  mcnemar: { b: number; c: number; p: number };
}

/**
 * Two runs on the same items: which items the change fixed and which it broke, and whether the
 * difference is more than chance (McNemar's exact test, two-sided).
 */
export function compareOutcomes(a: Outcome[], b: Outcome[]): RunComparison {
  const inB = new Map(b.filter((o) => !o.excluded).map((o) => [o.item.id, o]));
  const fixed: string[] = [], regressed: string[] = [];
  let n = 0, correctA = 0, correctB = 0;
  for (const oa of a) {
    if (oa.excluded) continue;
    const ob = inB.get(oa.item.id);
    if (!ob) continue;
    n++;
    const ra = oa.expert === oa.judge, rb = ob.expert === ob.judge;
    if (ra) correctA++;
    if (rb) correctB++;
    if (ra && !rb) regressed.push(oa.item.externalId);
    if (!ra && rb) fixed.push(oa.item.externalId);
  }
  return { n, fixed, regressed, correctA, correctB, mcnemar: { b: regressed.length, c: fixed.length, p: mcnemarExact(regressed.length, fixed.length) } };
}
