/**
 * Judged runs against a real OpenAI-compatible HTTP server on 127.0.0.1 (tests/support/openai-server.ts):
 * coverage of the split, bounded concurrency, malformed replies, structured-output fallback,
 * cancellation, resumption, the error budget, 429 retries and the response cache.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { tempWorkspace } from '../support/workspace.ts';
import { startFakeOpenAI, verdictFrom, type ChatRequest, type FakeOpenAI, type FakeOpenAIOptions } from '../support/openai-server.ts';
import { TEMPLATE, markedId, seed, until, type SeedItem } from '../support/seed.ts';
import { Workspace } from '../../server/services/workspace.ts';
import { openWorkspace } from '../../server/db/index.ts';
import type { EngineOptions } from '../../server/judge/engine.ts';
import type { Criterion, PromptVersion } from '../../shared/types.ts';

/** Fast retries; no wall-clock waits anywhere in these tests. */
const ENGINE: EngineOptions = { provider: { baseBackoffMs: 1, maxBackoffMs: 2 }, errorBudget: 5 };

let t: ReturnType<typeof tempWorkspace> | undefined;
let server: FakeOpenAI | undefined;
const extra: Array<() => unknown> = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const f of extra.splice(0).reverse()) await f();
  t?.cleanup();
  t = undefined;
});

const userText = (req: ChatRequest) => req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
const idOf = (req: ChatRequest) => markedId(userText(req));
/** The fake judge: fail when the item number is a multiple of 3. */
const judgeSays = (id: string) => (Number(id.split('-')[1]) % 3 === 0 ? 'fail' : 'pass');

/**
 * 30 items r-00..r-29: r-00..r-19 labelled by the expert (pass when even), r-20..r-29 unlabelled.
 * Splits come from the ids' hash, so each split holds labelled and unlabelled items.
 */
const ITEMS: SeedItem[] = Array.from({ length: 30 }, (_, i) => {
  const id = `r-${String(i).padStart(2, '0')}`;
  return i < 20 ? { id, verdict: i % 2 === 0 ? 'pass' : 'fail' } : { id };
});

async function setup(opts: FakeOpenAIOptions = {}, engine: EngineOptions = ENGINE) {
  server = await startFakeOpenAI({ respond: verdictFrom((text) => judgeSays(markedId(text))), ...opts });
  t = tempWorkspace(engine);
  const s = seed(t.ws, ITEMS);
  const version = t.ws.addVersion(s.criterion, { template: TEMPLATE, model: 'gpt-4o-mini', baseUrl: server.url, temperature: 0 });
  const items = t.ws.repos.items.all(s.dataset.id);
  const labelled = (split?: string) => items.filter((i) => Number(i.externalId.slice(2)) < 20 && (!split || i.split === split)).map((i) => i.externalId).sort();
  return { ws: t.ws, server, version, labelled, ...s };
}

function plan(ws: Workspace, criterion: Criterion, version: PromptVersion, over: { split?: 'dev' | 'all'; concurrency?: number } = {}) {
  return ws.engine.plan({ criterion, version, split: over.split ?? 'all', concurrency: over.concurrency ?? 4 });
}

/** external id → judgments of a run */
function judgmentsByExt(ws: Workspace, runId: number) {
  const ext = new Map(ws.repos.items.all(1).map((i) => [i.id, i.externalId]));
  return ws.repos.runs.judgments(runId).map((j) => ({ ...j, ext: ext.get(j.itemId)! }));
}

describe('judged run: coverage of the split', () => {
  it('judges every labelled item of the split exactly once, and nothing else', async () => {
    const { ws, server: s, criterion, version, labelled } = await setup();
    const expected = labelled('dev');
    expect(expected.length).toBeGreaterThan(3);
    const run = await ws.engine.execute(plan(ws, criterion, version, { split: 'dev' }).id);
    expect(run).toMatchObject({ status: 'done', kind: 'judged', split: 'dev', total: expected.length, done: expected.length, errors: 0 });
    expect(s.requests.map(idOf).sort()).toEqual(expected);
    const js = judgmentsByExt(ws, run.id);
    expect(js.map((j) => j.ext).sort()).toEqual(expected);
    for (const j of js) {
      expect(j).toMatchObject({ verdict: judgeSays(j.ext), error: null, sample: 0, cached: false, attempts: 1 });
      expect(j.critique).toContain(`decided "${judgeSays(j.ext)}"`);
      expect(JSON.parse(j.raw)).toMatchObject({ verdict: judgeSays(j.ext) });
      expect(j.promptTokens).toBeGreaterThan(0);
    }
    expect(run.promptTokens).toBe(js.reduce((a, j) => a + j.promptTokens, 0));
    expect(run.completionTokens).toBeGreaterThan(0);
    // structured output was asked for, with the settings of the version
    expect(s.requests[0]).toMatchObject({ model: 'gpt-4o-mini', temperature: 0, response_format: { type: 'json_schema' } });
    expect(s.requests[0]!.messages[0]!.role).toBe('system');
  });

  it('with split "all" judges all labelled items and the report compares them with the expert', async () => {
    const { ws, server: s, criterion, version, labelled } = await setup();
    const run = await ws.engine.execute(plan(ws, criterion, version).id);
    expect(s.requests.map(idOf).sort()).toEqual(labelled());
    const { report } = ws.report(criterion, { runId: run.id });
    // expert: pass when even; judge: fail when a multiple of 3 (r-00..r-19)
    const pairs = Array.from({ length: 20 }, (_, i) => [i % 2 === 0, i % 3 !== 0]);
    const count = (e: boolean, j: boolean) => pairs.filter(([a, b]) => a === e && b === j).length;
    expect(report.n).toBe(20);
    expect(report.confusion.matrix).toEqual([[count(true, true), count(true, false)], [count(false, true), count(false, false)]]);
    expect(report.excluded).toEqual({ fewShot: 0, unlabelled: 0, ambiguous: 0, errors: 0, noMajority: 0, annotatorsDisagree: 0 });
  });

  it('a report can narrow a run over all splits to one split', async () => {
    const { ws, criterion, version, labelled } = await setup();
    const run = await ws.engine.execute(plan(ws, criterion, version).id);
    for (const split of ['train', 'dev', 'test'] as const) {
      const { report, outcomes } = ws.report(criterion, { runId: run.id, split });
      expect(report.split).toBe(split);
      expect(report.n).toBe(labelled(split).length);
      expect(outcomes.every((o) => o.item.split === split)).toBe(true);
    }
  });

  it('judges k samples per item (distinct requests, one judgment per item and sample)', async () => {
    const { ws, server: s, criterion, version } = await setup();
    const run = await ws.engine.execute(ws.engine.plan({ criterion, version, split: 'all', samples: 2, concurrency: 4 }).id);
    expect(run).toMatchObject({ status: 'done', samples: 2, total: 40, done: 40, errors: 0 });
    expect(s.count()).toBe(40);
    const js = ws.repos.runs.judgments(run.id);
    expect(new Set(js.map((j) => `${j.itemId}:${j.sample}`)).size).toBe(40);
    const { report } = ws.report(criterion, { runId: run.id });
    expect(report.n).toBe(20);
  });

  it('refuses to plan a run over a split with no labelled items', async () => {
    const { ws, criterion, version } = await setup();
    const empty = ws.addCriterion('ds', { name: 'nothing labelled' });
    const v = ws.addVersion(empty, { template: TEMPLATE, model: 'm', baseUrl: version.baseUrl });
    expect(() => ws.engine.plan({ criterion: empty, version: v, split: 'dev' })).toThrow(/no labelled items in the dev split/);
    expect(ws.repos.runs.list(criterion.id)).toEqual([]);
  });
});

describe('judged run: bounded concurrency', () => {
  /**
   * Holds each request at the server until `limit` requests are in flight together (or every
   * expected request has arrived), then lets them all answer. The engine can only make progress
   * by running `limit` requests at once, and the peak shows whether it ever ran more.
   */
  function gate(limit: number, total: number) {
    let inflight = 0, peak = 0, arrived = 0;
    let waiting: Array<() => void> = [];
    const releaseAll = () => { const w = waiting; waiting = []; for (const f of w) f(); };
    return {
      peak: () => peak,
      fault: async () => {
        arrived++; inflight++;
        peak = Math.max(peak, inflight);
        if (inflight >= limit || arrived >= total) releaseAll();
        else await new Promise<void>((r) => waiting.push(r));
        inflight--;
        return undefined;
      },
    };
  }

  it.each([1, 3])('never has more than %i requests in flight (and reaches it)', async (concurrency) => {
    const total = 20;
    const g = gate(concurrency, total);
    const { ws, server: s, criterion, version } = await setup({ fault: g.fault, latencyMs: 2 });
    const run = await ws.engine.execute(plan(ws, criterion, version, { concurrency }).id);
    expect(run.status).toBe('done');
    expect(s.count()).toBe(total);
    expect(g.peak()).toBe(concurrency);
  });
});

describe('judged run: replies that are not clean JSON', () => {
  it('records a malformed reply as an error with the raw text, and the report excludes it', async () => {
    const { ws, criterion, version } = await setup({
      fault: (req) => (idOf(req) === 'r-04' ? { kind: 'content', content: 'I think it passes!' } : undefined),
    });
    const run = await ws.engine.execute(plan(ws, criterion, version).id);
    expect(run).toMatchObject({ status: 'done', total: 20, done: 20, errors: 1 });
    const bad = judgmentsByExt(ws, run.id).find((j) => j.ext === 'r-04')!;
    expect(bad).toMatchObject({ verdict: null, raw: 'I think it passes!', critique: '' });
    expect(bad.error).toMatch(/unparseable reply: reply is not a JSON object/);
    const { report, outcomes } = ws.report(criterion, { runId: run.id });
    expect(report.excluded.errors).toBe(1);
    expect(report.n).toBe(19);
    expect(outcomes.find((o) => o.item.externalId === 'r-04')).toMatchObject({ excluded: 'errors', judge: null, expert: 'pass' });
  });

  it('parses JSON inside a ```json fence', async () => {
    const { ws, criterion, version } = await setup({
      respond: (req) => '```json\n' + JSON.stringify({ critique: 'fenced', verdict: judgeSays(idOf(req)).toUpperCase() }) + '\n```',
    });
    const run = await ws.engine.execute(plan(ws, criterion, version).id);
    expect(run).toMatchObject({ status: 'done', errors: 0 });
    for (const j of judgmentsByExt(ws, run.id)) expect(j).toMatchObject({ verdict: judgeSays(j.ext), critique: 'fenced' });
  });

  it('falls back to tolerant parsing on an endpoint that rejects response_format', async () => {
    const { ws, server: s, criterion, version } = await setup({
      rejectResponseFormat: true,
      respond: (req) => `Sure! {"critique": "prose-wrapped", "verdict": "${judgeSays(idOf(req))}"} Hope that helps.`,
    });
    const run = await ws.engine.execute(plan(ws, criterion, version, { concurrency: 1 }).id);
    expect(run).toMatchObject({ status: 'done', total: 20, done: 20, errors: 0 });
    // one rejected request, then every request without response_format
    expect(s.count()).toBe(21);
    expect(s.requests[0]!.response_format).toBeDefined();
    expect(s.requests.slice(1).every((r) => r.response_format === undefined)).toBe(true);
    for (const j of judgmentsByExt(ws, run.id)) expect(j).toMatchObject({ verdict: judgeSays(j.ext), critique: 'prose-wrapped', attempts: 1 });
  });
});

describe('judged run: cancellation', () => {
  it('leaves status "cancelled", records no in-flight request, and a later execute judges only the rest', async () => {
    let hang = true;
    const { ws, server: s, criterion, version } = await setup({ fault: (_r, i) => (hang && i >= 6 ? { kind: 'hang' } : undefined) });
    const runId = plan(ws, criterion, version, { concurrency: 2 }).id;
    const running = ws.engine.execute(runId);
    await until(() => s.count() >= 8 && ws.repos.runs.judgments(runId).length >= 6);
    expect(ws.engine.isActive(runId)).toBe(true);
    expect(ws.engine.cancel(runId)).toBe(true);
    const cancelled = await running;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.done).toBe(6);
    const first = judgmentsByExt(ws, runId);
    expect(first).toHaveLength(6);
    expect(first.every((j) => j.verdict !== null)).toBe(true);
    expect(s.count()).toBe(8); // the two hung requests were abandoned, not retried

    hang = false;
    const before = s.count();
    const resumed = await ws.engine.execute(runId);
    expect(resumed).toMatchObject({ status: 'done', total: 20, done: 20, errors: 0 });
    const judgedAgain = s.requests.slice(before).map(idOf);
    expect(judgedAgain).toHaveLength(14);
    expect(new Set(judgedAgain).size).toBe(14);
    for (const j of first) expect(judgedAgain).not.toContain(j.ext);
    const all = judgmentsByExt(ws, runId);
    expect(new Set(all.map((j) => `${j.itemId}:${j.sample}`)).size).toBe(20);
    // the judgments recorded before the cancel are kept as they were
    for (const f of first) expect(all.find((j) => j.id === f.id)).toMatchObject({ ext: f.ext, verdict: f.verdict });
  });

  it('cancelling a queued run marks it cancelled without any request', async () => {
    const { ws, server: s, criterion, version } = await setup();
    const run = plan(ws, criterion, version);
    expect(ws.engine.cancel(run.id)).toBe(true);
    expect(ws.run(run.id).status).toBe('cancelled');
    expect(s.count()).toBe(0);
  });
});

describe('judged run: resumption after the process died', () => {
  it('a new engine on the same workspace judges only the remaining items, none twice', async () => {
    let phase: 'first' | 'second' = 'first';
    const { ws, server: s, criterion, version } = await setup({ fault: (_r, i) => (phase === 'first' && i >= 7 ? { kind: 'hang' } : undefined) });
    // The first "process": its owner id names a pid that no longer exists, as after kill -9.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const first = new Workspace(openWorkspace(t!.path), { ...ENGINE, owner: `${hostname()}:${deadPid}`, provider: { ...ENGINE.provider, maxRetries: 0 } });
    const runId = plan(first, criterion, version, { concurrency: 3 }).id;
    const zombie = first.engine.execute(runId);
    await until(() => s.count() >= 10 && ws.repos.runs.judgments(runId).length >= 7);
    const answeredBefore = s.requests.slice(0, 7).map(idOf);
    expect(ws.run(runId).status).toBe('running');
    expect(ws.repos.runs.judgments(runId)).toHaveLength(7);

    // The process is gone: another engine (the restarted server or `concur run --resume`) takes over.
    phase = 'second';
    expect(ws.engine.resumable().map((r) => r.id)).toContain(runId);
    const before = s.count();
    const resumed = await ws.engine.execute(runId);
    expect(resumed).toMatchObject({ status: 'done', total: 20, done: 20, errors: 0 });
    const second = s.requests.slice(before).map(idOf);
    expect(second).toHaveLength(13);
    expect(new Set(second).size).toBe(13);
    for (const id of answeredBefore) expect(second).not.toContain(id);
    expect(new Set([...answeredBefore, ...second]).size).toBe(20);

    // Let the dead process's hung requests fail now: nothing it writes replaces a recorded judgment.
    await s.close();
    await zombie;
    const all = judgmentsByExt(ws, runId);
    expect(all).toHaveLength(20);
    expect(all.every((j) => j.error === null && j.verdict === judgeSays(j.ext))).toBe(true);
    first.repos.db.close();
  });
});

describe('judged run: error budget and retries', () => {
  it('stops after N consecutive failures on a wrong API key, with a clear message, without retrying 401', async () => {
    // The fake server refuses a wrong key before it records the request, so count HTTP calls at the client.
    let calls = 0;
    const countingFetch: typeof fetch = (input, init) => { calls++; return fetch(input, init); };
    const env: Record<string, string> = { CONCUR_TEST_KEY: 'a-wrong-key' };
    const { ws, server: s, criterion } = await setup({ apiKey: 'the-right-key' },
      { ...ENGINE, errorBudget: 3, env, provider: { ...ENGINE.provider, fetch: countingFetch } });
    env.CONCUR_KEYS = `CONCUR_TEST_KEY=${s.url}`; // bound to this endpoint (the secrets rule) once its port is known
    const version = ws.addVersion(criterion, { template: TEMPLATE, model: 'gpt-4o-mini', baseUrl: s.url, apiKeyEnv: 'CONCUR_TEST_KEY' });
    const run = await ws.engine.execute(plan(ws, criterion, version, { concurrency: 1 }).id);
    expect(run.status).toBe('failed');
    expect(run.message).toMatch(/^stopped after 3 consecutive failed requests; last error: HTTP 401/);
    expect(run.message).toContain('CONCUR_TEST_KEY');
    expect(run.message).not.toContain('a-wrong-key');
    expect(calls).toBe(3);
    expect(s.count()).toBe(0);
    const js = ws.repos.runs.judgments(run.id);
    expect(js).toHaveLength(3);
    for (const j of js) expect(j).toMatchObject({ verdict: null, attempts: 1, error: expect.stringMatching(/^HTTP 401/) });
  });

  it('retries 429 with Retry-After: 0 and then succeeds', async () => {
    const { ws, server: s, criterion, version } = await setup({
      fault: (_r, i) => (i < 2 ? { kind: 'status', status: 429, retryAfter: '0' } : undefined),
    });
    const run = await ws.engine.execute(plan(ws, criterion, version, { concurrency: 1 }).id);
    expect(run).toMatchObject({ status: 'done', total: 20, done: 20, errors: 0 });
    expect(s.count()).toBe(22);
    const js = ws.repos.runs.judgments(run.id);
    expect(js.map((j) => j.attempts).sort((a, b) => b - a).slice(0, 2)).toEqual([3, 1]);
    expect(js.filter((j) => j.attempts === 3)).toHaveLength(1);
  });

  it('retries a 500 and a dropped connection, counting the attempts', async () => {
    const { ws, server: s, criterion, version } = await setup({
      fault: (_r, i) => (i === 0 ? { kind: 'status', status: 500 } : i === 1 ? { kind: 'drop' } : undefined),
    });
    const run = await ws.engine.execute(plan(ws, criterion, version, { concurrency: 1 }).id);
    expect(run).toMatchObject({ status: 'done', errors: 0 });
    expect(s.count()).toBe(22);
  });
});

describe('judged run: response cache', () => {
  it('a rerun of an unchanged version costs zero requests; noCache bypasses the cache; a new version misses it', async () => {
    const { ws, server: s, criterion, version } = await setup();
    const r1 = await ws.engine.execute(plan(ws, criterion, version).id);
    expect(s.count()).toBe(20);
    const r2 = await ws.engine.execute(plan(ws, criterion, version).id);
    expect(s.count()).toBe(20);
    expect(r2).toMatchObject({ status: 'done', total: 20, done: 20, cached: 20, errors: 0, promptTokens: 0, cost: 0 });
    const v1 = new Map(ws.repos.runs.judgments(r1.id).map((j) => [j.itemId, j.verdict]));
    for (const j of ws.repos.runs.judgments(r2.id)) {
      expect(j.cached).toBe(true);
      expect(j.verdict).toBe(v1.get(j.itemId));
    }
    const r3 = await ws.engine.execute(plan(ws, criterion, version).id, { noCache: true });
    expect(s.count()).toBe(40);
    expect(r3).toMatchObject({ status: 'done', cached: 0 });
    const v2 = ws.addVersion(criterion, { template: TEMPLATE + '\nBe strict.', model: 'gpt-4o-mini', baseUrl: s.url, temperature: 0 });
    await ws.engine.execute(plan(ws, criterion, v2).id);
    expect(s.count()).toBe(60);
  });

  it('does not cache failures: a rerun asks again for the items that errored', async () => {
    let broken = true;
    const { ws, server: s, criterion, version } = await setup({
      fault: (req) => (broken && idOf(req) === 'r-05' ? { kind: 'status', status: 400, message: 'bad request' } : undefined),
    });
    const r1 = await ws.engine.execute(plan(ws, criterion, version).id);
    expect(r1.errors).toBe(1);
    broken = false;
    const before = s.count();
    const r2 = await ws.engine.execute(plan(ws, criterion, version).id);
    expect(s.requests.slice(before).map(idOf)).toEqual(['r-05']);
    expect(r2).toMatchObject({ errors: 0, cached: 19 });
  });
});

describe('report of a run that stopped part-way', () => {
  // BUG (shared/metrics/outcomes.ts, alignmentOutcomes): an item of the run that was never judged
  // (the run was cancelled or stopped by its error budget) has no judgment at all, yet it is
  // counted in excluded.errors as if the judge had failed on it.
  it('counts only real judge failures as errors, not the items the run never reached', async () => {
    const { ws, server: s, criterion } = await setup({ fault: () => ({ kind: 'status', status: 401 }) }, { ...ENGINE, errorBudget: 3 });
    const version = ws.addVersion(criterion, { template: TEMPLATE, model: 'gpt-4o-mini', baseUrl: s.url });
    const run = await ws.engine.execute(plan(ws, criterion, version, { concurrency: 1 }).id);
    expect(run).toMatchObject({ status: 'failed', total: 20, done: 3, errors: 3 });
    const { report } = ws.report(criterion, { runId: run.id });
    expect(report.n).toBe(0);
    expect(report.excluded.errors).toBe(3);
  });
});
