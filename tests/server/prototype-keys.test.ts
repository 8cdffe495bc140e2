/**
 * User data named like Object.prototype's members (a dimension "constructor", a value "keys", an
 * annotator "__proto__", a root-cause tag "toString") must stay data: every route answers, and
 * Object / Object.prototype are untouched afterwards, also after a restart on the same file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../support/app.ts';
import { openWorkspace } from '../../server/db/index.ts';
import { Workspace } from '../../server/services/workspace.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { PROTO_KEYS, protoItemsJsonl, protoLabelsJsonl, protoRunJsonl } from '../support/proto-keys.ts';

const protoNamesBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const objectNamesBefore = Object.getOwnPropertyNames(Object).sort();

/** Object and Object.prototype exactly as they were before the test ran. */
function expectIntactPrototypes() {
  expect(({}).constructor).toBe(Object);
  expect(typeof Object.keys).toBe('function');
  expect(Object.keys({ a: 1 })).toEqual(['a']);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNamesBefore);
  expect(Object.getOwnPropertyNames(Object).sort()).toEqual(objectNamesBefore);
  expect(({} as Record<string, unknown>).keys).toBeUndefined();
}

const t = tempWorkspace();
const apps: FastifyInstance[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
  t.cleanup();
});

interface Ids { dataset: number; criterion: number; items: number[]; runs: number[]; versions: number[] }

async function seedWorkspace(app: FastifyInstance): Promise<Ids> {
  const imp = await app.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'protos', filename: 'protos.jsonl', content: protoItemsJsonl() } });
  expect(imp.statusCode, imp.body).toBe(200);
  const dataset = imp.json().dataset.id as number;
  const crit = await app.inject({ method: 'POST', url: `/api/datasets/${dataset}/criteria`, payload: { name: 'correct', principalAnnotator: 'constructor' } });
  expect(crit.statusCode, crit.body).toBe(201);
  const criterion = crit.json().id as number;
  // labels by annotators named after every prototype key (the principal is "constructor")
  const labels = await app.inject({ method: 'POST', url: `/api/criteria/${criterion}/labels/import`, payload: { filename: 'labels.jsonl', content: protoLabelsJsonl() } });
  expect(labels.statusCode, labels.body).toBe(200);
  const items = (await app.inject({ method: 'GET', url: `/api/datasets/${dataset}/items?limit=500` })).json().items.map((i: { id: number }) => i.id) as number[];
  for (const [n, tag] of PROTO_KEYS.entries()) {
    const r = await app.inject({ method: 'POST', url: `/api/criteria/${criterion}/root-causes`, payload: { itemId: items[n % items.length], tag } });
    expect(r.statusCode, r.body).toBe(201);
  }
  const runs: number[] = [];
  for (const name of ['constructor', '__proto__']) {
    const r = await app.inject({ method: 'POST', url: `/api/criteria/${criterion}/runs/import`, payload: { name, filename: 'run.jsonl', content: protoRunJsonl(name) } });
    expect(r.statusCode, r.body).toBe(201);
    runs.push(r.json().id);
  }
  const version = await app.inject({
    method: 'POST', url: `/api/criteria/${criterion}/versions`,
    payload: { template: '{{input}} {{output}} {{dimensions.constructor}} {{dimensions.__proto__}} {{context.toString}} {{context.nested.valueOf}}', model: 'm', baseUrl: 'http://127.0.0.1:9/v1' },
  });
  expect(version.statusCode, version.body).toBe(201);
  return { dataset, criterion, items, runs, versions: [version.json().id] };
}

/** Every GET the UI and the CLI use, with data-named filters. */
function routes(ids: Ids): string[] {
  const c = `/api/criteria/${ids.criterion}`;
  const enc = encodeURIComponent;
  const urls = [
    '/api/health', '/api/config', '/api/prices', '/api/datasets', `/api/datasets/${ids.dataset}`, `/api/datasets/${ids.dataset}/items`,
    `/api/datasets/${ids.dataset}/items?criterion=${ids.criterion}&status=labelled`, `/api/datasets/${ids.dataset}/criteria`,
    c, `${c}/labels`, `${c}/labels/export`, `${c}/root-causes`, `${c}/versions`, `${c}/runs`, `${c}/dashboard`, `${c}/error-analysis`,
    `${c}/queue`, `${c}/compare?a=${ids.runs[0]}&b=${ids.runs[1]}`, `${c}/export/labels.csv`, `${c}/export/finetune.jsonl?split=all`,
    ...ids.versions.map((v) => `/api/versions/${v}`),
    ...ids.items.map((i) => `/api/items/${i}`), ...ids.items.slice(0, 3).map((i) => `${c}/items/${i}/labels`),
    ...ids.runs.flatMap((r) => [`/api/runs/${r}`, `/api/runs/${r}/judgments`, `/api/runs/${r}/events`,
      ...['json', 'md', 'html'].map((f) => `${c}/report?run=${r}&split=all&format=${f}&outcomes=true`)]),
  ];
  for (const k of PROTO_KEYS) {
    urls.push(`/api/datasets/${ids.dataset}/items?dimension=${enc(k)}&value=${enc(k)}&criterion=${ids.criterion}`);
    urls.push(`${c}/queue?dimension=${enc(k)}&value=${enc(k)}`);
    urls.push(`${c}/labels?annotator=${enc(k)}`, `${c}/labels/export?annotator=${enc(k)}`, `${c}/export/labels.csv?annotator=${enc(k)}`);
    urls.push(`${c}/report?run=${ids.runs[0]}&split=all&annotator=${enc(k)}`);
  }
  return urls;
}

async function walk(app: FastifyInstance, ids: Ids) {
  const failures: string[] = [];
  for (const url of routes(ids)) {
    const r = await app.inject({ method: 'GET', url });
    if (r.statusCode >= 500) failures.push(`${url} → ${r.statusCode} ${r.body.slice(0, 200)}`);
    if (r.statusCode === 200 && /"?undefined"?/.test(String(r.headers['content-type'] ?? '').includes('json') ? r.body : '')) failures.push(`${url}: "undefined" in the body`);
  }
  for (const [url, payload] of [
    [`/api/criteria/${ids.criterion}/preview`, { template: '{{dimensions.constructor}}|{{dimensions.hasOwnProperty}}|{{context.__proto__}}|{{context.nested.constructor}}', itemId: ids.items[0] }],
    [`/api/criteria/${ids.criterion}/gate`, { run: ids.runs[0], minAgreement: 0.5 }],
    [`/api/datasets/preview`, { filename: 'p.jsonl', content: protoItemsJsonl() }],
  ] as const) {
    const r = await app.inject({ method: 'POST', url, payload });
    if (r.statusCode >= 500) failures.push(`POST ${url} → ${r.statusCode} ${r.body.slice(0, 200)}`);
  }
  expect(failures).toEqual([]);
  expectIntactPrototypes();
}

describe('data named like Object.prototype members', () => {
  let ids: Ids;

  it('imports items, labels, tags and runs named after every prototype key and keeps them as data', async () => {
    const app = await buildTestApp({ workspace: t.ws, webRoot: '/nonexistent' });
    apps.push(app);
    ids = await seedWorkspace(app);
    expectIntactPrototypes();
    const d = (await app.inject({ method: 'GET', url: `/api/datasets/${ids.dataset}` })).json();
    const names = d.dimensions.map((x: { name: string }) => x.name).sort();
    expect(names).toEqual([...PROTO_KEYS].sort());
    const ctor = d.dimensions.find((x: { name: string }) => x.name === 'constructor');
    expect(ctor.values).toHaveLength(PROTO_KEYS.length);
    expect(ctor.values.every((v: { count: number }) => v.count === 1)).toBe(true);
    const item = (await app.inject({ method: 'GET', url: `/api/items/${ids.items[0]}` })).json();
    expect(Object.keys(item.dimensions).sort()).toEqual([...PROTO_KEYS].sort());
    expect(Object.prototype.hasOwnProperty.call(item.context, PROTO_KEYS[0])).toBe(true);
    // a dimension filter named "constructor" finds exactly the one item with that value
    const filtered = (await app.inject({ method: 'GET', url: `/api/datasets/${ids.dataset}/items?dimension=constructor&value=keys` })).json();
    expect(filtered.total).toBe(1);
    const preview = (await app.inject({ method: 'POST', url: `/api/criteria/${ids.criterion}/preview`, payload: { template: '[{{dimensions.nope}}][{{context.hasOwnProperty}}][{{context.nested.constructor}}]{{output}}', itemId: ids.items[0] } })).json();
    expect(JSON.stringify(preview)).not.toMatch(/native code|function/);
    // a verdict written "constructor" is not a verdict (not Object's constructor)
    for (const verdict of ['constructor', 'toString', '__proto__']) {
      const bad = await app.inject({ method: 'POST', url: `/api/criteria/${ids.criterion}/labels/import`, payload: { filename: 'l.jsonl', content: JSON.stringify({ id: 'keys', verdict }) } });
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json()).toMatchObject({ field: 'verdict', line: 1 });
    }
  });

  it('answers every route without a server error and leaves Object intact', async () => {
    await walk(apps[0]!, ids);
    const ea = (await apps[0]!.inject({ method: 'GET', url: `/api/criteria/${ids.criterion}/error-analysis` })).json();
    expect(ea.rootCauses.map((r: { tag: string }) => r.tag).sort()).toEqual([...PROTO_KEYS].sort());
    const annot = (await apps[0]!.inject({ method: 'GET', url: `/api/criteria/${ids.criterion}` })).json();
    expect(annot.annotators.map((a: { annotator: string }) => a.annotator).sort()).toEqual([...PROTO_KEYS].sort());
  });

  it('still answers every route after a restart on the same file', async () => {
    await apps[0]!.close();
    apps.length = 0;
    t.ws.repos.db.close();
    const ws = new Workspace(openWorkspace(t.path));
    const app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    apps.push(app);
    await walk(app, ids);
    ws.repos.db.close();
  });
});
