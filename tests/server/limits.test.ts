/** Limits on what a request or an import may hold: nesting depth, integer size, rate limits a timer can wait for. */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../support/app.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { TEMPLATE, rowCounts, seed } from '../support/seed.ts';
import { concur } from '../support/cli.ts';

const DEPTH = 50_000;
const deep = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

let t: ReturnType<typeof tempWorkspace> | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; t?.cleanup(); t = undefined; });

async function setup() {
  t = tempWorkspace();
  const s = seed(t.ws, [{ id: 'a', verdict: 'pass' }]);
  app = await buildTestApp({ workspace: t.ws, webRoot: '/nonexistent' });
  return { app, ...s };
}

describe('deeply nested JSON', () => {
  it.each([
    ['JSONL, context as an object', 'd.jsonl', `{"id":"x","input":"i","output":"o","context":${deep(DEPTH)}}\n`, 1, 'context'],
    ['JSON array, another field', 'd.json', `[\n{"id":"x","input":"i","output":"o","extra":${deep(DEPTH)}}\n]`, 2, 'extra'],
    ['CSV, context as a JSON string', 'd.csv', `id,input,output,context\nx,i,o,"${deep(DEPTH).replace(/"/g, '""')}"\n`, 2, 'context'],
  ])('%s: 400 naming the line and the field, nothing written', async (_name, filename, content, line, field) => {
    const { app: a } = await setup();
    const before = rowCounts(t!.ws.repos.db);
    for (const url of ['/api/datasets/import', '/api/datasets/preview']) {
      const r = await a.inject({ method: 'POST', url, payload: { name: 'deep', filename, content } });
      // the preview reports a record's problem in its answer (200, ok: false); a file it cannot read is a 400 like the import
      const problem = r.statusCode === 200 && url.endsWith('preview') ? r.json().error : { ...r.json(), message: r.json().error };
      expect([200, 400], r.body.slice(0, 300)).toContain(r.statusCode);
      if (url.endsWith('import')) expect(r.statusCode).toBe(400);
      expect(problem).toMatchObject({ line, field });
      expect(problem.message).toMatch(/more than 64 levels deep/);
    }
    expect(rowCounts(t!.ws.repos.db)).toEqual(before);
  });

  it('a context 64 levels deep still imports', async () => {
    const { app: a } = await setup();
    const r = await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'ok', filename: 'ok.jsonl', content: `{"id":"x","input":"i","output":"o","context":${deep(63)}}` } });
    expect(r.statusCode, r.body).toBe(200);
  });

  it('concur import prints one line and exits 2', async () => {
    t = tempWorkspace();
    const file = join(t.dir, 'deep.jsonl');
    writeFileSync(file, `{"id":"x","input":"i","output":"o","context":${deep(DEPTH)}}\n`);
    const r = await concur(['import', file, '--dataset', 'deep', '--db', t.path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`concur: ${file}:1: field "context": nests objects or arrays more than 64 levels deep`]);
  });
});

describe('integers beyond Number.MAX_SAFE_INTEGER', () => {
  it.each([
    '/api/datasets/1/items?offset=99999999999999999999',
    '/api/datasets/99999999999999999999',
    '/api/criteria/1/report?run=99999999999999999999',
    '/api/criteria/1/compare?a=1&b=99999999999999999999',
    '/api/criteria/1/corrected-pass-rate?version=99999999999999999999',
  ])('GET %s → 400', async (url) => {
    const { app: a } = await setup();
    const r = await a.inject({ method: 'GET', url });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().error).toMatch(/must be <= 9007199254740991/);
  });
});

describe('rate limits a timer can wait for', () => {
  it('POST /api/criteria/:id/runs refuses an rpm or tpm below 0.001 per minute', async () => {
    const { app: a, criterion } = await setup();
    for (const payload of [{ version: 'latest', rpm: 1e-9 }, { version: 'latest', tpm: 0.0001 }]) {
      const r = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().field).toMatch(/rpm|tpm/);
    }
  });

  it('concur run --rpm 1e-9 prints one line naming the flag and exits 2', async () => {
    t = tempWorkspace();
    const { criterion } = seed(t.ws, [{ id: 'a', verdict: 'pass' }]);
    t.ws.addVersion(criterion, { template: TEMPLATE, model: 'm', baseUrl: 'http://127.0.0.1:9/v1' });
    const r = await concur(['run', '--dataset', 'ds', '--criterion', 'correct', '--rpm', '1e-9', '--db', t.path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['concur: --rpm must be at least 0.001 per minute (one per 1,000 minutes), got 1e-9']);
  });
});
