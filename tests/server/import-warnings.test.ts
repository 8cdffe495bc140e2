/**
 * Imports say what they changed: invalid UTF-8 replaced by U+FFFD, fields dropped, null
 * dimensions left out, a dimension given twice, a yes/no cell that is neither, the same label
 * twice in one file, CRLF inside a CSV cell — each a warning with its line and field, in the API
 * result (the first 50 plus a count of the rest) and on the CLI's stderr as `file:line: field: message`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../support/app.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { concur } from '../support/cli.ts';
import { MAX_IMPORT_WARNINGS } from '../../server/services/import-warnings.ts';

const INVALID = Buffer.from([0xff, 0xfe]);
const bytes = (...parts: Array<string | Buffer>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));

/** Three items; line 2's output holds two bytes that are not UTF-8. */
const ITEMS = bytes(
  '{"id":"a","input":"hello","output":"fine"}\n',
  '{"id":"b","input":"hello","output":"caf', INVALID, '"}\n',
  '{"id":"c","input":"hi","output":"ok","ouptut":"typo","dimensions":{"lang":null,"tier":"pro"},"dim.tier":"free"}\n',
);

let t: ReturnType<typeof tempWorkspace> | undefined;
let app: FastifyInstance | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.close(); app = undefined;
  t?.cleanup(); t = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true }); dir = undefined;
});

async function setup() {
  t = tempWorkspace();
  app = await buildTestApp({ workspace: t.ws, webRoot: '/nonexistent' });
  return app;
}

describe('POST /api/datasets/import warnings', () => {
  it('reports invalid UTF-8 (line and field), a dropped field, a null dimension and a dimension given twice; stores U+FFFD', async () => {
    const a = await setup();
    const res = await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'w', filename: 'items.jsonl', contentBase64: ITEMS.toString('base64') } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ created: 3, moreWarnings: 0 });
    expect(body.warnings).toEqual([
      { line: 2, field: 'output', message: 'invalid UTF-8 replaced by U+FFFD' },
      { line: 3, field: 'ouptut', message: expect.stringContaining('not a field Concur reads; ignored') },
      { line: 3, field: 'dimensions.lang', message: 'is null; no value stored' },
      { line: 3, field: 'dim.tier', message: 'overrides dimension "tier" = "pro" with "free"' },
    ]);
    const items = new Map(t!.ws.repos.items.all(body.dataset.id).map((i) => [i.externalId, i]));
    expect(items.get('b')!.output).toBe('caf\uFFFD\uFFFD');
    expect(items.get('c')!.dimensions.tier).toBe('free');
  });

  it('lists the first 50 warnings and counts the rest', async () => {
    const a = await setup();
    const lines: Buffer[] = [];
    for (let i = 0; i < MAX_IMPORT_WARNINGS + 10; i++) lines.push(bytes(`{"id":"x${i}","input":"i","output":"`, INVALID, '"}\n'));
    const res = await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'many', filename: 'm.jsonl', contentBase64: Buffer.concat(lines).toString('base64') } });
    expect(res.statusCode).toBe(200);
    expect(res.json().warnings).toHaveLength(50);
    expect(res.json().warnings[49]).toMatchObject({ line: 50, field: 'output' });
    expect(res.json().moreWarnings).toBe(10);
  });

  it('a valid file sent as text has no warnings', async () => {
    const a = await setup();
    const res = await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'ok', filename: 'ok.jsonl', content: '{"id":"a","input":"i","output":"caf\u00e9 \uFFFD kept as written"}\n' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ warnings: [], moreWarnings: 0 });
  });

  it('CSV: CRLF line breaks inside a cell are reported as stored with LF', async () => {
    const a = await setup();
    const res = await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'csv', filename: 'c.csv', content: 'id,input,output\r\na,i,o\r\nb,i,"two\r\nlines"\r\n' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().warnings).toEqual([{ line: 3, field: 'output', message: 'line breaks (CRLF) inside the cell stored as LF' }]);
  });

  it('the preview shows the same warnings before anything is written', async () => {
    const a = await setup();
    const res = await a.inject({ method: 'POST', url: '/api/datasets/preview', payload: { filename: 'items.jsonl', contentBase64: ITEMS.toString('base64') } });
    expect(res.statusCode).toBe(200);
    expect(res.json().warnings.map((w: { line: number; field: string }) => `${w.line}:${w.field}`)).toEqual(['2:output', '3:ouptut', '3:dimensions.lang', '3:dim.tier']);
    expect(t!.ws.repos.datasets.list()).toHaveLength(0);
  });

  it('neither content nor contentBase64 is a 400 naming the field', async () => {
    const a = await setup();
    const res = await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'x', filename: 'x.jsonl' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toContain('content');
  });
});

describe('POST /api/criteria/:id/labels/import warnings', () => {
  it('reports a yes/no cell that is neither and the same label twice in one file', async () => {
    const a = await setup();
    await a.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'd', filename: 'i.jsonl', content: '{"id":"a","input":"i","output":"o"}\n{"id":"b","input":"i","output":"o"}\n' } });
    const ds = t!.ws.repos.datasets.byName('d')!;
    const c = t!.ws.addCriterion(ds.id, { name: 'correct' });
    const labels = [
      '{"id":"a","verdict":"pass","critique":"good"}',
      '{"id":"b","verdict":"fail","critique":"bad","ambiguous":"maybe"}',
      '{"id":"a","verdict":"fail","critique":"on second thought"}',
    ].join('\n');
    const res = await a.inject({ method: 'POST', url: `/api/criteria/${c.id}/labels/import`, payload: { filename: 'l.jsonl', content: labels } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ added: 3, moreWarnings: 0 });
    expect(res.json().warnings).toEqual([
      { line: 2, field: 'ambiguous', message: expect.stringContaining('"maybe" is not yes/no') },
      { line: 3, field: 'id', message: expect.stringContaining('also on line 1') },
    ]);
  });
});

describe('concur import warnings', () => {
  function files() {
    dir = mkdtempSync(join(tmpdir(), 'concur-warn-'));
    return { db: join(dir, 'w.sqlite'), file: (name: string, data: Buffer | string) => { const p = join(dir!, name); writeFileSync(p, data); return p; } };
  }

  it('JSONL (streamed): prints file:line: field: message on stderr and imports with U+FFFD', async () => {
    const { db, file } = files();
    const path = file('items.jsonl', ITEMS);
    const r = await concur(['import', path, '--db', db, '--dataset', 'w']);
    expect(r.stderr).toBe([
      `${path}:2: output: invalid UTF-8 replaced by U+FFFD`,
      `${path}:3: ouptut: is not a field Concur reads; ignored (this line and every later one)`,
      `${path}:3: dimensions.lang: is null; no value stored`,
      `${path}:3: dim.tier: overrides dimension "tier" = "pro" with "free"`,
    ].join('\n') + '\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('imported 3 items');
  });

  it('CSV (whole file): invalid UTF-8 on line 3 names the column; a count follows the first 50', async () => {
    const { db, file } = files();
    const rows: Buffer[] = [Buffer.from('id,input,output\n')];
    for (let i = 0; i < MAX_IMPORT_WARNINGS + 2; i++) rows.push(bytes(`x${i},i,"o`, INVALID, '"\n'));
    const path = file('items.csv', Buffer.concat(rows));
    const r = await concur(['import', path, '--db', db, '--dataset', 'w']);
    expect(r.code).toBe(0);
    const err = r.stderr.trim().split('\n');
    expect(err[0]).toBe(`${path}:2: output: invalid UTF-8 replaced by U+FFFD`);
    expect(err).toHaveLength(51);
    expect(err[50]).toBe(`${path}: 2 more warnings not shown`);
  });

  it('labels import prints its warnings too', async () => {
    const { db, file } = files();
    const items = file('items.jsonl', '{"id":"a","input":"i","output":"o"}\n');
    expect((await concur(['import', items, '--db', db, '--dataset', 'd'])).code).toBe(0);
    expect((await concur(['criteria', 'add', '--db', db, '--dataset', 'd', '--name', 'correct'])).code).toBe(0);
    const labels = file('labels.jsonl', '{"id":"a","verdict":"pass","critique":"x"}\n{"id":"a","verdict":"fail","critique":"y"}\n');
    const r = await concur(['labels', 'import', labels, '--db', db, '--dataset', 'd', '--criterion', 'correct']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${labels}:2: id: "a" by`);
  });
});
