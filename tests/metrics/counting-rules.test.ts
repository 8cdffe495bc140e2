/**
 * Counting rules a reader can rely on (issue 11), through the real CLI (in-process, the same
 * entry as bin/concur.js) and the HTTP API on one file workspace: judge errors and unjudged
 * labelled items count against the gate, nothing is excluded silently, a report against an
 * annotator without labels fails loudly, pairwise reports name their populations (pinned to
 * scikit-learn), PABAK/AC1 state q, a constant rater's kappa interval is undefined, and tied
 * annotator votes are "annotators disagree".
 *
 * McNemar at 1M is pinned in tests/shared/stats/mcnemar.test.ts ("b = c = 1,000,000 …").
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { cli } from '../../server/cli/index.ts';
import { openWorkspaceFile } from '../../server/services/open-workspace.ts';
import { buildTestApp } from '../support/app.ts';

/** Runs the CLI in-process as bin/concur.js does: exit code (2 for a user error), stdout and stderr. */
async function concur(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
  const w = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; });
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await cli(argv);
    return { code: Number(process.exitCode ?? 0), out: out.join('\n'), err: err.join('\n') };
  } finally { log.mockRestore(); error.mockRestore(); w.mockRestore(); process.exitCode = before; }
}

const N = 750;
/** The expert (lee) fails every third item. */
const expert = (i: number) => (i % 3 === 0 ? 'fail' : 'pass');
const flip = (v: string) => (v === 'pass' ? 'fail' : 'pass');

describe('counting rules (CLI and API)', () => {
  let dir: string, db: string;
  const D = ['--dataset', 'd', '--criterion', 'ok'];
  const runIds = new Map<string, number>();
  const json = async (...argv: string[]) => {
    const r = await concur(...argv, '--db', db);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.out);
  };
  const importRun = async (name: string, rows: string[]) => {
    writeFileSync(join(dir, `${name}.csv`), 'id,verdict,error,sample\n' + rows.join('\n'));
    const r = await concur('runs', 'import', join(dir, `${name}.csv`), ...D, '--name', name, '--db', db);
    expect(r.code, r.err).toBe(0);
    const list = await json('runs', 'list', ...D, '--format', 'json');
    runIds.set(name, (list as Array<{ id: number; name: string }>).find((x) => x.name === name)!.id);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concur-counting-'));
    db = join(dir, 'w.sqlite');
    writeFileSync(join(dir, 'items.jsonl'), Array.from({ length: N }, (_, i) => JSON.stringify({ id: `i${i}`, input: `q${i}`, output: `a${i}` })).join('\n'));
    writeFileSync(join(dir, 'labels.csv'), 'id,verdict\n' + Array.from({ length: N }, (_, i) => `i${i},${expert(i)}`).join('\n'));
    expect((await concur('import', join(dir, 'items.jsonl'), '--dataset', 'd', '--db', db)).code).toBe(0);
    expect((await concur('criteria', 'add', '--dataset', 'd', '--name', 'ok', '--principal', 'lee', '--db', db)).code).toBe(0);
    expect((await concur('labels', 'import', join(dir, 'labels.csv'), ...D, '--db', db)).code).toBe(0);
    // every answer this judge would get wrong (items 0–444) is an error instead; the 305 others are right
    await importRun('erring', Array.from({ length: N }, (_, i) => (i < 445 ? `i${i},,timeout,0` : `i${i},${expert(i)},,0`)));
    // verdicts for 500 of the 750 labelled items, all right
    await importRun('partial', Array.from({ length: 500 }, (_, i) => `i${i},${expert(i)},,0`));
    // two samples: items i ≡ 0 (mod 10) split pass/fail (no majority), i ≡ 5 (mod 10) both samples fail to parse (one error each item)
    await importRun('k2', Array.from({ length: N }, (_, i) => [0, 1].map((s) =>
      i % 10 === 0 ? `i${i},${s ? 'fail' : 'pass'},,${s}` : i % 10 === 5 ? `i${i},,unparseable,${s}` : `i${i},${expert(i)},,${s}`).join('\n')));
    // a judge that passes everything
    await importRun('constant', Array.from({ length: N }, (_, i) => `i${i},pass,,0`));
  });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  describe('judge errors count against the gate', () => {
    it('fails a run whose every would-be-wrong answer is an error, with the error-rate reason', async () => {
      const run = String(runIds.get('erring'));
      const g = await concur('gate', ...D, '--run', run, '--min-kappa', '.6', '--min-tpr', '.9', '--min-tnr', '.9', '--lower-bound', '--db', db);
      expect(g.code).toBe(1);
      // the 305 remaining items are judged perfectly: every other threshold holds
      expect(g.out).toMatch(/ok {3}kappa lower 95% bound/);
      expect(g.out).toMatch(/ok {3}TPR lower 95% bound/);
      expect(g.out).toContain('FAIL error rate 59.3% > 5.0% (445 errors + 0 not judged of 750 labelled)');
      expect(g.out).toContain(`gate failed (run ${run}, n = 305)`);
      // a threshold that allows the errors lets it pass; a bad threshold is a usage error
      const loose = await concur('gate', ...D, '--run', run, '--min-kappa', '.6', '--max-error-rate', '0.6', '--db', db);
      expect(loose.code).toBe(0);
      expect(loose.out).toContain('ok   error rate 59.3% ≤ 60.0% (445 errors + 0 not judged of 750 labelled)');
      expect((await concur('gate', ...D, '--run', run, '--min-kappa', '.6', '--max-error-rate', '2', '--db', db)).code).toBe(2);
    });

    it('reports the rate and its parts beside n (JSON and Markdown)', async () => {
      const r = await json('report', ...D, '--run', String(runIds.get('erring')), '--format', 'json');
      expect(r.n).toBe(305);
      expect(r.excluded.errors).toBe(445);
      expect(r.errorRate).toEqual({ value: 445 / 750, errors: 445, notJudged: 0, noMajority: 0, labelled: 750 });
      const md = (await concur('report', ...D, '--run', String(runIds.get('erring')), '--db', db)).out;
      expect(md).toContain('| Items compared (n) | 305 · error rate 59.3% (445 errors + 0 not judged of 750 labelled) |');
    });
  });

  describe('nothing is excluded silently', () => {
    it('counts labelled items missing from an imported run as notJudged', async () => {
      const run = String(runIds.get('partial'));
      const r = await json('report', ...D, '--run', run, '--format', 'json');
      expect(r.n).toBe(500);
      expect(r.notJudged).toBe(250);
      expect(r.errorRate).toEqual({ value: 250 / 750, errors: 0, notJudged: 250, noMajority: 0, labelled: 750 });
      const md = (await concur('report', ...D, '--run', run, '--db', db)).out;
      expect(md).toContain('250 labelled items the run never judged');
      const g = await concur('gate', ...D, '--run', run, '--min-agreement', '.9', '--db', db);
      expect(g.code).toBe(1);
      expect(g.out).toContain('FAIL error rate 33.3% > 5.0% (0 errors + 250 not judged of 750 labelled)');
      // on one split: only that split's missing labelled items
      const dev = await json('report', ...D, '--run', run, '--split', 'dev', '--format', 'json');
      expect(dev.n + dev.notJudged).toBe(dev.errorRate.labelled);
      expect(dev.notJudged).toBeGreaterThan(0);
      expect(dev.notJudged).toBeLessThan(250);
    });

    it('reports a tie among k samples as "no majority", not as a judge error', async () => {
      const r = await json('report', ...D, '--run', String(runIds.get('k2')), '--format', 'json');
      // 75 items i ≡ 0 (mod 10) tie pass/fail; 75 items i ≡ 5 (mod 10) failed in both samples: one error per item
      expect(r.excluded.noMajority).toBe(75);
      expect(r.excluded.errors).toBe(75);
      expect(r.n).toBe(600);
      expect(r.errorRate).toEqual({ value: 75 / 750, errors: 75, notJudged: 0, noMajority: 75, labelled: 750 });
      const md = (await concur('report', ...D, '--run', String(runIds.get('k2')), '--db', db)).out;
      expect(md).toContain("75 with no majority among the judge's samples");
    });
  });

  describe('PABAK/AC1 q and degenerate intervals', () => {
    it('states q beside PABAK and AC1', async () => {
      const r = await json('report', ...D, '--run', String(runIds.get('partial')), '--format', 'json');
      expect(r.q).toBe(2);
      const md = (await concur('report', ...D, '--run', String(runIds.get('partial')), '--db', db)).out;
      expect(md).toContain('| PABAK / Gwet AC1 (q = 2 categories) |');
    });

    it("shows kappa's interval as undefined, with the reason, when the judge is constant", async () => {
      const r = await json('report', ...D, '--run', String(runIds.get('constant')), '--format', 'json');
      expect(r.kappa).toMatchObject({ value: 0, low: null, high: null, reason: 'the judge gave one category only' });
      const md = (await concur('report', ...D, '--run', String(runIds.get('constant')), '--db', db)).out;
      expect(md).toContain("| Cohen's kappa | 0.000 (95% CI —: the judge gave one category only) |");
      expect(md).not.toMatch(/0\.000 \(95% CI 0\.000–0\.000\)/);
    });
  });

  describe('annotators', () => {
    it('fails loudly on an unknown --annotator, naming the annotators that have labels', async () => {
      const r = await concur('report', ...D, '--annotator', 'nobody', '--db', db);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/annotator "nobody" has no labels on criterion "ok"; annotators with labels: lee/);
    });

    it('a criterion whose principal has no labels: import warns and offers the principal, report/gate fail until set-principal', async () => {
      expect((await concur('criteria', 'add', '--dataset', 'd', '--name', 'fresh', '--db', db)).code).toBe(0);
      const F = ['--dataset', 'd', '--criterion', 'fresh'];
      const imported = await concur('labels', 'import', join(dir, 'labels.csv'), ...F, '--annotator', 'kim', '--db', db);
      expect(imported.code).toBe(0);
      expect(imported.err).toContain('criterion "fresh" has no labels by its principal annotator "expert"');
      expect(imported.err).toContain('concur criteria set-principal --dataset d --criterion fresh --annotator kim');
      const rows = Array.from({ length: 200 }, (_, i) => `i${i},${expert(i)},,0`);
      writeFileSync(join(dir, 'fresh.csv'), 'id,verdict,error,sample\n' + rows.join('\n'));
      expect((await concur('runs', 'import', join(dir, 'fresh.csv'), ...F, '--name', 'f', '--db', db)).code).toBe(0);
      const gate = await concur('gate', ...F, '--min-kappa', '.5', '--db', db);
      expect(gate.code).toBe(2);
      expect(gate.err).toMatch(/the principal annotator "expert" has no labels on criterion "fresh"; annotators with labels: kim/);
      expect((await concur('report', ...F, '--db', db)).code).toBe(2);
      expect((await concur('criteria', 'set-principal', ...F, '--annotator', 'nobody', '--db', db)).code).toBe(2);
      const set = await concur('criteria', 'set-principal', ...F, '--annotator', 'kim', '--db', db);
      expect(set.out).toContain('principal annotator of "fresh" is now kim');
      const after = await json('report', ...F, '--format', 'json');
      expect(after).toMatchObject({ annotator: 'kim', n: 200, notJudged: 550 });
    });

    it('a tied majority vote is "annotators disagree", not "ambiguous"', async () => {
      // kim labels items 0–99, disagreeing with lee on the even ones: two annotators tie on 50 items
      writeFileSync(join(dir, 'kim.csv'), 'id,verdict\n' + Array.from({ length: 100 }, (_, i) => `i${i},${i % 2 ? expert(i) : flip(expert(i))}`).join('\n'));
      expect((await concur('labels', 'import', join(dir, 'kim.csv'), ...D, '--annotator', 'kim', '--db', db)).code).toBe(0);
      const r = await json('report', ...D, '--run', String(runIds.get('constant')), '--annotator', 'majority', '--format', 'json');
      expect(r.excluded.annotatorsDisagree).toBe(50);
      expect(r.excluded.ambiguous).toBe(0);
      expect(r.n).toBe(700);
    });
  });

  describe('pairwise reports name their populations', () => {
    const L = ['A', 'B', 'tie'], E = ['A', 'B', 'A', 'B', 'tie'];
    const P = ['--dataset', 'p', '--criterion', 'pref'];
    beforeAll(async () => {
      writeFileSync(join(dir, 'p.jsonl'), Array.from({ length: 60 }, (_, i) => JSON.stringify({ id: `p${i}`, input: `q${i}`, output: `a${i}`, output_b: `b${i}` })).join('\n'));
      writeFileSync(join(dir, 'p-labels.csv'), 'id,verdict\n' + Array.from({ length: 60 }, (_, i) => `p${i},${E[i % 5]}`).join('\n'));
      // the judge agrees except on every fourth item; items i ≡ 7 (mod 13) are judge errors
      writeFileSync(join(dir, 'p-run.csv'), 'id,verdict,error\n' + Array.from({ length: 60 }, (_, i) =>
        (i % 13 === 7 ? `p${i},,garbage` : `p${i},${i % 4 ? E[i % 5] : L[Math.floor(i / 4) % 3]},`)).join('\n'));
      expect((await concur('import', join(dir, 'p.jsonl'), '--dataset', 'p', '--db', db)).code).toBe(0);
      expect((await concur('criteria', 'add', '--dataset', 'p', '--name', 'pref', '--scale', 'pairwise', '--db', db)).code).toBe(0);
      expect((await concur('labels', 'import', join(dir, 'p-labels.csv'), ...P, '--db', db)).code).toBe(0);
      expect((await concur('runs', 'import', join(dir, 'p-run.csv'), ...P, '--name', 'pj', '--db', db)).code).toBe(0);
    });

    it('nests the three-class view and both no-tie views, each with its own n, pinned to scikit-learn', async () => {
      const r = await json('report', ...P, '--format', 'json');
      expect(r.q).toBe(3);
      expect(r.excluded.errors).toBe(5);
      const v = r.pairwise;
      expect(v.threeClass.population).toMatch(/every compared item/);
      expect(v.neitherSaysTie.population).toMatch(/neither the expert nor the judge says tie/);
      expect(v.expertSaysNoTie.population).toMatch(/expert says A or B; a judge tie counts as a disagreement/);
      // /usr/bin/python3 (scikit-learn 1.2.1), the same rows:
      //   E=['A','B','A','B','tie']; L=['A','B','tie']
      //   rows=[(E[i%5], E[i%5] if i%4 else L[(i//4)%3]) for i in range(60) if i%13!=7]
      //   nt=[(e,j) for e,j in rows if e!='tie' and j!='tie']; en=[(e,j) for e,j in rows if e!='tie']
      //   cohen_kappa_score / accuracy_score on each:
      //   three 55 0.7457627118644068 0.8363636363636363
      //   neither 41 0.8047619047619048 0.9024390243902439
      //   expertNoTie 44 0.7021276595744681 0.8409090909090909
      expect(v.threeClass.n).toBe(55);
      expect(v.threeClass.kappa.value).toBeCloseTo(0.7457627118644068, 12);
      expect(v.threeClass.agreement.value).toBeCloseTo(0.8363636363636363, 12);
      expect(v.neitherSaysTie.n).toBe(41);
      expect(v.neitherSaysTie.leftOut).toBe(14);
      expect(v.neitherSaysTie.kappa.value).toBeCloseTo(0.8047619047619048, 12);
      expect(v.neitherSaysTie.agreement.value).toBeCloseTo(0.9024390243902439, 12);
      expect(v.expertSaysNoTie.n).toBe(44);
      expect(v.expertSaysNoTie.leftOut).toBe(11);
      expect(v.expertSaysNoTie.kappa.value).toBeCloseTo(0.7021276595744681, 12);
      expect(v.expertSaysNoTie.agreement.value).toBeCloseTo(0.8409090909090909, 12);
      // the flat withoutTies stays today's "neither says tie" view
      expect(r.withoutTies.n).toBe(41);
      const md = (await concur('report', ...P, '--db', db)).out;
      expect(md).toContain('## Pairwise populations');
      expect(md).toContain('| items where the expert says A or B; a judge tie counts as a disagreement | 44 | 11 |');
    });
  });

  describe('the same rules over HTTP', () => {
    let app: FastifyInstance;
    beforeAll(async () => { app = await buildTestApp({ workspace: openWorkspaceFile(db), webRoot: '/nonexistent' }); });
    afterAll(async () => { await app?.close(); });
    const criterionId = async () => {
      const ds = (await app.inject('/api/datasets')).json() as Array<{ id: number; name: string }>;
      const crit = (await app.inject(`/api/datasets/${ds.find((d) => d.name === 'd')!.id}/criteria`)).json() as Array<{ id: number; name: string }>;
      return crit.find((c) => c.name === 'ok')!.id;
    };

    it('POST /api/criteria/:id/gate fails on the error rate and answers its parts; maxErrorRate moves the bar', async () => {
      const id = await criterionId();
      const body = { run: runIds.get('erring'), minKappa: 0.6, minTpr: 0.9, minTnr: 0.9, lowerBound: true };
      const g = await app.inject({ method: 'POST', url: `/api/criteria/${id}/gate`, payload: body });
      expect(g.statusCode).toBe(200);
      expect(g.json()).toMatchObject({ pass: false, n: 305, errorRate: { errors: 445, notJudged: 0, labelled: 750 } });
      expect(g.json().failures).toEqual(['error rate 59.3% > 5.0% (445 errors + 0 not judged of 750 labelled)']);
      const loose = await app.inject({ method: 'POST', url: `/api/criteria/${id}/gate`, payload: { ...body, maxErrorRate: 0.6 } });
      expect(loose.json().pass).toBe(true);
    });

    it('GET report with an unknown annotator is a 400 with a code, naming who has labels', async () => {
      const id = await criterionId();
      const r = await app.inject(`/api/criteria/${id}/report?annotator=nobody`);
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ code: 'annotator_has_no_labels', field: 'annotator' });
      expect(r.json().error).toMatch(/annotators with labels: kim, lee/);
    });
  });
});
