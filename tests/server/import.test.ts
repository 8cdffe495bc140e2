import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempWorkspace } from '../support/workspace.ts';
import { jsonl, rowCounts, source } from '../support/seed.ts';
import { InputError, parseRecords, readRecordsFromFile } from '../../server/services/records.ts';
import { importItems, parseFieldMap } from '../../server/services/imports.ts';
import { assignSplit } from '../../server/services/splits.ts';
import type { Workspace } from '../../server/services/workspace.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/import/', import.meta.url));
const fixture = (name: string) => ({ name, records: readRecordsFromFile(FIXTURES + name) });

let t: ReturnType<typeof tempWorkspace>;
afterEach(() => t?.cleanup());

function ws(): Workspace {
  t = tempWorkspace();
  return t.ws;
}

/** Runs `fn`, expects an InputError and returns it. */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

describe('import: JSONL', () => {
  it('imports every record with context (object or JSON string), dimensions and output_b', () => {
    const w = ws();
    const r = w.importItems('support', fixture('items.jsonl'));
    expect(r).toMatchObject({ created: 4, updated: 0, total: 4 });
    expect(r.dataset).toMatchObject({ name: 'support', items: 4 });
    const items = new Map(w.repos.items.all(r.dataset.id).map((i) => [i.externalId, i]));
    expect(items.get('j-1')).toMatchObject({
      input: 'How do I reset my password?', output: "Click 'Forgot password' on the login page.", outputB: null,
      context: { plan: 'pro', locale: 'en-GB' }, dimensions: { feature: 'account', persona: 'new-user' },
    });
    // context given as a string holding JSON is stored as the object
    expect(items.get('j-2')!.context).toEqual({ plan: 'free', tickets: 3 });
    // no context → {}; a numeric dimension value is kept as text
    expect(items.get('j-3')).toMatchObject({ context: {}, dimensions: { feature: 'api', tier: '2' } });
    expect(items.get('j-4')).toMatchObject({ output: 'Answer A', outputB: 'Answer B', dimensions: {} });
  });

  it('numbers records by their line in the file, skipping blank lines', () => {
    const recs = readRecordsFromFile(FIXTURES + 'items.jsonl');
    expect(recs.map((r) => r.line)).toEqual([1, 2, 4, 5]);
  });

  it('rejects a malformed JSONL line naming the file and line, and writes nothing', () => {
    const w = ws();
    w.importItems('existing', source('first.jsonl', jsonl([{ id: 'e1', input: 'i', output: 'o' }])));
    const before = rowCounts(w.repos.db);
    const text = [
      JSON.stringify({ id: 'n1', input: 'fine', output: 'fine' }),
      JSON.stringify({ id: 'n2', input: 'fine', output: 'fine' }),
      '{"id": "n3", "input": "broken", "output": ',
      JSON.stringify({ id: 'n4', input: 'fine', output: 'fine' }),
    ].join('\n');
    const err = inputError(() => w.importItems('fresh', source('broken.jsonl', text)));
    expect(err.file).toBe('broken.jsonl');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/^broken\.jsonl:3: not valid JSON/);
    expect(rowCounts(w.repos.db)).toEqual(before);
    expect(w.repos.datasets.byName('fresh')).toBeUndefined();
  });

  it('rejects a line that is JSON but not an object, naming the line', () => {
    const err = inputError(() => source('arr.jsonl', '{"id":"a","input":"i","output":"o"}\n[1, 2]\n'));
    expect(err.message).toBe('arr.jsonl:2: expected a JSON object');
  });

  it('rejects a record missing a required field naming file, line and field, and writes nothing', () => {
    const w = ws();
    w.importItems('support', fixture('items.jsonl'));
    const before = rowCounts(w.repos.db);
    const text = jsonl([
      { id: 'j-1', input: 'changed', output: 'changed' }, // would be an update if the file were valid
      { id: 'm-2', input: 'no output here' },
    ]);
    const err = inputError(() => w.importItems('support', source('missing.jsonl', text)));
    expect(err).toMatchObject({ file: 'missing.jsonl', line: 2, field: 'output' });
    expect(err.message).toBe('missing.jsonl:2: field "output": is missing or empty');
    expect(rowCounts(w.repos.db)).toEqual(before);
    expect(w.repos.items.byExternalId(w.dataset('support').id, 'j-1')!.input).toBe('How do I reset my password?');
  });

  it('accepts an empty output (a model can answer nothing, and that is judged too) but not an absent one', () => {
    const w = ws();
    w.importItems('x', source('empty-out.jsonl', jsonl([{ id: 'e1', input: 'i', output: '' }])));
    expect(w.repos.items.byExternalId(w.dataset('x').id, 'e1')!.output).toBe('');
    const err = inputError(() => w.importItems('x', source('absent.jsonl', jsonl([{ id: 'e2', input: 'i' }]))));
    expect(err).toMatchObject({ line: 1, field: 'output' });
  });

  it('treats an empty or whitespace-only required field as missing', () => {
    const w = ws();
    const err = inputError(() => w.importItems('x', source('blank.jsonl', jsonl([{ id: 'b1', input: '   ', output: 'o' }]))));
    expect(err).toMatchObject({ line: 1, field: 'input' });
  });

  it.each([
    ['a string that is not JSON', 'plan=pro'],
    ['a JSON string holding an array', '[1, 2]'],
    ['an array', ['a', 'b']],
    ['a number', 42],
  ])('rejects context given as %s, naming file, line and the context field, and writes nothing', (_what, context) => {
    const w = ws();
    const before = rowCounts(w.repos.db);
    const text = jsonl([{ id: 'c1', input: 'i', output: 'o' }, { id: 'c2', input: 'i', output: 'o', context }]);
    const err = inputError(() => w.importItems('ctx', source('ctx.jsonl', text)));
    expect(err).toMatchObject({ file: 'ctx.jsonl', line: 2, field: 'context' });
    expect(err.message).toMatch(/^ctx\.jsonl:2: field "context": must be a JSON object/);
    expect(rowCounts(w.repos.db)).toEqual(before);
  });

  it('rejects a nested dimension value naming dimensions.<name>', () => {
    const w = ws();
    const err = inputError(() => w.importItems('d', source('dims.jsonl', jsonl([{ id: 'd1', input: 'i', output: 'o', dimensions: { persona: { a: 1 } } }]))));
    expect(err).toMatchObject({ line: 1, field: 'dimensions.persona' });
  });

  it('rejects a duplicate id within one file, naming both lines', () => {
    const w = ws();
    const text = jsonl([{ id: 'x', input: 'i', output: 'o' }, { id: 'y', input: 'i', output: 'o' }, { id: 'x', input: 'i2', output: 'o2' }]);
    const err = inputError(() => w.importItems('dup', source('dup.jsonl', text)));
    expect(err).toMatchObject({ line: 3, field: 'id' });
    expect(err.message).toContain('also on line 1');
    expect(w.repos.datasets.list()).toEqual([]);
  });

  it('rejects an empty file without creating the dataset', () => {
    const w = ws();
    const err = inputError(() => w.importItems('empty', source('empty.jsonl', '\n\n')));
    expect(err.message).toBe('empty.jsonl: no records found');
    expect(w.repos.datasets.list()).toEqual([]);
  });
});

describe('import: re-import with the same ids', () => {
  it('updates the existing items instead of duplicating them, keeping item ids and splits', () => {
    const w = ws();
    const first = w.importItems('support', fixture('items.jsonl'));
    const before = new Map(w.repos.items.all(first.dataset.id).map((i) => [i.externalId, i]));
    const second = w.importItems('support', source('update.jsonl', jsonl([
      { id: 'j-1', input: 'How do I reset my password?', output: 'A better answer.', dimensions: { feature: 'account' } },
      { id: 'j-9', input: 'New question', output: 'New answer' },
    ])));
    expect(second).toMatchObject({ created: 1, updated: 1, total: 2 });
    expect(second.dataset.items).toBe(5);
    const after = w.repos.items.all(first.dataset.id);
    expect(after).toHaveLength(5);
    expect(new Set(after.map((i) => i.externalId)).size).toBe(5);
    const j1 = after.find((i) => i.externalId === 'j-1')!;
    expect(j1.id).toBe(before.get('j-1')!.id);
    expect(j1.split).toBe(before.get('j-1')!.split);
    expect(j1).toMatchObject({ output: 'A better answer.', dimensions: { feature: 'account' }, context: {} });
    expect(w.repos.db.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: 5 });
  });

  it('keeps labels attached to an item across a re-import', () => {
    const w = ws();
    w.importItems('support', fixture('items.jsonl'));
    const c = w.addCriterion('support', { name: 'helpful' });
    w.importLabels(c, source('l.jsonl', jsonl([{ id: 'j-2', verdict: 'fail', critique: 'no confirmation' }])));
    w.importItems('support', fixture('items.jsonl'));
    const item = w.repos.items.byExternalId(c.datasetId, 'j-2')!;
    expect(w.repos.labels.currentByItem(c.id, 'expert').get(item.id)).toMatchObject({ verdict: 'fail' });
  });
});

describe('import: CSV', () => {
  it('reads quoted multi-line fields, doubled quotes, dim.<name> columns and a JSON context column', () => {
    const w = ws();
    const r = w.importItems('csv', fixture('items.csv'));
    expect(r.total).toBe(3);
    const items = new Map(w.repos.items.all(r.dataset.id).map((i) => [i.externalId, i]));
    expect(items.get('c-1')).toMatchObject({
      input: 'A question\nover two lines, with a comma', output: 'The answer says "hello"', context: {},
      dimensions: { feature: 'billing', persona: 'admin' },
    });
    // an empty dim.<name> cell sets no dimension
    expect(items.get('c-2')).toMatchObject({ output: 'Line one\nline two\nline three', context: { plan: 'pro' }, dimensions: { feature: 'account' } });
    expect(items.get('c-3')!.dimensions).toEqual({ feature: 'api', persona: 'developer' });
  });

  it('numbers each record by the line it starts on, multi-line records included', () => {
    expect(readRecordsFromFile(FIXTURES + 'items.csv').map((r) => r.line)).toEqual([2, 4, 7]);
  });

  it('numbers records correctly in a CRLF file whose quoted fields hold CRLF line breaks', () => {
    // As written by Windows tools: CRLF between records and inside multi-line cells.
    const text = 'id,input,output\r\nr1,"two\r\nlines",o\r\nr2,single,o\r\nr3,"three\r\nline\r\ncell",o\r\nr4,last,o\r\n';
    const recs = parseRecords(text, 'csv', 'win.csv');
    expect(recs.map((r) => [r.fields.id, r.line])).toEqual([['r1', 2], ['r2', 4], ['r3', 5], ['r4', 8]]);
    expect(recs[0]!.fields.input).toBe('two\nlines');
  });

  it('names the right line for a bad record after multi-line records in a CRLF file', () => {
    const w = ws();
    const text = 'id,input,output\r\nr1,"two\r\nlines",o\r\nr2,,"x\r\ny"\r\n';
    const err = inputError(() => w.importItems('win', source('win.csv', text)));
    expect(err).toMatchObject({ file: 'win.csv', line: 4, field: 'input' });
  });

  it('rejects a record with a missing value naming the file, its start line and the field, and writes nothing', () => {
    const w = ws();
    const before = rowCounts(w.repos.db);
    const text = 'id,input,output\nok-1,"multi\nline",fine\nbad-2,,answer\nok-3,q,a\n';
    const err = inputError(() => w.importItems('csv', source('gaps.csv', text)));
    expect(err).toMatchObject({ file: 'gaps.csv', line: 4, field: 'input' });
    expect(rowCounts(w.repos.db)).toEqual(before);
  });

  it('rejects a record with the wrong number of columns, naming its line', () => {
    const err = inputError(() => source('cols.csv', 'id,input,output\na,b,c\nd,e,f,g\n'));
    expect(err.file).toBe('cols.csv');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/^cols\.csv:3: not valid CSV/);
  });

  it('rejects an unterminated quote', () => {
    const err = inputError(() => source('quote.csv', 'id,input,output\na,"never closed,c\nd,e,f\n'));
    expect(err.message).toMatch(/^quote\.csv(:\d+)?: not valid CSV/);
  });

  it('maps other column names with --map field=column (dimensions and context included)', () => {
    const w = ws();
    const map = parseFieldMap(['id=ticket', 'input=question', 'output=answer', 'dim.persona=who', 'context=meta']);
    const r = w.importItems('mapped', fixture('mapped.csv'), map);
    expect(r.total).toBe(2);
    const items = w.repos.items.all(r.dataset.id);
    expect(items.map((i) => i.externalId)).toEqual(['T-100', 'T-101']);
    expect(items[0]).toMatchObject({ input: 'Where is my invoice?', output: 'Under Billing > Invoices.', context: { region: 'eu' }, dimensions: { persona: 'admin' } });
    expect(items[1]).toMatchObject({ context: {}, dimensions: { persona: 'finance' } });
  });

  it('names the source column (and the field it is mapped to) when a mapped column is missing', () => {
    const w = ws();
    const err = inputError(() => w.importItems('mapped', fixture('mapped.csv'), parseFieldMap(['id=ticket', 'input=question', 'output=reply'])));
    expect(err).toMatchObject({ file: 'mapped.csv', line: 2, field: 'reply' });
    expect(err.message).toContain('(mapped to output)');
  });

  it('rejects a --map entry that is not field=column', () => {
    expect(() => parseFieldMap(['input'])).toThrow(/--map.*"input" is not field=column/);
  });
});

describe('import: JSON array', () => {
  it('imports an array of objects, numbering each by the line its element starts on', () => {
    const w = ws();
    const recs = readRecordsFromFile(FIXTURES + 'items.json');
    expect(recs.map((r) => r.line)).toEqual([2, 8, 9]);
    const r = w.importItems('json', fixture('items.json'));
    expect(r.total).toBe(3);
    const items = w.repos.items.all(r.dataset.id);
    expect(items[0]).toMatchObject({ externalId: 'a-1', context: { docs: ['refund policy'] } });
    expect(items[1]).toMatchObject({ externalId: 'a-2', dimensions: { scenario: 'happy' } });
  });

  it('names the line of the element that lacks a field', () => {
    const w = ws();
    const text = '[\n  {"id": "a", "input": "i", "output": "o"},\n  {"id": "b",\n   "input": "i"}\n]\n';
    const err = inputError(() => w.importItems('json', source('arr.json', text)));
    expect(err).toMatchObject({ file: 'arr.json', line: 3, field: 'output' });
  });

  it('numbers the records of an {"items": [...]} document by their own lines too', () => {
    const w = ws();
    const text = '{\n  "meta": [1, {"x": [2]}],\n  "items": [\n    {"id": "a", "input": "i", "output": "o"},\n    {"id": "b",\n     "output": "o"}\n  ],\n  "after": [3]\n}\n';
    expect(parseRecords(text, 'json', 'doc.json').map((r) => r.line)).toEqual([4, 5]);
    const err = inputError(() => w.importItems('json', source('doc.json', text)));
    expect(err).toMatchObject({ file: 'doc.json', line: 5, field: 'input' });
  });

  it('names the line of a syntax error', () => {
    const err = inputError(() => source('syntax.json', '[\n  {"id": "a"},\n  {"id": "b",}\n]\n'));
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/^syntax\.json:3: not valid JSON/);
  });

  it('rejects an element that is not an object, naming its line', () => {
    const err = inputError(() => source('prim.json', '[\n  {"id": "a", "input": "i", "output": "o"},\n  "oops"\n]'));
    expect(err).toMatchObject({ line: 3 });
    expect(err.message).toContain('element 2 is not an object');
  });

  it('rejects a top-level value that is not an array', () => {
    expect(() => source('obj.json', '{"id": "a"}')).toThrow(/obj\.json:1: expected a JSON array/);
  });
});

describe('import: splits', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `item-${String(i).padStart(4, '0')}`);

  it('assigns train/dev/test from a hash of the external id, about 20/50/30 over 1,000 ids', () => {
    const w = ws();
    const r = w.importItems('big', source('big.jsonl', jsonl(ids.map((id) => ({ id, input: `q ${id}`, output: `a ${id}` })))));
    expect(r.total).toBe(1000);
    const counts = { train: 0, dev: 0, test: 0 };
    for (const i of w.repos.items.all(r.dataset.id)) counts[i.split]++;
    // Independently computed (first 4 bytes of SHA-256, big-endian, mod 100; <20 train, <70 dev, else test):
    // /usr/bin/python3 -c "import hashlib, collections; b=lambda i: int.from_bytes(hashlib.sha256(i.encode()).digest()[:4],'big')%100; print(collections.Counter('train' if b(i)<20 else 'dev' if b(i)<70 else 'test' for i in ['item-%04d'%n for n in range(1000)]))"
    //   -> Counter({'dev': 493, 'test': 316, 'train': 191})
    expect(counts).toEqual({ train: 191, dev: 493, test: 316 });
    expect(Math.abs(counts.train - 200)).toBeLessThan(30);
    expect(Math.abs(counts.dev - 500)).toBeLessThan(30);
    expect(Math.abs(counts.test - 300)).toBeLessThan(30);
    // same python: the first six ids
    expect(ids.slice(0, 6).map((id) => w.repos.items.byExternalId(r.dataset.id, id)!.split)).toEqual(['dev', 'test', 'test', 'dev', 'test', 'test']);
  });

  it('gives the same id the same split in another dataset, whatever the order and company', () => {
    const w = ws();
    w.importItems('a', source('a.jsonl', jsonl(ids.map((id) => ({ id, input: 'q', output: 'a' })))));
    const subset = ids.filter((_, i) => i % 3 === 0).reverse();
    const others = Array.from({ length: 50 }, (_, i) => `other-${i}`);
    const mixed = [...others.slice(0, 25), ...subset, ...others.slice(25)];
    w.importItems('b', source('b.jsonl', jsonl(mixed.map((id) => ({ id, input: 'different input', output: 'different output' })))));
    const a = w.dataset('a').id, b = w.dataset('b').id;
    for (const id of subset) expect(w.repos.items.byExternalId(b, id)!.split, id).toBe(w.repos.items.byExternalId(a, id)!.split);
  });

  it('follows the dataset\'s configured percentages', () => {
    const w = ws();
    const src = source('s.jsonl', jsonl(ids.slice(0, 100).map((id) => ({ id, input: 'q', output: 'a' }))));
    const r = importItems(w.repos, 'all-test', src, {}, { train: 0, dev: 0, test: 100 });
    expect(new Set(w.repos.items.all(r.dataset.id).map((i) => i.split))).toEqual(new Set(['test']));
    expect(r.dataset.splits).toEqual({ train: 0, dev: 0, test: 100 });
    expect(assignSplit('item-0000', { train: 100, dev: 0, test: 0 })).toBe('train');
  });
});

describe('import: files on disk', () => {
  it('reads a UTF-8 BOM file and detects the format from the extension', () => {
    const recs = parseRecords('\ufeff' + readFileSync(FIXTURES + 'items.csv', 'utf8'), 'csv', 'bom.csv');
    expect(Object.keys(recs[0]!.fields)[0]).toBe('id');
  });

  it('names a missing file and an unknown extension', () => {
    expect(() => readRecordsFromFile(FIXTURES + 'nope.jsonl')).toThrow(/nope\.jsonl: file not found/);
    expect(() => readRecordsFromFile(FIXTURES + 'items.txt')).toThrow(/cannot tell the format.*--format/);
  });
});
