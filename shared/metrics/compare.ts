import { mcnemarExact } from '../stats/index.ts';
import { isCompared, type Outcome } from './outcomes.ts';

/**
 * An outcome as the API sends it to the browser (`GET /criteria/:id/report?outcomes=true`):
 * the item's fields flattened beside the verdicts. {@link compareOutcomes} takes this shape and
 * the server's {@link Outcome} alike.
 */
export interface OutcomeRowLike {
  itemId: number;
  externalId: string;
  dimensions: Record<string, string>;
  expert: string | null;
  judge: string | null;
  excluded: string | null;
}

export type ComparableOutcome = Outcome | OutcomeRowLike;

/** One item whose correctness changed between two runs, with the verdicts either side. */
export interface ItemChange {
  itemId: number;
  externalId: string;
  dimensions: Record<string, string>;
  expert: string;
  /** the first run's verdict */
  before: string;
  /** the second run's verdict */
  after: string;
}

export interface RunComparison {
  /** items compared in both runs (labelled, not ambiguous, judged by both, not a few-shot example in either) */
  n: number;
  /** external ids the second run gets right and the first got wrong, in item order */
  fixed: string[];
  /** external ids the first run got right and the second gets wrong, in item order */
  regressed: string[];
  /** every fixed or regressed item with the expert's verdict and both judges' verdicts, in item order */
  changes: Array<ItemChange & { kind: 'fixed' | 'regressed' }>;
  /** correct in A / in B, of the n items */
  correctA: number;
  correctB: number;
  /** right in both / wrong in both, of the n items */
  bothRight: number;
  bothWrong: number;
  /** McNemar's exact test on the discordant items: b = right in A only (regressed), c = right in B only (fixed) */
  mcnemar: { b: number; c: number; p: number };
}

const itemOf = (o: ComparableOutcome) => ('item' in o ? { itemId: o.item.id, externalId: o.item.externalId, dimensions: o.item.dimensions } : o);

/**
 * Two runs on the same items: which items the change fixed and which it broke, and whether the
 * difference is more than chance (McNemar's exact test, two-sided). Population: items compared
 * (not excluded, with a parsed verdict) in both runs.
 *
 * Complexity: O(|a| + |b|).
 * @example
 * compareOutcomes(serverOutcomesOfRunA, serverOutcomesOfRunB).mcnemar.p
 * compareOutcomes(reportA.outcomes, reportB.outcomes).changes // the browser's rows
 */
export function compareOutcomes(a: ComparableOutcome[], b: ComparableOutcome[]): RunComparison {
  const inB = new Map<number, ComparableOutcome>();
  for (const o of b) if (isCompared(o)) inB.set(itemOf(o).itemId, o);
  const cmp = new RunComparisonBuilder();
  for (const oa of a) {
    if (!isCompared(oa)) continue;
    const item = itemOf(oa);
    const ob = inB.get(item.itemId);
    if (!ob) continue;
    cmp.add(item.itemId, item.externalId, oa.expert!, oa.judge!, ob.judge!, item.dimensions);
  }
  return cmp.result();
}

/**
 * {@link compareOutcomes} item by item, for callers that stream rows instead of building outcome
 * objects: feed each item compared in both runs, in item order. `dimensions` is only read for
 * items whose correctness changed, so a caller may pass a function that looks them up lazily.
 */
export class RunComparisonBuilder {
  private n = 0;
  private correctA = 0;
  private correctB = 0;
  private bothRight = 0;
  private bothWrong = 0;
  private readonly fixed: string[] = [];
  private readonly regressed: string[] = [];
  private readonly changes: RunComparison['changes'] = [];

  /** One item compared in both runs: the expert's verdict and each run's (parsed) verdict. */
  add(itemId: number, externalId: string, expert: string, before: string, after: string,
    dimensions: Record<string, string> | (() => Record<string, string>)): void {
    this.n++;
    const ra = expert === before, rb = expert === after;
    if (ra) this.correctA++;
    if (rb) this.correctB++;
    if (ra === rb) { if (ra) this.bothRight++; else this.bothWrong++; return; }
    const kind = ra ? 'regressed' : 'fixed';
    (ra ? this.regressed : this.fixed).push(externalId);
    this.changes.push({ kind, itemId, externalId, dimensions: typeof dimensions === 'function' ? dimensions() : dimensions, expert, before, after });
  }

  /** An item compared in both runs whose correctness did not change (right in both, or wrong in both). */
  addConcordant(right: boolean): void {
    this.n++;
    if (right) { this.correctA++; this.correctB++; this.bothRight++; } else this.bothWrong++;
  }

  /** `right` + `wrong` items whose correctness did not change, counted elsewhere (e.g. by SQL): right in both runs, wrong in both. */
  addConcordantCounts(right: number, wrong: number): void {
    this.n += right + wrong;
    this.correctA += right; this.correctB += right; this.bothRight += right; this.bothWrong += wrong;
  }

  result(): RunComparison {
    const { n, fixed, regressed, changes, correctA, correctB, bothRight, bothWrong } = this;
    return { n, fixed, regressed, changes, correctA, correctB, bothRight, bothWrong, mcnemar: { b: regressed.length, c: fixed.length, p: mcnemarExact(regressed.length, fixed.length) } };
  }
}
