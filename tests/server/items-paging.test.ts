import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../support/app.ts';
import { tempWorkspace } from '../support/workspace.ts';

describe('GET /api/datasets/:id/items', () => {
  let t: ReturnType<typeof tempWorkspace>;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = tempWorkspace();
    t.ws.importItems('d', { name: 'items.jsonl', records: Array.from({ length: 120 }, (_, i) => ({ line: i + 1, fields: { id: `a${i}`, input: i % 3 ? 'hello' : 'Refund please', output: `out ${i}` } })) });
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
});
