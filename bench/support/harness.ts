/** Shared bench plumbing: a child-process fake endpoint and a temp workspace with N items. */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkspace } from '../../server/db/index.ts';
import { Workspace } from '../../server/services/workspace.ts';
import type { EngineOptions } from '../../server/judge/engine.ts';

export interface FakeStats { requests: number; cpu: NodeJS.CpuUsage; firstAt: number | null; lastAt: number | null }
export interface FakeChild { url: string; stats(): Promise<FakeStats>; reset(): Promise<void>; close(): Promise<void> }

/** The stand-in in a child process. `firstAt`/`lastAt` (epoch ms) are when the first/last request's latency ended. */
export async function startFakeInChild(config: { latencyMs?: number; every429?: number; reply?: string }): Promise<FakeChild> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./fake-child.ts', import.meta.url)), [JSON.stringify(config)], {
    execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  const { url } = await next<{ url: string }>();
  return {
    url,
    async stats() { const p = next<FakeStats>(); child.send({ type: 'stats' }); return p; },
    async reset() { const p = next<unknown>(); child.send({ type: 'reset' }); await p; },
    async close() { const done = new Promise((r) => child.once('exit', r)); child.send({ type: 'close' }); await done; },
  };
}

/** A fresh file workspace with `n` items, a binary criterion and a version aimed at `baseUrl`. */
export function benchWorkspace(n: number, baseUrl: string, engine: EngineOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'concur-bench-'));
  const ws = new Workspace(openWorkspace(join(dir, 'bench.sqlite')), { env: { BENCH_KEY: 'k', CONCUR_KEYS: `BENCH_KEY=${baseUrl}` }, ...engine });
  const records = Array.from({ length: n }, (_, i) => ({
    line: i + 1,
    fields: {
      id: `item-${i}`,
      input: `Customer ${i} asks: why was I charged twice for my subscription this month, and can I get a refund?`,
      output: `Hi! I checked account ${i}: the second charge is a pending authorisation that drops off within 3 days. No refund is needed; contact us if it stays.`,
    },
  }));
  ws.importItems('bench', { name: 'bench.jsonl', records });
  const criterion = ws.addCriterion('bench', { name: 'correct' });
  const version = ws.addVersion(criterion, {
    template: 'Criterion: {{criterion}}\n\nCustomer message:\n{{input}}\n\nSupport reply:\n{{output}}\n\nIs the reply correct and safe?',
    model: 'gpt-4o-mini', baseUrl, apiKeyEnv: 'BENCH_KEY', temperature: 0, maxTokens: 200,
  });
  return { ws, criterion, version, dir, cleanup: () => { ws.repos.db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export const fmt = (x: number, digits = 2) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
