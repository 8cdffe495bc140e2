/**
 * The alignment report, end to end through the CLI, pinned to scikit-learn / statsmodels.
 *
 * tests/fixtures/report/ holds 49 items: 40 with an expert label and a judge verdict
 * (pp 22, pf 4, fp 3, ff 11, shuffled), 3 with an ambiguous expert label, 2 unlabelled,
 * 2 whose judge verdict is missing (errors) and 2 used as few-shot examples by the judged version.
 * judge-run.jsonl is the external judge's output; the same verdicts are then produced by a judged
 * run against the fake OpenAI server, which must be measured identically.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { tempWorkspace } from '../support/workspace.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { jsonl, markedId, rowCounts, runMain, source } from '../support/seed.ts';
import { InputError } from '../../server/services/records.ts';

const DIR = fileURLToPath(new URL('../fixtures/report/', import.meta.url));
const f = (name: string) => DIR + name;

/*
 * Reference values. Command (from the repository root), which reads the same fixture files:
 *
 *   /usr/bin/python3 tests/fixtures/report/reference.py
 *
 * i.e. population = rows with a non-ambiguous expert verdict and a non-null judge verdict, then
 *   confusion_matrix(e, j, labels=['pass','fail']); accuracy_score(e, j); cohen_kappa_score(e, j);
 *   statsmodels.stats.inter_rater.cohens_kappa(cm) → kappa, std_kappa, kappa_low, kappa_upp;
 *   proportion_confint(successes, n, method='wilson') for agreement, TPR (row pass) and TNR (row fail);
 *   precision_score / recall_score / f1_score(e, j, pos_label='fail').
 * Output (scikit-learn 1.2.1, statsmodels 0.13.5):
 *   n 40
 *   matrix [[22, 4], [3, 11]]
 *   accuracy 0.825 wilson (0.6805000966821227, 0.9125458625396409)
 *   kappa 0.6216216216216216 statsmodels 0.6216216216216215 0.12887665444062024 0.3690280204699917 0.8742152227732513
 *   tpr 0.8461538461538461 wilson (0.6646880067178652, 0.9384996627642165)
 *   tnr 0.7857142857142857 wilson (0.5241076941339969, 0.9242861328730682)
 *   fail precision/recall/f1 0.7333333333333333 0.7857142857142857 0.7586206896551724
 */
const REF = {
  n: 40,
  matrix: [[22, 4], [3, 11]],
  agreement: { value: 0.825, low: 0.6805000966821227, high: 0.9125458625396409 },
  kappa: { value: 0.6216216216216216, se: 0.12887665444062024, low: 0.3690280204699917, high: 0.8742152227732513 },
  tpr: { value: 0.8461538461538461, low: 0.6646880067178652, high: 0.9384996627642165 },
  tnr: { value: 0.7857142857142857, low: 0.5241076941339969, high: 0.9242861328730682 },
  failClass: { precision: 0.7333333333333333, recall: 0.7857142857142857, f1: 0.7586206896551724 },
};

function near(actual: unknown, expected: number, tol = 1e-9) {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected), `${actual} vs ${expected}`).toBeLessThan(tol);
}

interface Iv { value: number | null; low: number | null; high: number | null }
interface ReportJson {
  n: number;
  excluded: { unlabelled: number; ambiguous: number; errors: number; fewShot: number };
  confusion: { labels: string[]; matrix: number[][] };
  agreement: Iv; kappa: Iv & { se: number | null }; tpr: Iv; tnr: Iv;
  failClass: { precision: number | null; recall: number | null; f1: number | null };
  run: { id: number; kind: string; version: number | null };
  [k: string]: unknown;
}

function expectReference(r: ReportJson) {
  expect(r.n).toBe(REF.n);
  expect(r.confusion).toEqual({ labels: ['pass', 'fail'], matrix: REF.matrix });
  for (const key of ['agreement', 'tpr', 'tnr'] as const) {
    near(r[key].value, REF[key].value);
    near(r[key].low, REF[key].low);
    near(r[key].high, REF[key].high);
  }
  near(r.kappa.value, REF.kappa.value);
  near(r.kappa.se, REF.kappa.se);
  near(r.kappa.low, REF.kappa.low);
  near(r.kappa.high, REF.kappa.high);
  near(r.failClass.precision, REF.failClass.precision);
  near(r.failClass.recall, REF.failClass.recall);
  near(r.failClass.f1, REF.failClass.f1);
}

let t: ReturnType<typeof tempWorkspace>;
let server: FakeOpenAI;
let db: string;
const cli = async (...argv: string[]) => {
  const r = await runMain([...argv, '--db', db]);
  if (r.error) throw r.error;
  expect(r.code, r.stderr).toBe(0);
  return r;
};
const report = async (...argv: string[]) => JSON.parse((await cli('report', '--dataset', 'ref', '--criterion', 'correct', '--format', 'json', ...argv)).stdout) as ReportJson;

/** The external judge's verdicts by item id (few-shot items: pass); missing ones answer with text that is not JSON. */
const external = new Map(readFileSync(f('judge-run.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; verdict: string | null }).map((r) => [r.id, r.verdict]));

let importedRunId: number;

beforeAll(async () => {
  t = tempWorkspace();
  t.ws.repos.db.close(); // the CLI opens the file itself
  db = t.path;
  server = await startFakeOpenAI({
    respond: (req) => {
      const id = markedId(req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'));
      const v = id.startsWith('shot-') ? 'pass' : external.get(id);
      return v ? JSON.stringify({ critique: `judge on ${id}`, verdict: v }) : 'Hard to say, it depends.';
    },
  });
  await cli('import', f('items.jsonl'), '--dataset', 'ref');
  await cli('criteria', 'add', '--dataset', 'ref', '--name', 'correct', '--description', 'Correct and safe billing answer');
  await cli('labels', 'import', f('labels.jsonl'), '--dataset', 'ref', '--criterion', 'correct');
  const imported = await cli('runs', 'import', f('judge-run.jsonl'), '--dataset', 'ref', '--criterion', 'correct', '--name', 'external judge');
  importedRunId = Number(/imported run (\d+)/.exec(imported.stdout)![1]);
});

afterAll(async () => {
  await server?.close();
  t?.cleanup();
});

describe('imported run (runs import)', () => {
  it('stores null verdicts as errors, never as verdicts', async () => {
    const { Workspace } = await import('../../server/services/workspace.ts');
    const { openWorkspace } = await import('../../server/db/index.ts');
    const ws = new Workspace(openWorkspace(db));
    try {
      const run = ws.run(importedRunId);
      expect(run).toMatchObject({ kind: 'imported', name: 'external judge', status: 'done', versionId: null, total: 47, done: 47, errors: 2 });
      const ext = new Map(ws.repos.items.all(run.datasetId).map((i) => [i.id, i.externalId]));
      const errs = ws.repos.runs.judgments(run.id).filter((j) => j.error !== null).map((j) => ({ ...j, ext: ext.get(j.itemId) }));
      expect(errs.map((j) => j.ext).sort()).toEqual(['err-1', 'err-2']);
      for (const j of errs) expect(j.verdict).toBeNull();
      expect(errs.find((j) => j.ext === 'err-1')).toMatchObject({ error: 'unparseable reply', raw: 'I think it is fine?' });
      expect(errs.find((j) => j.ext === 'err-2')!.error).toMatch(/no verdict/);
    } finally {
      ws.repos.db.close();
    }
  });

  it('`concur report --format json` matches scikit-learn / statsmodels, with exclusions counted', async () => {
    const r = await report('--run', String(importedRunId));
    expectReference(r);
    expect(r.excluded).toEqual({ unlabelled: 2, ambiguous: 3, errors: 2, fewShot: 0, noMajority: 0, annotatorsDisagree: 0 });
    expect(r.run).toMatchObject({ id: importedRunId, kind: 'imported', version: null });
  });

  it('has the JSON shape of issue 2', async () => {
    const r = await report('--run', String(importedRunId));
    expect(r).toEqual(expect.objectContaining({
      n: expect.any(Number),
      excluded: { unlabelled: expect.any(Number), ambiguous: expect.any(Number), errors: expect.any(Number), fewShot: expect.any(Number), noMajority: expect.any(Number), annotatorsDisagree: expect.any(Number) },
      confusion: { labels: ['pass', 'fail'], matrix: [[expect.any(Number), expect.any(Number)], [expect.any(Number), expect.any(Number)]] },
      agreement: expect.objectContaining({ value: expect.any(Number), low: expect.any(Number), high: expect.any(Number) }),
      kappa: expect.objectContaining({ value: expect.any(Number), low: expect.any(Number), high: expect.any(Number) }),
      tpr: expect.objectContaining({ value: expect.any(Number), low: expect.any(Number), high: expect.any(Number) }),
      tnr: expect.objectContaining({ value: expect.any(Number), low: expect.any(Number), high: expect.any(Number) }),
    }));
    // rows are the expert: pass row = 22 + 4 = expert passes
    const [[pp, pf], [fp, ff]] = r.confusion.matrix as [[number, number], [number, number]];
    expect([pp + pf, fp + ff]).toEqual([26, 14]);
  });

  it('without --run reports the latest finished run of the criterion', async () => {
    const r = await report();
    expect(r.run.id).toBeGreaterThanOrEqual(importedRunId);
    expect(r.n).toBe(40);
  });

  it('rejects a row whose verdict is not a verdict, naming file, line and field, and imports nothing', async () => {
    const { Workspace } = await import('../../server/services/workspace.ts');
    const { openWorkspace } = await import('../../server/db/index.ts');
    const ws = new Workspace(openWorkspace(db));
    try {
      const c = ws.criterion('ref', 'correct');
      const before = rowCounts(ws.repos.db);
      const bad = jsonl([{ id: 'ref-01', verdict: 'pass' }, { id: 'ref-02', verdict: null }, { id: 'ref-03', verdict: 'probably' }]);
      let err: unknown;
      try { ws.importRun(c, source('other-judge.jsonl', bad), 'other'); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(InputError);
      expect(err).toMatchObject({ file: 'other-judge.jsonl', line: 3, field: 'verdict' });
      expect(() => ws.importRun(c, source('x.jsonl', jsonl([{ id: 'nope', verdict: 'pass' }])), 'other')).toThrow(/x\.jsonl:1: field "id": no item "nope"/);
      expect(() => ws.importRun(c, source('d.jsonl', jsonl([{ id: 'ref-01', verdict: 'pass' }, { id: 'ref-01', verdict: 'fail' }])), 'other')).toThrow(/d\.jsonl:2.*duplicate/);
      expect(rowCounts(ws.repos.db)).toEqual(before);
    } finally {
      ws.repos.db.close();
    }
  });
});

describe('judged run measured like the imported one', () => {
  it('gives the same numbers, and excludes the version\'s few-shot examples as fewShot', async () => {
    const added = await cli('prompt', 'add', '--dataset', 'ref', '--criterion', 'correct', '--template', f('judge-template.md'),
      '--model', 'gpt-4o-mini', '--base-url', server.url, '--temperature', '0', '--examples', 'shot-1,shot-2', '--note', 'reference run');
    expect(added.stdout).toMatch(/saved version 1 of "correct".*2 few-shot examples/);
    const ran = await cli('run', '--dataset', 'ref', '--criterion', 'correct', '--split', 'all', '--scope', 'all', '--json');
    const run = JSON.parse(ran.stdout) as { run: number; status: string; total: number; errors: number };
    expect(run).toMatchObject({ status: 'done', total: 49, errors: 2 });
    expect(server.count()).toBe(49);
    // the few-shot examples reached the judge with the expert's critique
    expect(server.requests[0]!.messages[1]!.content).toContain('Expert critique: Few-shot critique 1\nExpert verdict: pass');

    const judged = await report('--run', String(run.run));
    expectReference(judged);
    expect(judged.excluded).toEqual({ unlabelled: 2, ambiguous: 3, errors: 2, fewShot: 2, noMajority: 0, annotatorsDisagree: 0 });
    expect(judged.run).toMatchObject({ id: run.run, kind: 'judged', version: 1 });

    const imported = await report('--run', String(importedRunId));
    // the imported file has no verdict for the two few-shot items: labelled, so they count as not judged there (issue 11)
    expect(imported.notJudged).toBe(2);
    expect(judged.notJudged).toBe(0);
    const metrics = (r: ReportJson) => ({ ...r, run: null, excluded: { ...r.excluded, fewShot: 0 }, slices: null, judged: null, notJudged: null, errorRate: null, consistency: null });
    expect(metrics(judged)).toEqual(metrics(imported));

    // --version N picks that version's latest finished run
    expect((await report('--version', '1')).run.id).toBe(run.run);
  });
});
