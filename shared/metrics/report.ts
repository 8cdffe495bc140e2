import type { Criterion, SplitFilter } from '../types.ts';
import { binaryAgreement, categoricalAgreement, ordinalAgreement, selfAgreement, type BinaryMetrics } from '../stats/index.ts';
import { isPass, verdictOptions } from '../verdicts.ts';
import { alignmentOutcomes, type Exclusion, type Outcome, type OutcomeInput } from './outcomes.ts';

export const SMALL_SLICE = 10;

export type Excluded = Record<Exclusion, number>;

export interface SliceReport extends BinaryMetrics { dimension: string; value: string; small: boolean }

export interface AlignmentReport extends BinaryMetrics {
  scale: Criterion['scale'];
  split: SplitFilter;
  excluded: Excluded;
  /** judged items in the split, compared or not */
  judged: number;
  slices: SliceReport[];
  consistency: { samplesPerItem: number; items: number; selfAgreement: number | null; flipRate: number | null } | null;
  /** ordinal and pairwise: the k×k view (binary reports carry the 2×2 view at the top level) */
  categorical?: ReturnType<typeof categoricalAgreement> | ReturnType<typeof ordinalAgreement>;
  /** pairwise: the binary A-vs-B report over items where neither expert nor judge says tie */
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

/** Pairwise verdicts as a binary A-better view over non-tie items ("pass" = A). */
function withoutTiesPairs(outcomes: Outcome[]): Array<[boolean, boolean]> {
  return outcomes.filter((o) => !o.excluded && o.expert !== 'tie' && o.judge !== 'tie').map((o) => [o.expert === 'A', o.judge === 'A']);
}

function headline(outcomes: Outcome[], c: OutcomeInput['criterion']): BinaryMetrics {
  return binaryAgreement(c.scale === 'pairwise' ? withoutTiesPairs(outcomes) : passPairs(outcomes, c));
}

/**
 * The alignment report of one run against the expert: the design's metrics with intervals,
 * exclusions counted, slices by split and by every dimension value.
 */
export function alignmentReport(input: OutcomeInput): AlignmentReport {
  const outcomes = alignmentOutcomes(input);
  return reportFromOutcomes(outcomes, input.criterion, input.split);
}

export function reportFromOutcomes(outcomes: Outcome[], c: OutcomeInput['criterion'], split: SplitFilter): AlignmentReport {
  const compared = outcomes.filter((o) => !o.excluded);
  let categorical: AlignmentReport['categorical'];
  if (c.scale !== 'binary') {
    const labels = verdictOptions(c);
    const index = new Map(labels.map((l, i) => [l, i]));
    const pairs = compared.map((o) => [index.get(o.expert!)!, index.get(o.judge!)!] as [number, number]);
    categorical = c.scale === 'ordinal' ? ordinalAgreement(pairs, labels.length) : categoricalAgreement(pairs, labels);
  }
  const base = c.scale === 'pairwise' ? binaryAgreement(withoutTiesPairs(outcomes)) : binaryAgreement(passPairs(outcomes, c));
  const multi = outcomes.filter((o) => o.samples.length > 1);
  const consistency = multi.length
    ? { samplesPerItem: Math.max(...multi.map((o) => o.samples.length)), ...pick(selfAgreement(multi.map((o) => o.samples.filter((s): s is string => s !== null)))) }
    : null;
  return {
    ...base,
    scale: c.scale,
    split,
    excluded: countExclusions(outcomes),
    judged: outcomes.length,
    slices: slices(outcomes, c),
    consistency,
    ...(categorical ? { categorical } : {}),
    ...(c.scale === 'pairwise' ? { withoutTies: base } : {}),
  };
}

function pick(s: ReturnType<typeof selfAgreement>) {
  return { items: s.items, selfAgreement: s.selfAgreement, flipRate: s.flipRate };
}

/** Metrics by split and by each dimension value; slices under SMALL_SLICE items are flagged. */
const rank = (dimension: string) => (dimension === 'split' ? 0 : 1);

export function slices(outcomes: Outcome[], c: OutcomeInput['criterion']): SliceReport[] {
  const groups = new Map<string, { dimension: string; value: string; outcomes: Outcome[] }>();
  const add = (dimension: string, value: string, o: Outcome) => {
    const key = `${dimension}\u0000${value}`;
    const g = groups.get(key);
    if (g) g.outcomes.push(o); else groups.set(key, { dimension, value, outcomes: [o] });
  };
  for (const o of outcomes) {
    add('split', o.item.split, o);
    for (const [d, v] of Object.entries(o.item.dimensions)) add(d, v, o);
  }
  return [...groups.values()]
    .sort((a, b) => rank(a.dimension) - rank(b.dimension) || a.dimension.localeCompare(b.dimension) || a.value.localeCompare(b.value))
    .map((g) => {
      const m = headline(g.outcomes, c);
      return { dimension: g.dimension, value: g.value, ...m, small: m.n < SMALL_SLICE };
    });
}
