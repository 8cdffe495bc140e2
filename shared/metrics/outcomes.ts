import type { Criterion, Split, SplitFilter } from '../types.ts';
import { selfAgreement } from '../stats/index.ts';
import { verdictOptions } from '../verdicts.ts';

export interface OutcomeItem { id: number; externalId: string; split: Split; dimensions: Record<string, string> }
/** `source` 'majority-tie': the pseudo-annotator "majority" on an item whose annotators' votes tie (see MAJORITY_TIE). */
export interface OutcomeLabel { verdict: string | null; ambiguous: boolean; critique?: string; source?: string }

/** The source of a "majority" label on an item whose annotators' votes tie: reported as `annotatorsDisagree`, not `ambiguous`. */
export const MAJORITY_TIE = 'majority-tie';
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

/**
 * Why an item is not compared. `notJudged`: a labelled item the run never judged (cancelled,
 * stopped by its error budget, still running, or left out of an imported run) — not a judge
 * failure, so it is reported apart from `errors`. `errors`: every sample of the item failed
 * (counted once per item). `noMajority`: the item's k samples parsed but tie (no majority
 * verdict). `annotatorsDisagree`: measured against "majority", the annotators' votes tie.
 */
export type Exclusion = 'fewShot' | 'unlabelled' | 'ambiguous' | 'annotatorsDisagree' | 'errors' | 'noMajority' | 'notJudged';

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
  // Most runs have one sample per item: keep that path free of per-item arrays (1M judgments).
  const byItem = new ItemIndex<OutcomeJudgment | OutcomeJudgment[]>(input.judgments.length);
  for (const j of input.judgments) {
    const prev = byItem.get(j.itemId);
    if (prev === undefined) byItem.set(j.itemId, j);
    else if (Array.isArray(prev)) prev.push(j);
    else byItem.set(j.itemId, [prev, j]);
  }
  const out: Outcome[] = [];
  for (const item of input.items) {
    if (input.split !== 'all' && item.split !== input.split) continue;
    const js = byItem.get(item.id);
    let judge: string | null = null;
    let samples: Array<string | null>;
    if (js === undefined) samples = NO_SAMPLES;
    else if (!Array.isArray(js)) { judge = js.verdict; samples = js.verdict === null ? ERROR_SAMPLE : js.verdict === 'pass' ? PASS_SAMPLE : js.verdict === 'fail' ? FAIL_SAMPLE : [js.verdict]; }
    else {
      js.sort((a, b) => a.sample - b.sample);
      samples = js.map((j) => j.verdict);
      const verdicts = samples.filter((v): v is string => v !== null);
      judge = verdicts.length ? selfAgreement([verdicts]).majority[0] ?? null : null;
    }
    const label = input.labels.get(item.id);
    // a tie among parsed samples is "no majority", not an error (some sample gave a verdict)
    const noMajority = judge === null && samples.some((v) => v !== null);
    const excluded = exclusionOf(input.fewShot.has(item.id), label, js !== undefined, judge, noMajority);
    out.push({ item, expert: label?.verdict ?? null, judge, excluded, samples });
  }
  return out;
}

/**
 * The population rule for one item, in order: a few-shot example of the measured version, no
 * usable label, an ambiguous label (or tied annotators, measured against "majority"), never
 * judged, samples that parsed but tie (`noMajority`), no parsed verdict (`errors`); null =
 * compared. Used by {@link alignmentOutcomes} and by the aggregated report path.
 */
export function exclusionOf(fewShot: boolean, label: OutcomeLabel | undefined, judged: boolean, judge: string | null, noMajority = false): Exclusion | null {
  if (fewShot) return 'fewShot';
  if (!label || (label.verdict === null && !label.ambiguous)) return 'unlabelled';
  if (label.ambiguous) return label.source === MAJORITY_TIE ? 'annotatorsDisagree' : 'ambiguous';
  if (!judged) return 'notJudged';
  if (judge === null) return noMajority ? 'noMajority' : 'errors';
  return null;
}

/** The labelled items of a population: compared, or excluded for a reason that is the judge's or the run's (not the label's). */
export const LABELLED_EXCLUSIONS: ReadonlySet<Exclusion> = new Set(['errors', 'noMajority', 'notJudged']);

/** What every outcome shape carries: the server's {@link Outcome} and the API's outcome rows. */
export interface OutcomeVerdicts { expert: string | null; judge: string | null; excluded: string | null }

/** Whether an outcome counts in the metrics: labelled, not ambiguous, judged, not a few-shot example. */
export const isCompared = (o: OutcomeVerdicts): boolean => o.excluded === null && o.expert !== null && o.judge !== null;

/** The outcomes that count in the metrics (see {@link isCompared}), in their order. */
export const compared = <T extends OutcomeVerdicts>(outcomes: T[]): T[] => outcomes.filter(isCompared);

/**
 * The k×k confusion matrix (rows expert, columns judge) on the criterion's own verdicts, built
 * from outcomes so every cell maps to exactly the items listed under it. Population: the
 * compared outcomes; a verdict outside the criterion's scale is not counted.
 */
export function confusionFromOutcomes(criterion: Pick<Criterion, 'scale' | 'levels' | 'passAt'>, outcomes: OutcomeVerdicts[]): { labels: readonly string[]; matrix: number[][] } {
  const labels = verdictOptions(criterion);
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  for (const o of outcomes) {
    if (!isCompared(o)) continue;
    const r = index.get(o.expert!), c = index.get(o.judge!);
    if (r !== undefined && c !== undefined) matrix[r]![c]!++;
  }
  return { labels, matrix };
}

// Shared read-only sample lists for the one-sample case (no allocation per item).
const NO_SAMPLES: Array<string | null> = Object.freeze([]) as unknown as Array<string | null>;
const ERROR_SAMPLE: Array<string | null> = Object.freeze([null]) as unknown as Array<string | null>;
const PASS_SAMPLE: Array<string | null> = Object.freeze(['pass']) as unknown as Array<string | null>;
const FAIL_SAMPLE: Array<string | null> = Object.freeze(['fail']) as unknown as Array<string | null>;

/** A map from item id to value: a plain array while ids are small integers (row ids), else a Map. */
class ItemIndex<V> {
  private array: Array<V | undefined> | null = [];
  private map: Map<number, V> | null = null;
  constructor(private readonly expected: number) {}
  get(id: number): V | undefined { return this.array ? this.array[id] : this.map!.get(id); }
  set(id: number, v: V): void {
    if (this.array && (!Number.isInteger(id) || id < 0 || id > 4 * this.expected + 1024)) {
      this.map = new Map();
      this.array.forEach((x, i) => { if (x !== undefined) this.map!.set(i, x); });
      this.array = null;
    }
    if (this.array) this.array[id] = v; else this.map!.set(id, v);
  }
}
