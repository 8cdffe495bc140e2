/**
 * Heavy reads off the serving loop (issue 9): reports run in a worker thread on a read-only
 * connection, so the server keeps answering while one is computed; identical concurrent requests
 * share one computation; in-memory workspaces compute in-process. Tested by order, not by time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { tempWorkspace } from '../support/workspace.ts';
import { buildTestApp } from '../support/app.ts';
import { buildSyntheticWorkspace, synthetic } from '../../server/db/synthetic.ts';
import { createRepositories } from '../../server/db/index.ts';
import { openDatabase } from '../../server/db/open.ts';
import { Workspace } from '../../server/services/workspace.ts';
import { computeHeavy, dashboard, DashboardCache, heavyReadsOf } from '../../server/services/reports.ts';

let t: ReturnType<typeof tempWorkspace> | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; t?.cleanup(); t = undefined; });

const nextTick = () => new Promise((r) => setImmediate(r));

describe('heavy reads in a worker thread', () => {
  it('answers /api/health sent after a slow report has started before the report', async () => {
    t = tempWorkspace();
    buildSyntheticWorkspace(t.ws.repos.db, 60_000);
    app = await buildTestApp({ workspace: t.ws, webRoot: '/nonexistent' });
    const heavy = heavyReadsOf(t.ws);
    expect(heavy.offLoop).toBe(true);
    const order: string[] = [];
    const report = app.inject({ url: '/api/criteria/1/report?run=1&format=html' }).then((r) => { order.push('report'); return r; });
    while (heavy.computations === 0) await nextTick(); // the report's computation has started
    const health = await app.inject({ url: '/api/health' });
    order.push('health');
    expect(health.json()).toEqual({ ok: true });
    const r = await report;
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-disposition']).toContain('concur-report-run-1.html');
    expect(order).toEqual(['health', 'report']);
  });

  it('shares one computation among 5 identical concurrent requests, and computes again after a label save', async () => {
    t = tempWorkspace();
    buildSyntheticWorkspace(t.ws.repos.db, 20_000);
    app = await buildTestApp({ workspace: t.ws, webRoot: '/nonexistent' });
    const heavy = heavyReadsOf(t.ws);
    const url = '/api/criteria/1/report?run=1&split=dev';
    const five = await Promise.all(Array.from({ length: 5 }, () => app!.inject({ url })));
    expect(heavy.computations).toBe(1);
    const bodies = five.map((r) => r.json());
    for (const b of bodies) expect(b).toEqual(bodies[0]);
    // the worker's figures are the in-process ones
    const c = t.ws.criterionById(1);
    const { annotators, ...figures } = t.ws.report(c, { runId: 1, split: 'dev' }).report;
    expect(bodies[0]).toMatchObject(JSON.parse(JSON.stringify({ ...figures, annotators })));
    // a write in between gives a new data version: the next request computes, and sees the new label
    const item = 14; // i = 13: a dev item
    t.ws.repos.labels.append(c.id, { itemId: item, annotator: 'expert', verdict: null, critique: '', ambiguous: true });
    const after = (await app.inject({ url })).json();
    expect(heavy.computations).toBe(2);
    expect(after.excluded.ambiguous).toBe(bodies[0].excluded.ambiguous + 1);
    // different parameters never share
    await Promise.all([app.inject({ url: `${url}&format=md` }), app.inject({ url: '/api/criteria/1/compare?a=1&b=2' }), app.inject({ url: '/api/criteria/1/dashboard' })]);
    expect(heavy.computations).toBe(5);
  });

  it('keeps the HTTP errors of the in-process path (404, 400) across the thread boundary', async () => {
    t = tempWorkspace();
    buildSyntheticWorkspace(t.ws.repos.db, 100);
    app = await buildTestApp({ workspace: t.ws, webRoot: '/nonexistent' });
    const missing = await app.inject({ url: '/api/criteria/1/report?run=99' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatch(/no run #99/);
    const bad = await app.inject({ url: '/api/criteria/1/corrected-pass-rate?version=1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('on'); // version 1 is calibrated (its run covers all splits) but judged no unlabelled item
    expect((await app.inject({ url: '/api/criteria/9/dashboard' })).statusCode).toBe(404);
  });

  it('computes in-process for an in-memory workspace', async () => {
    const ws = new Workspace(createRepositories(openDatabase(':memory:')));
    buildSyntheticWorkspace(ws.repos.db, 500);
    app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    expect(heavyReadsOf(ws).offLoop).toBe(false);
    const r = await app.inject({ url: '/api/criteria/1/report?run=1' });
    expect(r.statusCode).toBe(200);
    expect(r.json().n).toBe(ws.report(ws.criterionById(1), { runId: 1 }).report.n);
    ws.repos.db.close();
  });
});

describe('GET /api/criteria/:id/dashboard', () => {
  it('returns each run\'s dev and test figures of the full report, recomputing only runs whose data changed', async () => {
    t = tempWorkspace();
    const ws = t.ws;
    buildSyntheticWorkspace(ws.repos.db, 3000);
    const c = ws.criterionById(1);
    const expected = () => ws.repos.runs.list(c.id).map((run) => ({
      run,
      metrics: Object.fromEntries((['dev', 'test'] as const).map((split) => {
        const rep = ws.report(c, { runId: run.id, split }).report;
        return [split, { n: rep.n, excluded: rep.excluded, notJudged: rep.notJudged, errorRate: rep.errorRate, agreement: rep.agreement, kappa: rep.kappa, tpr: rep.tpr, tnr: rep.tnr, confusion: rep.confusion }];
      })),
    }));
    const cache = new DashboardCache();
    const cold = dashboard(ws, c.id, cache);
    expect(cold.runs).toEqual(expected());
    expect(cold.versions).toEqual(ws.repos.versions.list(c.id));
    expect(cache.recomputed).toBe(2);
    expect(dashboard(ws, c.id, cache)).toEqual(cold); // warm: nothing recomputed
    expect(cache.recomputed).toBe(2);
    // a label save invalidates every run measured against the labels
    ws.repos.labels.append(c.id, { itemId: 14, annotator: 'expert', verdict: synthetic.expertPass(13) ? 'fail' : 'pass', critique: 'changed', ambiguous: false });
    const afterLabel = dashboard(ws, c.id, cache);
    expect(cache.recomputed).toBe(4);
    expect(afterLabel.runs).toEqual(expected());
    expect(afterLabel.runs).not.toEqual(cold.runs);
    // a judgment recorded in run 2 (e.g. a resumed run) recomputes run 2 alone
    ws.repos.db.prepare(`DELETE FROM judgments WHERE run_id = 2 AND item_id = 15`).run();
    expect(dashboard(ws, c.id, cache).runs).toEqual(expected());
    expect(cache.recomputed).toBe(5);
    // the worker answers the same over HTTP
    app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    const http = (await app.inject({ url: `/api/criteria/${c.id}/dashboard` })).json();
    const local = computeHeavy(ws, { kind: 'dashboard', criterionId: c.id }, new DashboardCache()) as { body: unknown };
    expect(http).toEqual(JSON.parse(JSON.stringify(local.body)));
  });
});
