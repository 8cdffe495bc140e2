import type { Criterion, SplitFilter } from '../types.ts';
import { addPair, binaryAgreementFromCounts, categoricalAgreement, ordinalAgreement, selfAgreement, type BinaryCounts, type BinaryMetrics, type CategoricalMetrics, type Interval, type KappaResult } from '../stats/index.ts';
import { isPass, verdictOptions } from '../verdicts.ts';
import { verbosityBias, verbosityQuartiles, type VerbosityBucket } from './bias.ts';
import { type Exclusion, type Outcome, type OutcomeInput } from './outcomes.ts';
import type { Split } from '../types.ts';

export const SMALL_SLICE = 10;

export type Excluded = Record<Exclude<Exclusion, 'notJudged'>, number>;

const noExclusions = (): Excluded => ({ fewShot: 0, unlabelled: 0, ambiguous: 0, annotatorsDisagree: 0, errors: 0, noMajority: 0 });

/**
 * The share of the labelled items in the population the judge gave no verdict for, counting
 * items (an item whose k samples all failed counts once). Population (`labelled`): items of the
 * split with a usable current label, not few-shot examples = compared + errors + no majority +
 * not judged. value = (errors + notJudged) / labelled; null when nothing is labelled.
 */
export interface ErrorRate { value: number | null; errors: number; notJudged: number; noMajority: number; labelled: number }

export function errorRateOf(compared: number, excluded: Excluded, notJudged: number): ErrorRate {
  const labelled = compared + excluded.errors + excluded.noMajority + notJudged;
  return { value: labelled ? (excluded.errors + notJudged) / labelled : null, errors: excluded.errors, notJudged, noMajority: excluded.noMajority, labelled };
}

/** One population of a pairwise report, named: its n, confusion (rows expert, columns judge), agreement and kappa. */
export interface PairwiseView {
  population: string;
  n: number;
  /** compared items the view leaves out (its rule on ties) */
  leftOut: number;
  confusion: { labels: readonly string[]; matrix: number[][] };
  agreement: Interval;
  kappa: KappaResult;
}

/**
 * A pairwise report's three populations, each with its own n: all three classes; "neither says
 * tie" (A vs B where neither expert nor judge says tie: today's `withoutTies`); "expert says no
 * tie" (items the expert decided A or B; a judge tie counts as a disagreement). Judge errors stay
 * out of every view and are counted in `excluded`.
 */
export interface PairwiseViews { threeClass: PairwiseView; neitherSaysTie: PairwiseView; expertSaysNoTie: PairwiseView }

export interface SliceReport extends BinaryMetrics { dimension: string; value: string; small: boolean }

export interface SampleConsistency {
  /** k > 1 samples per item: share of agreeing sample pairs, and share of items whose samples differ */
  samplesPerItem: number; items: number; selfAgreement: number | null; flipRate: number | null;
}

/** How stable the judge is: across samples, few-shot orders and A/B positions; and its verbosity bias. */
export interface ConsistencyReport {
  samples: SampleConsistency | null;
  /** reruns of the same version with permuted few-shot examples: share of items whose verdict flipped */
  orderSensitivity: Array<{ runId: number; name: string; n: number; flipRate: number | null }>;
  /** pairwise reruns with A and B swapped: share of items whose preference survived the swap */
  positionConsistency: Array<{ runId: number; name: string; n: number; rate: Interval }>;
  /** judge vs expert pass rate by output-length quartile */
  verbosity: VerbosityBucket[];
}

/**
 * The alignment of one run with one annotator. Top-level fields follow the binary contract
 * (confusion, agreement, kappa, TPR/TNR …). For ordinal criteria the confusion, agreement and
 * kappa are the k×k ones, `weightedKappa` is added, and TPR/TNR/… come from `binary`, the
 * pass/fail view at the pass threshold. For pairwise criteria confusion/agreement/kappa are
 * the 3×3 (A/B/tie) ones and the pass/fail-shaped fields come from `withoutTies`, the A-vs-B
 * view over items where neither expert nor judge says tie ("pass" = A).
 */
export interface AlignmentReport extends Omit<BinaryMetrics, 'confusion'> {
  confusion: { labels: readonly string[]; matrix: number[][] };
  scale: Criterion['scale'];
  split: SplitFilter;
  excluded: Excluded;
  /** judged items in the split, compared or not */
  judged: number;
  /** labelled items of the split the run never judged (cancelled, stopped early, or missing from an imported run) */
  notJudged: number;
  /** judge errors and not-judged items over the labelled items of the population (the gate's --max-error-rate) */
  errorRate: ErrorRate;
  /** q, the number of categories PABAK and AC1 (and the headline confusion) are computed over */
  q: number;
  /** pairwise criteria: the three-class view and both no-tie views, each with its population */
  pairwise?: PairwiseViews;
  slices: SliceReport[];
  consistency: ConsistencyReport;
  weightedKappa?: { linear: Interval; quadratic: Interval };
  binary?: BinaryMetrics;
  withoutTies?: BinaryMetrics;
}

function countExclusions(outcomes: Outcome[]): Excluded {
  const ex = noExclusions();
  for (const o of outcomes) if (o.excluded && o.excluded !== 'notJudged') ex[o.excluded]++;
  return ex;
}

/**
 * Adds one outcome to the pass/fail counts of the binary view: binary verdicts, ordinal verdicts
 * at the pass threshold, or pairwise A-vs-B over items where neither says tie ("pass" = A).
 */
function countOutcome(counts: BinaryCounts, o: Outcome, c: OutcomeInput['criterion']): void {
  if (o.excluded) return;
  if (c.scale === 'pairwise') {
    if (o.expert !== 'tie' && o.judge !== 'tie') addPair(counts, o.expert === 'A', o.judge === 'A');
  } else if (c.scale === 'binary') addPair(counts, o.expert === 'pass', o.judge === 'pass');
  else addPair(counts, isPass(o.expert!, c)!, isPass(o.judge!, c)!);
}

const zero = (): BinaryCounts => ({ pp: 0, pf: 0, fp: 0, ff: 0 });

/** The pass/fail-shaped view of a set of outcomes, for any scale. */
export function binaryView(outcomes: Outcome[], c: OutcomeInput['criterion']): BinaryMetrics {
  const counts = zero();
  for (const o of outcomes) countOutcome(counts, o, c);
  return binaryAgreementFromCounts(counts);
}

function categoricalPairs(outcomes: Outcome[], labels: string[]): Array<[number, number]> {
  const index = new Map(labels.map((l, i) => [l, i]));
  const pairs: Array<[number, number]> = [];
  for (const o of outcomes) if (!o.excluded) pairs.push([index.get(o.expert!)!, index.get(o.judge!)!]);
  return pairs;
}

export interface ReportOptions {
  slices?: boolean;
  /** output length by item id, for the verbosity-bias quartiles */
  outputLength?: (itemId: number) => number;
}

export function reportFromOutcomes(outcomes: Outcome[], c: OutcomeInput['criterion'], split: SplitFilter, opts: ReportOptions = {}): AlignmentReport {
  const view = binaryView(outcomes, c);
  const excluded = countExclusions(outcomes);
  let notJudged = 0, comparedCount = 0;
  for (const o of outcomes) { if (o.excluded === 'notJudged') notJudged++; else if (o.excluded === null) comparedCount++; }
  const labels = verdictOptions(c);
  const common = {
    scale: c.scale, split, excluded,
    judged: outcomes.length - notJudged, notJudged, errorRate: errorRateOf(comparedCount, excluded, notJudged),
    q: c.scale === 'binary' ? 2 : labels.length,
    slices: opts.slices === false ? [] : slices(outcomes, c),
    consistency: {
      samples: sampleConsistency(outcomes), orderSensitivity: [], positionConsistency: [],
      verbosity: opts.outputLength ? verbosityBias(outcomes, c, opts.outputLength) : [],
    } as ConsistencyReport,
  };
  if (c.scale === 'binary') return { ...view, ...common };
  const pairs = categoricalPairs(outcomes, labels);
  const cat: CategoricalMetrics = c.scale === 'ordinal' ? ordinalAgreement(pairs, labels.length) : categoricalAgreement(pairs, labels);
  const headline = { n: cat.n, confusion: { labels, matrix: cat.confusion.matrix }, agreement: cat.agreement, kappa: cat.kappa as KappaResult, pabak: cat.pabak, ac1: cat.ac1 };
  if (c.scale === 'ordinal') {
    const wk = (cat as ReturnType<typeof ordinalAgreement>).weightedKappa;
    return { ...view, ...headline, ...common, weightedKappa: wk, binary: view };
  }
  return { ...view, ...headline, ...common, withoutTies: view, pairwise: pairwiseViews(outcomes, cat) };
}

/** The named populations of a pairwise report (see {@link PairwiseViews}); labels are A, B, tie. */
function pairwiseViews(outcomes: Outcome[], all: CategoricalMetrics): PairwiseViews {
  const labels = ['A', 'B', 'tie'] as const;
  const index = (v: string) => labels.indexOf(v as typeof labels[number]);
  const neither: Array<[number, number]> = [], expertDecided: Array<[number, number]> = [];
  for (const o of outcomes) {
    if (o.excluded) continue;
    const e = index(o.expert!), j = index(o.judge!);
    if (e < 2) expertDecided.push([e, j]);
    if (e < 2 && j < 2) neither.push([e, j]);
  }
  const view = (population: string, m: CategoricalMetrics): PairwiseView => ({
    population, n: m.n, leftOut: all.n - m.n, confusion: { labels: m.confusion.labels, matrix: m.confusion.matrix }, agreement: m.agreement, kappa: m.kappa,
  });
  return {
    threeClass: view('every compared item, three classes (A, B, tie)', all),
    neitherSaysTie: view('items where neither the expert nor the judge says tie (A vs B)', categoricalAgreement(neither, ['A', 'B'])),
    expertSaysNoTie: view('items where the expert says A or B; a judge tie counts as a disagreement', categoricalAgreement(expertDecided, labels)),
  };
}

function sampleConsistency(outcomes: Outcome[]): SampleConsistency | null {
  const multi = outcomes.filter((o) => o.samples.length > 1);
  if (!multi.length) return null;
  const s = selfAgreement(multi.map((o) => o.samples.filter((v): v is string => v !== null)));
  // a loop: spreading ~125k lengths into one call would overflow the call stack
  let samplesPerItem = 0;
  for (const o of multi) if (o.samples.length > samplesPerItem) samplesPerItem = o.samples.length;
  return { samplesPerItem, items: s.items, selfAgreement: s.selfAgreement, flipRate: s.flipRate };
}

const rank = (dimension: string) => (dimension === 'split' ? 0 : 1);

/** Metrics (pass/fail view) by split and by each dimension value; slices under SMALL_SLICE compared items are flagged. */
export function slices(outcomes: Outcome[], c: OutcomeInput['criterion']): SliceReport[] {
  // dimension → value → counts, filled in one pass without per-slice arrays
  const groups = new Map<string, Map<string, BinaryCounts>>();
  const countsFor = (dimension: string, value: string) => {
    let byValue = groups.get(dimension);
    if (!byValue) groups.set(dimension, (byValue = new Map()));
    let counts = byValue.get(value);
    if (!counts) byValue.set(value, (counts = zero()));
    return counts;
  };
  for (const o of outcomes) {
    countOutcome(countsFor('split', o.item.split), o, c);
    for (const d in o.item.dimensions) countOutcome(countsFor(d, o.item.dimensions[d]!), o, c);
  }
  return slicesFromCounts(groups);
}

/** The slice reports from counts grouped by dimension → value (split first, then dimensions by name, values by name). */
function slicesFromCounts(groups: Map<string, Map<string, BinaryCounts>>): SliceReport[] {
  const out: SliceReport[] = [];
  const dimensions = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const dimension of dimensions) {
    const byValue = groups.get(dimension)!;
    for (const value of [...byValue.keys()].sort((a, b) => a.localeCompare(b))) {
      const m = binaryAgreementFromCounts(byValue.get(value)!);
      out.push({ dimension, value, ...m, small: m.n < SMALL_SLICE });
    }
  }
  return out;
}

/**
 * The binary report of a one-sample run built item by item without keeping the items: the same
 * figures as {@link reportFromOutcomes} over the same outcomes (in item order), in O(distinct
 * slices) objects plus three typed arrays for the verbosity quartiles. Callers that stream a
 * million rows from the database feed it one item at a time; `dimensions` objects should be
 * shared between items with the same dimensions (they are grouped by identity).
 */
export class BinaryReportBuilder {
  private readonly counts = zero();
  private readonly excluded: Excluded = noExclusions();
  private judged = 0;
  private notJudged = 0;
  private readonly groups = new Map<Record<string, string>, Record<Split, BinaryCounts | undefined>>();
  private lengths = new Float64Array(1024);
  private expertPass = new Uint8Array(1024);
  private judgePass = new Uint8Array(1024);
  private compared = 0;

  constructor(private readonly split: SplitFilter, private readonly opts: { slices: boolean; verbosity: boolean }) {}

  /** One item of the run in the split; `expert`/`judge` are 'pass' | 'fail' | null. */
  add(split: Split, dimensions: Record<string, string>, expert: string | null, judge: string | null, excluded: Exclusion | null, outputLength: number): void {
    if (excluded === 'notJudged') this.notJudged++; else this.judged++;
    if (excluded) { if (excluded !== 'notJudged') this.excluded[excluded]++; }
    else addPair(this.counts, expert === 'pass', judge === 'pass');
    if (this.opts.slices) {
      let bySplit = this.groups.get(dimensions);
      if (!bySplit) this.groups.set(dimensions, (bySplit = { train: undefined, dev: undefined, test: undefined }));
      const c = bySplit[split] ?? (bySplit[split] = zero());
      if (!excluded) addPair(c, expert === 'pass', judge === 'pass');
    }
    if (this.opts.verbosity && !excluded) {
      if (this.compared === this.lengths.length) this.grow();
      this.lengths[this.compared] = outputLength;
      this.expertPass[this.compared] = expert === 'pass' ? 1 : 0;
      this.judgePass[this.compared] = judge === 'pass' ? 1 : 0;
      this.compared++;
    }
  }

  /**
   * `count` items with the same outcome at once (counts made elsewhere, e.g. by SQL): only for a
   * builder without slices or verbosity, which need each item's dimensions and length.
   */
  addCount(expert: string | null, judge: string | null, excluded: Exclusion | null, count: number): void {
    if (this.opts.slices || this.opts.verbosity) throw new Error('BinaryReportBuilder.addCount: slices and verbosity need items one by one');
    if (excluded === 'notJudged') this.notJudged += count; else this.judged += count;
    if (excluded) { if (excluded !== 'notJudged') this.excluded[excluded] += count; return; }
    const c = this.counts, e = expert === 'pass', j = judge === 'pass';
    if (e) { if (j) c.pp += count; else c.pf += count; } else if (j) c.fp += count; else c.ff += count;
  }

  private grow(): void {
    const size = this.lengths.length * 2;
    const l = new Float64Array(size); l.set(this.lengths); this.lengths = l;
    const e = new Uint8Array(size); e.set(this.expertPass); this.expertPass = e;
    const j = new Uint8Array(size); j.set(this.judgePass); this.judgePass = j;
  }

  report(): AlignmentReport {
    const verbosity = this.opts.verbosity
      ? verbosityQuartiles(this.lengths.subarray(0, this.compared), this.expertPass.subarray(0, this.compared), this.judgePass.subarray(0, this.compared))
      : [];
    const m = binaryAgreementFromCounts(this.counts);
    return {
      ...m,
      scale: 'binary', split: this.split, excluded: this.excluded, judged: this.judged, notJudged: this.notJudged,
      errorRate: errorRateOf(m.n, this.excluded, this.notJudged), q: 2,
      slices: this.opts.slices ? this.slices() : [],
      consistency: { samples: null, orderSensitivity: [], positionConsistency: [], verbosity },
    };
  }

  private slices(): SliceReport[] {
    const groups = new Map<string, Map<string, BinaryCounts>>();
    const merge = (dimension: string, value: string, c: BinaryCounts) => {
      let byValue = groups.get(dimension);
      if (!byValue) groups.set(dimension, (byValue = new Map()));
      const t = byValue.get(value);
      if (!t) byValue.set(value, { ...c });
      else { t.pp += c.pp; t.pf += c.pf; t.fp += c.fp; t.ff += c.ff; }
    };
    for (const [dimensions, bySplit] of this.groups) {
      for (const split of ['train', 'dev', 'test'] as const) {
        const c = bySplit[split];
        if (!c) continue;
        merge('split', split, c);
        for (const d in dimensions) merge(d, dimensions[d]!, c);
      }
    }
    return slicesFromCounts(groups);
  }
}
