import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { fromSheet, importConverted, matchSheetColumns } from '../../server/services/importers/index.ts';
import { counts, fixture, inputError } from './helpers.ts';

const FILE = 'review-sheet.csv';
const text = fixture(FILE);

let t: ReturnType<typeof tempWorkspace>;
beforeEach(() => { t = tempWorkspace(); });
afterEach(() => t.cleanup());

describe('fromSheet', () => {
  it('reads items, expert labels and judge verdicts from one review sheet', () => {
    const c = fromSheet(text, FILE);
    expect(c.format).toBe('sheet');
    expect(c.items.records).toHaveLength(10);
    // re-006 has a two-line critique, so re-007 starts on line 9
    expect(c.items.records.map((r) => [r.fields.id, r.line]).slice(5, 7)).toEqual([['re-006', 7], ['re-007', 9]]);
    expect(c.items.records[0]!.fields).toEqual({
      id: 're-001', input: 'Find me 3-bedroom homes under $450k in Austin with a yard.',
      output: expect.stringMatching(/^Here are 3 listings in Austin/),
      'dim.feature': 'listing search', 'dim.scenario': 'clear request', 'dim.persona': 'first-time buyer',
    });
    // re-008 has no expert verdict yet: not labelled
    expect(c.labels!.records.map((r) => r.fields.id)).toEqual(['re-001', 're-002', 're-003', 're-004', 're-005', 're-006', 're-007', 're-009', 're-010']);
    expect(c.labels!.records.find((r) => r.fields.id === 're-009')!.fields).toMatchObject({ verdict: 'fail', ambiguous: 'yes' });
    expect(c.labels!.records.find((r) => r.fields.id === 're-006')!.fields.critique).toMatch(/Doss Elementary[^]*\nCheck against the district lookup/);
    // re-010 has neither judge verdict nor critique: not in the run
    expect(c.run!.source.records.map((r) => r.fields.id)).not.toContain('re-010');
    expect(c.run!.source.records).toHaveLength(9);
    expect(c.run!.name).toBe('judge verdicts from review-sheet.csv');
    expect(c.warnings).toEqual(['columns ignored: Notes for eng']);
  });

  it('imports everything in one go and the report compares judge and expert', () => {
    const { ws } = t;
    const res = importConverted(ws, fromSheet(text, FILE), { dataset: 'real estate', criterion: 'helpful and truthful', runName: 'judge v3' });
    expect(counts(ws)).toEqual({ datasets: 1, items: 10, criteria: 1, labels: 9, runs: 1, judgments: 9 });
    const item = ws.repos.items.byExternalId(res.dataset.id, 're-002')!;
    expect(item.dimensions).toEqual({ feature: 'listing search', scenario: 'ambiguous request', persona: 'investor' });
    const label = ws.repos.labels.latest(res.criterion!.id, item.id, 'expert')!;
    expect(label).toMatchObject({ verdict: 'fail', source: 'import' });
    expect(label.critique).toMatch(/^"Good deal" for an investor/);

    const { report, run } = ws.report(res.criterion!, { split: 'all' });
    expect(run.name).toBe('judge v3');
    // compared: re-001..re-007 (re-008 unlabelled, re-009 ambiguous, re-010 not judged)
    expect(report.n).toBe(7);
    expect(report.excluded).toMatchObject({ unlabelled: 1, ambiguous: 1, errors: 0 });
    expect(report.confusion.matrix).toEqual([[3, 1], [2, 1]]);
    expect(report.agreement.value).toBeCloseTo(4 / 7, 10);
  });

  it('accepts header variants case-insensitively, explicit column names, and generates ids when there is no id column', () => {
    const csv = 'Query,Answer,Human,Notes,LLM Verdict,LLM Reasoning,SME grade\n"2+2?",4,yes,right,1,correct sum,pass\n"Capital of France?",Lyon,no,"wrong city",1,looks fine,fail\n';
    const roles = matchSheetColumns(['Query', 'Answer', 'Human', 'Notes', 'LLM Verdict', 'LLM Reasoning'], 'x.csv');
    expect(Object.fromEntries(roles)).toEqual({ input: 'Query', output: 'Answer', expert_verdict: 'Human', expert_critique: 'Notes', judge_verdict: 'LLM Verdict', judge_critique: 'LLM Reasoning' });

    const c = fromSheet(csv, 'x.csv', { expert_verdict: 'sme GRADE' });
    expect(c.items.records[0]!.fields.id).toMatch(/^sheet-[0-9a-f]{12}$/);
    expect(c.warnings!.join('\n')).toMatch(/no id column/);
    expect(c.labels!.records.map((r) => r.fields.verdict)).toEqual(['pass', 'fail']);
    const { ws } = t;
    const res = importConverted(ws, c, { dataset: 'qa', criterion: 'correct' });
    expect(res.labels!.added).toBe(2);
    expect(ws.report(res.criterion!, { split: 'all' }).report.confusion.matrix).toEqual([[1, 0], [1, 0]]);
    expect(inputError(() => fromSheet(csv, 'x.csv', { judge_verdict: 'Judge' }))).toMatchObject({ line: 1, field: 'Judge' });
  });

  it('rejects a bad expert verdict with its line and column, importing nothing', () => {
    const { ws } = t;
    const before = counts(ws);
    const bad = text.replace('re-007,listing search,typo in request,first-time buyer,"3 bd under 450 austin w yard pls","Here are 3 listings matching 3 bedrooms, under $450k, with a yard in Austin: 1208 Maple Ct, 77 Ridge Rd, 5 Oak Hollow.",pass',
      're-007,listing search,typo in request,first-time buyer,"3 bd under 450 austin w yard pls","Here are 3 listings matching 3 bedrooms, under $450k, with a yard in Austin: 1208 Maple Ct, 77 Ridge Rd, 5 Oak Hollow.",maybe');
    expect(bad).not.toBe(text);
    const e = inputError(() => importConverted(ws, fromSheet(bad, FILE), { dataset: 'real estate', criterion: 'c' }));
    expect(e.message).toBe(`${FILE}:9: field "Expert Pass/Fail": "maybe" is not a verdict: expected pass or fail (also 1/0, true/false)`);
    expect(counts(ws)).toEqual(before);
  });

  it('rejects a bad judge verdict, an empty input and a duplicate id, each with line and column', () => {
    const { ws } = t;
    const badJudge = text.replace('Offers the real open slots and asks the user to choose. Good.,,pass', 'Offers the real open slots and asks the user to choose. Good.,,probably');
    expect(inputError(() => importConverted(ws, fromSheet(badJudge, FILE), { dataset: 'd', criterion: 'c' }))).toMatchObject({ line: 5, field: 'Judge Verdict' });
    const noInput = text.replace('"Can I see 77 Ridge Rd on Saturday morning?"', '""');
    expect(inputError(() => importConverted(ws, fromSheet(noInput, FILE), { dataset: 'd', criterion: 'c' }))).toMatchObject({ line: 5, field: 'User Input' });
    const dup = text.replace('re-004,', 're-001,');
    const e = inputError(() => importConverted(ws, fromSheet(dup, FILE), { dataset: 'd', criterion: 'c' }));
    expect(e).toMatchObject({ line: 5, field: 'ID' });
    expect(e.reason).toMatch(/duplicate id "re-001" \(also on line 2\)/);
    expect(counts(ws)).toEqual({ datasets: 0, items: 0, criteria: 0, labels: 0, runs: 0, judgments: 0 });
  });

  it('rejects a sheet without an output column or with broken CSV', () => {
    expect(inputError(() => fromSheet('id,input,verdict\n1,hi,pass\n', FILE))).toMatchObject({ line: 1, field: 'output' });
    const e = inputError(() => fromSheet('id,input,output\n1,"unterminated,x\n', FILE));
    expect(e.reason).toMatch(/not valid CSV/);
  });
});
