import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importItemsFromJsonl } from '../../server/services/stream-import.ts';
import { InputError } from '../../server/services/records.ts';
import { tempWorkspace, parseRecords } from '../support/workspace.ts';

const cleanups: Array<() => void> = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

function setup() {
  const t = tempWorkspace();
  cleanups.push(t.cleanup);
  const file = (name: string, text: string) => { const p = join(t.dir, name); writeFileSync(p, text); return p; };
  return { ...t, file };
}

const line = (o: Record<string, unknown>) => JSON.stringify(o);

describe('importItemsFromJsonl (streaming import)', () => {
  it('imports like the whole-file import: same items, same splits; BOM, CRLF, blank lines and a missing final newline are fine', async () => {
    const t = setup();
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, input: `in ${i} ✓ 日本`, output: `out ${i}`, dimensions: { lang: i % 2 ? 'de' : 'en' } }));
    const text = '\ufeff' + rows.map(line).join('\r\n') + '\r\n\r\n' + line({ id: 'last', input: 'x', output: 'y' });
    const r = importItemsFromJsonl(t.ws.repos, 'streamed', t.file('items.jsonl', text), { chunkBytes: 7 }); // tiny chunks split characters
    expect(r).toMatchObject({ created: 51, updated: 0, total: 51 });
    const whole = t.ws.importItems('whole', { name: 'items.jsonl', records: parseRecords(text, 'jsonl', 'items.jsonl') });
    const strip = (d: string) => t.ws.repos.items.all(t.ws.dataset(d).id).map(({ id: _id, datasetId: _ds, ...rest }) => rest);
    expect(whole.total).toBe(51);
    expect(strip('streamed')).toEqual(strip('whole'));
  });

  it('updates items on re-import by id, never duplicates them', () => {
    const t = setup();
    importItemsFromJsonl(t.ws.repos, 'd', t.file('a.jsonl', [line({ id: 'a', input: '1', output: '1' }), line({ id: 'b', input: '2', output: '2' })].join('\n')));
    const r = importItemsFromJsonl(t.ws.repos, 'd', t.file('b.jsonl', [line({ id: 'a', input: '1', output: 'changed' }), line({ id: 'c', input: '3', output: '3' })].join('\n')));
    expect(r).toMatchObject({ created: 1, updated: 1, total: 2 });
    expect(r.dataset.items).toBe(3);
    expect(t.ws.repos.items.byExternalId(r.dataset.id, 'a')!.output).toBe('changed');
  });

  for (const [name, lines, message] of [
    ['invalid JSON', [line({ id: 'a', input: '1', output: '1' }), '{"id": "b", "input": '], /bad\.jsonl:2: not valid JSON/],
    ['a non-object line', [line({ id: 'a', input: '1', output: '1' }), '[1, 2]'], /bad\.jsonl:2: expected a JSON object/],
    ['a missing field', [line({ id: 'a', input: '1', output: '1' }), line({ id: 'b', input: '2' })], /bad\.jsonl:2: field "output": is missing or empty/],
    ['a duplicate id', [line({ id: 'a', input: '1', output: '1' }), line({ id: 'b', input: '1', output: '1' }), line({ id: 'a', input: '3', output: '3' })], /bad\.jsonl:3: field "id": duplicate id "a" \(also on line 1\)/],
  ] as const) {
    it(`rejects ${name} naming file, line and field, and changes nothing`, () => {
      const t = setup();
      importItemsFromJsonl(t.ws.repos, 'd', t.file('ok.jsonl', line({ id: 'a', input: 'original', output: 'original' })));
      const bad = t.file('bad.jsonl', lines.join('\n'));
      let error: unknown;
      try { importItemsFromJsonl(t.ws.repos, 'd', bad); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(message);
      expect(t.ws.dataset('d').items).toBe(1);
      expect(t.ws.repos.items.byExternalId(t.ws.dataset('d').id, 'a')!.input).toBe('original');
      // a failed import into a new dataset does not leave the dataset behind either
      expect(() => importItemsFromJsonl(t.ws.repos, 'fresh', bad)).toThrow(InputError);
      expect(t.ws.repos.datasets.byName('fresh')).toBeUndefined();
    });
  }

  it('says so for an empty or missing file', () => {
    const t = setup();
    expect(() => importItemsFromJsonl(t.ws.repos, 'd', t.file('empty.jsonl', '\n\n'))).toThrow(/no records found/);
    expect(() => importItemsFromJsonl(t.ws.repos, 'd', join(t.dir, 'nope.jsonl'))).toThrow(/file not found/);
  });

  it('applies --map and reports progress', () => {
    const t = setup();
    const seen: number[] = [];
    const rows = Array.from({ length: 25 }, (_, i) => line({ key: `k${i}`, q: 'question', a: 'answer' }));
    const r = importItemsFromJsonl(t.ws.repos, 'd', t.file('m.jsonl', rows.join('\n')), { map: { id: 'key', input: 'q', output: 'a' }, progressEvery: 10, onProgress: (n) => seen.push(n) });
    expect(r.total).toBe(25);
    expect(seen).toEqual([10, 20]);
  });
});
