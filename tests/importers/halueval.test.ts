/**
 * HaluEval "general" at its real size: 4,507 ChatGPT responses to Alpaca-derived queries with human
 * hallucination labels (RUCAIBox/HaluEval, MIT; the queries come from Alpaca, CC BY-NC, so the file is
 * never copied into this repository). The test reads it from ../shared/datasets beside the repo and is
 * skipped, saying so, when it is not there.
 *
 * The file is JSON Lines despite its .json name; three rows have no usable "ID" ("" once, the header
 * text "ID" twice), which is why the conversion below falls back to the line number for those.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { parseRecords } from '../../server/services/records.ts';
import { importItems } from '../../server/services/imports.ts';
import { labelsCsv } from '../../server/services/exports.ts';
import type { Criterion } from '../../shared/types.ts';
import { counts, inputError } from './helpers.ts';

const REL = '../shared/datasets/halueval-general/general_data.json';
const FILE = fileURLToPath(new URL(`../../${REL}`, import.meta.url));
const present = existsSync(FILE);
if (!present) console.warn(`HaluEval tests skipped: ${REL} (relative to the repo root) is not there. It is not shipped in this repository (Alpaca-derived queries, CC BY-NC).`);

interface Row { ID: string; user_query: string; chatgpt_response: string; hallucination: 'yes' | 'no'; hallucination_spans: string[] }

/** A deterministic stand-in judge: distrusts responses that state figures (years, decimals, percentages, money). */
const ruleJudge = (response: string) => (/\b(1[5-9]|20)\d\d\b|\d\.\d|\d\s?%|\$\s?\d/.test(response) ? 'fail' : 'pass');
/** Lines whose judgment is recorded as an unparseable judge output instead of a verdict. */
const garbled = (line: number) => line % 997 === 0;

describe.skipIf(!present)(`HaluEval general at realistic size${present ? '' : ` (SKIPPED: ${REL} not found beside the repo)`}`, () => {
  let t: ReturnType<typeof tempWorkspace>;
  let rows: Array<Row & { line: number; id: string }>;
  let criterion: Criterion;

  beforeAll(() => {
    t = tempWorkspace();
    const text = readFileSync(FILE, 'utf8');
    const seen = new Map<string, number>();
    const parsed = text.split('\n').map((l, i) => ({ l, line: i + 1 })).filter(({ l }) => l.trim() !== '')
      .map(({ l, line }) => ({ ...(JSON.parse(l) as Row), line }));
    for (const r of parsed) seen.set(r.ID, (seen.get(r.ID) ?? 0) + 1);
    rows = parsed.map((r) => ({ ...r, id: /^\d+$/.test(r.ID) && seen.get(r.ID) === 1 ? r.ID : `line-${r.line}` }));
  });
  afterAll(() => t?.cleanup());

  it('has the published shape (counts pinned from the file)', () => {
    expect(rows).toHaveLength(4507);
    expect(rows.filter((r) => r.hallucination === 'yes')).toHaveLength(815);
    expect(rows.filter((r) => r.hallucination === 'no')).toHaveLength(3692);
    expect(rows.filter((r) => r.hallucination === 'yes' && r.hallucination_spans.length === 0)).toHaveLength(13);
    expect(rows.filter((r) => r.hallucination === 'no' && r.hallucination_spans.length > 0)).toHaveLength(0);
    expect(rows.reduce((n, r) => n + r.hallucination_spans.length, 0)).toBe(941);
    expect(rows.filter((r) => r.id.startsWith('line-')).map((r) => [r.line, r.ID])).toEqual([[1975, ''], [2059, 'ID'], [2159, 'ID']]);
  });

  it('the raw file, imported naively, is rejected with every bad ID listed and changes nothing', () => {
    const { ws } = t;
    const before = counts(ws);
    const src = { name: 'general_data.json', records: parseRecords(readFileSync(FILE, 'utf8'), 'jsonl', 'general_data.json') };
    const e = inputError(() => importItems(ws.repos, 'halueval raw', src, { id: 'ID', input: 'user_query', output: 'chatgpt_response' }));
    // every problem of the file, not only the first (lines 2059 and 2159 both carry the ID "ID")
    expect(e.message).toBe('general_data.json:1975: field "ID": is missing or empty (mapped to id) (and 1 more problem in this file)');
    expect(e.errors).toEqual([
      { file: 'general_data.json', line: 1975, field: 'ID', message: 'is missing or empty (mapped to id)' },
      { file: 'general_data.json', line: 2159, field: 'ID', message: 'duplicate id "ID" (also on line 2059)' },
    ]);
    expect(e.moreErrors).toBe(0);
    expect(counts(ws)).toEqual(before);
  });

  it('imports every response as an item and every human label as a label', () => {
    const { ws } = t;
    const items = rows.map((r) => JSON.stringify({ id: r.id, input: r.user_query, output: r.chatgpt_response, context: { halueval_id: r.ID } })).join('\n');
    const labels = rows.map((r) => JSON.stringify({
      id: r.id,
      verdict: r.hallucination === 'no' ? 'pass' : 'fail',
      critique: r.hallucination_spans.length
        ? `Hallucinated: ${r.hallucination_spans.map((s) => `"${s}"`).join('; ')}`
        : r.hallucination === 'yes' ? 'Marked as hallucinated (no span given).' : '',
    })).join('\n');
    const res = ws.importItems('halueval', { name: 'halueval-items.jsonl', records: parseRecords(items, 'jsonl', 'halueval-items.jsonl') });
    expect(res).toMatchObject({ created: rows.length, total: rows.length });
    criterion = ws.addCriterion('halueval', { name: 'no hallucination', description: 'The response contains no hallucinated content.' });
    const lab = ws.importLabels(criterion, { name: 'halueval-labels.jsonl', records: parseRecords(labels, 'jsonl', 'halueval-labels.jsonl') });
    expect(lab).toMatchObject({ added: rows.length, total: rows.length });

    expect(counts(ws)).toMatchObject({ items: rows.length, labels: rows.length });
    const current = ws.repos.labels.currentByItem(criterion.id, 'expert');
    expect([...current.values()].filter((l) => l.verdict === 'fail')).toHaveLength(rows.filter((r) => r.hallucination === 'yes').length);
    const splits = { train: 0, dev: 0, test: 0 };
    for (const i of ws.repos.items.all(res.dataset.id)) splits[i.split]++;
    expect(splits.train + splits.dev + splits.test).toBe(4507);
    const l2 = ws.repos.items.byExternalId(res.dataset.id, '2')!;
    expect(current.get(l2.id)!.critique).toMatch(/^Hallucinated: "6\. hear \(to perceive sound\)/);
    expect(labelsCsv(ws, criterion).trimEnd().split('\r\n').length).toBeGreaterThan(4507); // header + rows (some critiques span lines)
  });

  it('measures a synthetic rule judge: n and the confusion matrix add up to the file', () => {
    const { ws } = t;
    const judged = rows.map((r) => garbled(r.line)
      ? JSON.stringify({ id: r.id, verdict: '', raw: '{"critique": "The response', error: 'unparseable judge output' })
      : JSON.stringify({ id: r.id, verdict: ruleJudge(r.chatgpt_response), critique: 'rule: figures present → fail' }));
    const run = ws.importRun(criterion, { name: 'rule-judge.jsonl', records: parseRecords(judged.join('\n'), 'jsonl', 'rule-judge.jsonl') }, 'rule judge (figures → fail)');
    expect(run).toMatchObject({ total: 4507, errors: 4 });

    // the expected matrix straight from the file: rows expert (pass, fail), columns judge
    const expected = [[0, 0], [0, 0]];
    let errors = 0;
    for (const r of rows) {
      if (garbled(r.line)) { errors++; continue; }
      expected[r.hallucination === 'no' ? 0 : 1]![ruleJudge(r.chatgpt_response) === 'pass' ? 0 : 1]!++;
    }
    const { report } = ws.report(criterion, { runId: run.id, split: 'all' });
    expect(errors).toBe(4);
    expect(report.judged).toBe(4507);
    expect(report.excluded).toEqual({ fewShot: 0, unlabelled: 0, ambiguous: 0, errors: 4, noMajority: 0, annotatorsDisagree: 0 });
    expect(report.n).toBe(4507 - 4);
    const m = report.confusion.matrix;
    expect(m[0]![0]! + m[0]![1]! + m[1]![0]! + m[1]![1]!).toBe(report.n);
    expect(m).toEqual(expected);
    // pinned as observed, so a change in the import or the metrics shows up here
    expect(m).toEqual([[3435, 253], [686, 129]]); // also computed independently from the file with Python
    expect(report.prevalence.value).toBeCloseTo(3688 / 4503, 10);

    const perSplit = (['train', 'dev', 'test'] as const).map((s) => ws.report(criterion, { runId: run.id, split: s }).report.n);
    expect(perSplit.reduce((a, b) => a + b, 0)).toBe(report.n);
  });
});
