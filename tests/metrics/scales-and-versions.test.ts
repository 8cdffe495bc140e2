import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import type { Workspace } from '../../server/services/workspace.ts';
import { reportHtml, reportJson, reportMarkdown } from '../../server/services/render-report.ts';

const src = (name: string, rows: object[]) => ({ name, records: rows.map((fields, i) => ({ line: i + 1, fields: fields as Record<string, unknown> })) });

let t: ReturnType<typeof tempWorkspace>;
let ws: Workspace;
afterEach(() => t?.cleanup());

describe('ordinal criteria (1..5, pass at 4)', () => {
  // /usr/bin/python3 -c "
  // from sklearn.metrics import cohen_kappa_score as k, confusion_matrix as cm
  // E=[(i*7%5)+1 for i in range(30)]
  // J=[(max(1,e-2) if i%9==0 else (min(5,e+1) if i%4==0 else e)) for i,e in enumerate(E)]
  // print(cm(E,J,labels=[1,2,3,4,5]).tolist()); print(k(E,J), k(E,J,weights='linear',labels=[1,2,3,4,5]), k(E,J,weights='quadratic',labels=[1,2,3,4,5]))
  // from statsmodels.stats.proportion import proportion_confint as pc  (TPR 10/12, TNR 17/18 at the threshold, method='wilson')"
  // -> [[5, 1, 0, 0, 0], [1, 3, 2, 0, 0], [0, 0, 5, 1, 0], [0, 1, 0, 3, 2], [0, 0, 1, 0, 5]]
  // -> 0.625 0.7717842323651452 0.8760330578512396
  // -> tpr (0.5519691377470265, 0.9530348578161462), tnr (0.7424269921812741, 0.990124809021697); accuracy 0.7
  const expert = Array.from({ length: 30 }, (_, i) => ((i * 7) % 5) + 1);
  const judge = expert.map((e, i) => (i % 9 === 0 ? Math.max(1, e - 2) : i % 4 === 0 ? Math.min(5, e + 1) : e));

  it('reports the k×k confusion, exact and weighted kappa, and the pass/fail view at the threshold', () => {
    t = tempWorkspace(); ws = t.ws;
    ws.importItems('essays', src('items.jsonl', expert.map((_, i) => ({ id: `e${i}`, input: `prompt ${i}`, output: `essay ${i}` }))));
    const c = ws.addCriterion('essays', { name: 'quality', scale: 'ordinal', levels: 5, passAt: 4 });
    ws.importLabels(c, src('labels.jsonl', expert.map((v, i) => ({ id: `e${i}`, verdict: v, critique: '' }))));
    ws.importRun(c, src('run.jsonl', judge.map((v, i) => ({ id: `e${i}`, verdict: String(v) }))), 'external');
    const { report } = ws.report(c);
    expect(report.confusion.labels).toEqual(['1', '2', '3', '4', '5']);
    expect(report.confusion.matrix).toEqual([[5, 1, 0, 0, 0], [1, 3, 2, 0, 0], [0, 0, 5, 1, 0], [0, 1, 0, 3, 2], [0, 0, 1, 0, 5]]);
    expect(report.agreement.value).toBeCloseTo(0.7, 12);
    expect(report.kappa.value).toBeCloseTo(0.625, 12);
    expect(report.weightedKappa!.linear.value).toBeCloseTo(0.7717842323651452, 12);
    expect(report.weightedKappa!.quadratic.value).toBeCloseTo(0.8760330578512396, 12);
    for (const w of [report.weightedKappa!.linear, report.weightedKappa!.quadratic]) expect(w.low!).toBeLessThanOrEqual(w.high!);
    expect(report.binary!.tpr.value).toBeCloseTo(10 / 12, 12);
    expect(report.binary!.tpr.low).toBeCloseTo(0.5519691377470265, 12);
    expect(report.binary!.tpr.high).toBeCloseTo(0.9530348578161462, 12);
    expect(report.tnr.value).toBeCloseTo(17 / 18, 12);
    expect(report.tnr.low).toBeCloseTo(0.7424269921812741, 12);
    expect(report.tnr.high).toBeCloseTo(0.990124809021697, 12);
    expect(reportJson({ ...ws.report(c) }).weightedKappa).toBeDefined();
  });

  it('rejects ordinal verdicts outside 1..levels naming the line and field', () => {
    t = tempWorkspace(); ws = t.ws;
    ws.importItems('essays', src('items.jsonl', [{ id: 'a', input: 'x', output: 'y' }]));
    const c = ws.addCriterion('essays', { name: 'quality', scale: 'ordinal', levels: 5, passAt: 4 });
    expect(() => ws.importLabels(c, src('labels.csv', [{ id: 'a', verdict: '6' }]))).toThrow(/labels\.csv:1: field "verdict": "6" is not a verdict: expected an integer from 1 to 5/);
    expect(ws.repos.labels.allCurrent(c.id)).toHaveLength(0);
  });
});

describe('pairwise criteria with three annotators and a position-swapped rerun', () => {
  // /usr/bin/python3 -c "
  // from sklearn.metrics import cohen_kappa_score as k; from statsmodels.stats.inter_rater import fleiss_kappa; import numpy as np
  // n=24; T=[['A','B','A','B','tie'][i%5] for i in range(n)]
  // a1=T; a2=[('tie' if i%7==0 else t) for i,t in enumerate(T)]; a3=[({'A':'B','B':'A'}.get(t,t) if i%6==1 else t) for i,t in enumerate(T)]
  // print([k(a1,a2),k(a1,a3),k(a2,a3)]); print(fleiss_kappa(np.array([[[a1[i],a2[i],a3[i]].count(c) for c in ['A','B','tie']] for i in range(n)])))
  // J=[('tie' if t=='tie' else ('A' if i%4==0 else t)) for i,t in enumerate(T)]; print(k(a1,J,labels=['A','B','tie']))
  // nt=[i for i in range(n) if a1[i]!='tie' and J[i]!='tie']; print(len(nt), k([a1[i] for i in nt],[J[i] for i in nt]))"
  // -> [0.8095238095238095, 0.8, 0.683377308707124]; 0.7624475104979004; 0.8666666666666667; 20 0.8
  // Position consistency by construction: the judge says "A" whatever it sees on every 4th item,
  // so the 5 of those that are not ties flip when A and B are swapped: 19 / 24 survive.
  const n = 24;
  const truth = Array.from({ length: n }, (_, i) => ['A', 'B', 'A', 'B', 'tie'][i % 5]!);
  const a2 = truth.map((v, i) => (i % 7 === 0 ? 'tie' : v));
  const a3 = truth.map((v, i) => (i % 6 === 1 ? ({ A: 'B', B: 'A' } as Record<string, string>)[v] ?? v : v));
  let fake: FakeOpenAI;

  beforeAll(async () => {
    // A judge with a position bias: on every 4th item it prefers whatever is shown first.
    fake = await startFakeOpenAI({
      respond: (req) => {
        const user = req.messages.find((m) => m.role === 'user')!.content;
        const idx = Number(/Item (\d+)/.exec(user)![1]);
        const a = /Response A:\n(.*)/.exec(user)![1]!, b = /Response B:\n(.*)/.exec(user)![1]!;
        const verdict = a.startsWith('okay') && b.startsWith('okay') ? 'tie' : idx % 4 === 0 ? 'A' : a.startsWith('GOOD') ? 'A' : 'B';
        return JSON.stringify({ critique: `item ${idx}`, verdict });
      },
    });
  });
  afterAll(() => fake.close());

  it("shows the annotators' pairwise kappas, the judge's kappa with and without ties, and position consistency", async () => {
    t = tempWorkspace({ env: { OPENAI_BASE_URL: fake.url } }); ws = t.ws;
    ws.importItems('pairs', src('items.jsonl', truth.map((v, i) => ({
      id: `p${i}`, input: `question ${i}`, dimensions: { idx: String(i) },
      output: v === 'A' ? `GOOD answer ${i}` : v === 'B' ? `poor answer ${i}` : `okay answer ${i}`,
      output_b: v === 'B' ? `GOOD answer ${i}` : v === 'A' ? `poor answer ${i}` : `okay answer ${i}`,
    }))));
    const c = ws.addCriterion('pairs', { name: 'better', scale: 'pairwise', principalAnnotator: 'ann1' });
    ws.importLabels(c, src('a1.jsonl', truth.map((v, i) => ({ id: `p${i}`, verdict: v }))), 'ann1');
    ws.importLabels(c, src('a2.jsonl', a2.map((v, i) => ({ id: `p${i}`, verdict: v }))), 'ann2');
    ws.importLabels(c, src('a3.jsonl', a3.map((v, i) => ({ id: `p${i}`, verdict: v }))), 'ann3');
    const v = ws.addVersion(c, { template: 'Item {{dimensions.idx}}\n{{input}}\n\nResponse A:\n{{output}}\n\nResponse B:\n{{output_b}}\n', model: 'test-model' });
    const base = await ws.engine.execute(ws.engine.plan({ criterion: c, version: v, split: 'all' }).id);
    const swapped = await ws.engine.execute(ws.engine.plan({ criterion: c, version: v, split: 'all', variant: { swap: true }, name: 'swapped' }).id);
    expect([base.status, swapped.status, base.errors, swapped.errors]).toEqual(['done', 'done', 0, 0]);
    // the swapped run really showed B first
    expect(fake.requests.slice(n).some((r) => /Response A:\npoor answer 0\n/.test(r.messages[1]!.content))).toBe(true);
    expect(fake.requests.slice(0, n).some((r) => /Response A:\nGOOD answer 0\n/.test(r.messages[1]!.content))).toBe(true);

    // without an explicit run, the report measures the newest alignment run, never the swapped rerun
    expect(ws.report(c).run.id).toBe(base.id);
    const { report } = ws.report(c, { runId: base.id });
    expect(report.annotators.pairwise.map((p) => [p.a, p.b])).toEqual([['ann1', 'ann2'], ['ann1', 'ann3'], ['ann2', 'ann3']]);
    [0.8095238095238095, 0.8, 0.683377308707124].forEach((k, i) => expect(report.annotators.pairwise[i]!.kappa).toBeCloseTo(k, 12));
    expect(report.annotators.fleissKappa).toBeCloseTo(0.7624475104979004, 12);
    expect(report.kappa.value).toBeCloseTo(0.8666666666666667, 12);
    expect(report.confusion.labels).toEqual(['A', 'B', 'tie']);
    expect(report.withoutTies!.n).toBe(20);
    expect(report.withoutTies!.kappa.value).toBeCloseTo(0.8, 12);
    expect(report.consistency.positionConsistency).toHaveLength(1);
    expect(report.consistency.positionConsistency[0]).toMatchObject({ runId: swapped.id, n: 24 });
    expect(report.consistency.positionConsistency[0]!.rate.value).toBeCloseTo(19 / 24, 12);

    const md = reportMarkdown(ws.report(c, { runId: base.id }));
    expect(md).toContain('Human–human agreement');
    expect(md).toContain('Without ties');
    expect(md).toMatch(/Position consistency vs swapped run #\d+ \(swapped\) \| 79\.2%/);
  });
});

describe('version comparison', () => {
  // /usr/bin/python3 -c "
  // from statsmodels.stats.contingency_tables import mcnemar
  // E=['fail' if i%3==0 else 'pass' for i in range(40)]  # run A wrong where i%5==0, run B wrong where i%7==0
  // ... print(b, c, mcnemar([[30,4],[6,0]], exact=True).pvalue)"  -> 4 6 0.75390625
  it('lists fixed and regressed items and gives McNemar\'s exact p-value', () => {
    t = tempWorkspace(); ws = t.ws;
    const expert = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 'fail' : 'pass'));
    const flip = (v: string) => (v === 'pass' ? 'fail' : 'pass');
    ws.importItems('d', src('items.jsonl', expert.map((_, i) => ({ id: `i${i}`, input: 'q', output: 'a' }))));
    const c = ws.addCriterion('d', { name: 'ok' });
    ws.importLabels(c, src('labels.jsonl', expert.map((v, i) => ({ id: `i${i}`, verdict: v }))));
    const a = ws.importRun(c, src('a.jsonl', expert.map((v, i) => ({ id: `i${i}`, verdict: i % 5 === 0 ? flip(v) : v }))), 'A');
    const b = ws.importRun(c, src('b.jsonl', expert.map((v, i) => ({ id: `i${i}`, verdict: i % 7 === 0 ? flip(v) : v }))), 'B');
    const r = ws.compare(c, a.id, b.id);
    expect(r.fixed).toEqual(['i5', 'i10', 'i15', 'i20', 'i25', 'i30']);
    expect(r.regressed).toEqual(['i7', 'i14', 'i21', 'i28']);
    expect(r.mcnemar).toEqual({ b: 4, c: 6, p: expect.closeTo(0.75390625, 12) });
  });
});

describe('corrected pass rate', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    // judge: passes items whose output says "fine", fails "broken"; wrong on every 5th labelled item
    fake = await startFakeOpenAI({
      respond: (req) => {
        const user = req.messages[1]!.content;
        const i = Number(/#(\d+)/.exec(user)![1]);
        const good = user.includes('fine');
        return JSON.stringify({ critique: '', verdict: (i % 5 === 0 ? !good : good) ? 'pass' : 'fail' });
      },
    });
  });
  afterAll(() => fake.close());

  it('corrects the judge pass rate on unlabelled items with TPR/TNR from the labelled test split', async () => {
    t = tempWorkspace({ env: { OPENAI_BASE_URL: fake.url } }); ws = t.ws;
    const items = Array.from({ length: 160 }, (_, i) => ({ id: `x${i}`, input: `#${i}`, output: i % 3 === 0 ? 'broken' : 'fine' }));
    ws.importItems('d', src('items.jsonl', items));
    const c = ws.addCriterion('d', { name: 'ok' });
    ws.importLabels(c, src('labels.jsonl', items.slice(0, 100).map((it) => ({ id: it.id, verdict: it.output === 'fine' ? 'pass' : 'fail' }))));
    const v = ws.addVersion(c, { template: '{{input}} {{output}}', model: 'm' });
    expect(() => ws.correctedPassRate(c, 1)).toThrow(/no run on the labelled test split/);
    const calib = await ws.engine.execute(ws.engine.plan({ criterion: c, version: v, split: 'test' }).id);
    expect(() => ws.correctedPassRate(c, 1)).toThrow(/has not judged any unlabelled items/);
    await ws.engine.execute(ws.engine.plan({ criterion: c, version: v, split: 'all', scope: 'all' }).id);

    const cal = ws.report(c, { runId: calib.id }).report;
    const e = ws.correctedPassRate(c, 1, undefined, { iterations: 500, seed: 7 });
    expect(e.labelled).toBe(cal.n);
    expect(e.unlabelled).toBe(60);
    expect(e.tpr).toBeCloseTo(cal.tpr.value!, 12);
    expect(e.tnr).toBeCloseTo(cal.tnr.value!, 12);
    // judge verdicts on the 60 unlabelled items, from the rule above
    const observed = items.slice(100).filter((it, k) => { const i = 100 + k; const good = it.output === 'fine'; return i % 5 === 0 ? !good : good; }).length / 60;
    expect(e.observed).toBeCloseTo(observed, 12);
    const theta = Math.min(1, Math.max(0, (observed + e.tnr! - 1) / (e.tpr! + e.tnr! - 1)));
    expect(e.estimate).toBeCloseTo(theta, 12);
    expect(e.low!).toBeLessThanOrEqual(e.high!);
    expect(e.refused).toBeNull();
  });
});

describe('HTML report', () => {
  it('is one self-contained file with every text escaped', () => {
    t = tempWorkspace(); ws = t.ws;
    ws.importItems('d', src('items.jsonl', [{ id: 'a', input: 'q', output: 'x', dimensions: { team: '<script>alert(1)</script>' } }, { id: 'b', input: 'q', output: 'y' }]));
    const c = ws.addCriterion('d', { name: '<img src=x onerror=alert(1)>' });
    ws.importLabels(c, src('l.jsonl', [{ id: 'a', verdict: 'pass' }, { id: 'b', verdict: 'fail' }]));
    ws.importRun(c, src('r.jsonl', [{ id: 'a', verdict: 'pass' }, { id: 'b', verdict: 'pass' }]), 'r');
    const html = reportHtml(ws.report(c));
    expect(html).not.toMatch(/<script|<img|src=["']?http|<link/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
