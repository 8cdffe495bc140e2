/** The HTTP API through Fastify's inject(): status codes, validation, limits and the access token. */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { tempWorkspace } from '../support/workspace.ts';
import { TEMPLATE, jsonl, rowCounts, seed, until } from '../support/seed.ts';
import { startFakeOpenAI, verdictFrom, type FakeOpenAI } from '../support/openai-server.ts';
import { buildTestApp } from '../support/app.ts';
import { isLoopback, serve } from '../../server/main.ts';

let t: ReturnType<typeof tempWorkspace> | undefined;
let app: FastifyInstance | undefined;
let server: FakeOpenAI | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await server?.close();
  server = undefined;
  t?.cleanup();
  t = undefined;
});

async function setup(token?: string) {
  t = tempWorkspace({ provider: { baseBackoffMs: 1, maxBackoffMs: 2 } });
  const s = seed(t.ws, [{ id: 'a', verdict: 'pass' }, { id: 'b', verdict: 'fail' }, { id: 'c', verdict: 'pass' }, { id: 'd' }]);
  app = await buildTestApp({ workspace: t.ws, webRoot: '/nonexistent', ...(token ? { token } : {}) });
  return { ws: t.ws, app, ...s };
}

describe('API: 404 for unknown ids', () => {
  it.each([
    ['GET', '/api/datasets/999', 'no dataset #999'],
    ['GET', '/api/datasets/999/items', 'no dataset #999'],
    ['GET', '/api/datasets/999/criteria', 'no dataset #999'],
    ['GET', '/api/criteria/999', 'no criterion #999'],
    ['GET', '/api/criteria/999/labels', 'no criterion #999'],
    ['GET', '/api/criteria/999/report', 'no criterion #999'],
    ['GET', '/api/runs/999', 'no run #999'],
    ['GET', '/api/runs/999/judgments', 'no run #999'],
    ['GET', '/api/versions/999', 'no version #999'],
    ['GET', '/api/items/999', 'no item #999'],
  ])('%s %s', async (method, url, message) => {
    const { app: a } = await setup();
    const r = await a.inject({ method: method as 'GET', url });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ error: message, code: 'not_found' });
  });

  it('404 for an unknown version number, item of a label, or run of a criterion', async () => {
    const { app: a, criterion } = await setup();
    const run = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: 7 } });
    expect(run.statusCode).toBe(404);
    expect(run.json().error).toMatch(/has no version 7/);
    const label = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/labels`, payload: { itemId: 999, verdict: 'pass', critique: '', expectedId: null } });
    expect(label.statusCode).toBe(404);
    expect(label.json()).toEqual({ error: 'no item #999', code: 'not_found' });
    const report = await a.inject({ method: 'GET', url: `/api/criteria/${criterion.id}/report?run=999` });
    expect(report.statusCode).toBe(404);
    const noRun = await a.inject({ method: 'GET', url: `/api/criteria/${criterion.id}/report` });
    expect(noRun.statusCode).toBe(404);
    expect(noRun.json().error).toMatch(/has no finished run yet/);
  });

  it('404 JSON for an unknown API route', async () => {
    const { app: a } = await setup();
    const r = await a.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toMatch(/no route GET \/api\/nothing-here/);
  });
});

describe('API: 400 with the field named for bad bodies', () => {
  it('a missing field', async () => {
    const { app: a, dataset, ws } = await setup();
    const before = rowCounts(ws.repos.db);
    const r = await a.inject({ method: 'POST', url: `/api/datasets/${dataset.id}/criteria`, payload: { description: 'no name' } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ field: 'name' });
    expect(r.json().error).toMatch(/name/);
    const l = await a.inject({ method: 'POST', url: `/api/criteria/1/labels`, payload: { itemId: 1, verdict: 'pass', critique: '' } });
    expect(l.statusCode).toBe(400);
    expect(l.json()).toMatchObject({ field: 'expectedId' });
    expect(rowCounts(ws.repos.db)).toEqual(before);
  });

  it('a field of the wrong type', async () => {
    const { app: a, dataset, criterion } = await setup();
    const r = await a.inject({ method: 'POST', url: `/api/datasets/${dataset.id}/criteria`, payload: { name: 'x', targetAgreement: 'high' } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ field: 'targetAgreement' });
    const l = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/labels`, payload: { itemId: 'first', verdict: 'pass', critique: '', expectedId: null } });
    expect(l.statusCode).toBe(400);
    expect(l.json()).toMatchObject({ field: 'itemId' });
    const v = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/versions`, payload: { template: TEMPLATE, model: 'm', temperature: 'hot' } });
    expect(v.statusCode).toBe(400);
    expect(v.json()).toMatchObject({ field: 'temperature' });
    const run = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: 'newest' } });
    expect(run.statusCode).toBe(400);
    expect(run.json()).toMatchObject({ field: 'version' });
  });

  it('a bad id in the path and malformed JSON', async () => {
    const { app: a } = await setup();
    const id = await a.inject({ method: 'GET', url: '/api/datasets/abc' });
    expect(id.statusCode).toBe(400);
    expect(id.json()).toMatchObject({ field: 'id' });
    const json = await a.inject({ method: 'POST', url: '/api/datasets/1/criteria', headers: { 'content-type': 'application/json' }, payload: '{"name": ' });
    expect(json.statusCode).toBe(400);
  });

  it('a template with an unknown variable names the template field and the line', async () => {
    const { app: a, criterion, ws } = await setup();
    const r = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/versions`, payload: { template: 'x\n{{output}}\n{{answer}}', model: 'm' } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ field: 'template' });
    expect(r.json().error).toMatch(/line 3: unknown variable \{\{answer\}\}/);
    expect(ws.repos.versions.list(criterion.id)).toEqual([]);
  });

  it('an import with a malformed line names file, line and field, and writes nothing', async () => {
    const { app: a, ws } = await setup();
    const before = rowCounts(ws.repos.db);
    const content = jsonl([{ id: 'x1', input: 'i', output: 'o' }]) + '{"id": "x2", "input": "i", "output": o}\n';
    const r = await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'uploaded', filename: 'upload.jsonl', content } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ file: 'upload.jsonl', line: 2, field: null });
    expect(r.json().error).toMatch(/^upload\.jsonl:2: not valid JSON/);
    const missing = await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'uploaded', filename: 'u.csv', content: 'id,input\nq1,hello\n' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ file: 'u.csv', line: 2, field: 'output' });
    expect(rowCounts(ws.repos.db)).toEqual(before);
  });
});

describe('API: body size limits', () => {
  it('answers 413 for a body over 1 MB on a normal route, and writes nothing', async () => {
    const { app: a, dataset, ws } = await setup();
    const before = rowCounts(ws.repos.db);
    const r = await a.inject({ method: 'POST', url: `/api/datasets/${dataset.id}/criteria`, payload: { name: 'big', description: 'x'.repeat(1024 * 1024 + 10) } });
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toBeTruthy();
    expect(rowCounts(ws.repos.db)).toEqual(before);
  });

  it('imports accept more than 1 MB', async () => {
    const { app: a, ws } = await setup();
    const rows = Array.from({ length: 200 }, (_, i) => ({ id: `big-${i}`, input: 'q'.repeat(6000), output: 'a' }));
    const content = jsonl(rows);
    expect(Buffer.byteLength(content)).toBeGreaterThan(1024 * 1024);
    const r = await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'big', filename: 'big.jsonl', content } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ created: 200, total: 200 });
    expect(ws.dataset('big').items).toBe(200);
  });
});

describe('API: access token off loopback', () => {
  it('answers 401 without the token and 200 with Authorization: Bearer', async () => {
    const { app: a } = await setup('secret');
    const none = await a.inject({ method: 'GET', url: '/api/datasets' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatch(/CONCUR_TOKEN/);
    expect((await a.inject({ method: 'GET', url: '/api/datasets', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    expect((await a.inject({ method: 'GET', url: '/api/datasets', headers: { authorization: 'Bearer secretx' } })).statusCode).toBe(401);
    const ok = await a.inject({ method: 'GET', url: '/api/datasets', headers: { authorization: 'Bearer secret' } });
    expect(ok.statusCode).toBe(200);
    expect((ok.json() as Array<{ name: string }>).map((d) => d.name)).toEqual(['ds']);
    // unknown routes and bad requests are not revealed without the token either
    expect((await a.inject({ method: 'GET', url: '/api/nope' })).statusCode).toBe(401);
    expect((await a.inject({ method: 'POST', url: '/api/datasets/1/criteria', payload: {} })).statusCode).toBe(401);
  });

  it('?token= sets an HttpOnly cookie that then works alone', async () => {
    const { app: a } = await setup('secret');
    const first = await a.inject({ method: 'GET', url: '/api/health?token=secret' });
    expect(first.statusCode).toBe(200);
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^concur_token=secret;.*HttpOnly/);
    const next = await a.inject({ method: 'GET', url: '/api/health', headers: { cookie: cookie.split(';')[0]! } });
    expect(next.statusCode).toBe(200);
    expect((await a.inject({ method: 'GET', url: '/api/health', headers: { cookie: 'concur_token=nope' } })).statusCode).toBe(401);
  });

  it('without a token option every request is served (loopback)', async () => {
    const { app: a } = await setup();
    expect((await a.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('serve() refuses a non-loopback host without CONCUR_TOKEN, before touching the workspace', async () => {
    t = tempWorkspace();
    const db = join(t.dir, 'never.sqlite');
    const saved = process.env.CONCUR_TOKEN;
    delete process.env.CONCUR_TOKEN;
    try {
      for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
        await expect(serve({ db, port: 0, host, samples: false })).rejects.toThrow(/refusing to listen on .* without an access token: set CONCUR_TOKEN/);
      }
      expect(existsSync(db)).toBe(false);
    } finally {
      if (saved !== undefined) process.env.CONCUR_TOKEN = saved;
    }
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com'].some(isLoopback)).toBe(false);
  });
});

describe('API: a run from start to report', () => {
  it('POST /api/criteria/:id/runs starts a run (202) that judges, then reports and gates', async () => {
    server = await startFakeOpenAI({ respond: verdictFrom((text) => (text.includes('[item:b]') ? 'fail' : 'pass')) });
    const { app: a, criterion, ws } = await setup();
    const v = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/versions`, payload: { template: TEMPLATE, model: 'gpt-4o-mini', baseUrl: server.url } });
    expect(v.statusCode).toBe(201);
    expect(v.json()).toMatchObject({ number: 1, endpoint: { baseUrl: server.url, configured: true } });
    const started = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: 'latest', split: 'all', concurrency: 2 } });
    expect(started.statusCode).toBe(202);
    const runId = started.json().id as number;
    await until(() => ws.run(runId).status === 'done' && !ws.engine.isActive(runId));
    const run = await a.inject({ method: 'GET', url: `/api/runs/${runId}` });
    expect(run.json()).toMatchObject({ status: 'done', total: 3, done: 3, errors: 0 });
    const judgments = await a.inject({ method: 'GET', url: `/api/runs/${runId}/judgments` });
    expect(judgments.json()).toHaveLength(3);
    const rep = await a.inject({ method: 'GET', url: `/api/criteria/${criterion.id}/report?run=${runId}` });
    expect(rep.statusCode).toBe(200);
    expect(rep.json()).toMatchObject({ n: 3, confusion: { labels: ['pass', 'fail'], matrix: [[2, 0], [0, 1]] }, excluded: { unlabelled: 0, ambiguous: 0, errors: 0, fewShot: 0 } });
    expect(rep.json().agreement.value).toBe(1);
    const gate = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/gate`, payload: { run: runId, minAgreement: 0.9, lowerBound: true } });
    expect(gate.json()).toMatchObject({ pass: false, run: runId, n: 3 });
    expect(gate.json().failures[0]).toMatch(/^agreement lower 95% bound/);
  });

  it('a version without a configured endpoint cannot start a run (400 naming version)', async () => {
    const { app: a, criterion, ws } = await setup();
    const saved = { key: process.env.OPENAI_API_KEY, base: process.env.OPENAI_BASE_URL };
    delete process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_BASE_URL;
    try {
      ws.addVersion(criterion, { template: TEMPLATE, model: 'gpt-4o-mini' });
      const r = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: 1 } });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ field: 'version' });
      expect(r.json().error).toMatch(/no judge endpoint configured/);
      expect(ws.repos.runs.list(criterion.id)).toEqual([]);
    } finally {
      if (saved.key !== undefined) process.env.OPENAI_API_KEY = saved.key;
      if (saved.base !== undefined) process.env.OPENAI_BASE_URL = saved.base;
    }
  });
});
