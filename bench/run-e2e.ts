/**
 * Judge throughput, whole process: `node bin/concur.js run` (the CLI compiled at install) as a
 * child process judging 2,000 labelled items at --concurrency 64 with --no-cache, against the
 * OpenAI-compatible stand-in at 50 ms latency in another child process. Median of 3 of:
 *  - end to end: the wall time of the whole process, start-up and teardown included;
 *  - judging: from the stand-in's first request to its last answer (start-up and teardown excluded),
 *  - start-up (spawn → first request) and teardown (last answer → process exit);
 * each with its ratio to the floor ⌈2000/64⌉ × 50 ms = 1.6 s (floor/achieved, 1 = ideal), and
 * the CLI's peak RSS and CPU time (user + system, /usr/bin/time -v; on a shared machine the CPU
 * time is the steadier figure).
 * Side by side with promptfoo when it is available (PROMPTFOO_BIN, else `npx --no-install promptfoo`):
 * `promptfoo eval -j 64` with an llm-rubric assertion over the same 2,000 items against the same
 * stand-in (support/promptfoo-config.ts), printing Concur/peer as peer time / Concur time.
 * BENCH_RUN_ITEMS / BENCH_RUN_REPEATS change the size and the repeats.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchWorkspace, fmt, startFakeInChild } from './support/harness.ts';
import { findPromptfoo, writePromptfooConfig } from './support/promptfoo-config.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'concur.js');
const N = Number(process.env.BENCH_RUN_ITEMS ?? 2000);
const REPEATS = Number(process.env.BENCH_RUN_REPEATS ?? 3);
const CONCURRENCY = 64, LATENCY_MS = 50;
const FLOOR_MS = Math.ceil(N / CONCURRENCY) * LATENCY_MS;
// one reply both tools accept: Concur's {critique, verdict} and promptfoo's llm-rubric {pass, score, reason}
const REPLY = JSON.stringify({ critique: 'The reply explains the pending authorisation correctly.', verdict: 'pass', reason: 'The reply is correct.', pass: true, score: 1 });

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const epoch = () => performance.timeOrigin + performance.now();

interface Sample { wallMs: number; cpuMs: number; startupMs: number; judgingMs: number; teardownMs: number; rssMb: number; requests: number }

const fake = await startFakeInChild({ latencyMs: LATENCY_MS, reply: REPLY });
const bench = benchWorkspace(N, fake.url);
const { ws, criterion } = bench;
ws.importLabels(criterion, { name: 'labels.jsonl', records: Array.from({ length: N }, (_, i) => ({ line: i + 1, fields: { id: `item-${i}`, verdict: i % 5 ? 'pass' : 'fail' } })) });
const dbFile = join(bench.dir, 'bench.sqlite');
ws.repos.db.close();
const env = { ...process.env, BENCH_KEY: 'k', CONCUR_KEYS: `BENCH_KEY=${fake.url}` };

/** One whole process; the stand-in's timestamps split it into start-up, judging and teardown. */
async function measure(argv: string[], cwd: string, processEnv: NodeJS.ProcessEnv, limitSeconds?: number): Promise<Sample> {
  await fake.reset();
  const before = (await fake.stats()).requests;
  const t0 = epoch();
  // a peer that never exits must not hang the bench: coreutils `timeout` ends it (and `time` still reports)
  const timed = limitSeconds ? ['timeout', '-k', '5', String(limitSeconds), ...argv] : argv;
  const r = spawnSync('/usr/bin/time', ['-v', ...timed], { cwd, env: processEnv, encoding: 'utf8', maxBuffer: 1 << 28 });
  const t1 = epoch();
  if (limitSeconds && r.status === 124) throw new Error(`${argv.slice(1, 4).join(' ')} … did not finish within ${limitSeconds} s (BENCH_PEER_TIMEOUT_S); no peer figure`);
  if (r.status !== 0) {
    const own = r.stderr.split(/\n\s*Command being timed:/)[0]!.trim().split('\n').slice(-8).join('\n');
    throw new Error(`${argv.slice(1, 4).join(' ')} … exited ${r.status}: ${own || r.stdout.trim().split('\n').slice(-8).join('\n')}`);
  }
  const s = await fake.stats();
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const seconds = (what: string) => Number(new RegExp(`${what} time \\(seconds\\): ([\\d.]+)`).exec(r.stderr)?.[1] ?? NaN);
  // firstAt/lastAt are stamped when a request's latency has passed: its arrival was LATENCY_MS earlier
  const firstArrival = s.firstAt! - LATENCY_MS;
  return { wallMs: t1 - t0, cpuMs: (seconds('User') + seconds('System')) * 1000, startupMs: firstArrival - t0, judgingMs: s.lastAt! - firstArrival, teardownMs: t1 - s.lastAt!, rssMb: rssKb / 1024, requests: s.requests - before };
}

function summarise(name: string, samples: Sample[]): number {
  const m = (k: keyof Sample) => median(samples.map((s) => s[k]));
  const wall = m('wallMs'), judging = m('judgingMs');
  console.log(`  ${name}`);
  console.log(`    end to end (whole process)   ${fmt(wall / 1000)} s → floor/achieved ${fmt(FLOOR_MS / wall)}   (runs: ${samples.map((s) => fmt(s.wallMs / 1000)).join(', ')} s)`);
  console.log(`    judging (start-up excluded)  ${fmt(judging / 1000)} s → floor/achieved ${fmt(FLOOR_MS / judging)}`);
  console.log(`    start-up ${fmt(m('startupMs'), 0)} ms (spawn → first request), teardown ${fmt(m('teardownMs'), 0)} ms (last answer → exit), peak RSS ${fmt(m('rssMb'), 0)} MB, CPU ${fmt(m('cpuMs') / 1000)} s, ${samples[0]!.requests} requests`);
  return wall;
}

console.log(`judge throughput, whole process: ${N.toLocaleString('en')} labelled items, concurrency ${CONCURRENCY}, no cache, stand-in at ${LATENCY_MS} ms in a child process; median of ${REPEATS}`);
console.log(`  floor ⌈${N}/${CONCURRENCY}⌉ × ${LATENCY_MS} ms = ${fmt(FLOOR_MS / 1000)} s`);
const concurArgv = [process.execPath, BIN, 'run', '--db', dbFile, '--dataset', 'bench', '--criterion', 'correct', '--split', 'all', '--concurrency', String(CONCURRENCY), '--no-cache'];
const concur: Sample[] = [];
for (let i = 0; i < REPEATS; i++) concur.push(await measure(concurArgv, ROOT, env));
const concurWall = summarise('concur run (node bin/concur.js, compiled)', concur);

const promptfoo = findPromptfoo();
if (!promptfoo) {
  console.log('  promptfoo: not available (set PROMPTFOO_BIN to a promptfoo executable, or install it where `npx --no-install promptfoo` finds it); no peer figure');
} else {
  const config = writePromptfooConfig(bench.dir, fake.url, N);
  const pfEnv = { ...process.env, OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.url, PROMPTFOO_DISABLE_TELEMETRY: '1', PROMPTFOO_DISABLE_UPDATE: '1', PROMPTFOO_CACHE_ENABLED: 'false', PROMPTFOO_CONFIG_DIR: join(bench.dir, 'pf-home'), PROMPTFOO_DISABLE_SHARING: '1' };
  const pfArgv = [...promptfoo.argv, 'eval', '-c', config, '-j', String(CONCURRENCY), '--no-cache', '--no-table', '--no-write', '--no-progress-bar', '-o', join(bench.dir, 'pf-out.json')];
  const pf: Sample[] = [];
  try {
    for (let i = 0; i < REPEATS; i++) pf.push(await measure(pfArgv, bench.dir, pfEnv, Number(process.env.BENCH_PEER_TIMEOUT_S) || 180));
    const pfWall = summarise(`promptfoo ${promptfoo.version} eval -j ${CONCURRENCY}, llm-rubric (${promptfoo.how})`, pf);
    const cpu = (xs: Sample[]) => median(xs.map((x) => x.cpuMs));
    console.log(`  Concur/peer (whole process, promptfoo time / Concur time): wall ${fmt(pfWall / concurWall)}×, CPU ${fmt(cpu(pf) / cpu(concur))}×`);
  } catch (e) {
    console.log(`  promptfoo ${promptfoo.version}: failed — ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`);
  }
}
await fake.close();
rmSync(bench.dir, { recursive: true, force: true });
