/**
 * The reply cap (server/judge/http-fetch.ts): a completion's body past the cap (1 MB by default,
 * configurable per engine and run) aborts the request and becomes a judgment error with the first
 * 4 KB stored; an endless body is cut at the cap, a slow endless one by the per-request timeout.
 * Batch output files are streamed and capped per completion, not per file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/openai-server.ts';
import { FAST_PROVIDER, itemOf, judgeWorkspace, type JudgeSetup } from './helpers.ts';

let fake: FakeOpenAI | undefined;
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await fake?.close(); fake = undefined;
  cleanup?.(); cleanup = undefined;
});

async function setup(server: FakeOpenAIOptions, o: Omit<JudgeSetup, 'baseUrl'> = {}) {
  fake = await startFakeOpenAI(server);
  const s = judgeWorkspace({ baseUrl: fake.url, ...o });
  cleanup = s.cleanup;
  return s;
}

const MB = 1024 * 1024;

function judgmentsOf(s: Awaited<ReturnType<typeof setup>>, runId: number) {
  return new Map(s.ws.repos.runs.judgments(runId).map((j) => [s.ws.item(j.itemId).externalId, j]));
}

describe('reply cap on direct calls', () => {
  it('a 300 MB reply is aborted at 1 MB: an error with the first 4 KB stored, the other items judged, memory bounded', async () => {
    const s = await setup({ fault: (req) => (itemOf(req) === 'item-1' ? { kind: 'oversized', bytes: 300 * MB } : undefined) }, { items: 4 });
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    const run = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', concurrency: 2 }).id);
    const growth = process.memoryUsage().rss - before;
    expect(run).toMatchObject({ status: 'done', done: 4, errors: 1 });
    const j = judgmentsOf(s, run.id).get('item-1')!;
    expect(j.error).toBe('reply exceeded 1 MB; first 4 KB stored');
    expect(j.verdict).toBeNull();
    expect(j.raw.startsWith('{"id":"chatcmpl-fake')).toBe(true);
    expect(Buffer.byteLength(j.raw)).toBeLessThanOrEqual(4096);
    expect(j.raw.length).toBeGreaterThan(1000);
    expect(j.attempts).toBe(1); // not retried: it would cost the same again
    // a size bound, not a time bound: far below the reply's 300 MB
    expect(growth).toBeLessThan(100 * MB);
    // nothing of it reached the cache
    const rerun = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' }).id);
    expect(rerun.cached).toBe(3);
  });

  it('a reply that declares a Content-Length over the cap is refused at once', async () => {
    const s = await setup({ fault: () => ({ kind: 'oversized', bytes: 300 * MB, declareLength: true }) }, { items: 2 });
    const run = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' }).id);
    expect(run).toMatchObject({ done: 2, errors: 2 });
    for (const j of s.ws.repos.runs.judgments(run.id)) {
      expect(j.error).toBe('reply exceeded 1 MB; first 4 KB stored');
      expect(j.raw.startsWith('{"id":"chatcmpl-fake')).toBe(true);
    }
  });

  it('an endless body is cut at the cap', async () => {
    const s = await setup({ fault: (req) => (itemOf(req) === 'item-0' ? { kind: 'endless' } : undefined) }, { items: 3 });
    const run = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' }).id);
    expect(run).toMatchObject({ status: 'done', done: 3, errors: 1 });
    expect(judgmentsOf(s, run.id).get('item-0')!.error).toBe('reply exceeded 1 MB; first 4 KB stored');
  });

  it('a slow endless body that never reaches the cap is ended by the per-request timeout', async () => {
    const s = await setup({ fault: () => ({ kind: 'endless', chunkDelayMs: 100 }) },
      { items: 1, engine: { provider: { ...FAST_PROVIDER, timeoutMs: 400, maxRetries: 0 } } });
    const run = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' }).id);
    expect(run).toMatchObject({ done: 1, errors: 1 });
    expect(s.ws.repos.runs.judgments(run.id)[0]!.error).toBe('request timed out');
  });

  it('the cap is configurable per engine and per run (maxReplyBytes)', async () => {
    const long = JSON.stringify({ critique: 'y'.repeat(6000), verdict: 'pass' });
    const s = await setup({ respond: () => long }, { items: 2, engine: { maxReplyBytes: 4 * 1024 } });
    const small = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' }).id);
    expect(small.errors).toBe(2);
    expect(s.ws.repos.runs.judgments(small.id)[0]!.error).toBe('reply exceeded 4 KB; first 4 KB stored');
    const wide = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', maxReplyBytes: 64 * 1024 }).id);
    expect(wide).toMatchObject({ errors: 0, done: 2 });
    expect(s.ws.repos.runs.options(wide.id).maxReplyBytes).toBe(64 * 1024);
  });
});

describe('reply cap on Batch API output files', () => {
  it('a 1.5 MB output file of many small completions imports whole; one completion over the cap is an error for that item only', async () => {
    const filler = 'z'.repeat(3000);
    const s = await setup({
      respond: () => JSON.stringify({ critique: filler, verdict: 'pass' }),
      fault: (req) => (itemOf(req) === 'item-7' ? { kind: 'oversized', bytes: 1.2 * MB } : undefined),
    }, { items: 500 });
    const run = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', batch: true }).id);
    const outputId = [...fake!.batches.values()].map((b) => (b as { output_file_id: string }).output_file_id)[0]!;
    expect(Buffer.byteLength(fake!.files.get(outputId)!)).toBeGreaterThan(1.5 * MB);
    expect(run).toMatchObject({ status: 'done', done: 500, errors: 1 });
    const byItem = judgmentsOf(s, run.id);
    const big = byItem.get('item-7')!;
    expect(big.error).toBe('reply exceeded 1 MB; first 4 KB stored');
    expect(big.raw).toMatch(/^\{"id":"batch_req_[^"]*","custom_id":"\d+:0"/);
    expect(Buffer.byteLength(big.raw)).toBeLessThanOrEqual(4096);
    expect(byItem.get('item-8')).toMatchObject({ verdict: 'pass', error: null });
    expect(byItem.get('item-8')!.critique).toBe(filler);
  });
});
