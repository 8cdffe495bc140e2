/**
 * `npm run bench`: every benchmark in bench/, each in its own process (so one's heap, JIT state
 * and connections do not colour the next), figures printed, nothing asserted.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Every bench/*.ts but this runner; helpers live in bench/support/. Judge runs first, then the rest by name. */
const FIRST = ['throughput.ts', 'cpu.ts', 'import.ts'];
const found = readdirSync(fileURLToPath(new URL('.', import.meta.url))).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
const benches = [...FIRST.filter((f) => found.includes(f)), ...found.filter((f) => !FIRST.includes(f)).sort()];
console.log(`Concur benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n`);
const t0 = performance.now();
for (const name of benches) {
  const file = fileURLToPath(new URL(`./${name}`, import.meta.url));
  execFileSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  console.log('');
}
console.log(`all benchmarks: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
