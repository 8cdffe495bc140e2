import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { tempWorkspace } from '../support/workspace.ts';
import { startFakeOpenAI, verdictFrom, type FakeOpenAI } from '../support/openai-server.ts';
import { TEMPLATE, markedId, seed, type SeedItem } from '../support/seed.ts';
import { buildTestApp } from '../support/app.ts';
import { confirmCommand, parseVersionRef, publicationsCommand, publishCommand, unpublishCommand } from '../../server/cli/converge-actions.ts';
import { reportMarkdown, reportHtml } from '../../server/services/render-report.ts';
import type { PromptVersion, Split } from '../../shared/types.ts';

let t: ReturnType<typeof tempWorkspace> | undefined;
let server: FakeOpenAI | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; await server?.close(); server = undefined; t?.cleanup(); t = undefined; });

/** 40 items c-00..c-39, expert passes the even ones; the fake judge fails multiples of 3. */
const ITEMS: SeedItem[] = Array.from({ length: 40 }, (_, i) => ({ id: `c-${String(i).padStart(2, '0')}`, verdict: i % 2 === 0 ? 'pass' : 'fail' }));

async function setup() {
  server = await startFakeOpenAI({ respond: verdictFrom((text) => (Number(markedId(text).split('-')[1]) % 3 === 0 ? 'fail' : 'pass')) });
  t = tempWorkspace();
  const s = seed(t.ws, ITEMS);
  app = await buildTestApp({ workspace: t.ws });
  const ws = t.ws;
  const addVersion = (note = '') => ws.addVersion(s.criterion, { template: TEMPLATE, model: 'm', baseUrl: server!.url, temperature: 0, note });
  const run = (v: PromptVersion, split: Split | 'all', variant: { permuteSeed?: number } = {}) =>
    ws.engine.execute(ws.engine.plan({ criterion: s.criterion, version: v, split, concurrency: 4, ...variant }).id);
  const api = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const r = await app!.inject({ method, url: `/api${url}`, payload });
    return { status: r.statusCode, body: r.headers['content-type']?.toString().includes('json') ? r.json() : r.body };
  };
  return { ws, ...s, addVersion, run, api };
}

describe('latest means the latest accepted version, never a candidate', () => {
  it('skips optimizer candidates until one is accepted, which then becomes the latest', async () => {
    const { ws, criterion, addVersion, api } = await setup();
    const v1 = addVersion();
    const candidate = ws.repos.versions.create(criterion.id, { ...v1, examples: [], origin: 'optimizer', strategy: 'rewrite', rationale: 'because', parentId: v1.id });
    expect(candidate).toMatchObject({ number: 2, origin: 'optimizer', status: 'candidate', strategy: 'rewrite', rationale: 'because', acceptedBy: null });
    expect(v1).toMatchObject({ origin: 'human', status: 'accepted', strategy: null });
    expect(ws.version(criterion, 'latest').id).toBe(v1.id);
    // a new hand-written version's parent is the latest accepted one, not the candidate
    const v3 = addVersion('hand-written after the candidate');
    expect(v3.parentId).toBe(v1.id);
    expect(ws.version(criterion, 'latest').id).toBe(v3.id);
    // a run of "latest" judges v3, never the candidate
    const planned = (await api('POST', `/criteria/${criterion.id}/runs/cost-preview`, { version: 'latest', split: 'dev' }));
    expect(planned.status).toBe(200);
    const accepted = await api('POST', `/versions/${candidate.id}/accept`, { by: 'maria' });
    expect(accepted.body).toMatchObject({ id: candidate.id, status: 'accepted', origin: 'optimizer', acceptedBy: 'maria' });
    expect(ws.version(criterion, 'latest').id).toBe(candidate.id);
    // the row itself never changed (immutability trigger untouched)
    expect(() => ws.repos.db.prepare(`UPDATE prompt_versions SET origin = 'human' WHERE id = ?`).run(candidate.id)).toThrow(/immutable/);
  });
});

describe('confirm on test', () => {
  it('needs a finished test run of the version, and says which command to run', async () => {
    const { criterion, addVersion, run, api } = await setup();
    const v1 = addVersion();
    await run(v1, 'dev');
    const r = await api('POST', `/versions/${v1.id}/confirm`, { by: 'maria' });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe(`run v1 on test first: concur run --dataset ds --criterion ${criterion.name} --version 1 --split test`);
    expect((await api('GET', `/criteria/${criterion.id}/publications`)).body.confirmations).toEqual([]);
    expect((await api('POST', `/versions/${v1.id}/confirm`, {})).status).toBe(400);
    expect((await api('POST', `/versions/999/confirm`, { by: 'maria' })).status).toBe(404);
  });

  it('records who, when, the test figures with intervals and the dev peeks; a second confirmation is counted and shown', async () => {
    const { ws, criterion, addVersion, run, api } = await setup();
    const v1 = addVersion();
    await run(v1, 'dev');
    await run(v1, 'dev', { permuteSeed: 3 }); // a consistency rerun is not a peek
    const test1 = await run(v1, 'test');
    const c1 = await api('POST', `/versions/${v1.id}/confirm`, { by: 'maria' });
    expect(c1.status).toBe(201);
    const rep = ws.report(criterion, { runId: test1.id, split: 'test' }).report;
    expect(rep.n).toBeGreaterThan(5);
    expect(c1.body).toMatchObject({ versionNumber: 1, runId: test1.id, split: 'test', sequence: 1, confirmedBy: 'maria', devPeeks: 1 });
    expect(c1.body.figures).toEqual({ n: rep.n, agreement: rep.agreement, kappa: rep.kappa, tpr: rep.tpr, tnr: rep.tnr, excluded: rep.excluded });
    expect(c1.body.confirmedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    const v2 = addVersion('second');
    await run(v2, 'dev');
    const v3 = addVersion('third, peeked only');
    await run(v3, 'dev');
    await run(v2, 'test');
    const c2 = await confirmCommand(ws, { dataset: 'ds', criterion: criterion.name, version: '2', by: 'sam' });
    expect(c2).toMatch(/^confirmed v2 of "correct" on test \(2nd confirmation on this test split\), by sam/);
    expect(c2).toMatch(/dev peeks before it: 3 version\(s\) scored on dev/);

    const report = ws.report(criterion, { runId: test1.id });
    expect(report.governance.confirmations.map((c) => [c.sequence, c.version, c.by, c.devPeeks])).toEqual([[1, 1, 'maria', 1], [2, 2, 'sam', 3]]);
    expect(report.governance.note).toMatch(/^2 confirmations on this test split/);
    const md = reportMarkdown(report);
    expect(md).toContain('## Confirmation on test and publication');
    expect(md).toContain('| 2nd confirmation on this test split | v2 | sam |');
    expect(md).toContain('No version is published.');
    const json = (await api('GET', `/criteria/${criterion.id}/report?run=${test1.id}`)).body;
    expect(json.governance.confirmations).toHaveLength(2);
    // confirmations are a record
    expect(() => ws.repos.db.prepare(`UPDATE confirmations SET confirmed_by = 'x'`).run()).toThrow(/never changed/);
  });

  it('refuses to confirm an optimizer candidate before it is accepted', async () => {
    const { ws, criterion, addVersion, run, api } = await setup();
    const v1 = addVersion();
    const cand = ws.repos.versions.create(criterion.id, { ...v1, examples: [], origin: 'optimizer', parentId: v1.id });
    await run(cand, 'test');
    const r = await api('POST', `/versions/${cand.id}/confirm`, { by: 'maria' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatch(/candidate: accept it first/);
  });
});

describe('publish', () => {
  it('publishes only confirmed versions, one at a time, with history; unpublish ends it', async () => {
    const { ws, criterion, addVersion, run, api } = await setup();
    const v1 = addVersion();
    const v2 = addVersion();
    const unconfirmed = await api('POST', `/versions/${v1.id}/publish`, { by: 'maria' });
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.body.error).toMatch(/^v1 is not confirmed on test; confirm it first: concur confirm --dataset ds --criterion correct --version 1 --by NAME/);
    expect(ws.repos.confirmations.publications(criterion.id)).toEqual([]);

    await run(v1, 'test');
    await run(v2, 'all');
    await api('POST', `/versions/${v1.id}/confirm`, { by: 'maria' });
    await api('POST', `/versions/${v2.id}/confirm`, { by: 'maria' });
    const p1 = await api('POST', `/versions/${v1.id}/publish`, { by: 'maria' });
    expect(p1.status).toBe(201);
    expect(p1.body).toMatchObject({ versionNumber: 1, publishedBy: 'maria', unpublishedAt: null });
    expect(publishCommand(ws, { dataset: 'ds', criterion: 'correct', version: '2', by: 'sam' })).toMatch(/^published v2 of "correct"/);
    const h = (await api('GET', `/criteria/${criterion.id}/publications`)).body;
    expect(h.published).toMatchObject({ versionNumber: 2, publishedBy: 'sam' });
    expect(h.publications.map((p: { versionNumber: number; unpublishedBy: string | null }) => [p.versionNumber, p.unpublishedBy])).toEqual([[1, 'sam'], [2, null]]);
    expect(publicationsCommand(ws, { dataset: 'ds', criterion: 'correct' })).toMatch(/^published: v2/);

    const un = await api('POST', `/criteria/${criterion.id}/unpublish`, { by: 'maria' });
    expect(un.body).toMatchObject({ versionNumber: 2, unpublishedBy: 'maria' });
    expect((await api('GET', `/criteria/${criterion.id}/publications`)).body.published).toBeNull();
    expect((await api('POST', `/criteria/${criterion.id}/unpublish`, { by: 'maria' })).status).toBe(409);
    expect(() => unpublishCommand(ws, { dataset: 'ds', criterion: 'correct', by: 'x' })).toThrow(/has no published version/);
    // the one-active rule holds in SQL too
    ws.repos.confirmations.publish(criterion.id, v1.id, ws.repos.confirmations.latestConfirmationOf(v1.id)!.id, 'a');
    expect(() => ws.repos.db.prepare(`INSERT INTO publications (criterion_id, version_id, confirmation_id, published_by) VALUES (?, ?, ?, 'b')`)
      .run(criterion.id, v2.id, ws.repos.confirmations.latestConfirmationOf(v2.id)!.id)).toThrow(/UNIQUE/);
  });

  it('report and gate name the published version and measure it with its confirming test run', async () => {
    const { ws, criterion, addVersion, run, api } = await setup();
    const v1 = addVersion();
    const v2 = addVersion();
    await run(v1, 'test');
    const test2 = await run(v2, 'test');
    await run(v2, 'dev'); // a later run of the published version does not replace the confirming run
    expect((await api('GET', `/criteria/${criterion.id}/report?version=published`)).status).toBe(404);
    await api('POST', `/versions/${v2.id}/confirm`, { by: 'maria' });
    await api('POST', `/versions/${v2.id}/publish`, { by: 'maria' });

    const rep = (await api('GET', `/criteria/${criterion.id}/report?version=published`)).body;
    expect(rep.run).toMatchObject({ id: test2.id, version: 2 });
    expect(rep.split).toBe('test');
    expect(rep.governance.published).toMatchObject({ version: 2, by: 'maria', confirmation: 1 });
    const gate = (await api('POST', `/criteria/${criterion.id}/gate`, { version: 'published', minAgreement: 0.01 })).body;
    expect(gate).toMatchObject({ run: test2.id, pass: true });
    expect((await api('GET', `/criteria/${criterion.id}/report?version=1`)).body.run.version).toBe(1);

    const r = ws.report(criterion, { versionNumber: parseVersionRef('published') as 'published' });
    expect(r.run.id).toBe(test2.id);
    expect(reportMarkdown(r)).toContain('Published: version 2 (by maria');
    expect(reportHtml(r)).toContain('v2 (published)');
    expect(() => parseVersionRef('v2')).toThrow(/version number, "latest" or "published"/);
  });
});
