import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { convertForeignFile, detectForeignFormat, fromSheet, importConverted } from '../../server/services/importers/index.ts';
import { ValidationError } from '../../server/services/errors.ts';
import { counts, fixture, inputError } from './helpers.ts';

describe('detectForeignFormat', () => {
  it('recognises the three foreign formats', () => {
    expect(detectForeignFormat('results.json', fixture('promptfoo-results.json'))).toBe('promptfoo');
    expect(detectForeignFormat('review.csv', fixture('review-sheet.csv'))).toBe('sheet');
    expect(detectForeignFormat('train.jsonl', fixture('chat.jsonl'))).toBe('chat');
    expect(detectForeignFormat('summary.json', JSON.stringify({ version: 3, results: [{ promptIdx: 0, response: { output: 'x' } }], stats: {} }))).toBe('promptfoo');
    expect(detectForeignFormat('sheet.jsonl', '{"id": "1", "input": "a", "output": "b", "judge_verdict": "pass"}\n')).toBe('sheet');
  });

  it('leaves Concur\'s own files and anything unrecognisable to the normal importers', () => {
    expect(detectForeignFormat('items.jsonl', '{"id": "1", "input": "a", "output": "b"}\n')).toBeNull();
    expect(detectForeignFormat('items.csv', 'id,input,output\n1,a,b\n')).toBeNull();
    expect(detectForeignFormat('labels.csv', 'id,verdict,critique\n1,pass,fine\n')).toBeNull();
    expect(detectForeignFormat('run.jsonl', '{"id": "1", "verdict": "pass", "critique": "ok"}\n')).toBeNull();
    expect(detectForeignFormat('items.json', '[{"id": "1", "input": "a", "output": "b"}]')).toBeNull();
    expect(detectForeignFormat('broken.json', '{"results": ')).toBeNull();
    expect(detectForeignFormat('notes.txt', 'hello')).toBeNull();
  });
});

describe('convertForeignFile and importConverted', () => {
  let dir: string;
  let t: ReturnType<typeof tempWorkspace>;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'concur-foreign-')); t = tempWorkspace(); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); t.cleanup(); });

  it('reads, detects and converts a file', () => {
    const file = join(dir, 'results.json');
    writeFileSync(file, fixture('promptfoo-results.json'));
    const c = convertForeignFile(file);
    expect(c.format).toBe('promptfoo');
    expect(c.items.name).toBe(file);
    expect(inputError(() => convertForeignFile(join(dir, 'missing.json'))).reason).toBe('file not found');
    writeFileSync(join(dir, 'items.jsonl'), '{"id": "1", "input": "a", "output": "b"}\n');
    expect(inputError(() => convertForeignFile(join(dir, 'items.jsonl'))).reason).toMatch(/cannot tell whether/);
    expect(inputError(() => convertForeignFile(join(dir, 'items.jsonl'), 'excel')).reason).toMatch(/unknown format "excel"/);
    expect(convertForeignFile(join(dir, 'items.jsonl'), 'sheet').items.records).toHaveLength(1);
  });

  it('needs a criterion when the file has labels or verdicts', () => {
    const { ws } = t;
    expect(() => importConverted(ws, fromSheet(fixture('review-sheet.csv'), 'review-sheet.csv'), { dataset: 'd' })).toThrow(ValidationError);
    expect(() => importConverted(ws, fromSheet(fixture('review-sheet.csv'), 'review-sheet.csv'), { dataset: ' ', criterion: 'c' })).toThrow(ValidationError);
    expect(counts(ws)).toEqual({ datasets: 0, items: 0, criteria: 0, labels: 0, runs: 0, judgments: 0 });
  });

  it('imports labels under the given annotator, into an existing criterion', () => {
    const { ws } = t;
    const sheet = fromSheet(fixture('review-sheet.csv'), 'review-sheet.csv');
    importConverted(ws, { ...sheet, labels: undefined, run: undefined }, { dataset: 'd' });
    const c = ws.addCriterion('d', { name: 'helpful', principalAnnotator: 'maria' });
    const res = importConverted(ws, sheet, { dataset: 'd', criterion: 'helpful', annotator: 'sam', runName: 'gpt-4o judge' });
    expect(res.criterion!.id).toBe(c.id);
    expect(ws.repos.labels.annotators(c.id)).toEqual([{ annotator: 'sam', n: 9 }]);
    expect(res.run!.name).toBe('gpt-4o judge');
    // measured against sam's labels, the same figures as the sheet's expert
    expect(ws.report(c, { split: 'all', annotator: 'sam' }).report.n).toBe(7);
  });

  it('an unknown id in the labels rolls the whole import back (the run is never written)', () => {
    const { ws } = t;
    const sheet = fromSheet(fixture('review-sheet.csv'), 'review-sheet.csv');
    sheet.labels!.records[3]!.fields.id = 're-999';
    const e = inputError(() => importConverted(ws, sheet, { dataset: 'd', criterion: 'c' }));
    expect(e).toMatchObject({ line: 5, field: 'ID' });
    expect(e.reason).toBe('no item "re-999" in this dataset');
    expect(counts(ws)).toEqual({ datasets: 0, items: 0, criteria: 0, labels: 0, runs: 0, judgments: 0 });
  });
});
