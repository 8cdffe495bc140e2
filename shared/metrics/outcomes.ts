import type { Criterion, Split, SplitFilter } from '../types.ts';
import { selfAgreement } from '../stats/index.ts';

export interface OutcomeItem { id: number; externalId: string; split: Split; dimensions: Record<string, string> }
export interface OutcomeLabel { verdict: string | null; ambiguous: boolean; critique?: string }
export interface OutcomeJudgment { itemId: number; sample: number; verdict: string | null; error: string | null; critique?: string }

export interface OutcomeInput {
  criterion: Pick<Criterion, 'scale' | 'levels' | 'passAt'>;
  /** the items the run covered */
  items: OutcomeItem[];
  /** current label of the annotator measured against, by item id */
  labels: Map<number, OutcomeLabel>;
  judgments: OutcomeJudgment[];
  /** few-shot example item ids of the measured version (excluded: the judge saw their answers) */
  fewShot: ReadonlySet<number>;
  split: SplitFilter;
}

export type Exclusion = 'fewShot' | 'unlabelled' | 'ambiguous' | 'errors';

/** One item's place in the measurement: compared (expert vs judge) or excluded with the reason. */
export interface Outcome {
  item: OutcomeItem;
  expert: string | null;
  /** the judge's verdict: the majority over its samples (null if none parsed or a tied majority) */
  judge: string | null;
  excluded: Exclusion | null;
  samples: Array<string | null>;
}

/**
 * Applies the design's population rules: items in the chosen split, with a current
 * non-ambiguous label, a parsed verdict (majority of k samples), and not a few-shot example of
 * the measured version. Every other item is kept with the reason it is excluded, never folded in.
 */
export function alignmentOutcomes(input: OutcomeInput): Outcome[] {
  const bySample = new Map<number, OutcomeJudgment[]>();
  for (const j of input.judgments) {
    const list = bySample.get(j.itemId);
    if (list) list.push(j); else bySample.set(j.itemId, [j]);
  }
  const out: Outcome[] = [];
  for (const item of input.items) {
    if (input.split !== 'all' && item.split !== input.split) continue;
    const js = (bySample.get(item.id) ?? []).sort((a, b) => a.sample - b.sample);
    const verdicts = js.filter((j) => j.verdict !== null).map((j) => j.verdict!);
    const judge = verdicts.length ? selfAgreement([verdicts]).majority[0] ?? null : null;
    const label = input.labels.get(item.id);
    let excluded: Exclusion | null = null;
    if (input.fewShot.has(item.id)) excluded = 'fewShot';
    else if (!label || (label.verdict === null && !label.ambiguous)) excluded = 'unlabelled';
    else if (label.ambiguous) excluded = 'ambiguous';
    else if (judge === null) excluded = 'errors';
    out.push({ item, expert: label?.verdict ?? null, judge, excluded, samples: js.map((j) => j.verdict) });
  }
  return out;
}
