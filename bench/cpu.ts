/**
 * (c) CPU time per judgment of the workbench itself, endpoint latency 0.
 *
 * The fake endpoint runs in a child process, so process.cpuUsage() here is Concur's alone:
 * rendering, cache key, the openai client and its HTTP, parsing, SQLite writes, progress.
 * A second measurement repeats Concur's own steps without any HTTP, to show how the total splits
 * between the workbench's work and the client/HTTP stack.
 */
import { buildMessages } from '../shared/template.ts';
import { cacheKey } from '../server/judge/cache-key.ts';
import { JudgeContext } from '../server/judge/judgment.ts';
import { benchWorkspace, fmt, startFakeInChild } from './support/harness.ts';

const ITEMS = 4000, CONCURRENCY = 16;
const fake = await startFakeInChild({ latencyMs: 0 });

async function endToEnd() {
  const b = benchWorkspace(ITEMS, fake.url);
  try {
    const plan = b.ws.engine.plan({ criterion: b.criterion, version: b.version, split: 'all', scope: 'all', concurrency: CONCURRENCY });
    const before = await fake.stats();
    const c0 = process.cpuUsage(), t0 = performance.now();
    const run = await b.ws.engine.execute(plan.id);
    const cpu = process.cpuUsage(c0), seconds = (performance.now() - t0) / 1000;
    const after = await fake.stats();
    const fakeCpu = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
    return { run, perJudgmentUs: (cpu.user + cpu.system) / run.done, seconds, fakePerRequestUs: fakeCpu / (after.requests - before.requests) };
  } finally { b.cleanup(); }
}

/** Concur's own per-judgment steps, in the same order and batching as a run, with no HTTP. */
function ownWork() {
  const b = benchWorkspace(ITEMS, fake.url);
  try {
    const run = b.ws.engine.plan({ criterion: b.criterion, version: b.version, split: 'all', scope: 'all' });
    const items = b.ws.repos.runs.items(run.id);
    const judge = new JudgeContext(b.version, b.criterion, {}, (item) => buildMessages(b.version.template, item, { criterion: b.criterion, examples: [] }),
      b.ws.repos.prices.get(b.version.model), true, fake.url);
    const reply = JSON.stringify({ critique: 'The reply explains the pending authorisation correctly and sets expectations.', verdict: 'pass' });
    // As the engine writes them: cache entries, judgments and their model_calls rows in one transaction.
    const to = { taskKind: 'judge', baseUrl: fake.url, model: b.version.model };
    const write = b.ws.repos.db.transaction((js: ReturnType<JudgeContext['record']>[], keys: string[]) => {
      for (const k of keys) b.ws.repos.cache.put(k, { content: reply, promptTokens: 60, completionTokens: 20 });
      b.ws.repos.runs.recordJudgmentsWithCalls(run.id, js, keys, to);
    });
    const t = { render: 0, key: 0, parse: 0, write: 0 };
    let pending: ReturnType<JudgeContext['record']>[] = [], keys: string[] = [];
    const cpu = () => { const c = process.cpuUsage(); return c.user + c.system; };
    const total0 = cpu();
    for (const item of items) {
      let c = cpu();
      const messages = judge.render(item);
      judge.tokenCount(messages);
      let d = cpu(); t.render += d - c; c = d;
      const key = cacheKey(messages, b.version, 0, fake.url);
      b.ws.repos.cache.get(key);
      d = cpu(); t.key += d - c; c = d;
      pending.push(judge.record(item.id, 0, reply, { promptTokens: 60, completionTokens: 20, latencyMs: 1, attempts: 1, cached: false }));
      keys.push(key);
      d = cpu(); t.parse += d - c; c = d;
      if (pending.length === 12) { write(pending, keys); pending = []; keys = []; } // ~ the batch a 10 ms window collects at 1,200/s
      d = cpu(); t.write += d - c;
    }
    if (pending.length) write(pending, keys);
    const total = cpu() - total0;
    return { total: total / items.length, render: t.render / items.length, key: t.key / items.length, parse: t.parse / items.length, write: t.write / items.length };
  } finally { b.cleanup(); }
}

await endToEnd(); // warm-up (JIT, connection pool), not reported
const e = await endToEnd();
ownWork(); // warm-up
const own = ownWork();
console.log(`(c) CPU per judgment, endpoint latency 0 (${ITEMS} items, concurrency ${CONCURRENCY}; endpoint in a child process)`);
console.log(`  run ${e.run.status}: ${e.run.done} judgments in ${fmt(e.seconds)} s = ${fmt(e.run.done / e.seconds, 0)}/s`);
console.log(`  Concur process, everything (workbench + openai client + HTTP): ${fmt(e.perJudgmentUs, 0)} µs CPU per judgment`);
console.log(`  of which the workbench's own steps (measured without HTTP): ${fmt(own.total, 0)} µs`);
console.log(`    render + token estimate ${fmt(own.render, 1)} µs, cache key + lookup ${fmt(own.key, 1)} µs, parse ${fmt(own.parse, 1)} µs, SQLite write (batched) ${fmt(own.write, 1)} µs`);
console.log(`  openai client + node:http, by difference: ${fmt(e.perJudgmentUs - own.total, 0)} µs`);
console.log(`  (the fake endpoint, in its own process: ${fmt(e.fakePerRequestUs, 0)} µs CPU per request; not counted above)`);
await fake.close();
