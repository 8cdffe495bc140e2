import type { InputProblem } from './records.ts';
import type { ImportWarning } from '../../shared/types.ts';
/** Datasets and their items as the API and the screens read them: summaries, detail, upload previews, item search. */
import type { Criterion, Dataset, DimensionSummary, Item, Label, Split } from '../../shared/types.ts';
import { dimensionSummary } from './dimensions.ts';
import { parseItems, type FieldMap, type ImportSource } from './imports.ts';
import type { NewItem } from '../db/items.ts';
import { InputError } from './records.ts';
import type { Workspace } from './workspace.ts';

/** Every dataset with its criteria. */
export function datasetSummaries(ws: Workspace): Array<Dataset & { criteria: Criterion[] }> {
  return ws.repos.datasets.list().map((d) => ({ ...d, criteria: ws.repos.criteria.list(d.id) }));
}

/** A dataset (by id or name) with its criteria, item count per split and every dimension's values. */
export function datasetDetail(ws: Workspace, ref: number | string): Dataset & { criteria: Criterion[]; splitCounts: Record<Split, number>; dimensions: DimensionSummary[] } {
  const d = ws.dataset(ref);
  const items = ws.repos.items.all(d.id);
  const splitCounts = { train: 0, dev: 0, test: 0 };
  for (const i of items) splitCounts[i.split]++;
  return { ...d, criteria: ws.repos.criteria.list(d.id), splitCounts, dimensions: dimensionSummary(items) };
}

export interface ImportPreview {
  ok: boolean; total: number; columns: string[]; rows: NewItem[];
  /** every problem of the file (up to 50, with the count of the rest) when it would not import */
  error: { message: string; line: number | null; field: string | null; errors: InputProblem[]; moreErrors: number } | null;
  /** what the import will change (only when ok) */
  warnings?: ImportWarning[]; moreWarnings?: number;
}

/** Parses an upload without writing: its columns, the first rows as they would be imported, or the first error. */
export function previewImport(src: ImportSource, map?: FieldMap): ImportPreview {
  const columns = new Set<string>();
  for (const r of src.records.slice(0, 100)) for (const k of Object.keys(r.fields)) columns.add(k);
  try {
    const items = parseItems(src, map);
    return { ok: true, total: items.length, columns: [...columns], rows: items.slice(0, 10), error: null, ...(src.warnings?.summary() ?? { warnings: [], moreWarnings: 0 }) };
  } catch (e) {
    if (e instanceof InputError) return { ok: false, total: src.records.length, columns: [...columns], rows: [], error: { message: e.message, line: e.line, field: e.field, errors: e.errors, moreErrors: e.moreErrors } };
    throw e;
  }
}

export interface ItemSearch {
  split?: Split; search?: string;
  /** whose labels the status filter and the returned `label` are: this criterion's principal expert */
  criterion?: number;
  status?: 'labelled' | 'unlabelled' | 'ambiguous';
  dimension?: string; value?: string;
  limit?: number; offset?: number;
}

/**
 * One page of a dataset's items: every filter (split, text search, dimension value, the principal
 * expert's label status) runs in SQL (server/db/items.ts). With `criterion`, each item carries
 * that expert's current label (null when none).
 */
export function searchItems(ws: Workspace, datasetId: number, q: ItemSearch): { total: number; items: Array<Item & { label?: Label | null }> } {
  const d = ws.dataset(datasetId);
  const criterion = q.criterion ? ws.criterionById(q.criterion) : null;
  const labelsOf = criterion ? { criterionId: criterion.id, annotator: criterion.principalAnnotator } : undefined;
  const page = ws.repos.items.page(d.id, { split: q.split, search: q.search, dimension: q.dimension, value: q.value, status: q.status, labelsOf, limit: q.limit, offset: q.offset });
  if (!criterion) return page;
  const labels = ws.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
  return { total: page.total, items: page.items.map((i) => ({ ...i, label: labels.get(i.id) ?? null })) };
}
