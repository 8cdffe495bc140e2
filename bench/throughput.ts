/**
 * (a) 2,000 items, endpoint latency 50 ms, concurrency 64: achieved / ideal throughput,
 *     ideal = concurrency / latency = 1,280 judgments/s. Target ≥ 0.9.
 * (b) the same with every 10th request answered 429 (Retry-After: 0): completion with no lost
 *     items, and the ratio (at best ≈ 0.9, since 1 in 10 requests does no judging).
 * Each scenario runs three times after one warm-up pass; the median is the figure, the range shows
 * the noise (the endpoint shares the machine's two cores with Concur).
 */
import { loadavg } from 'node:os';
import { benchWorkspace, fmt, startFakeInChild } from './support/harness.ts';

const ITEMS = 2000, LATENCY_MS = 50, CONCURRENCY = 64, REPEATS = 3;
const ideal = CONCURRENCY / (LATENCY_MS / 1000);

async function once(fake: Awaited<ReturnType<typeof startFakeInChild>>) {
  const b = benchWorkspace(ITEMS, fake.url);
  try {
    const plan = b.ws.engine.plan({ criterion: b.criterion, version: b.version, split: 'all', scope: 'all', concurrency: CONCURRENCY, noCache: true });
    const before = (await fake.stats()).requests;
    const t0 = performance.now();
    const run = await b.ws.engine.execute(plan.id);
    const seconds = (performance.now() - t0) / 1000;
    const requests = (await fake.stats()).requests - before;
    const rows = b.ws.repos.runs.judgments(plan.id);
    const distinct = new Set(rows.map((j) => `${j.itemId}:${j.sample}`)).size;
    return { run, seconds, requests, rows: rows.length, lost: ITEMS - distinct, ratio: run.done / seconds / ideal };
  } finally { b.cleanup(); }
}

async function scenario(label: string, every429?: number) {
  const fake = await startFakeInChild({ latencyMs: LATENCY_MS, every429 });
  try {
    await once(fake); // warm-up: JIT and connection pool
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await once(fake));
    const sorted = [...runs].sort((x, y) => x.ratio - y.ratio);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(label);
    for (const r of runs) {
      console.log(`  ${r.run.status}: ${r.run.done}/${r.run.total} judged, ${r.run.errors} errors, ${r.rows} rows, lost ${r.lost}; `
        + `${r.requests} requests${every429 ? ` (${r.requests - ITEMS} answered 429, retried)` : ''} in ${fmt(r.seconds)} s = ${fmt(r.run.done / r.seconds, 0)} judgments/s, ratio ${fmt(r.ratio, 3)}`
        + (every429 ? `, requests/s ratio ${fmt(r.requests / r.seconds / ideal, 3)}` : ''));
    }
    console.log(`  median ratio ${fmt(median.ratio, 3)} (range ${fmt(sorted[0]!.ratio, 3)}–${fmt(sorted.at(-1)!.ratio, 3)}); ideal ${fmt(ideal, 0)} judgments/s`);
  } finally {
    await fake.close();
  }
}

console.log(`(load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
await scenario(`(a) ${ITEMS} items, latency ${LATENCY_MS} ms, concurrency ${CONCURRENCY}: achieved / ideal (target ≥ 0.9)`);
await scenario(`(b) the same, every 10th request answered 429 Retry-After: 0`, 10);
