import type { DB } from './open.ts';
import type { Split, SplitFilter } from '../../shared/types.ts';

/**
 * The reads behind reports, gates and comparisons of one-sample runs: one indexed pass over a
 * run's items joining each item's current label (current_labels, kept by triggers) and its
 * judgment, streamed row by row as arrays (no object per row), so a million judgments never
 * become a million objects. The metrics are still defined in shared/ — this only counts.
 */
/**
 * One planned item as two integers: packed = code + 128 · output length (UTF-16 units), where
 * code = exclusion (HEADLINE_EXCLUSIONS index) · 16 + split (SPLIT_CODES index) · 4 + expert pass · 2 + judge pass
 * (< 128); and the id of its dimension set ({@link alignmentRepository}'s dimensionSet gives the JSON).
 */
export type OutcomeRow = [packed: number, dimensionSetId: number];
export const SPLIT_CODES = ['train', 'dev', 'test'] as const satisfies readonly Split[];
export type LabelledRow = [itemId: number, expert: string | null, ambiguous: number, judge: string | null, judged: number];
/** The exclusion of each code {@link alignmentRepository}'s headlineCounts gives (0 = compared), in exclusionOf's order of precedence. */
export const HEADLINE_EXCLUSIONS = [null, 'fewShot', 'unlabelled', 'ambiguous', 'notJudged', 'errors'] as const;
export interface HumanLabel { itemId: number; annotator: string; verdict: string; ambiguous: boolean }

export function alignmentRepository(db: DB) {
  // What a report reads of an item (split, output length in UTF-16 units — output_chars —, dimension set) comes
  // from the covering index items_report (migration 13), never from the item's row with its texts.
  const items = 'items i INDEXED BY items_report';
  const inSplit = `(@split = 'all' OR i.split = @split)`;
  // Whose label an outcome is measured against: the criterion's principal annotator's current label is
  // on each run item (run_items.expert_*, kept by triggers — migration 12), any other annotator's is
  // looked up in current_labels. Each statement below is prepared in both forms.
  type LabelSource = { join: string; id: string; verdict: string; ambiguous: string };
  const onRunItem: LabelSource = { join: '', id: 'ri.expert_label_id', verdict: 'ri.expert_verdict', ambiguous: 'ri.expert_ambiguous' };
  const lookedUp = (kind: 'LEFT JOIN' | 'JOIN'): LabelSource => ({
    join: `${kind} current_labels cl ON cl.criterion_id = @criterionId AND cl.annotator = @annotator AND cl.item_id = ri.item_id`,
    id: 'cl.label_id', verdict: 'cl.verdict', ambiguous: 'cl.ambiguous',
  });
  const principalOf = db.prepare<[number], { principal: string }>(`SELECT principal_annotator AS principal FROM criteria WHERE id = ?`);
  const isPrincipal = (criterionId: number, annotator: string) => principalOf.get(criterionId)?.principal === annotator;
  const both = <T>(make: (l: LabelSource) => T) => ({ principal: make(onRunItem), other: make(lookedUp('LEFT JOIN')) });
  // the population rule of exclusionOf, as a code (HEADLINE_EXCLUSIONS: 0 = compared)
  // (ri.judged, ri.verdict: the item's sample-0 judgment, kept on run_items by triggers — migration 11)
  const exclusion = (l: LabelSource) => `CASE WHEN ri.item_id IN (SELECT value FROM json_each(@fewShot)) THEN 1
        WHEN ${l.id} IS NULL OR (${l.verdict} IS NULL AND ${l.ambiguous} = 0) THEN 2
        WHEN ${l.ambiguous} <> 0 THEN 3 WHEN ri.judged = 0 THEN 4 WHEN ri.verdict IS NULL THEN 5 ELSE 0 END`;
  // two integers per item (see OutcomeRow): what crosses into JavaScript a million times is kept small
  const runRows = both((l) => db.prepare(`
    SELECT ${exclusion(l)} * 16 + (CASE i.split WHEN 'train' THEN 0 WHEN 'dev' THEN 4 ELSE 8 END)
        + 2 * coalesce(${l.verdict} = 'pass', 0) + coalesce(ri.verdict = 'pass', 0) + 128 * i.output_chars,
      i.dimension_set_id
    FROM run_items ri JOIN ${items} ON i.id = ri.item_id ${l.join}
    WHERE ri.run_id = @runId AND ${inSplit} ORDER BY ri.item_id`).raw());
  // The same population counted in SQL without the item's text: (split, exclusion, expert pass, judge pass) → count,
  // a dozen rows instead of one per item (exclusion codes: see HEADLINE_EXCLUSIONS). ~2× faster than streaming rows.
  const headlineCounts = both((l) => db.prepare(`
    SELECT i.split, ${exclusion(l)} AS excluded,
      coalesce(${l.verdict} = 'pass', 0) AS expert_pass, coalesce(ri.verdict = 'pass', 0) AS judge_pass, count(*) AS n
    FROM run_items ri JOIN ${items} ON i.id = ri.item_id ${l.join}
    WHERE ri.run_id = @runId AND ${inSplit} GROUP BY 1, 2, 3, 4`).raw());
  // Labelled items of the criterion's dataset in the split that the run has no place for (e.g. left out of an
  // imported run): usable current label of the annotator, not a few-shot example. They count as notJudged.
  const missingLabelled = db.prepare(`
    SELECT i.id, i.split, cl.verdict, i.dimension_set_id
    FROM current_labels cl JOIN ${items} ON i.id = cl.item_id
    WHERE cl.criterion_id = @criterionId AND cl.annotator = @annotator AND cl.verdict IS NOT NULL AND cl.ambiguous = 0
      AND i.dataset_id = @datasetId AND ${inSplit}
      AND NOT EXISTS (SELECT 1 FROM run_items ri WHERE ri.run_id = @runId AND ri.item_id = cl.item_id)
      AND cl.item_id NOT IN (SELECT value FROM json_each(@fewShot))
    ORDER BY i.id`).raw();
  // A run that plans every item of the dataset in the split (its items are always the dataset's own) has a
  // place for every labelled item there, so missingLabelled need not scan the labels. The dataset's
  // count comes from the index items_dataset_split; the run's from the caller's pass over the run,
  // else from the run_items primary key.
  const itemsInSplit = db.prepare<[{ datasetId: number; split: SplitFilter }], { n: number }>(`
    SELECT count(*) AS n FROM items WHERE dataset_id = @datasetId AND (@split = 'all' OR split = @split)`);
  const plannedInSplit = db.prepare<[{ runId: number; split: SplitFilter }], { n: number }>(`
    SELECT CASE WHEN @split = 'all' THEN (SELECT count(*) FROM run_items WHERE run_id = @runId)
      ELSE (SELECT count(*) FROM run_items ri JOIN ${items} ON i.id = ri.item_id WHERE ri.run_id = @runId AND i.split = @split) END AS n`);
  const labelledRows = db.prepare(`
    SELECT cl.item_id, cl.verdict, cl.ambiguous, ri.verdict, ri.judged
    FROM current_labels cl JOIN run_items ri ON ri.run_id = @runId AND ri.item_id = cl.item_id JOIN ${items} ON i.id = cl.item_id
    WHERE cl.criterion_id = @criterionId AND cl.annotator = @annotator AND ${inSplit} ORDER BY cl.item_id`).raw();
  // The items both runs compare (current usable label, parsed verdicts in both, in B's plan, not a
  // few-shot example of either version), filtered in SQL, in two passes: the items whose correctness did
  // not change are only counted (right in both, wrong in both), and only the items whose correctness
  // changed come to JavaScript, with their details. The items table is joined for the split filter and
  // for the details of changed items only. Each run's sample-0 verdict is on its run_items row (migration 11).
  // (items: none for the whole set, the covering index for a split, the row for the changed items' external ids)
  const comparePopulation = (l: LabelSource, withItems: false | 'split' | 'details') => `
    FROM run_items ri CROSS JOIN run_items rb ON rb.run_id = @runB AND rb.item_id = ri.item_id ${l.join}
    ${withItems === 'split' ? `CROSS JOIN ${items} ON i.id = ri.item_id` : withItems === 'details' ? 'CROSS JOIN items i ON i.id = ri.item_id' : ''}
    WHERE ri.run_id = @runA ${withItems ? `AND ${inSplit}` : ''} AND ${l.verdict} IS NOT NULL AND ${l.ambiguous} = 0 AND ri.verdict IS NOT NULL AND rb.verdict IS NOT NULL
      AND ri.item_id NOT IN (SELECT value FROM json_each(@fewA)) AND ri.item_id NOT IN (SELECT value FROM json_each(@fewB))`;
  type Concordant = { bothRight: number; bothWrong: number };
  const compareStatements = (l: LabelSource) => {
    const counts = (withItems: false | 'split') => db.prepare<[Record<string, unknown>], Concordant>(`
      SELECT coalesce(sum(ri.verdict = ${l.verdict} AND rb.verdict = ${l.verdict}), 0) AS bothRight,
        coalesce(sum(ri.verdict <> ${l.verdict} AND rb.verdict <> ${l.verdict}), 0) AS bothWrong ${comparePopulation(l, withItems)}`);
    return {
      all: counts(false), split: counts('split'),
      changes: db.prepare(`SELECT ri.item_id, i.external_id, ${l.verdict}, ri.verdict, rb.verdict, i.dimensions ${comparePopulation(l, 'details')}
        AND (ri.verdict = ${l.verdict}) <> (rb.verdict = ${l.verdict}) ORDER BY ri.item_id`).raw(),
    };
  };
  const compareBy = { principal: compareStatements(onRunItem), other: compareStatements(lookedUp('JOIN')) };
  const dimensionSet = db.prepare<[number], { dimensions: string }>(`SELECT dimensions FROM dimension_sets WHERE id = ?`);
  const stability = db.prepare<[{ runA: number; runB: number; split: SplitFilter }], { n: number; same: number }>(`
    SELECT count(*) AS n, coalesce(sum(ja.verdict = jb.verdict), 0) AS same
    FROM judgments ja JOIN judgments jb ON jb.run_id = @runB AND jb.item_id = ja.item_id AND jb.sample = 0 JOIN ${items} ON i.id = ja.item_id
    WHERE ja.run_id = @runA AND ja.sample = 0 AND ja.verdict IS NOT NULL AND jb.verdict IS NOT NULL AND ${inSplit}`);
  // (later samples from the partial index judgments_later_samples; whether any judgment exists, one seek)
  const maxSample = db.prepare<[{ runId: number }], { k: number | null }>(`SELECT coalesce(
    (SELECT max(sample) FROM judgments WHERE run_id = @runId AND sample > 0),
    (SELECT 0 FROM judgments WHERE run_id = @runId LIMIT 1)) AS k`);
  const nextAnnotator = db.prepare<[number, string], { annotator: string }>(`SELECT annotator FROM current_labels WHERE criterion_id = ? AND annotator > ? ORDER BY annotator LIMIT 1`);
  const usable = `cl.verdict IS NOT NULL AND cl.ambiguous = 0 AND cl.annotator <> 'majority'`;
  // (with the criterion principal's label of the same item, from its run_items row)
  const labelsOfAnnotator = db.prepare<[{ criterionId: number; annotator: string; runId: number; split: SplitFilter }], { item_id: number; verdict: string; principal_verdict: string | null; principal_ambiguous: number }>(`
    SELECT cl.item_id, cl.verdict, ri.expert_verdict AS principal_verdict, ri.expert_ambiguous AS principal_ambiguous FROM current_labels cl JOIN run_items ri ON ri.run_id = @runId AND ri.item_id = cl.item_id JOIN ${items} ON i.id = cl.item_id
    WHERE cl.criterion_id = @criterionId AND cl.annotator = @annotator AND ${usable} AND ${inSplit}`);
  const anyLabelOf = db.prepare<[{ criterionId: number; annotator: string; runId: number; split: SplitFilter }], { item_id: number; verdict: string }>(`
    SELECT cl.item_id, cl.verdict FROM current_labels cl JOIN run_items ri ON ri.run_id = @runId AND ri.item_id = cl.item_id JOIN ${items} ON i.id = cl.item_id
    WHERE cl.criterion_id = @criterionId AND cl.annotator = @annotator AND ${usable} AND ${inSplit} LIMIT 1`);
  const labelOf = db.prepare<[number, string, number], { verdict: string | null; ambiguous: number }>(`
    SELECT verdict, ambiguous FROM current_labels WHERE criterion_id = ? AND annotator = ? AND item_id = ?`);

  // Everything a report, gate, compare, estimate or dashboard reads changes one of these (labels are
  // append-only, versions immutable; items and root causes bump data_versions; judgments move run_totals).
  const dataVersion = db.prepare<[], { v: string }>(`SELECT
    coalesce((SELECT max(id) FROM labels), 0) || '/' || coalesce((SELECT max(id) FROM items), 0) || '/' || coalesce((SELECT max(id) FROM prompt_versions), 0)
    || '/' || coalesce((SELECT max(id) FROM criteria), 0) || '/' || coalesce((SELECT group_concat(name || version, ',') FROM data_versions), '')
    || '/' || coalesce((SELECT group_concat(r.id || r.status || '.' || coalesce(t.done, 0) || '.' || coalesce(t.errors, 0), ',') FROM runs r LEFT JOIN run_totals t ON t.run_id = r.id), '') AS v`);
  const runVersion = db.prepare<[number], { v: string }>(`SELECT
    coalesce((SELECT max(id) FROM labels), 0) || '/' || coalesce((SELECT group_concat(name || version, ',') FROM data_versions), '')
    || '/' || r.status || '.' || coalesce(t.done, 0) || '.' || coalesce(t.errors, 0) AS v
    FROM runs r LEFT JOIN run_totals t ON t.run_id = r.id WHERE r.id = ?`);

  return {
    /**
     * A string that changes whenever anything a report reads changes (a few indexed lookups, no
     * scan): keys shared in-flight computations, so a request after a write never gets an older result.
     */
    dataVersion: () => dataVersion.get()!.v,
    /** {@link dataVersion} for one run's report against the labels: labels, items and the run's own judgments. */
    runVersion: (runId: number) => runVersion.get(runId)?.v ?? null,
    /** The highest sample index + 1 recorded for a run (0 when it has no judgments). */
    samplesRecorded: (runId: number) => (maxSample.get({ runId })?.k ?? -1) + 1,
    /** The dimensions (JSON text) of a dimension set of {@link runRows}. */
    dimensionSet: (id: number) => dimensionSet.get(id)?.dimensions ?? '{}',
    /** One row per planned item of the run in the split, in item order: its outcome against `annotator`'s current label and output length (packed, see OutcomeRow), and its dimension set. */
    runRows: (q: { runId: number; criterionId: number; annotator: string; split: SplitFilter; fewShot: readonly number[] }) =>
      runRows[isPrincipal(q.criterionId, q.annotator) ? 'principal' : 'other'].iterate({ runId: q.runId, criterionId: q.criterionId, annotator: q.annotator, split: q.split, fewShot: JSON.stringify(q.fewShot) }) as IterableIterator<OutcomeRow>,
    /**
     * {@link runRows} counted in SQL for the headline figures (no slices, no lengths): one row per
     * (split, exclusion code, expert pass 0/1, judge pass 0/1) with its count; `fewShot` = the measured version's example item ids.
     */
    headlineCounts: (q: { runId: number; criterionId: number; annotator: string; split: SplitFilter; fewShot: readonly number[] }) =>
      headlineCounts[isPrincipal(q.criterionId, q.annotator) ? 'principal' : 'other'].all({ runId: q.runId, criterionId: q.criterionId, annotator: q.annotator, split: q.split, fewShot: JSON.stringify(q.fewShot) }) as Array<[split: Split, code: number, expertPass: number, judgePass: number, n: number]>,
    /**
     * The labelled items of the dataset in the split outside the run's items (usable current label of
     * `annotator`, not few-shot): [item id, split, expert verdict, dimension set id]. They are notJudged.
     * `planned`: how many of the run's items are in the split, when the caller has counted them.
     */
    missingLabelled: (q: { runId: number; criterionId: number; datasetId: number; annotator: string; split: SplitFilter; fewShot: readonly number[] }, planned?: number) =>
      ((planned ?? plannedInSplit.get(q)!.n) >= itemsInSplit.get(q)!.n ? [] : missingLabelled.iterate({ ...q, fewShot: JSON.stringify(q.fewShot) })) as Iterable<[itemId: number, split: Split, verdict: string, dimensionSetId: number]>,
    /** The run's planned items in the split that `annotator` labelled, with the label and the sample-0 judgment. */
    labelledRows: (q: { runId: number; criterionId: number; annotator: string; split: SplitFilter }) =>
      labelledRows.iterate(q) as IterableIterator<LabelledRow>,
    /**
     * The items two one-sample runs are compared on (the population rules applied in SQL): how many
     * were right in both and wrong in both, and the items whose correctness changed, in item order:
     * [item id, external id, expert verdict, A's verdict, B's verdict, dimensions JSON].
     */
    compareItems(q: { runA: number; runB: number; criterionId: number; annotator: string; split: SplitFilter; fewA: readonly number[]; fewB: readonly number[] }) {
      const source = isPrincipal(q.criterionId, q.annotator) ? 'principal' : 'other';
      const params = { ...q, fewA: JSON.stringify(q.fewA), fewB: JSON.stringify(q.fewB) };
      return {
        concordant: compareBy[source][q.split === 'all' ? 'all' : 'split'].get(params)!,
        changed: compareBy[source].changes.iterate(params) as IterableIterator<[itemId: number, externalId: string, expert: string, before: string, after: string, dimensions: string]>,
      };
    },
    /** Items of the split both runs gave a parsed verdict, and how many of those verdicts are equal. */
    stability: (runA: number, runB: number, split: SplitFilter) => stability.get({ runA, runB, split })!,
    /** Every annotator with a current label on the criterion (a skip-scan of the primary key: one seek per annotator). */
    annotators(criterionId: number): string[] {
      const out: string[] = [];
      for (let r = nextAnnotator.get(criterionId, ''); r; r = nextAnnotator.get(criterionId, r.annotator)) out.push(r.annotator);
      return out;
    },
    /**
     * The usable current labels (verdict, not ambiguous) on the run's items in the split that can
     * take part in human–human agreement: every label of every annotator but `principal`, the
     * principal's labels on those items, and one more principal label if any (so the principal is
     * still listed). Labels on items only the principal labelled cannot pair with anyone, so the
     * pairwise kappas and Fleiss' kappa come out as over all labels.
     */
    humanLabels(q: { criterionId: number; runId: number; split: SplitFilter; principal: string }): HumanLabel[] {
      const out: HumanLabel[] = [];
      // item → the principal's label on it (from the run item when `principal` is the criterion's, else looked up)
      const others = new Map<number, { verdict: string | null; ambiguous: number } | undefined>();
      const onRunItems = isPrincipal(q.criterionId, q.principal);
      for (const annotator of this.annotators(q.criterionId)) {
        if (annotator === q.principal || annotator === 'majority') continue;
        for (const r of labelsOfAnnotator.iterate({ criterionId: q.criterionId, annotator, runId: q.runId, split: q.split })) {
          out.push({ itemId: r.item_id, annotator, verdict: r.verdict, ambiguous: false });
          if (!others.has(r.item_id)) others.set(r.item_id, onRunItems ? { verdict: r.principal_verdict, ambiguous: r.principal_ambiguous } : labelOf.get(q.criterionId, q.principal, r.item_id));
        }
      }
      for (const [itemId, l] of others) {
        if (l && l.verdict !== null && !l.ambiguous) out.push({ itemId, annotator: q.principal, verdict: l.verdict, ambiguous: false });
      }
      const any = anyLabelOf.get({ criterionId: q.criterionId, annotator: q.principal, runId: q.runId, split: q.split });
      if (any && !others.has(any.item_id)) out.push({ itemId: any.item_id, annotator: q.principal, verdict: any.verdict, ambiguous: false });
      return out;
    },
  };
}
