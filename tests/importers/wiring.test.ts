import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../server/cli/index.ts';
import { buildTestApp } from '../support/app.ts';
import { tempWorkspace } from '../support/workspace.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/importers');

async function concur(...argv: string[]) {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; });
  try { return { code: await main(argv), out: out.join('\n') }; } finally { log.mockRestore(); err.mockRestore(); write.mockRestore(); }
}

let t: ReturnType<typeof tempWorkspace> | undefined;
afterEach(() => { t?.cleanup(); t = undefined; });

describe('concur import --from and concur export', () => {
  it('imports a promptfoo results file as items and an imported run, then reports on it', async () => {
    t = tempWorkspace();
    const r = await concur('import', join(FIXTURES, 'promptfoo-results.json'), '--from', 'promptfoo', '--dataset', 'pf', '--criterion', 'rubric', '--db', t.path);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/8 items \(8 new\).*run \d+ .* with 8 verdicts \(1 errors\)/);
    const report = await concur('report', '--dataset', 'pf', '--criterion', 'rubric', '--format', 'json', '--db', t.path);
    // the fixture's two manual ratings are the only expert labels; the grader error falls on an unlabelled item
    expect(JSON.parse(report.out)).toMatchObject({ n: 2, judged: 8, excluded: { unlabelled: 6, errors: 0 } });
  });

  it('exports labels as CSV and a fine-tuning JSONL in chat format', async () => {
    t = tempWorkspace();
    expect((await concur('import', join(FIXTURES, 'review-sheet.csv'), '--from', 'sheet', '--dataset', 's', '--criterion', 'c', '--run-name', 'j', '--db', t.path)).code).toBe(0);
    const csv = await concur('export', 'labels', '--dataset', 's', '--criterion', 'c', '--out', join(t.dir, 'labels.csv'), '--db', t.path);
    expect(csv.code).toBe(0);
    expect(readFileSync(join(t.dir, 'labels.csv'), 'utf8').split('\r\n')[0]).toBe('id,input,output,verdict,critique,ambiguous,annotator,split,labelled_at');
    expect((await concur('export', 'finetune', '--dataset', 's', '--criterion', 'c', '--split', 'all', '--out', join(t.dir, 'ft.jsonl'), '--db', t.path)).code).toBe(0);
    const lines = readFileSync(join(t.dir, 'ft.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant']);
      expect(JSON.parse(l.messages[2].content)).toEqual({ critique: expect.any(String), verdict: expect.stringMatching(/^(pass|fail)$/) });
    }
  });
});

describe('POST /api/import/foreign', () => {
  it('imports a chat JSONL, and rejects a malformed one with line and field, importing nothing', async () => {
    t = tempWorkspace();
    const app = await buildTestApp({ workspace: t.ws, webRoot: '/nonexistent' });
    const ok = await app.inject({ method: 'POST', url: '/api/import/foreign', payload: { fileName: 'chat.jsonl', text: readFileSync(join(FIXTURES, 'chat.jsonl'), 'utf8'), dataset: 'chats' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().items.total).toBe(5);
    const bad = await app.inject({ method: 'POST', url: '/api/import/foreign', payload: { fileName: 'bad.jsonl', format: 'chat', text: '{"messages":[{"role":"user","content":"hi"}]}\n{"messages": [', dataset: 'other' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ file: 'bad.jsonl', line: expect.any(Number) });
    expect(t.ws.repos.datasets.list().map((d) => d.name)).toEqual(['chats']);
    const csv = await app.inject({ method: 'GET', url: `/api/criteria/999/export/labels.csv` });
    expect(csv.statusCode).toBe(404);
    await app.close();
  });
});
