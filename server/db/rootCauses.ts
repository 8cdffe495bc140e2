import type { DB } from './open.ts';

export function rootCausesRepository(db: DB) {
  const add = db.prepare(`INSERT OR IGNORE INTO root_causes (item_id, criterion_id, tag) VALUES (?, ?, ?)`);
  const remove = db.prepare(`DELETE FROM root_causes WHERE item_id = ? AND criterion_id = ? AND tag = ?`);
  const list = db.prepare<[number], { item_id: number; tag: string }>(`SELECT item_id, tag FROM root_causes WHERE criterion_id = ? ORDER BY tag`);
  return {
    add: (criterionId: number, itemId: number, tag: string) => { add.run(itemId, criterionId, tag); },
    remove: (criterionId: number, itemId: number, tag: string) => remove.run(itemId, criterionId, tag).changes > 0,
    byItem(criterionId: number): Map<number, string[]> {
      const m = new Map<number, string[]>();
      for (const r of list.all(criterionId)) m.set(r.item_id, [...(m.get(r.item_id) ?? []), r.tag]);
      return m;
    },
  };
}
