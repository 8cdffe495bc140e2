import type { DB } from './open.ts';
import type { Label } from '../../shared/types.ts';

interface Row { id: number; item_id: number; criterion_id: number; annotator: string; verdict: string | null; critique: string; ambiguous: number; source: string; created_at: string }

const toLabel = (r: Row): Label => ({
  id: r.id, itemId: r.item_id, criterionId: r.criterion_id, annotator: r.annotator, verdict: r.verdict,
  critique: r.critique, ambiguous: r.ambiguous === 1, source: r.source, createdAt: r.created_at,
});

export interface NewLabel { itemId: number; annotator: string; verdict: string | null; critique: string; ambiguous: boolean; source?: string }

/** Raised when a label changed since the writer last saw it (optimistic concurrency). */
export class LabelConflictError extends Error {
  constructor(readonly current: Label | null) {
    super('this label was changed by someone else since you opened it; reload to see their version');
  }
}

export function labelsRepository(db: DB) {
  const insert = db.prepare(`INSERT INTO labels (item_id, criterion_id, annotator, verdict, critique, ambiguous, source)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const latest = db.prepare<[number, number, string], Row>(`SELECT * FROM labels WHERE criterion_id = ? AND item_id = ? AND annotator = ? ORDER BY id DESC LIMIT 1`);
  const byId = db.prepare<[number], Row>(`SELECT * FROM labels WHERE id = ?`);
  const history = db.prepare<[number, number], Row>(`SELECT * FROM labels WHERE criterion_id = ? AND item_id = ? ORDER BY id`);
  const currentOf = db.prepare<[number, string], Row>(`
    SELECT l.* FROM labels l JOIN (
      SELECT max(id) AS id FROM labels WHERE criterion_id = ? AND annotator = ? GROUP BY item_id
    ) m ON m.id = l.id`);
  const currentAll = db.prepare<[number], Row>(`
    SELECT l.* FROM labels l JOIN (
      SELECT max(id) AS id FROM labels WHERE criterion_id = ? GROUP BY item_id, annotator
    ) m ON m.id = l.id ORDER BY l.item_id, l.annotator`);
  const annotators = db.prepare<[number], { annotator: string; n: number }>(`
    SELECT annotator, count(DISTINCT item_id) AS n FROM labels WHERE criterion_id = ? GROUP BY annotator ORDER BY n DESC, annotator`);

  const repo = {
    get: (id: number) => { const r = byId.get(id); return r ? toLabel(r) : undefined; },
    latest(criterionId: number, itemId: number, annotator: string): Label | null {
      const r = latest.get(criterionId, itemId, annotator);
      return r ? toLabel(r) : null;
    },
    /** Appends without a concurrency check (imports). Callers batch inside a transaction. */
    append(criterionId: number, l: NewLabel): Label {
      const id = Number(insert.run(l.itemId, criterionId, l.annotator, l.verdict, l.critique, l.ambiguous ? 1 : 0, l.source ?? 'ui').lastInsertRowid);
      return repo.get(id)!;
    },
    /**
     * Appends a label only if the annotator's current label is still `expectedId`
     * (null = the writer saw no label). Otherwise throws LabelConflictError.
     */
    appendIfCurrent: db.transaction((criterionId: number, l: NewLabel, expectedId: number | null): Label => {
      const current = repo.latest(criterionId, l.itemId, l.annotator);
      if ((current?.id ?? null) !== expectedId) throw new LabelConflictError(current);
      return repo.append(criterionId, l);
    }),
    history: (criterionId: number, itemId: number) => history.all(criterionId, itemId).map(toLabel),
    /** Current label per item for one annotator (usually the criterion's principal expert). */
    currentByItem(criterionId: number, annotator: string): Map<number, Label> {
      return new Map(currentOf.all(criterionId, annotator).map((r) => [r.item_id, toLabel(r)]));
    },
    /** Current label of every annotator on every item. */
    allCurrent: (criterionId: number) => currentAll.all(criterionId).map(toLabel),
    annotators: (criterionId: number) => annotators.all(criterionId),
  };
  return repo;
}
