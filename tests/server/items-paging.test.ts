import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../support/app.ts';
import { tempWorkspace } from '../support/workspace.ts';

describe('GET /api/datasets/:id/items', () => {
  let t: ReturnType<typeof tempWorkspace>;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = tempWorkspace();
    t.ws.importItems('d', { name: 'items.jsonl', records: Array.from({ length: 120 }, (_, i) => ({ line: i + 1, fields: { id: `a${i}`, input: i % 3 ? 'hello' : 'Refund please', output: `out ${i}`, ...(i % 4 ? { dimensions: { lang: i % 2 ? 'en' : 'de' } } : {}) } })) });
    const c = t.ws.addCriterion('d', { name: 'ok', principalAnnotator: 'maria' });
    // a0..a9 labelled (a0, a1 ambiguous); a10 labelled by someone else only
    for (let i = 0; i < 10; i++) t.ws.saveLabel(c, { itemId: i + 1, verdict: i < 2 ? null : 'pass', critique: `c${i}`, ambiguous: i < 2, expectedId: null });
    t.ws.saveLabel(c, { itemId: 11, annotator: 'tom', verdict: 'fail', critique: 'x', ambiguous: false, expectedId: null });
    app = await buildTestApp({ workspace: t.ws, webRoot: '/nonexistent' });
  });
  afterAll(async () => { await app.close(); t.cleanup(); });

  it('pages without filters in SQL: total, limit and offset', async () => {
    const res = await app.inject({ url: '/api/datasets/1/items?limit=25&offset=100' });
    expect(res.statusCode).toBe(200);
    expect(res.json().total).toBe(120);
    expect(res.json().items.map((i: { externalId: string }) => i.externalId)).toEqual(Array.from({ length: 20 }, (_, k) => `a${100 + k}`));
  });

  it('searches case-insensitively across id, input and output, combined with a split filter', async () => {
    const all = (await app.inject({ url: '/api/datasets/1/items?search=REFUND&limit=500' })).json();
    expect(all.total).toBe(40);
    const dev = (await app.inject({ url: '/api/datasets/1/items?search=refund&split=dev&limit=500' })).json();
    expect(dev.items.every((i: { split: string; input: string }) => i.split === 'dev' && i.input === 'Refund please')).toBe(true);
    expect(dev.total).toBe(dev.items.length);
    expect(dev.total).toBeLessThan(40);
  });

  it('filters by dimension value, label status and search together in one query, with the expert\'s label on each item', async () => {
    const ids = (r: { items: Array<{ externalId: string }> }) => r.items.map((i) => i.externalId);
    const de = (await app.inject({ url: '/api/datasets/1/items?dimension=lang&value=de&limit=500' })).json();
    // lang=de: i % 4 != 0 and i even -> i % 4 == 2
    expect(de.total).toBe(30);
    expect(ids(de).slice(0, 3)).toEqual(['a2', 'a6', 'a10']);
    const none = (await app.inject({ url: '/api/datasets/1/items?dimension=lang&limit=500' })).json();
    expect(none.total).toBe(30); // items without the dimension: i % 4 == 0
    expect(ids(none).slice(0, 2)).toEqual(['a0', 'a4']);
    const labelled = (await app.inject({ url: '/api/datasets/1/items?criterion=1&status=labelled&limit=500' })).json();
    expect(ids(labelled)).toEqual(['a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9']);
    expect(labelled.items[0].label).toMatchObject({ verdict: 'pass', critique: 'c2', annotator: 'maria' });
    const ambiguous = (await app.inject({ url: '/api/datasets/1/items?criterion=1&status=ambiguous' })).json();
    expect(ids(ambiguous)).toEqual(['a0', 'a1']);
    const unlabelled = (await app.inject({ url: '/api/datasets/1/items?criterion=1&status=unlabelled&limit=2' })).json();
    expect(unlabelled.total).toBe(110); // a10 has only another annotator's label
    expect(ids(unlabelled)).toEqual(['a10', 'a11']);
    expect(unlabelled.items[0].label).toBeNull();
    const combined = (await app.inject({ url: '/api/datasets/1/items?criterion=1&status=labelled&dimension=lang&value=de&search=refund' })).json();
    // labelled a2..a9 with lang=de: a2, a6; input "Refund please" when i % 3 == 0: a6
    expect(ids(combined)).toEqual(['a6']);
    expect(combined.total).toBe(1);
  });
});
