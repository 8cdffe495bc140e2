import type { Criterion, SplitFilter } from '../types.ts';
import { binaryAgreement, categoricalAgreement, ordinalAgreement, selfAgreement, type BinaryMetrics, type CategoricalMetrics, type Interval, type KappaResult } from '../stats/index.ts';
import { isPass, verdictOptions } from '../verdicts.ts';
import { verbosityBias, type VerbosityBucket } from './bias.ts';
import { alignmentOutcomes, type Exclusion, type Outcome, type OutcomeInput } from './outcomes.ts';

export const SMALL_SLICE = 10;

export type Excluded = Record<Exclusion, number>;

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
  slices: SliceReport[];
  consistency: ConsistencyReport;
  weightedKappa?: { linear: Interval; quadratic: Interval };
  binary?: BinaryMetrics;
  withoutTies?: BinaryMetrics;
}

function countExclusions(outcomes: Outcome[]): Excluded {
  const ex: Excluded = { fewShot: 0, unlabelled: 0, ambiguous: 0, errors: 0 };
  for (const o of outcomes) if (o.excluded) ex[o.excluded]++;
  return ex;
}

/** Expert/judge pass pairs for the binary view (binary scale, or ordinal at its pass threshold). */
function passPairs(outcomes: Outcome[], c: OutcomeInput['criterion']): Array<[boolean, boolean]> {
  const pairs: Array<[boolean, boolean]> = [];
  for (const o of outcomes) {
    if (o.excluded) continue;
    const e = isPass(o.expert!, c), j = isPass(o.judge!, c);
    if (e !== null && j !== null) pairs.push([e, j]);
  }
  return pairs;
}

/** Pairwise verdicts as a binary view over non-tie items ("pass" = A is better). */
function withoutTiesPairs(outcomes: Outcome[]): Array<[boolean, boolean]> {
  const pairs: Array<[boolean, boolean]> = [];
  for (const o of outcomes) if (!o.excluded && o.expert !== 'tie' && o.judge !== 'tie') pairs.push([o.expert === 'A', o.judge === 'A']);
  return pairs;
}

/** The pass/fail-shaped view of a set of outcomes, for any scale. */
export function binaryView(outcomes: Outcome[], c: OutcomeInput['criterion']): BinaryMetrics {
  return binaryAgreement(c.scale === 'pairwise' ? withoutTiesPairs(outcomes) : passPairs(outcomes, c));
}

function categoricalPairs(outcomes: Outcome[], labels: string[]): Array<[number, number]> {
  const index = new Map(labels.map((l, i) => [l, i]));
  const pairs: Array<[number, number]> = [];
  for (const o of outcomes) if (!o.excluded) pairs.push([index.get(o.expert!)!, index.get(o.judge!)!]);
  return pairs;
}

export function alignmentReport(input: OutcomeInput): AlignmentReport {
  return reportFromOutcomes(alignmentOutcomes(input), input.criterion, input.split);
}

export interface ReportOptions {
  slices?: boolean;
  /** output length by item id, for the verbosity-bias quartiles */
  outputLength?: (itemId: number) => number;
}

export function reportFromOutcomes(outcomes: Outcome[], c: OutcomeInput['criterion'], split: SplitFilter, opts: ReportOptions = {}): AlignmentReport {
  const view = binaryView(outcomes, c);
  const common = {
    scale: c.scale, split, excluded: countExclusions(outcomes), judged: outcomes.length,
    slices: opts.slices === false ? [] : slices(outcomes, c),
    consistency: {
      samples: sampleConsistency(outcomes), orderSensitivity: [], positionConsistency: [],
      verbosity: opts.outputLength ? verbosityBias(outcomes, c, opts.outputLength) : [],
    } as ConsistencyReport,
  };
  if (c.scale === 'binary') return { ...view, ...common };
  const labels = verdictOptions(c);
  const pairs = categoricalPairs(outcomes, labels);
  const cat: CategoricalMetrics = c.scale === 'ordinal' ? ordinalAgreement(pairs, labels.length) : categoricalAgreement(pairs, labels);
  const headline = { n: cat.n, confusion: cat.confusion, agreement: cat.agreement, kappa: cat.kappa as KappaResult, pabak: cat.pabak, ac1: cat.ac1 };
  if (c.scale === 'ordinal') {
    const wk = (cat as ReturnType<typeof ordinalAgreement>).weightedKappa;
    return { ...view, ...headline, ...common, weightedKappa: wk, binary: view };
  }
  return { ...view, ...headline, ...common, withoutTies: view };
}

function sampleConsistency(outcomes: Outcome[]): SampleConsistency | null {
  const multi = outcomes.filter((o) => o.samples.length > 1);
  if (!multi.length) return null;
  const s = selfAgreement(multi.map((o) => o.samples.filter((v): v is string => v !== null)));
  return { samplesPerItem: Math.max(...multi.map((o) => o.samples.length)), items: s.items, selfAgreement: s.selfAgreement, flipRate: s.flipRate };
}

const rank = (dimension: string) => (dimension === 'split' ? 0 : 1);

/** Metrics (pass/fail view) by split and by each dimension value; slices under SMALL_SLICE compared items are flagged. */
export function slices(outcomes: Outcome[], c: OutcomeInput['criterion']): SliceReport[] {
  const groups = new Map<string, { dimension: string; value: string; outcomes: Outcome[] }>();
  const add = (dimension: string, value: string, o: Outcome) => {
    const key = `${dimension}\u0000${value}`;
    const g = groups.get(key);
    if (g) g.outcomes.push(o); else groups.set(key, { dimension, value, outcomes: [o] });
  };
  for (const o of outcomes) {
    add('split', o.item.split, o);
    for (const d in o.item.dimensions) add(d, o.item.dimensions[d]!, o);
  }
  return [...groups.values()]
    .sort((a, b) => rank(a.dimension) - rank(b.dimension) || a.dimension.localeCompare(b.dimension) || a.value.localeCompare(b.value))
    .map((g) => {
      const m = binaryView(g.outcomes, c);
      return { dimension: g.dimension, value: g.value, ...m, small: m.n < SMALL_SLICE };
    });
}
