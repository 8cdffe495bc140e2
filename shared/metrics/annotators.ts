import { categoricalAgreement, fleissKappa } from '../stats/index.ts';

export interface AnnotatorLabel { itemId: number; annotator: string; verdict: string | null; ambiguous: boolean }

export interface AnnotatorAgreement {
  annotators: string[];
  /** Cohen's kappa (and raw agreement) for every pair of annotators, over the items both labelled */
  pairwise: Array<{ a: string; b: string; n: number; kappa: number | null; agreement: number | null }>;
  /** Fleiss' kappa over the items every annotator labelled (null with fewer than 2 annotators or items) */
  fleissKappa: number | null;
  fleissItems: number;
}

/**
 * Human–human agreement: the ceiling a judge can be expected to reach. Uses each annotator's
 * current, non-ambiguous label on the given items; `categories` are the scale's verdicts.
 */
export function annotatorAgreement(labels: AnnotatorLabel[], categories: readonly string[], itemIds?: ReadonlySet<number>): AnnotatorAgreement {
  const byAnnotator = new Map<string, Map<number, string>>();
  for (const l of labels) {
    if (l.annotator === 'majority' || l.ambiguous || l.verdict === null || (itemIds && !itemIds.has(l.itemId))) continue;
    let m = byAnnotator.get(l.annotator);
    if (!m) byAnnotator.set(l.annotator, (m = new Map()));
    m.set(l.itemId, l.verdict);
  }
  const annotators = [...byAnnotator.keys()].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  const pairwise: AnnotatorAgreement['pairwise'] = [];
  for (let i = 0; i < annotators.length; i++) {
    for (let j = i + 1; j < annotators.length; j++) {
      const A = byAnnotator.get(annotators[i]!)!, B = byAnnotator.get(annotators[j]!)!;
      const pairs: Array<[number, number]> = [];
      for (const [item, v] of A) { const w = B.get(item); if (w !== undefined) pairs.push([index.get(v)!, index.get(w)!]); }
      if (!pairs.length) continue;
      const m = categoricalAgreement(pairs, categories);
      pairwise.push({ a: annotators[i]!, b: annotators[j]!, n: m.n, kappa: m.kappa.value, agreement: m.agreement.value });
    }
  }
  let fleiss: number | null = null, fleissItems = 0;
  if (annotators.length >= 2) {
    const first = byAnnotator.get(annotators[0]!)!;
    const table: number[][] = [];
    for (const item of first.keys()) {
      if (!annotators.every((a) => byAnnotator.get(a)!.has(item))) continue;
      const row = new Array<number>(categories.length).fill(0);
      for (const a of annotators) row[index.get(byAnnotator.get(a)!.get(item)!)!]!++;
      table.push(row);
    }
    fleissItems = table.length;
    fleiss = table.length ? fleissKappa(table) : null;
  }
  return { annotators, pairwise, fleissKappa: fleiss, fleissItems };
}
