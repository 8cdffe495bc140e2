import type { DB } from './open.ts';

/** One "Keep label — judge wrong" decision: the expert stood by their label against a run's verdict. */
export interface JudgeWrongReview { runId: number; itemId: number; criterionId: number; labelId: number; annotator: string; decidedAt: string }

interface Row { run_id: number; item_id: number; criterion_id: number; label_id: number; annotator: string; decided_at: string }
const toReview = (r: Row): JudgeWrongReview =>
  ({ runId: r.run_id, itemId: r.item_id, criterionId: r.criterion_id, labelId: r.label_id, annotator: r.annotator, decidedAt: r.decided_at });

export function judgeWrongRepository(db: DB) {
  const insert = db.prepare(`INSERT OR IGNORE INTO judge_wrong_reviews (run_id, item_id, criterion_id, label_id, annotator) VALUES (?, ?, ?, ?, ?)`);
  const one = db.prepare<[number, number], Row>(`SELECT * FROM judge_wrong_reviews WHERE run_id = ? AND item_id = ?`);
  const ofRun = db.prepare<[number], Row>(`SELECT * FROM judge_wrong_reviews WHERE run_id = ? ORDER BY decided_at, item_id`);
  const ofCriterion = db.prepare<[number], Row>(`SELECT * FROM judge_wrong_reviews WHERE criterion_id = ? ORDER BY decided_at, run_id, item_id`);
  const judged = db.prepare<[number, number], { one: number }>(`SELECT 1 AS one FROM judgments WHERE run_id = ? AND item_id = ? LIMIT 1`);
  return {
    /** Records the decision; the first one for a run's item stands (returned either way). */
    add: db.transaction((r: Omit<JudgeWrongReview, 'decidedAt'>): JudgeWrongReview => {
      insert.run(r.runId, r.itemId, r.criterionId, r.labelId, r.annotator);
      return toReview(one.get(r.runId, r.itemId)!);
    }),
    ofRun: (runId: number) => ofRun.all(runId).map(toReview),
    ofCriterion: (criterionId: number) => ofCriterion.all(criterionId).map(toReview),
    /** whether the run has any judgment of the item */
    judged: (runId: number, itemId: number) => judged.get(runId, itemId) !== undefined,
  };
}
