/**
 * How long the event loop stalls while another process holds the workspace's write lock during
 * a judge run. better-sqlite3 is synchronous: each write that meets the lock blocks the loop for
 * up to the busy timeout, then the engine retries after an asynchronous pause. Prints the
 * loop's worst and 99th-percentile delay during a 3 s lock, as a ratio to the busy timeout,
 * beside the same figures for a 3 s window of the same run without the lock (the machine's own
 * noise), and the run's outcome (every item recorded once after the lock).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BUSY_TIMEOUT_MS } from '../server/db/retry.ts';
import { holdWriteLock } from '../tests/support/lock.ts';
import { benchWorkspace, fmt, startFakeInChild } from './support/harness.ts';

const ITEMS = 6000, CONCURRENCY = 16, LOCK_MS = 3000;
const fake = await startFakeInChild({ latencyMs: 20 });
const b = benchWorkspace(ITEMS, fake.url);
try {
  const plan = b.ws.engine.plan({ criterion: b.criterion, version: b.version, split: 'all', scope: 'all', concurrency: CONCURRENCY });
  const running = b.ws.engine.execute(plan.id);
  while (b.ws.repos.runs.judgments(plan.id).length < 100) await new Promise((r) => setTimeout(r, 10));
  const baseline = monitorEventLoopDelay({ resolution: 5 });
  baseline.enable();
  await new Promise((r) => setTimeout(r, LOCK_MS));
  baseline.disable();
  const lock = await holdWriteLock(b.ws.repos.db.name, LOCK_MS);
  const locked = monitorEventLoopDelay({ resolution: 5 });
  locked.enable();
  await lock.exited;
  locked.disable();
  const run = await running;
  const ms = (ns: number) => ns / 1e6;
  const line = (h: typeof locked) => `worst ${fmt(ms(h.max), 1)} ms = ${fmt(ms(h.max) / BUSY_TIMEOUT_MS)} × busy_timeout; p99 ${fmt(ms(h.percentile(99)), 1)} ms; mean ${fmt(ms(h.mean), 1)} ms`;
  console.log(`event-loop delay of a judge run (${ITEMS} items, concurrency ${CONCURRENCY}, busy_timeout ${BUSY_TIMEOUT_MS} ms), two ${LOCK_MS / 1000} s windows:`);
  console.log(`  without a lock:                          ${line(baseline)}`);
  console.log(`  while another process holds the lock:    ${line(locked)}`);
  const rows = b.ws.repos.runs.judgments(plan.id);
  console.log(`  run ${run.status}: ${run.done}/${run.total} recorded, ${new Set(rows.map((j) => j.itemId)).size} distinct items`);
} finally {
  b.cleanup();
  await fake.close();
}
