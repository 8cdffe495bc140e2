import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../server/cli/index.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';

/** Runs the CLI in-process and returns its exit code and stdout. */
async function concur(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { lines.push(a.join(' ')); });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
  try {
    return { code: await main(argv), out: lines.join('\n') };
  } finally { log.mockRestore(); err.mockRestore(); out.mockRestore(); }
}

/** The items versions 2 and 3 judge wrongly: v2 → v3 fixes i1–i8 and regresses i11, i12; both miss i9, i10. */
const WRONG = { v2: new Set(['i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8', 'i9', 'i10']), v3: new Set(['i9', 'i10', 'i11', 'i12']) };

describe('statistics through the CLI (JSON contract)', () => {
  let dir: string, db: string, fake: FakeOpenAI;
  const D = ['--dataset', 'd', '--criterion', 'ok'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concur-cli-'));
    db = join(dir, 'w.sqlite');
    // a judge that answers inconsistently on items whose id ends in 0: sample 0 and 2 pass, sample 1 fails
    let calls = 0;
    fake = await startFakeOpenAI({
      respond: (req) => {
        const user = req.messages[1]!.content;
        // versions 2 and 3 (templates marked v2/v3) are right except on known items: wrong[v] holds them
        const marked = /\[(v[23])\]/.exec(user)?.[1];
        if (marked) {
          const id = /item (i\d+)\b/.exec(user)![1]!;
          const right = Number(id.slice(1)) % 4 === 0 ? 'fail' : 'pass';
          return JSON.stringify({ critique: 'c', verdict: WRONG[marked as 'v2' | 'v3'].has(id) ? (right === 'pass' ? 'fail' : 'pass') : right });
        }
        const flaky = /item i\d*0\b/.test(user);
        const good = user.includes('fine');
        calls++;
        return JSON.stringify({ critique: 'c', verdict: flaky ? (calls % 2 ? 'pass' : 'fail') : good ? 'pass' : 'fail' });
      },
    });
    process.env.OPENAI_BASE_URL = fake.url;
    writeFileSync(join(dir, 'items.jsonl'), Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({ id: `i${i}`, input: `item i${i}`, output: i % 4 === 0 ? 'broken' : 'fine'.repeat(1 + (i % 7)), dimensions: { team: i % 2 ? 'red' : 'blue' } })).join('\n'));
    writeFileSync(join(dir, 'labels.csv'), 'id,verdict,critique\n' + Array.from({ length: 60 }, (_, i) => `i${i},${i % 4 === 0 ? 'fail' : 'pass'},"why ${i}"`).join('\n'));
    writeFileSync(join(dir, 'second.csv'), 'id,verdict\n' + Array.from({ length: 20 }, (_, i) => `i${i},${i % 4 === 0 || i === 5 ? 'fail' : 'pass'}`).join('\n'));
    writeFileSync(join(dir, 't.md'), 'Judge: {{criterion}}\n{{input}}\n{{output}}\n{{examples}}');
    expect((await concur('import', join(dir, 'items.jsonl'), '--dataset', 'd', '--db', db)).code).toBe(0);
    expect((await concur('criteria', 'add', '--dataset', 'd', '--name', 'ok', '--principal', 'lee', '--db', db)).code).toBe(0);
    expect((await concur('labels', 'import', join(dir, 'labels.csv'), ...D, '--db', db)).code).toBe(0);
    expect((await concur('labels', 'import', join(dir, 'second.csv'), ...D, '--annotator', 'kim', '--db', db)).code).toBe(0);
  });
  afterAll(async () => { delete process.env.OPENAI_BASE_URL; await fake.close(); rmSync(dir, { recursive: true, force: true }); });

  it('criteria list and runs list print the documented JSON', async () => {
    const crit = JSON.parse((await concur('criteria', 'list', '--dataset', 'd', '--format', 'json', '--db', db)).out);
    expect(crit).toEqual([expect.objectContaining({ name: 'ok', scale: 'binary', principalAnnotator: 'lee' })]);
    const ordinal = await concur('criteria', 'add', '--dataset', 'd', '--name', 'score', '--scale', 'ordinal', '--levels', '5', '--pass-at', '4', '--db', db);
    expect(ordinal.code).toBe(0);
    const bad = await concur('criteria', 'add', '--dataset', 'd', '--name', 'bad', '--scale', 'ordinal', '--db', db).catch((e: Error) => ({ code: -2, out: e.message }));
    expect(bad.out).toMatch(/levels/);
  });

  it('k samples: self-agreement and flip rate in the report; the majority verdict is measured', async () => {
    expect((await concur('prompt', 'add', ...D, '--template', join(dir, 't.md'), '--model', 'm', '--db', db)).code).toBe(0);
    const run = JSON.parse((await concur('run', ...D, '--split', 'all', '--samples', '3', '--json', '--db', db)).out);
    expect(run).toMatchObject({ run: expect.any(Number), status: 'done', total: 180, done: 180, errors: 0 });
    const report = JSON.parse((await concur('report', ...D, '--format', 'json', '--db', db)).out);
    expect(report.consistency.samples).toMatchObject({ samplesPerItem: 3, items: 60 });
    // 6 flaky items (ids ending in 0) each get pass/fail/pass or fail/pass/fail: 1 agreeing pair of 3
    expect(report.consistency.samples.flipRate).toBeCloseTo(6 / 60, 12);
    expect(report.consistency.samples.selfAgreement).toBeCloseTo((54 + 6 / 3) / 60, 12);
    expect(report.n).toBe(60);
    expect(report.annotators.pairwise).toEqual([expect.objectContaining({ a: 'kim', b: 'lee', n: 20 })]);
    expect(report.consistency.verbosity).toHaveLength(4);
    expect(report.slices.map((s: { dimension: string; value: string }) => `${s.dimension}=${s.value}`)).toEqual(expect.arrayContaining(['team=red', 'team=blue']));
  });

  it('compare --format json gives fixed, regressed and McNemar', async () => {
    const runs = JSON.parse((await concur('runs', 'list', ...D, '--format', 'json', '--db', db)).out);
    expect(runs[0]).toMatchObject({ id: expect.any(Number), name: expect.any(String), version: 1, kind: 'judged', status: 'done' });
    const ids: number[] = [];
    for (const v of ['v2', 'v3']) {
      writeFileSync(join(dir, `${v}.md`), `[${v}] Judge: {{criterion}}\n{{input}}\n{{output}}`);
      expect((await concur('prompt', 'add', ...D, '--template', join(dir, `${v}.md`), '--model', 'm', '--db', db)).code).toBe(0);
      ids.push(JSON.parse((await concur('run', ...D, '--split', 'all', '--json', '--db', db)).out).run);
    }
    const cmp = JSON.parse((await concur('compare', ...D, '--run', String(ids[0]), '--run', String(ids[1]), '--format', 'json', '--db', db)).out);
    expect(cmp).toMatchObject({ a: ids[0], b: ids[1], split: 'all', n: 60, correctA: 50, correctB: 56 });
    expect([...cmp.fixed].sort()).toEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8']);
    expect([...cmp.regressed].sort()).toEqual(['i11', 'i12']);
    // b = right → wrong (regressed), c = wrong → right (fixed); 2×2 table [[48, 2], [8, 2]]:
    // python3 -c "from statsmodels.stats.contingency_tables import mcnemar; print(mcnemar([[48, 2], [8, 2]], exact=True).pvalue)"
    //   → 0.109375 (scipy: binomtest(2, 10, 0.5).pvalue, the same)
    expect(cmp.mcnemar.b).toBe(2);
    expect(cmp.mcnemar.c).toBe(8);
    expect(cmp.mcnemar.p).toBeCloseTo(0.109375, 12);
  });

  it('estimate --format json refuses clearly when the version has not judged the test split', async () => {
    // a criterion whose version judged the labelled dev split only
    expect((await concur('criteria', 'add', '--dataset', 'd', '--name', 'dev-only', '--principal', 'lee', '--db', db)).code).toBe(0);
    const E = ['--dataset', 'd', '--criterion', 'dev-only'];
    expect((await concur('labels', 'import', join(dir, 'labels.csv'), ...E, '--db', db)).code).toBe(0);
    expect((await concur('prompt', 'add', ...E, '--template', join(dir, 't.md'), '--model', 'm', '--db', db)).code).toBe(0);
    const dev = JSON.parse((await concur('run', ...E, '--split', 'dev', '--json', '--db', db)).out);
    expect(dev).toMatchObject({ status: 'done', split: 'dev', errors: 0 });
    expect(dev.done).toBeGreaterThan(0);
    const refusal = main(['corrected-pass-rate', ...E, '--version', '1', '--format', 'json', '--db', db]);
    await expect(refusal).rejects.toThrow('version: version 1 has no run on the labelled test split; run it first: concur run --dataset d --criterion dev-only --version 1 --split test');
    await expect(refusal).rejects.toMatchObject({ code: 'no_test_run', status: 400 });
  });
});
