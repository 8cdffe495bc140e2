import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { installSamples } from '../../server/services/samples.ts';
import type { Workspace } from '../../server/services/workspace.ts';
import type { Criterion } from '../../shared/types.ts';

// Reference values computed from the shipped files with scikit-learn (Debian python3-sklearn):
// /usr/bin/python3 -c "
// import json; from collections import Counter; from sklearn.metrics import cohen_kappa_score as k, accuracy_score as acc
// L=lambda f:{json.loads(l)['id']:json.loads(l)['verdict'] for l in open('data/pandalm/'+f)}
// a=[L('labels-annotator%d.jsonl'%i) for i in (1,2,3)]; ids=list(a[0])
// print([k([a[i][x] for x in ids],[a[j][x] for x in ids]) for i,j in ((0,1),(0,2),(1,2))])
// maj={x:Counter([a[0][x],a[1][x],a[2][x]]).most_common(1)[0][0] for x in ids}; print(Counter(maj.values()))
// for f in ('run-gpt-3.5-turbo.jsonl','run-pandalm-7b.jsonl'):
//   g=L(f); s=[x for x in ids if g[x] is not None]; print(f, len(s), k([maj[x] for x in s],[g[x] for x in s]), acc([maj[x] for x in s],[g[x] for x in s]))"
// -> [0.8520226785167024, 0.8789438112500384, 0.8616614540762907]
// -> Counter({'B': 472, 'A': 422, 'tie': 105})
// -> run-gpt-3.5-turbo.jsonl 974 0.49286471530289244 0.715605749486653
// -> run-pandalm-7b.jsonl 999 0.4353549248202223 0.6676676676676677
// (tests/data/pandalm-figures.py prints the same figures with the published ones beside them.)

describe('the PandaLM sample in a new workspace', () => {
  let t: ReturnType<typeof tempWorkspace>;
  let ws: Workspace;
  let criterion: Criterion;

  beforeAll(() => {
    t = tempWorkspace();
    ws = t.ws;
    installSamples(ws);
    criterion = ws.criterion('pandalm-human-judgments', 'Which response better follows the instruction');
  });
  afterAll(() => t.cleanup());

  it('holds 999 pairwise items, three annotators and the two published judges as imported runs', () => {
    expect(ws.dataset('pandalm-human-judgments').items).toBe(999);
    expect(criterion.scale).toBe('pairwise');
    expect(ws.repos.labels.annotators(criterion.id).map((a) => [a.annotator, a.n])).toEqual([['annotator1', 999], ['annotator2', 999], ['annotator3', 999]]);
    expect(ws.repos.runs.list(criterion.id).map((r) => [r.name, r.kind, r.done, r.errors])).toEqual([
      ['PandaLM-7B (PandaLM paper)', 'imported', 999, 0],
      ['gpt-3.5-turbo (PandaLM paper)', 'imported', 999, 25],
    ]);
  });

  it("reproduces the README's annotator agreement (Cohen's kappa 0.85 / 0.88 / 0.86)", () => {
    const { report } = ws.report(criterion);
    const kappas = report.annotators.pairwise.map((p) => [p.a, p.b, p.kappa]);
    expect(kappas.map(([a, b]) => `${a}-${b}`)).toEqual(['annotator1-annotator2', 'annotator1-annotator3', 'annotator2-annotator3']);
    const values = kappas.map((k) => k[2] as number);
    [0.8520226785167024, 0.8789438112500384, 0.8616614540762907].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 12));
    expect(values.map((v) => v.toFixed(2))).toEqual(['0.85', '0.88', '0.86']);
  });

  it('reproduces the label distribution by majority vote (105 ties / 422 / 472)', () => {
    const { report } = ws.report(criterion);
    // rows of the confusion matrix are the reference (majority) label: A, B, tie
    const rowTotals = report.confusion.matrix.map((row) => row.reduce((a, b) => a + b, 0));
    expect(report.confusion.labels).toEqual(['A', 'B', 'tie']);
    expect(rowTotals).toEqual([422, 472, 105]);
  });

  it('imports the "garbage" GPT-3.5 outputs as judge errors, never as verdicts, and measures the rest', () => {
    const gpt = ws.repos.runs.list(criterion.id).find((r) => r.name.startsWith('gpt-3.5'))!;
    const { report } = ws.report(criterion, { runId: gpt.id });
    expect(report.excluded).toEqual({ fewShot: 0, unlabelled: 0, ambiguous: 0, errors: 25, noMajority: 0, annotatorsDisagree: 0 });
    expect(report.n).toBe(974);
    // the README's "error rate 2.5% (25 errors + 0 not judged of 999 labelled)"
    expect(report.errorRate).toEqual({ value: 25 / 999, errors: 25, notJudged: 0, noMajority: 0, labelled: 999 });
    expect(report.kappa.value).toBeCloseTo(0.49286471530289244, 12);
    expect(report.agreement.value).toBeCloseTo(0.715605749486653, 12);
    const garbage = ws.repos.runs.judgments(gpt.id).filter((j) => j.error);
    expect(garbage.every((j) => j.verdict === null && j.raw === 'garbage')).toBe(true);
  });

  it("measures PandaLM-7B against the majority label as the published files give it", () => {
    const { report } = ws.report(criterion);
    expect(report.n).toBe(999);
    expect(report.kappa.value).toBeCloseTo(0.4353549248202223, 12);
    expect(report.agreement.value).toBeCloseTo(0.6676676676676677, 12);
  });
});
