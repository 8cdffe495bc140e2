/**
 * The `concur` CLI: in-process through `main(argv)` (output captured), and as the real
 * executable `node bin/concur.js` for exit codes (gate, usage errors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonl, runMain } from '../support/seed.ts';
import { concur, startConcur } from '../support/cli.ts';
import { startFakeOpenAI, verdictFrom, type FakeOpenAI } from '../support/openai-server.ts';

const IMPORT_FIXTURES = fileURLToPath(new URL('../fixtures/import/', import.meta.url));

let dir: string;
let db: string;
let server: FakeOpenAI;
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

/** In-process run that must succeed. */
async function ok(...argv: string[]) {
  const r = await runMain([...argv, '--db', db]);
  if (r.error) throw r.error;
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/*
 * Gate dataset: 30 items g-01..g-30. Expert and imported judge give
 * pp 15, pf 2, fp 2, ff 11 → agreement 26/30 = 0.867 (Wilson 0.703–0.947), kappa 0.729,
 * TPR 15/17 = 0.882 (Wilson 0.657–0.967), TNR 11/13 = 0.846 (Wilson 0.578–0.957).
 * /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci; print(ci(26,30,method='wilson'), ci(15,17,method='wilson'), ci(11,13,method='wilson'))"
 *   -> (0.703186733179637, 0.9469034451594526) (0.6566364940511411, 0.9671202262362073) (0.5776536898051745, 0.9567418216419188)
 */
const GATE: Array<[string, 'pass' | 'fail', 'pass' | 'fail']> = Array.from({ length: 30 }, (_, i) => {
  const id = `g-${String(i + 1).padStart(2, '0')}`;
  const pairs: Array<['pass' | 'fail', 'pass' | 'fail']> = [
    ...Array.from({ length: 15 }, () => ['pass', 'pass'] as ['pass', 'pass']), ['pass', 'fail'], ['pass', 'fail'],
    ['fail', 'pass'], ['fail', 'pass'], ...Array.from({ length: 11 }, () => ['fail', 'fail'] as ['fail', 'fail']),
  ];
  return [id, pairs[i]![0], pairs[i]![1]];
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concur-cli-'));
  db = join(dir, 'ws.sqlite');
  server = await startFakeOpenAI({ respond: verdictFrom((text) => (/g-0[1-5]/.test(text) ? 'fail' : 'pass')) });
  await ok('import', file('gate.jsonl', jsonl(GATE.map(([id]) => ({ id, input: `question ${id}`, output: `answer ${id}`, dimensions: { team: Number(id.slice(2)) % 2 ? 'odd' : 'even' } })))), '--dataset', 'gate');
  await ok('criteria', 'add', '--dataset', 'gate', '--name', 'correct', '--principal', 'maria');
  await ok('labels', 'import', file('labels.jsonl', jsonl(GATE.map(([id, e]) => ({ id, verdict: e, critique: `because ${id}` })))), '--dataset', 'gate', '--criterion', 'correct');
  await ok('runs', 'import', file('judge.jsonl', jsonl(GATE.map(([id, , j]) => ({ id, verdict: j })))), '--dataset', 'gate', '--criterion', 'correct', '--name', 'ext');
  // a criterion where expert and judge say pass on every item: kappa is undefined
  await ok('criteria', 'add', '--dataset', 'gate', '--name', 'all pass');
  await ok('labels', 'import', file('allpass.jsonl', jsonl(GATE.map(([id]) => ({ id, verdict: 'pass' })))), '--dataset', 'gate', '--criterion', 'all pass');
  await ok('runs', 'import', file('allpass-judge.jsonl', jsonl(GATE.map(([id]) => ({ id, verdict: 1 })))), '--dataset', 'gate', '--criterion', 'all pass', '--name', 'ext');
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('concur gate (the real executable)', () => {
  const gate = (...args: string[]) => concur(['gate', '--db', db, '--dataset', 'gate', '--criterion', 'correct', ...args]);

  it('exits 0 when every threshold holds', async () => {
    const r = await gate('--min-agreement', '0.8', '--min-kappa', '0.6', '--min-tpr', '0.8', '--min-tnr', '0.8');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/^FAIL/m);
    expect(r.stdout).toMatch(/^ok +agreement 0\.867 ≥ 0\.800$/m);
    expect(r.stdout).toMatch(/^gate passed \(run \d+, n = 30\)$/m);
  });

  it('exits 1 with one line per failed threshold', async () => {
    const r = await gate('--min-agreement', '0.9', '--min-kappa', '0.8', '--min-tpr', '0.8', '--min-tnr', '0.9');
    expect(r.code).toBe(1);
    const fails = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
    expect(fails).toHaveLength(3);
    expect(fails[0]).toBe('FAIL agreement 0.867 < 0.900 (95% CI 0.703–0.947)');
    expect(fails[1]).toMatch(/^FAIL kappa 0\.729 < 0\.800 \(95% CI /);
    expect(fails[2]).toBe('FAIL TNR 0.846 < 0.900 (95% CI 0.578–0.957)');
    expect(r.stdout).toMatch(/^ok +TPR 0\.882 ≥ 0\.800$/m);
    expect(r.stdout).toMatch(/^gate failed/m);
  });

  it('--lower-bound compares the lower end of the 95% interval', async () => {
    const plain = await gate('--min-agreement', '0.8', '--min-tpr', '0.6');
    expect(plain.code).toBe(0);
    const strict = await gate('--min-agreement', '0.8', '--min-tpr', '0.6', '--lower-bound');
    expect(strict.code).toBe(1);
    expect(strict.stdout.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual(['FAIL agreement lower 95% bound 0.703 < 0.800']);
    expect(strict.stdout).toMatch(/^ok +TPR lower 95% bound 0\.657 ≥ 0\.600$/m);
  });

  it('fails an undefined kappa with the reason', async () => {
    const r = await concur(['gate', '--db', db, '--dataset', 'gate', '--criterion', 'all pass', '--min-kappa', '0.1', '--min-agreement', '0.9']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual(['FAIL kappa is undefined (n = 30); needs ≥ 0.100']);
  });

  it('exits 2 without any threshold', async () => {
    const r = await gate();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^concur: give at least one threshold/);
  });
});

describe('concur usage errors (the real executable)', () => {
  it('a missing --dataset exits 2 with a one-line message', async () => {
    const r = await concur(['run', '--db', db, '--criterion', 'correct']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('concur: missing --dataset\n');
    expect(r.stdout).toBe('');
  });

  it('an unknown dataset or option exits 2 naming it', async () => {
    const unknown = await concur(['report', '--db', db, '--dataset', 'nope', '--criterion', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^concur: no dataset "nope"/);
    const option = await concur(['datasets', 'list', '--db', db, '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/bogus/);
  });

  it('a bad import file exits 2 naming file, line and field', async () => {
    const bad = file('bad-items.jsonl', '{"id": "b1", "input": "i", "output": "o"}\n{"id": "b2", "output": "o"}\n');
    const r = await concur(['import', bad, '--db', db, '--dataset', 'never-created']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`concur: ${bad}:2: field "input": is missing or empty\n`);
    const list = await runMain(['datasets', 'list', '--format', 'json', '--db', db]);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((d) => d.name)).not.toContain('never-created');
  });
});

describe('concur commands (in process)', () => {
  it('main() rejects a missing --dataset with the message', async () => {
    const r = await runMain(['run', '--criterion', 'correct', '--db', db]);
    expect(r.error?.message).toBe('missing --dataset');
  });

  it('datasets list --format json gives [{"name", "items", ...}]', async () => {
    await ok('import', IMPORT_FIXTURES + 'items.csv', '--dataset', 'another');
    const r = await ok('datasets', 'list', '--format', 'json');
    const list = JSON.parse(r.stdout) as Array<{ name: string; items: number; criteria: string[] }>;
    expect(list.map((d) => [d.name, d.items])).toEqual([['another', 3], ['gate', 30]]);
    expect(list[1]!.criteria).toEqual(['correct', 'all pass']);
  });

  it('import --map maps other column names', async () => {
    const r = await ok('import', IMPORT_FIXTURES + 'mapped.csv', '--dataset', 'mapped', '--map', 'id=ticket', '--map', 'input=question', '--map', 'output=answer', '--map', 'dim.persona=who');
    expect(r.stdout).toBe('imported 2 items into "mapped" (2 new, 0 updated); the dataset now has 2 items\n');
    const again = await ok('import', IMPORT_FIXTURES + 'mapped.csv', '--dataset', 'mapped', '--map', 'id=ticket', '--map', 'input=question', '--map', 'output=answer');
    expect(again.stdout).toContain('(0 new, 2 updated); the dataset now has 2 items');
  });

  it('labels export writes the principal expert\'s current labels as JSONL, or CSV', async () => {
    const r = await ok('labels', 'export', '--dataset', 'gate', '--criterion', 'correct');
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(30);
    expect(rows[0]).toMatchObject({ id: 'g-01', verdict: 'pass', critique: 'because g-01', ambiguous: false, annotator: 'maria' });
    expect(rows[16]).toMatchObject({ id: 'g-17', verdict: 'pass' });
    expect(rows[29]).toMatchObject({ id: 'g-30', verdict: 'fail' });

    const csvPath = join(dir, 'labels.csv');
    const r2 = await ok('labels', 'export', '--dataset', 'gate', '--criterion', 'correct', '--out', csvPath);
    expect(r2.stderr).toContain(`wrote 30 labels to ${csvPath}`);
    const csv = readFileSync(csvPath, 'utf8').split('\r\n');
    // one label export for the CLI, the API and the CSV download: the item's input and output come with the label
    expect(csv[0]).toBe('id,input,output,verdict,critique,ambiguous,annotator,split,labelled_at');
    expect(csv[1]).toMatch(/^g-01,[^,]*,[^,]*,pass,because g-01,false,maria,/);

    // the export reads back as a label import without changing anything
    const back = await ok('labels', 'import', csvPath, '--dataset', 'gate', '--criterion', 'correct');
    expect(back.stdout).toBe('read 30 labels: 0 added to the history, 30 unchanged\n');
  });

  it('prompt add prints the version it saved', async () => {
    const tpl = file('judge.md', 'Is this answer correct?\n{{input}}\n{{output}}\n');
    const v1 = await ok('prompt', 'add', '--dataset', 'gate', '--criterion', 'correct', '--template', tpl, '--model', 'gpt-4o-mini', '--base-url', server.url, '--examples', 'g-01,g-30');
    expect(v1.stdout).toBe('saved version 1 of "correct" (model gpt-4o-mini, 2 few-shot examples)\n');
    const v2 = await ok('prompt', 'add', '--dataset', 'gate', '--criterion', 'correct', '--template', tpl, '--model', 'gpt-4o', '--base-url', server.url, '--temperature', '0', '--format', 'json');
    // no --api-key-env and a URL OPENAI_API_KEY is not bound to: the version sends no key (the secrets rule)
    expect(JSON.parse(v2.stdout)).toMatchObject({ number: 2, model: 'gpt-4o', temperature: 0, examples: [], apiKeyEnv: '' });
    const bad = await runMain(['prompt', 'add', '--dataset', 'gate', '--criterion', 'correct', '--template', file('bad.md', '{{output}}\n{{answer}}'), '--model', 'm', '--db', db]);
    expect(bad.error?.message).toMatch(/^template: line 2: unknown variable \{\{answer\}\}/);
  });

  it('run --json prints { "run": ID, ... } with progress on stderr', async () => {
    const before = server.count();
    const r = await ok('run', '--dataset', 'gate', '--criterion', 'correct', '--split', 'all', '--concurrency', '4', '--json');
    const out = JSON.parse(r.stdout) as { run: number; id: number; status: string; total: number; done: number; errors: number; versionNumber: number };
    expect(out).toMatchObject({ status: 'done', total: 30, done: 30, errors: 0, versionNumber: 2 });
    expect(out.run).toBe(out.id);
    expect(server.count() - before).toBe(30);
    expect(r.stderr).toMatch(new RegExp(`run ${out.run}: 30/30 judged`));
    const rep = await ok('report', '--dataset', 'gate', '--criterion', 'correct', '--run', String(out.run), '--format', 'json');
    // judge: fail on g-01..g-05 only; expert: g-01..g-17 pass
    expect((JSON.parse(rep.stdout) as { confusion: { matrix: number[][] } }).confusion.matrix).toEqual([[12, 5], [13, 0]]);
  });

  it('report --format md and html render the same report', async () => {
    const md = await ok('report', '--dataset', 'gate', '--criterion', 'all pass', '--format', 'md');
    expect(md.stdout).toMatch(/^# /);
    expect(md.stdout).toContain('undefined');
    const html = await ok('report', '--dataset', 'gate', '--criterion', 'correct', '--format', 'html');
    expect(html.stdout).toMatch(/<html/i);
    const bad = await runMain(['report', '--dataset', 'gate', '--criterion', 'correct', '--format', 'pdf', '--db', db]);
    expect(bad.error?.message).toMatch(/--format must be json, md or html/);
  });
});

describe('concur writing into a closed pipe (`concur … | head`)', () => {
  it('stops quietly instead of crashing with EPIPE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concur-pipe-'));
    const db = join(dir, 'w.sqlite');
    try {
      expect((await concur(['init', '--samples', '--db', db])).code).toBe(0);
      // a large output (~800 KB: annotator1's 999 PandaLM labels, far beyond a pipe's buffer); the reader takes one chunk and goes away, as `head -1` does
      const { child, done } = startConcur(['labels', 'export', '--db', db, '--dataset', 'pandalm-human-judgments', '--criterion', 'Which response better follows the instruction', '--annotator', 'annotator1']);
      child.stdout!.once('data', () => child.stdout!.destroy());
      const r = await done;
      expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at /);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
