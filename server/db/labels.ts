import type { DB } from './open.ts';
import type { Label } from '../../shared/types.ts';
import { MAJORITY_TIE } from '../../shared/metrics/outcomes.ts';

interface Row { id: number; item_id: number; criterion_id: number; annotator: string; verdict: string | null; critique: string; ambiguous: number; source: string; created_at: string }

const toLabel = (r: Row): Label => ({
  id: r.id, itemId: r.item_id, criterionId: r.criterion_id, annotator: r.annotator, verdict: r.verdict,
  critique: r.critique, ambiguous: r.ambiguous === 1, source: r.source, createdAt: r.created_at,
});

/** The consensus pseudo-annotator: the majority of all annotators' current labels. */
export const MAJORITY = 'majority';

function majorityOf(labels: Label[]): Map<number, Label> {
  const byItem = new Map<number, Label[]>();
  for (const l of labels) {
    if (l.annotator === MAJORITY) continue;
    const list = byItem.get(l.itemId);
    if (list) list.push(l); else byItem.set(l.itemId, [l]);
  }
  const out = new Map<number, Label>();
  for (const [itemId, ls] of byItem) {
    const votes = new Map<string, number>();
    for (const l of ls) if (l.verdict !== null && !l.ambiguous) votes.set(l.verdict, (votes.get(l.verdict) ?? 0) + 1);
    const ranked = [...votes.entries()].sort((a, b) => b[1] - a[1]);
    // no usable vote: ambiguous; votes that tie: the annotators disagree (counted apart, MAJORITY_TIE)
    const disagree = ranked.length > 1 && ranked[0]![1] === ranked[1]![1];
    const tie = ranked.length === 0 || disagree;
    const last = ls.reduce((a, b) => (a.id > b.id ? a : b));
    out.set(itemId, {
      ...last, annotator: MAJORITY, verdict: tie ? null : ranked[0]![0], ambiguous: tie, source: disagree ? MAJORITY_TIE : 'majority',
      critique: ls.filter((l) => l.critique).map((l) => `${l.annotator}: ${l.critique}`).join('\n'),
    });
  }
  return out;
}

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

  const checkAndAppend = db.transaction((criterionId: number, l: NewLabel, expectedId: number | null): Label => {
    const current = repo.latest(criterionId, l.itemId, l.annotator);
    if ((current?.id ?? null) !== expectedId) throw new LabelConflictError(current);
    return repo.append(criterionId, l);
  });

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
    appendIfCurrent(criterionId: number, l: NewLabel, expectedId: number | null): Label {
      // IMMEDIATE takes the write lock before the check, so two processes cannot both pass it.
      return checkAndAppend.immediate(criterionId, l, expectedId);
    },
    history: (criterionId: number, itemId: number) => history.all(criterionId, itemId).map(toLabel),
    /**
     * Current label per item for one annotator (usually the criterion's principal expert).
     * The pseudo-annotator "majority" gives the majority verdict of everyone's current labels
     * (a tie becomes an ambiguous label, so it is excluded from metrics).
     */
    currentByItem(criterionId: number, annotator: string): Map<number, Label> {
      if (annotator === MAJORITY) return majorityOf(repo.allCurrent(criterionId));
      return new Map(currentOf.all(criterionId, annotator).map((r) => [r.item_id, toLabel(r)]));
    },
    /** Current label of every annotator on every item. */
    allCurrent: (criterionId: number) => currentAll.all(criterionId).map(toLabel),
    annotators: (criterionId: number) => annotators.all(criterionId),
  };
  return repo;
}
