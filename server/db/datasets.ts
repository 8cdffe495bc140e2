import type { DB } from './open.ts';
import type { Dataset } from '../../shared/types.ts';

interface Row { id: number; name: string; description: string; split_train: number; split_dev: number; split_test: number; created_at: string; items: number }

const toDataset = (r: Row): Dataset => ({
  id: r.id, name: r.name, description: r.description,
  splits: { train: r.split_train, dev: r.split_dev, test: r.split_test },
  items: r.items, createdAt: r.created_at,
});

export function datasetsRepository(db: DB) {
  const base = `SELECT d.*, (SELECT count(*) FROM items i WHERE i.dataset_id = d.id) AS items FROM datasets d`;
  const list = db.prepare<[], Row>(`${base} ORDER BY d.name`);
  const byId = db.prepare<[number], Row>(`${base} WHERE d.id = ?`);
  const byName = db.prepare<[string], Row>(`${base} WHERE d.name = ?`);
  const insert = db.prepare(`INSERT INTO datasets (name, description, split_train, split_dev, split_test) VALUES (?, ?, ?, ?, ?)`);
  const remove = db.prepare(`DELETE FROM datasets WHERE id = ?`);
  return {
    list: () => list.all().map(toDataset),
    get: (id: number) => { const r = byId.get(id); return r ? toDataset(r) : undefined; },
    byName: (name: string) => { const r = byName.get(name); return r ? toDataset(r) : undefined; },
    create(name: string, description = '', splits = { train: 20, dev: 50, test: 30 }): Dataset {
      const id = Number(insert.run(name, description, splits.train, splits.dev, splits.test).lastInsertRowid);
      return this.get(id)!;
    },
    remove: (id: number) => remove.run(id).changes > 0,
  };
}
