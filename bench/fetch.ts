/**
 * The fetch under the openai client: Concur's hand-written node:http fetch (server/judge/http-fetch.ts,
 * with the reply cap) against the well-kept alternative, undici's fetch with an undici Agent (a Pool
 * per origin) as its dispatcher — issue 10 keeps the hand-written one only if undici costs more.
 *
 * Each: 2,000 chat completions through `client.chat.completions.create` at concurrency 64 against
 * the stand-in endpoint in a child process, (a) at 50 ms latency: achieved / ideal throughput
 * (ideal = 64 / 50 ms = 1,280 calls/s), and (b) at 0 ms latency: CPU µs per call in this process
 * (user + system, the client's whole cost: request building, fetch, parsing). Undici is measured
 * bare (no reply cap), so its figure is a lower bound of what it would cost with one.
 * Three repeats after a warm-up; the median is the figure.
 */
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { createHttpFetch } from '../server/judge/http-fetch.ts';
import { fmt, startFakeInChild } from './support/harness.ts';

const CALLS = 2000, CONCURRENCY = 64, LATENCY_MS = 50, REPEATS = 3;
const ideal = CONCURRENCY / (LATENCY_MS / 1000);

type Fetch = typeof fetch;
const candidates: Array<{ name: string; make: () => Fetch }> = [
  { name: 'hand-written node:http fetch (http-fetch.ts, 1 MB cap)', make: () => createHttpFetch() },
  {
    name: 'undici fetch + Agent dispatcher (connections 256)',
    make: () => {
      const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 10_000 });
      return ((input: string | URL | Request, init?: RequestInit) => undiciFetch(input as string, { ...(init as object), dispatcher } as never)) as unknown as Fetch;
    },
  },
];

async function once(url: string, f: Fetch) {
  const client = new OpenAI({ apiKey: 'bench', baseURL: url, maxRetries: 0, fetch: f });
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < CALLS) {
      next++;
      const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Is this answer correct? [item-1]' }], temperature: 0 });
      if (typeof res.choices[0]?.message.content !== 'string') throw new Error('no content');
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return { seconds, cpuUsPerCall: (cpu.user + cpu.system) / CALLS };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(latencyMs: number) {
  const fake = await startFakeInChild({ latencyMs });
  try {
    const out = new Map<string, { ratio: number; cpu: number; ratios: number[]; cpus: number[] }>();
    for (const c of candidates) {
      const f = c.make();
      await once(fake.url, f); // warm-up: JIT and connection pool
      const runs = [];
      for (let i = 0; i < REPEATS; i++) runs.push(await once(fake.url, f));
      const ratios = runs.map((r) => CALLS / r.seconds / ideal), cpus = runs.map((r) => r.cpuUsPerCall);
      out.set(c.name, { ratio: median(ratios), cpu: median(cpus), ratios, cpus });
    }
    return out;
  } finally {
    await fake.close();
  }
}

console.log(`fetch under the openai client: ${CALLS} calls, concurrency ${CONCURRENCY}`);
const slow = await measure(LATENCY_MS);
console.log(`(a) latency ${LATENCY_MS} ms: achieved / ideal (ideal ${fmt(ideal, 0)} calls/s), median of ${REPEATS}`);
for (const [name, r] of slow) console.log(`  ${name}: ratio ${fmt(r.ratio, 3)} (runs ${r.ratios.map((x) => fmt(x, 3)).join(', ')}); CPU ${fmt(r.cpu, 0)} µs/call`);
const fast = await measure(0);
console.log(`(b) latency 0 ms: CPU µs per call in the client process, median of ${REPEATS}`);
for (const [name, r] of fast) console.log(`  ${name}: ${fmt(r.cpu, 0)} µs/call (runs ${r.cpus.map((x) => fmt(x, 0)).join(', ')})`);
const [own, undici] = candidates.map((c) => fast.get(c.name)!.cpu) as [number, number];
console.log(`  undici / hand-written CPU per call: ${fmt(undici / own, 2)} — ${undici > own ? 'undici costs more: keep the hand-written fetch' : 'undici costs no more: switch to undici'}`);
