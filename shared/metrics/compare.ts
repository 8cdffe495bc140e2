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
  const cmp = new RunComparisonBuilder();
  for (const oa of a) {
    if (oa.excluded) continue;
    const ob = inB.get(oa.item.id);
    if (!ob) continue;
    cmp.add(oa.item.externalId, oa.expert === oa.judge, ob.expert === ob.judge);
  }
  return cmp.result();
}

/** {@link compareOutcomes} item by item: feed each item compared in both runs (in item order). */
export class RunComparisonBuilder {
  private n = 0;
  private correctA = 0;
  private correctB = 0;
  private readonly fixed: string[] = [];
  private readonly regressed: string[] = [];

  /** One item compared in both runs: whether run A and run B agree with the expert. */
  add(externalId: string, rightA: boolean, rightB: boolean): void {
    this.n++;
    if (rightA) this.correctA++;
    if (rightB) this.correctB++;
    if (rightA && !rightB) this.regressed.push(externalId);
    if (!rightA && rightB) this.fixed.push(externalId);
  }

  result(): RunComparison {
    const { n, fixed, regressed, correctA, correctB } = this;
    return { n, fixed, regressed, correctA, correctB, mcnemar: { b: regressed.length, c: fixed.length, p: mcnemarExact(regressed.length, fixed.length) } };
  }
}
