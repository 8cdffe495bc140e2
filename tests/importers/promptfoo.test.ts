import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { fromPromptfoo, fromChatJsonl, importConverted } from '../../server/services/importers/index.ts';
import { jsonArrayElementLines } from '../../server/services/importers/common.ts';
import { counts, fixture, inputError } from './helpers.ts';

const FILE = 'promptfoo-results.json';
const text = fixture(FILE);
// the fixture's rows start on these lines (8 rows: 4 tests × 2 providers)
const ROW_LINES = [59, 175, 280, 385, 501, 606, 712, 818];

let t: ReturnType<typeof tempWorkspace>;
beforeEach(() => { t = tempWorkspace(); });
afterEach(() => t.cleanup());

describe('fromPromptfoo', () => {
  it('turns each result row into an item, the llm-rubric verdicts into a run and manual ratings into labels', () => {
    const c = fromPromptfoo(text, FILE);
    expect(c.format).toBe('promptfoo');
    expect(c.items.records.map((r) => r.line)).toEqual(ROW_LINES);
    const first = c.items.records[0]!.fields;
    expect(first.id).toMatch(/^pf-[0-9a-f]{12}$/);
    expect(first.input).toContain('Store policy: Refunds within 30 days');
    expect(first.input).toContain('Customer: I bought hiking boots 40 days ago');
    expect(first.output).toBe("I'm sorry, but our refund window is 30 days from delivery, so this order is no longer eligible for a refund.");
    expect(first.context).toEqual({
      question: 'I bought hiking boots 40 days ago and the sole is already coming off. Can I get a refund?',
      policy: 'Refunds within 30 days of delivery for unused items. Defective items: free repair or replacement within 1 year of purchase.',
    });
    expect(first.dimensions).toMatchObject({ provider: 'openai:gpt-4o-mini', test: 'Defective boots after 40 days', feature: 'refunds', persona: 'frustrated' });
    expect((c.items.records[1]!.fields.dimensions as Record<string, string>).provider).toBe('haiku');
    expect(new Set(c.items.records.map((r) => r.fields.id)).size).toBe(8);

    expect(c.run!.name).toBe('promptfoo llm-rubric (eval-Xk2-2025-03-14T09:21:07)');
    expect(c.run!.source.records.map((r) => r.fields.verdict)).toEqual(['fail', 'pass', 'pass', 'pass', 'pass', 'fail', 'pass', '']);
    expect(c.run!.source.records[0]!.fields.critique).toMatch(/ignores that a sole coming off is a defect/);
    expect(c.run!.source.records[7]!.fields.error).toMatch(/grader failed: Could not extract JSON/);
    expect(c.labels!.records.map((r) => [r.line, r.fields.verdict])).toEqual([[59, 'fail'], [385, 'fail']]);
    expect(c.labels!.records[1]!.fields.critique).toMatch(/Invents a 3-5 day timeline/);
  });

  it('imports items, labels and run; the run is measured against the labels', () => {
    const { ws } = t;
    const res = importConverted(ws, fromPromptfoo(text, FILE), { dataset: 'support', criterion: 'policy adherence' });
    expect(res.items).toMatchObject({ created: 8, total: 8 });
    expect(res.labels).toMatchObject({ added: 2 });
    expect(res.criterion!.scale).toBe('binary');
    expect(res.run).toMatchObject({ kind: 'imported', status: 'done', total: 8, errors: 1 });
    expect(counts(ws)).toEqual({ datasets: 1, items: 8, criteria: 1, labels: 2, runs: 1, judgments: 8 });

    const judgments = ws.repos.runs.judgments(res.run!.id);
    expect(judgments.filter((j) => j.verdict === 'pass')).toHaveLength(5);
    expect(judgments.filter((j) => j.error)).toHaveLength(1);

    const { report } = ws.report(res.criterion!, { runId: res.run!.id, split: 'all' });
    // two items carry a manual rating (both fail); the judge agrees on the first and passes the second
    expect(report.n).toBe(2);
    expect(report.confusion.matrix).toEqual([[0, 0], [1, 1]]);
    expect(report.judged).toBe(8);
    expect(report.excluded.unlabelled).toBe(6);
  });

  it('re-importing the same results updates the items and adds a second run', () => {
    const { ws } = t;
    importConverted(ws, fromPromptfoo(text, FILE), { dataset: 'support', criterion: 'policy adherence' });
    const again = importConverted(ws, fromPromptfoo(text, FILE), { dataset: 'support', criterion: 'policy adherence', runName: 'rerun' });
    expect(again.items).toMatchObject({ created: 0, updated: 8 });
    expect(again.labels).toMatchObject({ added: 0, unchanged: 2 });
    expect(again.run!.name).toBe('rerun');
    expect(counts(ws)).toMatchObject({ items: 8, labels: 2, runs: 2, judgments: 16 });
  });

  it('rejects a row without output, naming its line and field, and imports nothing', () => {
    const { ws } = t;
    importConverted(ws, fromChatJsonl(fixture('chat.jsonl'), 'chat.jsonl'), { dataset: 'other' });
    const before = counts(ws);
    const broken = text.replace('"output": "We do ship to Canada. Orders usually arrive in 3-5 business days with free customs clearance."', '"output": null');
    expect(broken).not.toBe(text);
    const e = inputError(() => importConverted(ws, fromPromptfoo(broken, FILE), { dataset: 'support', criterion: 'c' }));
    expect(e.file).toBe(FILE);
    expect(e.line).toBe(385);
    expect(e.field).toBe('results.results[3].response.output');
    expect(e.message).toBe(`${FILE}:385: field "results.results[3].response.output": is missing: there is no model output to judge`);
    expect(counts(ws)).toEqual(before);
  });

  it('names the provider error of a failed row, and can skip such rows', () => {
    const doc = JSON.parse(text);
    const row = doc.results.results[5];
    row.response = { error: 'API error: 529 Overloaded' };
    row.failureReason = 2;
    const broken = JSON.stringify(doc, null, 2);
    const e = inputError(() => fromPromptfoo(broken, FILE));
    expect(e.line).toBe(ROW_LINES[5]); // the row's own line; rows before it are unchanged
    expect(e.field).toBe('results.results[5].response.output');
    expect(e.reason).toMatch(/provider call failed \(API error: 529 Overloaded\)/);

    const skipped = fromPromptfoo(broken, FILE, { skipErrors: true });
    expect(skipped.items.records).toHaveLength(7);
    expect(skipped.warnings!.join('\n')).toMatch(/results\.results\[5\]\.response\.output .*row skipped/);
  });

  it('rejects a file without a results array, and invalid JSON with its line', () => {
    expect(inputError(() => fromPromptfoo('{"evalId": "eval-1", "results": {"version": 3, "stats": {}}}', FILE))).toMatchObject({ field: 'results.results' });
    expect(inputError(() => fromPromptfoo('[]', FILE)).reason).toMatch(/promptfoo results object/);
    const e = inputError(() => fromPromptfoo('{\n  "results": {\n    "results": [\n      {,}\n    ]\n  }\n}', FILE));
    expect(e.line).toBe(4);
    expect(e.reason).toMatch(/not valid JSON/);
  });

  it('a bad verdict for an existing criterion rolls back the items too, reported in promptfoo terms', () => {
    const { ws } = t;
    importConverted(ws, fromChatJsonl(fixture('chat.jsonl'), 'chat.jsonl'), { dataset: 'support' });
    ws.addCriterion('support', { name: 'better reply', scale: 'pairwise' });
    const before = counts(ws);
    const e = inputError(() => importConverted(ws, fromPromptfoo(text, FILE), { dataset: 'support', criterion: 'better reply' }));
    expect(e.line).toBe(59);
    expect(e.field).toBe('gradingResult.componentResults[].pass');
    expect(e.reason).toMatch(/"fail" is not a verdict: expected A, B or tie/);
    expect(counts(ws)).toEqual(before);
  });

  it('asks which llm-rubric is the judge when a row has several, and takes the one named', () => {
    const rubric = (metric: string, pass: boolean, reason: string) => ({ pass, score: pass ? 1 : 0, reason, assertion: { type: 'llm-rubric', value: `rubric for ${metric}`, metric } });
    const doc = {
      evalId: 'eval-two', results: {
        version: 3, results: [{
          promptIdx: 0, testIdx: 0, prompt: { raw: 'Summarise: the meeting moved to Friday.', label: 'summarise' }, provider: { id: 'openai:gpt-4o-mini' },
          vars: { text: 'the meeting moved to Friday.' }, response: { output: 'Meeting is now on Friday.' },
          gradingResult: { pass: false, score: 0.5, reason: 'tone', componentResults: [rubric('accuracy', true, 'accurate'), rubric('tone', false, 'too curt')] },
        }],
      },
    };
    const json = JSON.stringify(doc, null, 2);
    const e = inputError(() => fromPromptfoo(json, FILE));
    expect(e.line).toBe(6);
    expect(e.field).toBe('results.results[0].gradingResult.componentResults');
    expect(e.reason).toMatch(/2 llm-rubric assertions \(metric "accuracy", metric "tone"\)/);
    const c = fromPromptfoo(json, FILE, { rubric: 'tone' });
    expect(c.run!.source.records[0]!.fields).toMatchObject({ verdict: 'fail', critique: 'too curt' });
    expect(inputError(() => fromPromptfoo(json, FILE, { rubric: 'nope' })).field).toBe('rubric');
  });

  it('accepts a bare EvaluateSummary and a file without llm-rubric (items only)', () => {
    const summary = { version: 3, timestamp: '2025-01-01T00:00:00Z', results: [{ promptIdx: 0, testIdx: 0, prompt: { raw: '' }, provider: 'echo', vars: { q: 'hi' }, response: { output: { answer: 42 } }, gradingResult: { pass: true, score: 1, reason: 'ok', componentResults: [{ pass: true, score: 1, reason: 'ok', assertion: { type: 'is-json' } }] } }], stats: {} };
    const c = fromPromptfoo(JSON.stringify(summary), FILE);
    expect(c.items.records[0]!.fields).toMatchObject({ input: '{\n  "q": "hi"\n}', output: '{\n  "answer": 42\n}', dimensions: { provider: 'echo' } });
    expect(c.run).toBeUndefined();
    expect(c.warnings).toContain('no llm-rubric verdicts found: only the items were converted');
  });

  it('finds the line of every row, whatever the rows contain', () => {
    const json = '{\n "results": {"prompts": [{"results": [1]}],\n  "results": [\n {"a": "x]}\\"[{", "results": [\n1, 2]},\n\n 7, null,\n  "s", [\n[]]\n ]}}';
    expect(JSON.parse(json).results.results).toHaveLength(5);
    expect(jsonArrayElementLines(json, ['results', 'results'])).toEqual([4, 7, 7, 8, 8]);
    expect(jsonArrayElementLines('[{"a":1},{"b":[2]}]', [])).toEqual([1, 1]);
    // minified files: every row is on line 1, and errors still name the row by index
    const e = inputError(() => fromPromptfoo(JSON.stringify({ results: { results: [{ response: { output: 'ok' }, prompt: { raw: 'p' } }, { response: {} }] } }), FILE));
    expect(e).toMatchObject({ line: 1, field: 'results.results[1].response.output' });
  });
});
