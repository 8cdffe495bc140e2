import type { DB } from './open.ts';
import type { Item, Split } from '../../shared/types.ts';

interface Row { id: number; dataset_id: number; external_id: string; input: string; output: string; output_b: string | null; context: string; dimensions: string; split: Split }

export const toItem = (r: Row): Item => ({
  id: r.id, datasetId: r.dataset_id, externalId: r.external_id, input: r.input, output: r.output,
  outputB: r.output_b, context: JSON.parse(r.context), dimensions: JSON.parse(r.dimensions), split: r.split,
});

export interface NewItem {
  externalId: string; input: string; output: string; outputB: string | null;
  context: Record<string, unknown>; dimensions: Record<string, string>; split: Split;
}

/**
 * One page of a dataset's items. `dimension` with `value` keeps items whose dimension has that
 * value (without `value`: items that lack the dimension). `status` is decided by the current labels of
 * `labelsOf`: labelled (not ambiguous), unlabelled (none) or ambiguous; without `labelsOf` every item is unlabelled.
 */
export interface ItemQuery {
  split?: Split; search?: string; dimension?: string; value?: string;
  status?: 'labelled' | 'unlabelled' | 'ambiguous'; labelsOf?: { criterionId: number; annotator: string };
  limit?: number; offset?: number;
}

export function itemsRepository(db: DB) {
  const byId = db.prepare<[number], Row>(`SELECT * FROM items WHERE id = ?`);
  const byExternal = db.prepare<[number, string], Row>(`SELECT * FROM items WHERE dataset_id = ? AND external_id = ?`);
  const inDataset = db.prepare<[number], Row>(`SELECT * FROM items WHERE dataset_id = ? ORDER BY id`);
  const upsert = db.prepare(`
    INSERT INTO items (dataset_id, external_id, input, output, output_b, context, dimensions, split, output_chars, dimension_set_id)
    VALUES (@datasetId, @externalId, @input, @output, @outputB, @context, @dimensions, @split, @outputChars,
      (SELECT id FROM dimension_sets WHERE dimensions = @dimensions))
    ON CONFLICT (dataset_id, external_id) DO UPDATE SET
      input = excluded.input, output = excluded.output, output_b = excluded.output_b, output_chars = excluded.output_chars,
      context = excluded.context, dimensions = excluded.dimensions, dimension_set_id = excluded.dimension_set_id,
      updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`);
  const existing = db.prepare<[number, string], { id: number }>(`SELECT id FROM items WHERE dataset_id = ? AND external_id = ?`);
  // Every filter in one WHERE clause; a NULL parameter switches its filter off. Dimensions are
  // matched with json_each on the stored object, so a name like "__proto__" is just a key.
  const filter = `items.dataset_id = @datasetId AND (@split IS NULL OR items.split = @split)
      AND (@search IS NULL OR instr(lower(items.external_id || ' ' || items.input || ' ' || items.output || ' ' || coalesce(items.output_b, '')), lower(@search)) > 0)
      AND (@dimension IS NULL OR (CASE WHEN @value IS NULL
        THEN NOT EXISTS (SELECT 1 FROM json_each(items.dimensions) d WHERE d.key = @dimension)
        ELSE EXISTS (SELECT 1 FROM json_each(items.dimensions) d WHERE d.key = @dimension AND d.type = 'text' AND d.value = @value) END))
      AND (@status IS NULL
        OR (@status = 'unlabelled' AND cl.item_id IS NULL)
        OR (@status = 'labelled' AND cl.item_id IS NOT NULL AND cl.ambiguous = 0)
        OR (@status = 'ambiguous' AND cl.ambiguous = 1))`;
  const from = `items LEFT JOIN current_labels cl
      ON cl.criterion_id = @criterionId AND cl.annotator = @annotator AND cl.item_id = items.id`;
  type Filter = { datasetId: number; split: string | null; search: string | null; dimension: string | null; value: string | null; status: string | null; criterionId: number | null; annotator: string | null };
  const page = db.prepare<[Filter & { limit: number; offset: number }], Row>(`SELECT items.* FROM ${from} WHERE ${filter} ORDER BY items.id LIMIT @limit OFFSET @offset`);
  const pageCount = db.prepare<[Filter], { n: number }>(`SELECT count(*) AS n FROM ${from} WHERE ${filter}`);
  return {
    get: (id: number) => { const r = byId.get(id); return r ? toItem(r) : undefined; },
    byExternalId: (datasetId: number, externalId: string) => { const r = byExternal.get(datasetId, externalId); return r ? toItem(r) : undefined; },
    all: (datasetId: number) => inDataset.all(datasetId).map(toItem),
    /** Inserts or updates by external id; returns whether the item was new. Callers wrap batches in a transaction. */
    upsert(datasetId: number, item: NewItem): { created: boolean } {
      const created = !existing.get(datasetId, item.externalId);
      // what the reports read without the texts (migration 13): the output's length as JavaScript counts it
      // (UTF-16 units) for the verbosity check, and the item's dimensions as an interned dimension set
      // (the statement looks up an existing set; a trigger interns a new one)
      upsert.run({ ...item, datasetId, context: JSON.stringify(item.context), dimensions: JSON.stringify(item.dimensions), outputChars: item.output.length });
      return { created };
    },
    /** One page of items matching every filter of `q`, in id order, and how many match in all. */
    page(datasetId: number, q: ItemQuery) {
      const f: Filter = {
        datasetId, split: q.split ?? null, search: q.search?.trim() || null,
        dimension: q.dimension ?? null, value: q.dimension === undefined ? null : q.value ?? null,
        status: q.status ?? null, criterionId: q.labelsOf?.criterionId ?? null, annotator: q.labelsOf?.annotator ?? null,
      };
      return { total: pageCount.get(f)!.n, items: page.all({ ...f, limit: q.limit ?? 50, offset: q.offset ?? 0 }).map(toItem) };
    },
  };
}
