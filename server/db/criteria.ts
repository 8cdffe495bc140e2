import type { DB } from './open.ts';
import type { Criterion, Scale } from '../../shared/types.ts';

interface Row { id: number; dataset_id: number; name: string; description: string; scale: Scale; levels: number | null; pass_at: number | null; principal_annotator: string; target_agreement: number }

const toCriterion = (r: Row): Criterion => ({
  id: r.id, datasetId: r.dataset_id, name: r.name, description: r.description, scale: r.scale,
  levels: r.levels, passAt: r.pass_at, principalAnnotator: r.principal_annotator, targetAgreement: r.target_agreement,
});

export interface NewCriterion {
  name: string; description?: string; scale?: Scale; levels?: number | null; passAt?: number | null;
  principalAnnotator?: string; targetAgreement?: number;
}

export function criteriaRepository(db: DB) {
  const byId = db.prepare<[number], Row>(`SELECT * FROM criteria WHERE id = ?`);
  const byName = db.prepare<[number, string], Row>(`SELECT * FROM criteria WHERE dataset_id = ? AND name = ?`);
  const list = db.prepare<[number], Row>(`SELECT * FROM criteria WHERE dataset_id = ? ORDER BY id`);
  const insert = db.prepare(`INSERT INTO criteria (dataset_id, name, description, scale, levels, pass_at, principal_annotator, target_agreement)
    VALUES (@datasetId, @name, @description, @scale, @levels, @passAt, @principalAnnotator, @targetAgreement)`);
  const setPrincipal = db.prepare<[string, number]>(`UPDATE criteria SET principal_annotator = ? WHERE id = ?`);
  return {
    /** Makes `annotator`'s labels the criterion's reference (the label history is untouched). */
    setPrincipal: (id: number, annotator: string) => { setPrincipal.run(annotator, id); },
    get: (id: number) => { const r = byId.get(id); return r ? toCriterion(r) : undefined; },
    byName: (datasetId: number, name: string) => { const r = byName.get(datasetId, name); return r ? toCriterion(r) : undefined; },
    list: (datasetId: number) => list.all(datasetId).map(toCriterion),
    create(datasetId: number, c: NewCriterion): Criterion {
      const id = Number(insert.run({
        datasetId, name: c.name, description: c.description ?? '', scale: c.scale ?? 'binary',
        levels: c.levels ?? null, passAt: c.passAt ?? null,
        principalAnnotator: c.principalAnnotator ?? 'expert', targetAgreement: c.targetAgreement ?? 0.9,
      }).lastInsertRowid);
      return this.get(id)!;
    },
  };
}
