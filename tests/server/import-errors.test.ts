import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempWorkspace } from '../support/workspace.ts';
import { jsonl, rowCounts, seed } from '../support/seed.ts';
import { concur } from '../support/cli.ts';
import { buildTestApp } from '../support/app.ts';
import Database from 'better-sqlite3';

let t: ReturnType<typeof tempWorkspace>;
afterEach(() => t?.cleanup());

/** 60 records: every third lacks its output, one id repeats, one line is not JSON. */
function badFile(): { text: string; problems: number } {
  const lines: string[] = [];
  let problems = 0;
  for (let i = 1; i <= 60; i++) {
    if (i === 7) { lines.push('{"id": "r7", "input": "hi", '); problems++; continue; }
    if (i % 3 === 0) { lines.push(JSON.stringify({ id: `r${i}`, input: `q${i}` })); problems++; continue; }
    lines.push(JSON.stringify({ id: i === 40 ? 'r1' : `r${i}`, input: `q${i}`, output: `a${i}` }));
    if (i === 40) problems++;
  }
  return { text: lines.join('\n') + '\n', problems };
}

describe('an import lists every problem of a file', () => {
  it('answers 400 with every problem (file, line, field, message) up to 50 and the count of the rest, and changes nothing', async () => {
    t = tempWorkspace();
    const app = await buildTestApp({ workspace: t.ws });
    try {
      const before = rowCounts(t.ws.repos.db);
      const { text } = badFile();
      // the JSON syntax error stops nothing but itself: it is listed with the field problems
      const res = await app.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'x', content: text, filename: 'bad.jsonl' } });
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.errors[0]).toEqual({ file: 'bad.jsonl', line: 7, field: null, message: expect.stringMatching(/^not valid JSON/) });
      expect(body.errors.length).toBe(1); // a file that does not parse is reported before its records are checked
      // with the syntax error fixed, the record problems: 20 missing outputs and one duplicate id = 21
      const fixed = text.replace('{"id": "r7", "input": "hi", ', JSON.stringify({ id: 'r7', input: 'hi', output: 'ok' }));
      const many = [fixed, ...Array.from({ length: 2 }, (_, k) => fixed.replace(/"id":"r(\d+)"/g, `"id":"c${k}-r$1"`))].join('');
      const res2 = await app.inject({ method: 'POST', url: '/api/datasets/import', payload: { name: 'x', content: many, filename: 'bad.jsonl' } });
      expect(res2.statusCode).toBe(400);
      const b2 = res2.json();
      // three copies: 3 × 20 missing outputs + 3 duplicate ids = 63 problems; 50 listed, 13 counted
      expect(b2.errors).toHaveLength(50);
      expect(b2.moreErrors).toBe(13);
      expect(b2.errors[0]).toEqual({ file: 'bad.jsonl', line: 3, field: 'output', message: 'is missing or empty' });
      expect(b2.errors.find((e: { line: number }) => e.line === 40)).toEqual({ file: 'bad.jsonl', line: 40, field: 'id', message: 'duplicate id "r1" (also on line 1)' });
      expect(b2.error).toBe('bad.jsonl:3: field "output": is missing or empty (and 62 more problems in this file)');
      expect(rowCounts(t.ws.repos.db)).toEqual(before);

      // the preview lists them too
      const preview = await app.inject({ method: 'POST', url: '/api/datasets/preview', payload: { content: fixed, filename: 'bad.jsonl' } });
      expect(preview.statusCode).toBe(200);
      expect(preview.json().error.errors).toHaveLength(21);
      expect(preview.json().error.moreErrors).toBe(0);
    } finally { await app.close(); }
  });

  it('labels: every bad row, and the CLI (the real executable) prints them one a line', async () => {
    t = tempWorkspace();
    seed(t.ws, [{ id: 'a' }, { id: 'b' }], { principal: 'maria' });
    const file = jsonl([{ id: 'a', verdict: 'pass' }, { id: 'nope', verdict: 'pass' }, { id: 'b', verdict: 'maybe' }]);
    const dir = mkdtempSync(join(tmpdir(), 'concur-imperr-'));
    try {
      const path = join(dir, 'labels.jsonl');
      writeFileSync(path, file);
      t.ws.repos.db.close();
      const r = await concur(['labels', 'import', path, '--dataset', 'ds', '--criterion', 'correct', '--db', t.path]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toBe(`concur: ${path}:2: field "id": no item "nope" in this dataset (and 1 more problem in this file)`);
      expect(lines[1]).toBe(`  ${path}:3: field "verdict": "maybe" is not a verdict: expected pass or fail (also 1/0, true/false)`);
      expect(lines).toHaveLength(2);
      const db = new Database(t.path, { readonly: true });
      try { expect(db.prepare('SELECT count(*) AS n FROM labels').get()).toEqual({ n: 0 }); } finally { db.close(); }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('split shares at import', () => {
  const file = jsonl(Array.from({ length: 200 }, (_, i) => ({ id: `i${i}`, input: `q${i}`, output: `a${i}` })));

  it('sets them when the import creates the dataset, refuses bad or different ones, and changes nothing then', async () => {
    t = tempWorkspace();
    const app = await buildTestApp({ workspace: t.ws });
    try {
      const post = (payload: object) => app.inject({ method: 'POST', url: '/api/datasets/import', payload: { content: file, filename: 'x.jsonl', ...payload } });
      const bad = await post({ name: 'd', splits: { train: 10, dev: 10, test: 10 } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ field: 'splits', error: 'splits: train + dev + test must add up to 100 (got 10 + 10 + 10 = 30)' });
      expect(t.ws.repos.datasets.byName('d')).toBeUndefined();
      const ok = await post({ name: 'd', splits: { train: 0, dev: 100, test: 0 } });
      expect(ok.statusCode).toBe(200);
      expect(t.ws.dataset('d').splits).toEqual({ train: 0, dev: 100, test: 0 });
      expect(new Set(t.ws.repos.items.all(t.ws.dataset('d').id).map((i) => i.split))).toEqual(new Set(['dev']));
      const before = rowCounts(t.ws.repos.db);
      const other = await post({ name: 'd', splits: { train: 20, dev: 50, test: 30 } });
      expect(other.statusCode).toBe(400);
      expect(other.json().error).toContain('dataset "d" exists with train/dev/test 0/100/0');
      expect(rowCounts(t.ws.repos.db)).toEqual(before);
      // without shares: the default for a new dataset
      expect((await post({ name: 'e' })).statusCode).toBe(200);
      expect(t.ws.dataset('e').splits).toEqual({ train: 20, dev: 50, test: 30 });
    } finally { await app.close(); }
  });

  it('concur import --splits (the real executable), streamed JSONL', async () => {
    t = tempWorkspace();
    t.ws.repos.db.close();
    const dir = mkdtempSync(join(tmpdir(), 'concur-splits-'));
    try {
      const path = join(dir, 'items.jsonl');
      writeFileSync(path, file);
      const bad = await concur(['import', path, '--dataset', 'd', '--splits', '50/50', '--db', t.path]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe('concur: --splits: "50/50" is not train/dev/test percents such as 20/50/30\n');
      const ok = await concur(['import', path, '--dataset', 'd', '--splits', '50/25/25', '--db', t.path]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      const db = new Database(t.path, { readonly: true });
      try { expect(db.prepare("SELECT split_train, split_dev, split_test FROM datasets WHERE name = 'd'").get()).toEqual({ split_train: 50, split_dev: 25, split_test: 25 }); } finally { db.close(); }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
