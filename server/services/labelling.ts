/** The expert's labelling work: progress per split, the review queue and root-cause tags. */
import type { Criterion, Dataset, Split } from '../../shared/types.ts';
import { dimensionValue } from './dimensions.ts';
import type { Workspace } from './workspace.ts';

export interface SplitProgress { labelled: number; total: number }

export interface CriterionDetail extends Criterion {
  dataset: Dataset;
  /** the principal expert's current labels (any verdict, ambiguous included) per split of the dataset's items */
  progress: Record<Split, SplitProgress>;
  /** items whose principal-expert label is ambiguous */
  ambiguous: number;
  annotators: Array<{ annotator: string; n: number }>;
  /** number of prompt versions */
  versions: number;
}

/** A criterion with the principal expert's labelling progress per split, its annotators and version count. */
export function criterionDetail(ws: Workspace, criterionId: number): CriterionDetail {
  const c = ws.criterionById(criterionId);
  const labels = ws.repos.labels.currentByItem(c.id, c.principalAnnotator);
  const progress = { train: { labelled: 0, total: 0 }, dev: { labelled: 0, total: 0 }, test: { labelled: 0, total: 0 } };
  let ambiguous = 0;
  for (const i of ws.repos.items.all(c.datasetId)) {
    progress[i.split].total++;
    const l = labels.get(i.id);
    if (l) progress[i.split].labelled++;
    if (l?.ambiguous) ambiguous++;
  }
  return { ...c, dataset: ws.dataset(c.datasetId), progress, ambiguous, annotators: ws.repos.labels.annotators(c.id), versions: ws.repos.versions.list(c.id).length };
}

export type QueueStatus = 'unlabelled' | 'labelled' | 'ambiguous';
export interface QueueEntry { id: number; externalId: string; split: Split; status: QueueStatus }
export interface QueueQuery { split?: Split; dimension?: string; value?: string; order?: 'unlabelled' | 'dataset' }

/**
 * The expert's review queue: every item of the criterion's dataset (optionally one split or one
 * dimension value) as id + principal-expert status, unlabelled first (then ambiguous, then
 * labelled; by id within each) unless `order=dataset`.
 */
export function reviewQueue(ws: Workspace, criterionId: number, q: QueueQuery): { items: QueueEntry[] } {
  const c = ws.criterionById(criterionId);
  const labels = ws.repos.labels.currentByItem(c.id, c.principalAnnotator);
  const items: QueueEntry[] = ws.repos.items.all(c.datasetId)
    .filter((i) => (!q.split || i.split === q.split) && (!q.dimension || dimensionValue(i, q.dimension) === q.value))
    .map((i) => {
      const l = labels.get(i.id);
      return { id: i.id, externalId: i.externalId, split: i.split, status: !l ? 'unlabelled' : l.ambiguous ? 'ambiguous' : 'labelled' };
    });
  if (q.order !== 'dataset') {
    const rank: Record<QueueStatus, number> = { unlabelled: 0, ambiguous: 1, labelled: 2 };
    items.sort((a, b) => rank[a.status] - rank[b.status] || a.id - b.id);
  }
  return { items };
}

/** Each tagged item's root-cause tags, keyed by item id (a null-prototype object: the keys are data). */
export function rootCauseTags(ws: Workspace, criterionId: number): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  for (const [itemId, tags] of ws.repos.rootCauses.byItem(ws.criterionById(criterionId).id)) out[itemId] = tags;
  return out;
}

/** Tags an item with a root cause (trimmed); returns the item's tags after the change. */
export function tagRootCause(ws: Workspace, criterionId: number, itemId: number, tag: string): { itemId: number; tags: string[] } {
  const c = ws.criterionById(criterionId);
  ws.item(itemId);
  ws.repos.rootCauses.add(c.id, itemId, tag.trim());
  return { itemId, tags: ws.repos.rootCauses.byItem(c.id).get(itemId) ?? [] };
}

/** Removes a root-cause tag from an item; returns the item's tags after the change. */
export function untagRootCause(ws: Workspace, criterionId: number, itemId: number, tag: string): { itemId: number; tags: string[] } {
  const c = ws.criterionById(criterionId);
  ws.repos.rootCauses.remove(c.id, itemId, tag);
  return { itemId, tags: ws.repos.rootCauses.byItem(c.id).get(itemId) ?? [] };
}
