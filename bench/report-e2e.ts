/**
 * Reports end to end: the real CLI (`node bin/concur.js report|gate|compare` as a child process,
 * cold: a new process each time) on a workspace file with 200k and 1M labelled judgments per run
 * (two runs; server/db/synthetic.ts builds them). Wall time measured around the child, peak RSS
 * by /usr/bin/time -v; then the same operation in a fresh process timed in parts (support/report-child.ts:
 * module loading, opening, the computation) so the figure is attributable. Goals on the 2-core machine: report/gate ≤ 3 s and ≤ 400 MB at 1M,
 * compare ≤ 5 s; ≤ 0.8 s at 200k. Prints goal/achieved ratios (≥ 1 meets the goal); asserts nothing.
 * BENCH_REPORT_SIZES=200000,1000000 picks the sizes; BENCH_REPORT_TEXT_CHARS=N pads every input and
 * output with N characters (realistic item sizes: a report reads no text, so the figures should barely move).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../server/db/open.ts';
import { buildSyntheticWorkspace } from '../server/db/synthetic.ts';

const BIN = fileURLToPath(new URL('../bin/concur.js', import.meta.url));
const CHILD = fileURLToPath(new URL('./support/report-child.ts', import.meta.url));
const sizes = (process.env.BENCH_REPORT_SIZES ?? '200000,1000000').split(',').map(Number);
const textPadding = Number(process.env.BENCH_REPORT_TEXT_CHARS ?? 0);

function timed(args: string[]): { ms: number; rssMb: number; code: number | null } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  if (r.status !== 0 && r.status !== 1) console.error(r.stderr.split('\n').slice(0, 5).join('\n'));
  return { ms, rssMb: kb / 1024, code: r.status };
}

for (const n of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'concur-report-e2e-'));
  const path = join(dir, 'big.sqlite');
  const t0 = performance.now();
  const db = openDatabase(path);
  const names = buildSyntheticWorkspace(db, n, { textPadding });
  db.close();
  console.log(`reports end to end, ${n.toLocaleString('en')} labelled judgments per run${textPadding ? `, texts padded by ${textPadding.toLocaleString('en')} characters` : ''} (workspace built in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const common = ['--db', path, '--dataset', names.dataset, '--criterion', names.criterion];
  const wallGoal = n >= 1_000_000 ? 3000 : 800;
  const cases: Array<[string, string[], number, 'report' | 'gate' | 'compare']> = [
    ['report --format json', ['report', ...common, '--run', '1', '--format', 'json', '--out', join(dir, 'r.json')], wallGoal, 'report'],
    ['gate', ['gate', ...common, '--run', '1', '--min-agreement', '0.5'], wallGoal, 'gate'],
    ['compare (two runs)', ['compare', ...common, '--run', '1', '--run', '2', '--format', 'json'], n >= 1_000_000 ? 5000 : 800 * 5 / 3, 'compare'],
  ];
  for (const [name, args, goalMs, op] of cases) {
    const r = timed(args);
    console.log(`  end to end  ${name.padEnd(22)} ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.rssMb.toFixed(0)} MB`
      + ` → wall goal/achieved ${(goalMs / r.ms).toFixed(2)}, RSS 400 MB/achieved ${(400 / r.rssMb).toFixed(2)}${r.code === 0 || r.code === 1 ? '' : ` (exit ${r.code})`}`);
    // the same operation in a fresh process, timed in parts: start-up (module loading) vs the computation
    const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD, path, op], { encoding: 'utf8' });
    const p = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { loadMs: number; openMs: number; computeMs: number; computeCpuMs: number; rssMb: number };
    console.log(`  in process  ${name.padEnd(22)} ${(p.computeMs / 1000).toFixed(2)} s (CPU ${(p.computeCpuMs / 1000).toFixed(2)} s) after start-up ${(p.loadMs / 1000).toFixed(2)} s + open ${(p.openMs / 1000).toFixed(2)} s`
      + ` → wall goal/computation ${(goalMs / p.computeMs).toFixed(2)}`);
  }
  rmSync(dir, { recursive: true, force: true });
}
