/**
 * CLI start-up, whole process: `concur --help` and `concur datasets list` on a small workspace,
 * run the way bin/concur.js runs them now (the esbuild bundle compiled at install, dist/server)
 * against the way it ran them before (the TypeScript sources transpiled by tsx at every start).
 * Median wall time of 7 runs each, after one warm-up run; the bundle is rebuilt first so it
 * matches the sources. Prints the ratio tsx / compiled.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../scripts/build.ts';
import { ROOT } from '../server/paths.ts';

await buildServer();
const dir = mkdtempSync(join(tmpdir(), 'concur-bench-cli-'));
const db = join(dir, 'w.sqlite');
const BIN = join(ROOT, 'bin', 'concur.js');
const FROM_SOURCES = `import { register } from 'tsx/esm/api'; register(); const { cli } = await import(${JSON.stringify(join(ROOT, 'server', 'cli', 'index.ts'))}); await cli(process.argv.slice(1));`;
const ways = {
  'compiled (bin/concur.js → dist/server)': (args: string[]) => [BIN, ...args],
  'from sources through tsx (before)': (args: string[]) => ['--input-type=module', '-e', FROM_SOURCES, '--', ...args],
};
execFileSync(process.execPath, [BIN, 'init', '--db', db], { cwd: ROOT, stdio: 'ignore' });

function median(xs: number[]) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; }
function time(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
}

console.log('CLI start-up, end to end (whole process, median of 7 after 1 warm-up)');
time(['-e', '']);
console.log(`  node -e '' (the floor): ${median(Array.from({ length: 7 }, () => time(['-e', '']))).toFixed(0)} ms`);
for (const args of [['--help'], ['datasets', 'list', '--db', db]]) {
  const ms = new Map<string, number>();
  for (const [name, argv] of Object.entries(ways)) {
    time(argv(args));
    ms.set(name, median(Array.from({ length: 7 }, () => time(argv(args)))));
  }
  const [compiled, sources] = [...ms.values()] as [number, number];
  console.log(`  concur ${args.filter((a) => a !== db && a !== '--db').join(' ')}`);
  for (const [name, v] of ms) console.log(`    ${name.padEnd(40)} ${v.toFixed(0).padStart(5)} ms`);
  console.log(`    ratio tsx / compiled: ${(sources / compiled).toFixed(2)}×`);
}
rmSync(dir, { recursive: true, force: true });
