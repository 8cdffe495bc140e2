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

/** What the runs list reported before run_totals: a count over the run's judgments. */
function recount(db: Database.Database, runId: number) {
  const r = db.prepare(`SELECT count(*) AS done, coalesce(sum(error IS NOT NULL), 0) AS errors, coalesce(sum(cached), 0) AS cached,
    coalesce(sum(prompt_tokens), 0) AS promptTokens, coalesce(sum(completion_tokens), 0) AS completionTokens, coalesce(sum(cost), 0) AS cost
    FROM judgments WHERE run_id = ?`).get(runId) as Record<string, number>;
  return r;
}
const totals = (run: { done: number; errors: number; cached: number; promptTokens: number; completionTokens: number; cost: number }) =>
  ({ done: run.done, errors: run.errors, cached: run.cached, promptTokens: run.promptTokens, completionTokens: run.completionTokens, cost: run.cost });

const judgment = (itemId: number, over: Partial<NewJudgment> = {}): NewJudgment => ({
  itemId, sample: 0, verdict: 'pass', critique: '', raw: '{}', error: null, latencyMs: 5, promptTokens: 10, completionTokens: 3, cost: 0.25, cached: false, attempts: 1, ...over,
});

describe('per-run totals kept on write', () => {
  it('follow inserts, ignored duplicates, transport-error cleanup and cascading deletes exactly', () => {
    t = tempWorkspace();
    const { repos } = t.ws;
    buildSyntheticWorkspace(repos.db, 300);
    expect(totals(repos.runs.get(1)!)).toEqual(recount(repos.db, 1));
    expect(repos.runs.get(1)!.done).toBe(300);
    const run = repos.runs.create({ criterionId: 1, datasetId: 1, versionId: 2, kind: 'judged', name: 'r', split: 'all', scope: 'labelled', samples: 2, variant: {}, concurrency: 1, status: 'running', itemIds: [1, 2, 3, 4, 5] });
    expect(totals(repos.runs.get(run.id)!)).toEqual({ done: 0, errors: 0, cached: 0, promptTokens: 0, completionTokens: 0, cost: 0 });
    repos.runs.recordJudgments(run.id, [judgment(1), judgment(2, { cached: true }), judgment(3, { verdict: null, error: 'timeout', raw: '' }), judgment(4, { verdict: null, error: 'unparseable', raw: 'x' }), judgment(1, { sample: 1, cost: 0.5 })]);
    // an (item, sample) already recorded is not written again, and not counted again
    expect(repos.runs.recordJudgments(run.id, [judgment(1, { promptTokens: 999 })])).toBe(0);
    expect(totals(repos.runs.get(run.id)!)).toEqual({ done: 5, errors: 2, cached: 1, promptTokens: 50, completionTokens: 15, cost: 1.5 });
    expect(repos.runs.deleteTransportErrors(run.id)).toBe(1);
    expect(totals(repos.runs.get(run.id)!)).toEqual({ done: 4, errors: 1, cached: 1, promptTokens: 40, completionTokens: 12, cost: 1.25 });
    expect(repos.runs.list(1).map(totals)).toEqual(repos.runs.list(1).map((r) => recount(repos.db, r.id)));
    // deleting an item cascades to its judgments in every run
    repos.db.prepare('DELETE FROM items WHERE id = 1').run();
    for (const r of repos.runs.list(1)) expect(totals(r)).toEqual(recount(repos.db, r.id));
    expect(repos.runs.get(run.id)!.done).toBe(2);
  });

  it('are filled from the judgments already recorded when an older workspace is migrated', () => {
    t = tempWorkspace();
    t.ws.repos.db.close();
    rmSync(t.path, { force: true });
    // a workspace file at the schema before run_totals (the migrations up to it, nothing later),
    // with judgments recorded; the migration then runs on open
    expect(migrations.findIndex((m) => m.includes('CREATE TABLE run_totals'))).toBeGreaterThan(2);
    const db = databaseBeforeMigration(t.path, 'CREATE TABLE run_totals');
    buildSyntheticWorkspace(db, 200);
    db.close();
    const ws = new Workspace(openWorkspace(t.path));
    cleanups.push(() => ws.repos.db.close());
    for (const r of ws.repos.runs.list(1)) expect(totals(r)).toEqual(recount(ws.repos.db, r.id));
    expect(ws.repos.runs.get(1)!.done).toBe(200);
  });
});

