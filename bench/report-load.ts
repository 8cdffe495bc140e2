/**
 * The server under report load, end to end over HTTP (the real app listening on 127.0.0.1, real
 * fetch clients), on a workspace file with 200k labelled judgments per run (two runs;
 * server/db/synthetic.ts builds it):
 *
 * - `/api/health` latency (p50/p99/max of sequential requests) while 20 concurrent report requests
 *   are being answered — 20 distinct ones (run × split × format: no sharing) and 20 identical ones
 *   (shared in flight). Goal: < 100 ms (issue 9). Printed with goal/achieved (≥ 1 meets it).
 * - the dashboard summary (`GET /api/criteria/:id/dashboard`): first request (worker start-up
 *   included), cold computation (first request after a label save: every run recomputed), and warm
 *   (nothing changed). Goals: ≤ 1 s cold, ≤ 100 ms warm (issue 10).
 * - peak RSS of the whole process (server, worker thread, clients).
 *
 * BENCH_LOAD_ITEMS=200000 sets the size. Asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkspace } from '../server/db/index.ts';
import { buildSyntheticWorkspace } from '../server/db/synthetic.ts';
import { Workspace } from '../server/services/workspace.ts';
import { buildApp } from '../server/app.ts';
import { heavyReadsOf } from '../server/services/reports.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const n = Number(process.env.BENCH_LOAD_ITEMS ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'concur-report-load-'));
const path = join(dir, 'load.sqlite');
const t0 = performance.now();
const ws = new Workspace(openWorkspace(path));
buildSyntheticWorkspace(ws.repos.db, n);
console.log(`server under report load, ${n.toLocaleString('en')} labelled judgments per run, two runs (workspace built in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

const app = await buildApp({ workspace: ws, webRoot: '/nonexistent' });
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const get = async (url: string) => { const r = await fetch(base + url); await r.arrayBuffer(); if (!r.ok) throw new Error(`${url}: ${r.status}`); };
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Sequential health requests while `load` runs; returns their latencies (ms), sorted. */
async function healthDuring(load: Promise<unknown>): Promise<{ lat: number[]; loadMs: number }> {
  const lat: number[] = [];
  let done = false;
  const t = performance.now();
  const finished = load.then(() => { done = true; return performance.now() - t; });
  while (!done) {
    const s = performance.now();
    await get('/api/health');
    lat.push(performance.now() - s);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { lat: lat.sort((a, b) => a - b), loadMs: await finished };
}

await get('/api/criteria/1/report?run=1&split=train'); // start the worker (its start-up is not the load being measured)
const distinct: string[] = [];
for (const run of [1, 2]) for (const format of ['json', 'md']) {
  for (const split of ['all', 'train', 'dev', 'test']) distinct.push(`/api/criteria/1/report?run=${run}&split=${split}&format=${format}`);
  distinct.push(`/api/criteria/1/report?run=${run}&format=${format}&annotator=second`);
}
const cases: Array<[string, string[]]> = [['20 distinct reports', distinct], ['20 identical reports', Array.from({ length: 20 }, () => '/api/criteria/1/report?run=1')]];
for (const [name, urls] of cases) {
  const before = heavyReadsOf(ws).computations;
  // the serving thread's own stalls, to tell them from the OS not scheduling it on a loaded machine
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const { lat, loadMs } = await healthDuring(Promise.all(urls.map(get)));
  loop.disable();
  const max = lat.at(-1)!;
  console.log(`  health during ${name.padEnd(20)} p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${max.toFixed(1)} ms (${lat.length} requests; reports answered in ${(loadMs / 1000).toFixed(2)} s, ${heavyReadsOf(ws).computations - before} computations;`
    + ` event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms) → 100 ms goal/max ${(100 / max).toFixed(2)}, goal/p99 ${(100 / pct(lat, 99)).toFixed(2)}`);
}

const timedGet = async (url: string) => { const s = performance.now(); await get(url); return performance.now() - s; };
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const first = await timedGet('/api/criteria/1/dashboard');
ws.repos.labels.append(1, { itemId: 14, annotator: 'expert', verdict: 'pass', critique: 'bench', ambiguous: false });
const cpu0 = cpuMs();
const cold = await timedGet('/api/criteria/1/dashboard');
const coldCpu = cpuMs() - cpu0;
const warm: number[] = [];
for (let i = 0; i < 5; i++) warm.push(await timedGet('/api/criteria/1/dashboard'));
warm.sort((a, b) => a - b);
console.log(`  dashboard: first ${first.toFixed(0)} ms; cold (after a label save) ${cold.toFixed(0)} ms → 1 s goal/achieved ${(1000 / cold).toFixed(2)};`
  + ` (CPU of all threads ${coldCpu.toFixed(0)} ms); warm median ${warm[2]!.toFixed(1)} ms → 100 ms goal/achieved ${(100 / warm[2]!).toFixed(2)}`);
console.log(`  peak RSS (server + worker + clients) ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);

await app.close();
ws.repos.db.close();
rmSync(dir, { recursive: true, force: true });
