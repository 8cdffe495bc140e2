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

/** This Concur opening (so migrating) a workspace file written at the schema before the migration that contains `marker`, filled by `fill`. */
function migratedWorkspace(marker: string, fill: (db: Database.Database) => void): Workspace {
  t = tempWorkspace();
  t.ws.repos.db.close();
  rmSync(t.path, { force: true });
  const db = databaseBeforeMigration(t.path, marker);
  fill(db);
  db.close();
  const ws = new Workspace(openWorkspace(t.path));
  cleanups.push(() => ws.repos.db.close());
  return ws;
}


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
    // a workspace file at the schema before the outcome columns, with judgments recorded; the migration runs on open
    expect(migrations.findIndex((m) => m.includes('ALTER TABLE run_items ADD COLUMN judged'))).toBeGreaterThan(4);
    const ws = migratedWorkspace('ALTER TABLE run_items ADD COLUMN judged', (db) => buildSyntheticWorkspace(db, 200));
    const rows = expectCurrent(ws.repos.db);
    // the synthetic runs have errors (verdict null) and judged items of both verdicts
    expect(new Set(rows.map((r) => `${r.judged}:${r.verdict}`))).toEqual(new Set(['1:pass', '1:fail', '1:null']));
  });
});

/** Every planned item's label columns beside its criterion principal's current label (current_labels). */
function expertColumns(db: Database.Database) {
  return db.prepare(`SELECT ri.run_id, ri.item_id, ri.expert_label_id AS labelId, ri.expert_verdict AS verdict, ri.expert_ambiguous AS ambiguous,
      cl.label_id AS expectLabelId, cl.verdict AS expectVerdict, coalesce(cl.ambiguous, 0) AS expectAmbiguous
    FROM run_items ri JOIN runs r ON r.id = ri.run_id JOIN criteria c ON c.id = r.criterion_id
    LEFT JOIN current_labels cl ON cl.criterion_id = c.id AND cl.annotator = c.principal_annotator AND cl.item_id = ri.item_id
    ORDER BY ri.run_id, ri.item_id`).all() as Array<{ run_id: number; item_id: number; labelId: number | null; verdict: string | null; ambiguous: number; expectLabelId: number | null; expectVerdict: string | null; expectAmbiguous: number }>;
}
function expectExpertCurrent(db: Database.Database) {
  const rows = expertColumns(db);
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.filter((r) => r.labelId !== r.expectLabelId || r.verdict !== r.expectVerdict || r.ambiguous !== r.expectAmbiguous)).toEqual([]);
  return rows;
}

describe("run items' principal label kept on write", () => {
  it('follows label saves after judging, ambiguous labels, other annotators, a new principal, raw planning and deletes', () => {
    t = tempWorkspace();
    const { repos } = t.ws;
    const db = repos.db;
    buildSyntheticWorkspace(db, 300);
    expectExpertCurrent(db);
    // a run planned on items 1..10, then labels change after it was judged
    const run = repos.runs.create({ criterionId: 1, datasetId: 1, versionId: 2, kind: 'judged', name: 'r', split: 'all', scope: 'labelled', samples: 1, variant: {}, concurrency: 1, status: 'running', itemIds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    const of = (itemId: number, runId = run.id) => db.prepare('SELECT expert_verdict AS verdict, expert_ambiguous AS ambiguous, expert_label_id IS NOT NULL AS labelled FROM run_items WHERE run_id = ? AND item_id = ?').get(runId, itemId);
    const save = (itemId: number, annotator: string, verdict: string | null, ambiguous = false) =>
      repos.labels.append(1, { itemId, annotator, verdict, critique: '', ambiguous, source: 'ui' });
    expectExpertCurrent(db);
    const before = (of(4) as { verdict: string }).verdict;
    const flipped = before === 'pass' ? 'fail' : 'pass';
    save(4, 'expert', flipped);
    expect(of(4)).toEqual({ verdict: flipped, ambiguous: 0, labelled: 1 });
    // in every run of the criterion (the synthetic runs 1 and 2 plan item 4 too)
    expect(of(4, 1)).toEqual({ verdict: flipped, ambiguous: 0, labelled: 1 });
    expect(of(4, 2)).toEqual({ verdict: flipped, ambiguous: 0, labelled: 1 });
    save(5, 'expert', null, true);
    expect(of(5)).toEqual({ verdict: null, ambiguous: 1, labelled: 1 });
    // another annotator's label does not touch the principal's columns
    save(6, 'second', 'fail');
    save(6, 'expert', 'pass');
    save(6, 'second', 'pass');
    expect(of(6)).toEqual({ verdict: 'pass', ambiguous: 0, labelled: 1 });
    expectExpertCurrent(db);
    // a new principal: every run item now carries that annotator's label, or none
    repos.criteria.setPrincipal(1, 'second');
    expect(of(6)).toEqual({ verdict: 'pass', ambiguous: 0, labelled: 1 });
    expect(of(7)).toEqual({ verdict: null, ambiguous: 0, labelled: 0 });
    expect(of(1, 1)).toEqual({ verdict: expect.any(String), ambiguous: 0, labelled: 1 }); // "second" labels every 50th item: item 1 is i = 0
    expectExpertCurrent(db);
    save(7, 'second', 'fail');
    save(8, 'expert', 'fail');
    expect(of(7)).toEqual({ verdict: 'fail', ambiguous: 0, labelled: 1 });
    expectExpertCurrent(db);
    repos.criteria.setPrincipal(1, 'expert');
    expectExpertCurrent(db);
    // an item planned by a plain INSERT (another tool) picks up its label through the trigger
    db.prepare('INSERT INTO run_items (run_id, item_id) VALUES (?, 11)').run(run.id);
    expect(of(11)).toEqual({ verdict: expect.any(String), ambiguous: 0, labelled: 1 });
    expectExpertCurrent(db);
    // deleting a label (labels go with their item or criterion; the columns fall back to the previous label)
    const last = db.prepare(`SELECT max(id) AS id FROM labels WHERE item_id = 4 AND annotator = 'expert'`).get() as { id: number };
    db.exec('DROP TRIGGER IF EXISTS labels_no_delete');
    db.prepare('DELETE FROM labels WHERE id = ?').run(last.id);
    expect(of(4)).toEqual({ verdict: before, ambiguous: 0, labelled: 1 });
    expectExpertCurrent(db);
    db.prepare('DELETE FROM items WHERE id = 6').run();
    expectExpertCurrent(db);
  });

  it('are filled from the labels already saved when an older workspace is migrated', () => {
    const ws = migratedWorkspace('ALTER TABLE run_items ADD COLUMN expert_label_id', (db) => buildSyntheticWorkspace(db, 200));
    const rows = expectExpertCurrent(ws.repos.db);
    // the synthetic expert labels every item, some ambiguous
    expect(rows.every((r) => r.labelId !== null)).toBe(true);
    expect(rows.some((r) => r.ambiguous === 1)).toBe(true);
  });
});

describe("items' output length (UTF-16 units) for the reports' covering index", () => {
  it('is what JavaScript counts, written on import and re-import and filled in when an older workspace is migrated', () => {
    const texts = ['plain ascii', 'é accented ü', '😀 astral 👍🏽', '', 'x'.repeat(5000)];
    const ws = migratedWorkspace('ALTER TABLE items ADD COLUMN output_chars', (db) => {
      db.exec(`INSERT INTO datasets (id, name) VALUES (1, 'd')`);
      const insert = db.prepare(`INSERT INTO items (dataset_id, external_id, input, output, split) VALUES (1, ?, 'q', ?, 'dev')`);
      texts.forEach((text, k) => insert.run(`e${k}`, text));
    });
    const lengths = () => (ws.repos.db.prepare('SELECT output, output_chars FROM items ORDER BY id').all() as Array<{ output: string; output_chars: number }>);
    expect(lengths().map((r) => r.output_chars)).toEqual(texts.map((x) => x.length));
    expect(lengths().map((r) => r.output_chars)).toEqual([11, 12, 14, 0, 5000]);
    // a re-import that changes an output, and a new item
    ws.repos.items.upsert(1, { externalId: 'e0', input: 'q', output: '🙂🙂', outputB: null, context: {}, dimensions: {}, split: 'dev' });
    ws.repos.items.upsert(1, { externalId: 'new', input: 'q', output: 'ça', outputB: null, context: {}, dimensions: {}, split: 'dev' });
    expect(lengths().map((r) => r.output_chars)).toEqual(lengths().map((r) => r.output.length));
    expect(lengths()[0]!.output_chars).toBe(4);
  });

  it("each item's dimension set has exactly its dimensions: after migration, import, re-import and another tool's writes", () => {
    const ws = migratedWorkspace('CREATE TABLE dimension_sets', (db) => {
      db.exec(`INSERT INTO datasets (id, name) VALUES (1, 'd')`);
      const insert = db.prepare(`INSERT INTO items (dataset_id, external_id, input, output, dimensions, split) VALUES (1, ?, 'q', 'a', ?, 'dev')`);
      ['{"a":"1"}', '{"a":"2"}', '{"a":"1"}', '{}'].forEach((d, k) => insert.run(`e${k}`, d));
    });
    const wrong = () => ws.repos.db.prepare(`SELECT i.id, i.dimensions, d.dimensions AS setDimensions FROM items i LEFT JOIN dimension_sets d ON d.id = i.dimension_set_id
      WHERE d.dimensions IS NOT i.dimensions`).all();
    const setOf = (externalId: string) => (ws.repos.db.prepare('SELECT dimension_set_id AS id FROM items WHERE external_id = ?').get(externalId) as { id: number }).id;
    expect(wrong()).toEqual([]);
    expect(setOf('e0')).toBe(setOf('e2'));
    expect(setOf('e0')).not.toBe(setOf('e1'));
    ws.repos.items.upsert(1, { externalId: 'e1', input: 'q', output: 'a', outputB: null, context: {}, dimensions: { a: '1' }, split: 'dev' });
    ws.repos.items.upsert(1, { externalId: 'n1', input: 'q', output: 'a', outputB: null, context: {}, dimensions: { b: '__proto__' }, split: 'dev' });
    expect(setOf('e1')).toBe(setOf('e0'));
    expect(wrong()).toEqual([]);
    // another tool's writes (plain SQL) are corrected by the triggers
    ws.repos.db.prepare(`UPDATE items SET dimensions = '{"c":"3"}' WHERE external_id = 'e0'`).run();
    ws.repos.db.prepare(`INSERT INTO items (dataset_id, external_id, input, output, dimensions, split) VALUES (1, 'raw', 'q', 'a', '{"a":"2"}', 'dev')`).run();
    ws.repos.db.prepare(`UPDATE items SET dimension_set_id = NULL WHERE external_id = 'e3'`).run();
    expect(wrong()).toEqual([]);
    expect(setOf('raw')).not.toBe(setOf('e0'));
  });
});
