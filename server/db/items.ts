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

export interface ItemQuery { split?: Split; search?: string; limit?: number; offset?: number }

export function itemsRepository(db: DB) {
  const byId = db.prepare<[number], Row>(`SELECT * FROM items WHERE id = ?`);
  const byExternal = db.prepare<[number, string], Row>(`SELECT * FROM items WHERE dataset_id = ? AND external_id = ?`);
  const inDataset = db.prepare<[number], Row>(`SELECT * FROM items WHERE dataset_id = ? ORDER BY id`);
  const upsert = db.prepare(`
    INSERT INTO items (dataset_id, external_id, input, output, output_b, context, dimensions, split)
    VALUES (@datasetId, @externalId, @input, @output, @outputB, @context, @dimensions, @split)
    ON CONFLICT (dataset_id, external_id) DO UPDATE SET
      input = excluded.input, output = excluded.output, output_b = excluded.output_b,
      context = excluded.context, dimensions = excluded.dimensions,
      updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`);
  const existing = db.prepare<[number, string], { id: number }>(`SELECT id FROM items WHERE dataset_id = ? AND external_id = ?`);
  const filter = `dataset_id = @datasetId AND (@split IS NULL OR split = @split)
      AND (@search IS NULL OR instr(lower(external_id || ' ' || input || ' ' || output || ' ' || coalesce(output_b, '')), lower(@search)) > 0)`;
  type Filter = { datasetId: number; split: string | null; search: string | null };
  const page = db.prepare<[Filter & { limit: number; offset: number }], Row>(`SELECT * FROM items WHERE ${filter} ORDER BY id LIMIT @limit OFFSET @offset`);
  const pageCount = db.prepare<[Filter], { n: number }>(`SELECT count(*) AS n FROM items WHERE ${filter}`);
  return {
    get: (id: number) => { const r = byId.get(id); return r ? toItem(r) : undefined; },
    byExternalId: (datasetId: number, externalId: string) => { const r = byExternal.get(datasetId, externalId); return r ? toItem(r) : undefined; },
    all: (datasetId: number) => inDataset.all(datasetId).map(toItem),
    /** Inserts or updates by external id; returns whether the item was new. Callers wrap batches in a transaction. */
    upsert(datasetId: number, item: NewItem): { created: boolean } {
      const created = !existing.get(datasetId, item.externalId);
      upsert.run({ ...item, datasetId, context: JSON.stringify(item.context), dimensions: JSON.stringify(item.dimensions) });
      return { created };
    },
    page(datasetId: number, q: ItemQuery) {
      const split = q.split ?? null, search = q.search?.trim() || null;
      const f = { datasetId, split, search };
      return { total: pageCount.get(f)!.n, items: page.all({ ...f, limit: q.limit ?? 50, offset: q.offset ?? 0 }).map(toItem) };
    },
  };
}
