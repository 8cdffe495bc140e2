/**
 * (d) Import of 100,000 items (target < 5 s), and of 1,000,000 items streaming with bounded
 * memory (peak RSS reported). Each import runs in a fresh process into a fresh workspace file.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from './support/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'concur-bench-import-'));
const child = fileURLToPath(new URL('./support/import-child.ts', import.meta.url));

/** A JSONL file of n realistic items (~330 bytes each: input, output, context, dimensions). */
async function generate(n: number): Promise<string> {
  const file = join(dir, `items-${n}.jsonl`);
  const out = createWriteStream(file);
  const features = ['billing', 'refunds', 'login', 'export'], personas = ['new', 'power', 'admin'];
  let buf = '';
  for (let i = 0; i < n; i++) {
    buf += JSON.stringify({
      id: `it-${i}`,
      input: `Customer ${i} writes: I was charged twice this month for plan ${i % 7}; please explain and fix it.`,
      output: `Thanks for reaching out. The second charge on account ${i} is a pending authorisation; it disappears within 3 business days.`,
      context: { plan: `plan-${i % 7}`, region: i % 2 ? 'eu' : 'us' },
      dimensions: { feature: features[i % 4], persona: personas[i % 3] },
    }) + '\n';
    if (buf.length > 1 << 20) { if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r())); buf = ''; }
  }
  out.end(buf);
  await new Promise<void>((r) => out.once('finish', () => r()));
  return file;
}

function importIn(mode: 'stream' | 'whole', file: string) {
  const db = join(dir, `${mode}-${Date.now()}.sqlite`);
  const line = execFileSync(process.execPath, ['--import', 'tsx', child, mode, file, db], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').at(-1)!;
  const r = JSON.parse(line) as { seconds: number; total: number; peakRssMB: number; baseRssMB: number };
  rmSync(db, { force: true }); rmSync(`${db}-wal`, { force: true }); rmSync(`${db}-shm`, { force: true });
  return r;
}

const mb = (file: string) => statSync(file).size / 1024 / 1024;
try {
  const small = await generate(100_000);
  console.log(`(d) imports (fresh process and workspace each)`);
  const whole = importIn('whole', small);
  console.log(`  100,000 items (${fmt(mb(small), 0)} MB), whole-file path (concur import today): ${fmt(whole.seconds)} s, peak RSS ${fmt(whole.peakRssMB, 0)} MB (target < 5 s)`);
  const streamed = importIn('stream', small);
  console.log(`  100,000 items, streaming path:                             ${fmt(streamed.seconds)} s, peak RSS ${fmt(streamed.peakRssMB, 0)} MB (target < 5 s)`);
  rmSync(small);
  const big = await generate(1_000_000);
  const large = importIn('stream', big);
  console.log(`  1,000,000 items (${fmt(mb(big), 0)} MB), streaming path:          ${fmt(large.seconds)} s (${fmt(large.total / large.seconds, 0)} items/s), peak RSS ${fmt(large.peakRssMB, 0)} MB (process baseline ${fmt(large.baseRssMB, 0)} MB)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
