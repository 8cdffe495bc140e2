import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { tempWorkspace, databaseBeforeMigration } from '../support/workspace.ts';
import { buildSyntheticWorkspace } from '../../server/db/synthetic.ts';
import { migrations } from '../../server/db/migrations.ts';
import type { NewJudgment } from '../../server/db/runs.ts';
import { openWorkspace } from '../../server/db/index.ts';
import { Workspace } from '../../server/services/workspace.ts';

let t: ReturnType<typeof tempWorkspace>;
const cleanups: Array<() => void> = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); t?.cleanup(); });

/** Every planned item's outcome columns beside what the judgments table says (its sample-0 judgment). */
function outcomes(db: Database.Database) {
  return db.prepare(`SELECT ri.run_id, ri.item_id, ri.judged, ri.verdict,
      (j.id IS NOT NULL) AS expectJudged, j.verdict AS expectVerdict
    FROM run_items ri LEFT JOIN judgments j ON j.run_id = ri.run_id AND j.item_id = ri.item_id AND j.sample = 0
    ORDER BY ri.run_id, ri.item_id`).all() as Array<{ run_id: number; item_id: number; judged: number; verdict: string | null; expectJudged: number; expectVerdict: string | null }>;
}
function expectCurrent(db: Database.Database) {
  const rows = outcomes(db);
  expect(rows.length).toBeGreaterThan(0);
  const wrong = rows.filter((r) => r.judged !== r.expectJudged || r.verdict !== r.expectVerdict);
  expect(wrong).toEqual([]);
  return rows;
}

const judgment = (itemId: number, over: Partial<NewJudgment> = {}): NewJudgment => ({
  itemId, sample: 0, verdict: 'pass', critique: '', raw: '{}', error: null, latencyMs: 5, promptTokens: 10, completionTokens: 3, cost: 0.25, cached: false, attempts: 1, ...over,
});

describe("run items' sample-0 outcome kept on write", () => {
  it('follows inserts, later samples, transport-error cleanup, edits, late planning and cascading deletes', () => {
    t = tempWorkspace();
    const { repos } = t.ws;
    const db = repos.db;
    buildSyntheticWorkspace(db, 300);
    expectCurrent(db);
    const run = repos.runs.create({ criterionId: 1, datasetId: 1, versionId: 2, kind: 'judged', name: 'r', split: 'all', scope: 'labelled', samples: 2, variant: {}, concurrency: 1, status: 'running', itemIds: [1, 2, 3, 4, 5, 6] });
    const of = (itemId: number) => db.prepare('SELECT judged, verdict FROM run_items WHERE run_id = ? AND item_id = ?').get(run.id, itemId);
    expect(of(1)).toEqual({ judged: 0, verdict: null });
    // sample 1 of item 5 first: it is not the measured judgment
    repos.runs.recordJudgments(run.id, [judgment(1), judgment(2, { verdict: 'fail' }), judgment(3, { verdict: null, error: 'timeout', raw: '' }), judgment(4, { verdict: null, error: 'unparseable', raw: 'x' }), judgment(5, { sample: 1 })]);
    expect(of(1)).toEqual({ judged: 1, verdict: 'pass' });
    expect(of(2)).toEqual({ judged: 1, verdict: 'fail' });
    expect(of(3)).toEqual({ judged: 1, verdict: null });
    expect(of(5)).toEqual({ judged: 0, verdict: null });
    // a duplicate is ignored (ON CONFLICT DO NOTHING): the first verdict stays
    repos.runs.recordJudgments(run.id, [judgment(2, { verdict: 'pass' })]);
    expect(of(2)).toEqual({ judged: 1, verdict: 'fail' });
    expectCurrent(db);
    // --retry-errors forgets the transport error: item 3 is not judged any more
    expect(repos.runs.deleteTransportErrors(run.id)).toBe(1);
    expect(of(3)).toEqual({ judged: 0, verdict: null });
    expectCurrent(db);
    // edits of a judgment (no code path does this today; the columns follow anyway)
    db.prepare(`UPDATE judgments SET verdict = 'fail' WHERE run_id = ? AND item_id = 1 AND sample = 0`).run(run.id);
    expect(of(1)).toEqual({ judged: 1, verdict: 'fail' });
    db.prepare(`UPDATE judgments SET sample = 1 WHERE run_id = ? AND item_id = 1 AND sample = 0`).run(run.id);
    expect(of(1)).toEqual({ judged: 0, verdict: null });
    db.prepare(`UPDATE judgments SET sample = 0 WHERE run_id = ? AND item_id = 5 AND sample = 1`).run(run.id);
    expect(of(5)).toEqual({ judged: 1, verdict: 'pass' });
    expectCurrent(db);
    // a judgment recorded before its item is planned (an import writes both): planning picks it up
    db.prepare(`INSERT INTO judgments (run_id, item_id, sample, verdict) VALUES (?, 7, 0, 'fail')`).run(run.id);
    db.prepare('INSERT INTO run_items (run_id, item_id) VALUES (?, 7)').run(run.id);
    expect(of(7)).toEqual({ judged: 1, verdict: 'fail' });
    expectCurrent(db);
    // deleting an item cascades to its judgments and planned places in every run
    db.prepare('DELETE FROM items WHERE id = 2').run();
    expectCurrent(db);
    expect(outcomes(db).some((r) => r.item_id === 2)).toBe(false);
  });

  it('are filled from the judgments already recorded when an older workspace is migrated', () => {
    t = tempWorkspace();
    t.ws.repos.db.close();
    rmSync(t.path, { force: true });
    // a workspace file at the schema before the outcome columns, with judgments recorded; the migration runs on open
    expect(migrations.findIndex((m) => m.includes('ALTER TABLE run_items ADD COLUMN judged'))).toBeGreaterThan(4);
    const db = databaseBeforeMigration(t.path, 'ALTER TABLE run_items ADD COLUMN judged');
    buildSyntheticWorkspace(db, 200);
    db.close();
    const ws = new Workspace(openWorkspace(t.path));
    cleanups.push(() => ws.repos.db.close());
    const rows = expectCurrent(ws.repos.db);
    // the synthetic runs have errors (verdict null) and judged items of both verdicts
    expect(new Set(rows.map((r) => `${r.judged}:${r.verdict}`))).toEqual(new Set(['1:pass', '1:fail', '1:null']));
  });
});
