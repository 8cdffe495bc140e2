import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/app.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { rowCounts } from '../support/seed.ts';

let t: ReturnType<typeof tempWorkspace> | undefined;
afterEach(() => { t?.cleanup(); t = undefined; });

type Problem = { file: string; line: number | null; field: string | null; message: string };

/** POSTs a foreign file and returns the 400's body; asserts the workspace did not change. */
async function refused(payload: Record<string, unknown>) {
  t = tempWorkspace();
  const app = await buildTestApp({ workspace: t.ws });
  try {
    const before = rowCounts(t.ws.repos.db);
    const res = await app.inject({ method: 'POST', url: '/api/import/foreign', payload });
    expect(res.statusCode).toBe(400);
    expect(rowCounts(t.ws.repos.db)).toEqual(before);
    return res.json() as { error: string; errors: Problem[]; moreErrors: number };
  } finally { await app.close(); }
}

describe('foreign-format imports list every problem of a file (up to 50, with the count of the rest)', () => {
  it('chat JSONL: 70 conversations without a final assistant reply are 50 listed problems and 20 more', async () => {
    const lines = Array.from({ length: 75 }, (_, i) => JSON.stringify(i % 15 === 0
      ? { messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` }] }
      : { messages: [{ role: 'user', content: `q${i}` }] }));
    const body = await refused({ fileName: 'chats.jsonl', text: lines.join('\n') + '\n', format: 'chat', dataset: 'c' });
    expect(body.errors).toHaveLength(50);
    expect(body.moreErrors).toBe(20);
    // every listed problem names its own line (line 1, 16, 31, … are fine) and the field
    const bad = Array.from({ length: 75 }, (_, i) => i + 1).filter((l) => (l - 1) % 15 !== 0);
    expect(body.errors.map((e) => e.line)).toEqual(bad.slice(0, 50));
    expect(body.errors.every((e) => e.file === 'chats.jsonl' && e.field === 'messages' && /no final assistant message/.test(e.message))).toBe(true);
    expect(body.error).toMatch(/^chats\.jsonl:2: field "messages": .* \(and 69 more problems in this file\)$/);
  });

  it('promptfoo: every row without an output or an input is listed with its path', async () => {
    const rows = Array.from({ length: 8 }, (_, k) => (k === 2 || k === 5
      ? { prompt: { raw: `p${k}` }, response: {} }
      : k === 6 ? { response: { output: 'x' } } : { prompt: { raw: `p${k}` }, response: { output: `o${k}` } }));
    const text = JSON.stringify({ evalId: 'e1', results: { results: rows } });
    const body = await refused({ fileName: 'results.json', text, format: 'promptfoo', dataset: 'p' });
    expect(body.errors.map((e) => e.field)).toEqual(['results.results[2].response.output', 'results.results[5].response.output', 'results.results[6].prompt.raw']);
    expect(body.moreErrors).toBe(0);
    expect(body.error).toMatch(/\(and 2 more problems in this file\)$/);
  });

  it('review sheet: every bad expert verdict is listed under the sheet\'s own column name', async () => {
    const rows = ['ID,User Input,AI Response,Expert Pass/Fail'];
    for (let i = 1; i <= 60; i++) rows.push(`r${i},q${i},a${i},${i % 4 === 0 ? 'maybe' : 'pass'}`);
    const body = await refused({ fileName: 'sheet.csv', text: rows.join('\n') + '\n', format: 'sheet', dataset: 's', criterion: 'c' });
    expect(body.errors).toHaveLength(15);
    expect(body.moreErrors).toBe(0);
    // the label importer's field ("verdict") is renamed to the column it came from, for every problem
    expect(body.errors.every((e) => e.field === 'Expert Pass/Fail')).toBe(true);
    expect(body.errors.map((e) => e.line)).toEqual(Array.from({ length: 15 }, (_, k) => 4 * (k + 1) + 1));
  });
});
