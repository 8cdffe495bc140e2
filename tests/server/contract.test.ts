/**
 * The HTTP contract: every route's JSON response has a schema in shared/api, and what the
 * handler returns fits that schema exactly. Fastify serializes with the schema
 * (fast-json-stringify), which silently drops a field the schema lacks, so the body a client
 * receives cannot show the drift: this test checks the handler's payload before serialization
 * (a preSerialization hook) against the schema made strict (additionalProperties: false on every
 * object), on a seeded workspace, for every registered route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import Type from 'typebox';
import { buildTestApp } from '../support/app.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { judgeWorkspace } from '../judge/helpers.ts';
import { jsonl } from '../support/seed.ts';
import type { Run } from '../../shared/types.ts';

interface Violation { route: string; status: number; problem: string }

/** A copy of the schema where every object schema without its own rule refuses unknown properties. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'properties' || k === 'patternProperties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)])) : strict(v);
  if ((out.type === 'object' || out.properties) && out.additionalProperties === undefined && !out.patternProperties) out.additionalProperties = false;
  return out;
}

/** True when some object in the schema lets any field through (an `AnyObject`-style schema). */
const isOpen = (schema: unknown): boolean =>
  !!schema && typeof schema === 'object' && (('additionalProperties' in schema && (schema as { additionalProperties: unknown }).additionalProperties === true) || Object.values(schema).some(isOpen));

/**
 * Records every response whose pre-serialization payload does not fit its route's schema for the
 * status sent (or that has no schema, or an open one); `seen` collects "METHOD /pattern" of every call.
 */
function installContractCheck(app: FastifyInstance, violations: Violation[], seen: Set<string>): void {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const compiled = new WeakMap<object, ValidateFunction>();
  app.addHook('onResponse', async (req) => { if (req.routeOptions.url) seen.add(`${req.method} ${req.routeOptions.url}`); });
  app.addHook('preSerialization', async (req, reply, payload) => {
    const route = `${req.method} ${req.routeOptions.url}`;
    const status = reply.statusCode;
    if (status >= 400) return payload; // error bodies come from the one error handler
    const responses = (req.routeOptions.schema?.response ?? {}) as Record<string, object>;
    const schema = responses[status] ?? responses[String(status)];
    if (!schema) { violations.push({ route, status, problem: 'no response schema for this status' }); return payload; }
    if (isOpen(schema)) { violations.push({ route, status, problem: 'the schema lets any field through' }); return payload; }
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(strict(schema) as object)));
    // JSON round trip: what the serializer would see as JSON (Dates, undefined members)
    if (!validate(JSON.parse(JSON.stringify(payload)))) violations.push({ route, status, problem: ajv.errorsText(validate.errors, { separator: '; ' }) });
    return payload;
  });
}

/** "METHOD /pattern" of every route, from Fastify's own route table. */
function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^(.*?)[└├]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (depth ? stack[depth - 1] : '') + m[2]!;
    stack.push(path);
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes.filter((r) => r.includes(' /api/')).sort();
}

/** Routes with no JSON response to check, and why. */
const NOT_JSON = new Map([
  ['GET /api/runs/:id/events', 'server-sent events (RunProgressSchema types each event)'],
  ['GET /api/optimizations/:id/events', 'server-sent events (OptimizerProgress)'],
  ['GET /api/tasks/:id/events', 'server-sent events (TaskSchema types each event)'],
  ['GET /api/criteria/:id/export/labels.csv', 'CSV text'],
  ['GET /api/criteria/:id/export/finetune.jsonl', 'JSONL text'],
]);
/** Routes still typed with AnyObject, and why. */
const OPEN_FOR_NOW = new Map<string, string>();

describe('the HTTP contract', () => {
  it('catches a handler that returns a field its response schema lacks (which the serializer would drop)', async () => {
    const app = Fastify();
    const violations: Violation[] = [], seen = new Set<string>();
    installContractCheck(app, violations, seen);
    app.get('/drift', { schema: { response: { 200: Type.Object({ a: Type.Integer(), inner: Type.Object({ b: Type.String() }) }) } } }, async () => ({ a: 1, inner: { b: 'x', extra: true } }));
    app.get('/fits', { schema: { response: { 200: Type.Object({ a: Type.Integer() }) } } }, async () => ({ a: 1 }));
    app.get('/open', { schema: { response: { 200: Type.Object({}, { additionalProperties: true }) } } }, async () => ({ anything: 1 }));
    const drift = await app.inject({ url: '/drift' });
    expect(drift.json()).toEqual({ a: 1, inner: { b: 'x' } }); // the client never sees `extra`
    await app.inject({ url: '/fits' });
    await app.inject({ url: '/open' });
    expect(violations.map((v) => [v.route, v.problem])).toEqual([
      ['GET /drift', expect.stringMatching(/must NOT have additional properties/)],
      ['GET /open', 'the schema lets any field through'],
    ]);
    await app.close();
  });

  describe('on a seeded workspace', () => {
    let fake: FakeOpenAI;
    let app: FastifyInstance;
    let s: ReturnType<typeof judgeWorkspace>;
    const violations: Violation[] = [];
    const seen = new Set<string>();
    const statuses = new Map<string, number>();

    beforeAll(async () => {
      fake = await startFakeOpenAI();
      s = judgeWorkspace({ baseUrl: fake.url, items: 12 });
      app = await buildTestApp({ workspace: s.ws, webRoot: '/nonexistent' });
      installContractCheck(app, violations, seen);
    });
    afterAll(async () => { await app?.close(); await fake?.close(); s?.cleanup(); });

    const finished = (runId: number) => new Promise<Run>((resolve) => {
      const run = s.ws.run(runId);
      if (['done', 'failed', 'cancelled'].includes(run.status) && !s.ws.engine.isActive(runId)) return resolve(run);
      s.ws.engine.on('finished', (r: Run) => { if (r.id === runId) resolve(r); });
    });

    it('every route answers with a body that fits its schema exactly', async () => {
      const c = s.criterion.id, d = s.criterion.datasetId;
      const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
        const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
        statuses.set(`${method} ${url}`, res.statusCode);
        expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 300)}`).toBeLessThan(400);
        return res;
      };
      const items = jsonl([{ id: 'n1', input: 'q', output: 'a', dimensions: { lang: 'en' } }, { id: 'n2', input: 'q2', output: 'b', dimensions: { lang: 'de' } }]);
      await call('GET', '/api/health');
      await call('GET', '/api/config');
      await call('GET', '/api/prices');
      await call('PUT', '/api/prices', { model: 'm', inputPerMTok: 1, outputPerMTok: 2 });
      await call('POST', '/api/datasets/preview', { content: items, filename: 'n.jsonl' });
      await call('POST', '/api/datasets/preview', { content: '{"id": 1}\n', filename: 'bad.jsonl' });
      await call('POST', '/api/datasets/import', { name: 'other', content: items, filename: 'n.jsonl' });
      await call('GET', '/api/datasets');
      await call('GET', `/api/datasets/${d}`);
      await call('GET', `/api/datasets/${d}/items?limit=5`);
      await call('GET', `/api/datasets/${d}/items?criterion=${c}&status=labelled&limit=5`);
      await call('GET', `/api/items/1`);
      await call('GET', `/api/datasets/${d}/criteria`);
      await call('POST', `/api/datasets/${d}/criteria`, { name: 'second', scale: 'ordinal', levels: 5, passAt: 4 });
      await call('GET', `/api/criteria/${c}`);
      await call('GET', `/api/criteria/${c}/queue`);
      await call('POST', `/api/criteria/${c}/labels`, { itemId: 1, verdict: 'fail', critique: 'second look', annotator: 'tom', expectedId: null });
      await call('GET', `/api/criteria/${c}/labels`);
      await call('GET', `/api/criteria/${c}/items/1/labels`);
      await call('POST', `/api/criteria/${c}/labels/import`, { content: jsonl([{ id: 'item-2', verdict: 'pass', critique: 'ok' }]), filename: 'l.jsonl', annotator: 'ann' });
      await call('GET', `/api/criteria/${c}/labels/export`);
      // (re)making the principal, who has labels, the principal: the criterion comes back unchanged
      await call('POST', `/api/criteria/${c}/principal`, { annotator: s.criterion.principalAnnotator });
      await call('POST', `/api/criteria/${c}/root-causes`, { itemId: 1, tag: 'too short' });
      await call('POST', `/api/criteria/${c}/root-causes`, { itemId: 2, tag: 'off topic' });
      await call('DELETE', `/api/criteria/${c}/root-causes`, { itemId: 2, tag: 'off topic' });
      await call('GET', `/api/criteria/${c}/root-causes`);
      await call('GET', `/api/criteria/${c}/error-analysis`);
      await call('GET', `/api/criteria/${c}/versions`);
      const v = (await call('POST', `/api/criteria/${c}/versions`, { template: 'Judge {{input}} -> {{output}}', model: 'judge-2', baseUrl: fake.url, apiKeyEnv: 'TEST_KEY' })).json();
      await call('GET', `/api/versions/${v.id}`);
      // endpoint profiles (the version above found or created one for its base URL)
      const profile = (await call('POST', '/api/profiles', { name: 'stand-in', baseUrl: fake.url, apiKeyEnv: 'none', model: 'judge-2', rpm: 6000 })).json();
      await call('GET', '/api/profiles');
      await call('GET', `/api/profiles/${profile.id}`);
      await call('PUT', `/api/profiles/${profile.id}`, { tpm: 1_000_000 });
      await call('POST', `/api/profiles/${profile.id}/test`, {});
      const spare = (await call('POST', '/api/profiles', { name: 'spare', baseUrl: fake.url, apiKeyEnv: 'none' })).json();
      await call('DELETE', `/api/profiles/${spare.id}`);
      await call('POST', `/api/criteria/${c}/preview`, { template: 'Judge {{input}} {{nope}}', itemId: 1 });
      await call('POST', `/api/criteria/${c}/runs/cost-preview`, { version: 'latest', split: 'all' });
      const run = (await call('POST', `/api/criteria/${c}/runs`, { version: 'latest', split: 'all' })).json();
      await finished(run.id);
      const test = (await call('POST', `/api/criteria/${c}/runs`, { version: 'latest', split: 'test' })).json();
      await finished(test.id);
      const traffic = (await call('POST', `/api/criteria/${c}/runs`, { version: 'latest', on: 'other' })).json();
      await finished(traffic.id);
      const imported = (await call('POST', `/api/criteria/${c}/runs/import`, { name: 'their judge', content: jsonl([{ id: 'item-0', verdict: 'fail' }, { id: 'item-1', verdict: 'pass' }]), filename: 'r.jsonl' })).json();
      await call('GET', `/api/criteria/${c}/runs`);
      await call('GET', `/api/runs/${run.id}`);
      await call('POST', `/api/runs/${run.id}/cancel`);
      await call('GET', `/api/runs/${run.id}/judgments`);
      await call('GET', `/api/criteria/${c}/report?run=${run.id}&split=all`);
      await call('GET', `/api/criteria/${c}/report?run=${run.id}&split=all&outcomes=true`);
      await call('GET', `/api/criteria/${c}/report?run=${imported.id}&split=all&outcomes=true`);
      await call('POST', `/api/criteria/${c}/gate`, { run: run.id, split: 'all', minAgreement: 0.5 });
      await call('GET', `/api/criteria/${c}/compare?a=${run.id}&b=${imported.id}&split=all`);
      await call('GET', `/api/criteria/${c}/corrected-pass-rate?version=${v.number}&on=other`);
      await call('GET', `/api/criteria/${c}/dashboard`);
      await call('POST', '/api/import/foreign', { fileName: 'sheet.csv', text: 'id,input,output,verdict,critique\ns1,q,a,pass,fine\n', dataset: 'sheet', criterion: 'ok', format: 'sheet' });
      // failure modes, confirmation and publication (the Converge screen)
      const labels = s.ws.repos.labels.currentByItem(c, s.criterion.principalAnnotator);
      const failing = s.ws.repos.items.all(d).find((i) => i.split !== 'test' && labels.get(i.id)?.verdict === 'fail')!;
      // a disagreement of the first run (the stand-in says pass; the expert said fail) kept as "judge wrong"
      await call('POST', `/api/criteria/${c}/judge-wrong`, { runId: run.id, itemId: failing.id });
      await call('GET', `/api/criteria/${c}/judge-wrong?run=${run.id}`);
      await call('POST', `/api/criteria/${c}/items/${failing.id}/failure-tags`, { tag: 'wrong amount' });
      await call('POST', `/api/criteria/${c}/items/${failing.id}/failure-tags`, { tag: 'tone' });
      await call('DELETE', `/api/criteria/${c}/items/${failing.id}/failure-tags`, { tag: 'tone' });
      await call('GET', `/api/criteria/${c}/items/${failing.id}/failure-tags`);
      await call('GET', `/api/criteria/${c}/failure-tags`);
      const proposal = (await call('POST', `/api/criteria/${c}/failure-modes/group`, { by: 'maria' })).json();
      const accepted = (await call('POST', `/api/criteria/${c}/failure-modes`, { by: 'maria', modes: proposal.modes })).json();
      await call('GET', `/api/criteria/${c}/failure-modes`);
      await call('GET', `/api/criteria/${c}/failure-modes/rates`);
      await call('GET', `/api/failure-modes/${accepted[0].id}`);
      const specialised = (await call('POST', `/api/failure-modes/${accepted[0].id}/criterion`, {})).json();
      await call('GET', `/api/criteria/${specialised.criterion.id}/suggested-labels`);
      await call('POST', `/api/criteria/${specialised.criterion.id}/items/${failing.id}/suggested-label/confirm`, { expectedId: null });
      const base = s.ws.version(s.criterion, 'latest');
      const candidate = s.ws.repos.versions.create(c, { ...base, examples: [], origin: 'optimizer', strategy: 'rewrite', rationale: 'because', parentId: base.id });
      await call('POST', `/api/versions/${candidate.id}/accept`, { by: 'maria' });
      const tested = (await call('POST', `/api/criteria/${c}/runs`, { version: 'latest', split: 'test' })).json();
      await finished(tested.id);
      await call('POST', `/api/versions/${candidate.id}/confirm`, { by: 'maria' });
      await call('POST', `/api/versions/${candidate.id}/publish`, { by: 'maria' });
      await call('GET', `/api/criteria/${c}/publications`);
      await call('POST', `/api/criteria/${c}/unpublish`, { by: 'maria' });
      // the optimizer (few-shot only: the default fake answers as a judge, not as a proposer)
      const opt = { fromVersion: 1, strategies: ['fewshot'], candidates: 2 };
      await call('POST', `/api/criteria/${c}/optimizations/cost-preview`, opt);
      const started = (await call('POST', `/api/criteria/${c}/optimizations`, opt)).json();
      while (['queued', 'running'].includes(s.ws.repos.optimizations.get(started.id)!.status)) await new Promise((r) => setTimeout(r, 20));
      await call('GET', `/api/optimizations/${started.id}`);
      await call('GET', `/api/criteria/${c}/optimizations`);
      await call('POST', `/api/optimizations/${started.id}/cancel`);
      // engine tasks (the grouping and the optimizer's calls above) and the record of every call
      // (a task recorded as another process's, queued: the calls above needed no model task)
      s.ws.repos.tasks.create({ kind: 'propose', criterionId: c, inputs: { criterion: { name: 'x' } }, settings: { model: 'm', baseUrl: fake.url, apiKeyEnv: 'TEST_KEY', temperature: null, maxTokens: null, seed: null }, baseUrl: fake.url, model: 'm', owner: 'elsewhere:1' });
      await call('GET', '/api/tasks');
      const tasks = (await call('GET', `/api/tasks?criterion=${c}`)).json();
      expect(tasks.length).toBe(1);
      await call('GET', `/api/tasks/${tasks[0].id}`);
      await call('GET', `/api/tasks/${tasks[0].id}/calls`);
      await call('POST', `/api/tasks/${tasks[0].id}/cancel`);
      await call('GET', `/api/runs/${run.id}/calls?limit=5`);
      for (const route of NOT_JSON.keys()) seen.add(route);

      expect(violations.filter((x) => !OPEN_FOR_NOW.has(x.route))).toEqual([]);
      expect(registeredRoutes(app).length).toBeGreaterThan(40);
      expect(registeredRoutes(app).filter((r) => !seen.has(r)), 'routes this test never called').toEqual([]);
    });
  });
});
