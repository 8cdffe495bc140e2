import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, verdictFrom, type FakeOpenAI, type FakeOpenAIOptions, type Fault } from '../support/openai-server.ts';
import { itemOf, judgeWorkspace, type JudgeSetup } from './helpers.ts';
import { RunBusyError, type RunProgress } from '../../server/judge/engine.ts';
import { Workspace } from '../../server/services/workspace.ts';
import { openWorkspace } from '../../server/db/index.ts';

let fake: FakeOpenAI | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const c of cleanups.splice(0)) c();
});

async function setup(server: FakeOpenAIOptions, o: Omit<JudgeSetup, 'baseUrl'> = {}) {
  fake = await startFakeOpenAI(server);
  const s = judgeWorkspace({ baseUrl: fake.url, ...o });
  cleanups.push(s.cleanup);
  return s;
}

/** Rows per (item, sample) and the invariants every finished run must satisfy. */
function checkLedger(s: ReturnType<typeof judgeWorkspace>, runId: number) {
  const run = s.ws.run(runId);
  const rows = s.ws.repos.runs.judgments(runId);
  const keys = new Set(rows.map((j) => `${j.itemId}:${j.sample}`));
  expect(keys.size).toBe(rows.length); // none twice
  for (const j of rows) expect((j.verdict === null) !== (j.error === null)).toBe(true); // judged xor recorded error
  return { run, rows };
}

describe('RunEngine under scripted faults', () => {
  it('ends every item judged or with a recorded error, none twice, every request accounted for', async () => {
    const attempts = new Map<string, number>();
    // The first attempt(s) for each item meet a fault chosen by the item's number; later attempts succeed.
    const faultFor = (i: number, attempt: number): Fault | undefined => {
      switch (i % 12) {
        case 1: return attempt === 1 ? { kind: 'status', status: 429, retryAfter: '0' } : undefined;
        case 2: return attempt === 1 ? { kind: 'status', status: 429 } : undefined;
        case 3: return attempt <= 2 ? { kind: 'status', status: 500 } : undefined;
        case 4: return attempt === 1 ? { kind: 'hang' } : undefined;
        case 5: return attempt === 1 ? { kind: 'drop' } : undefined;
        case 6: return attempt === 1 ? { kind: 'malformed', body: '{"id": "x", "choices": [' } : undefined;
        case 7: return attempt === 1 ? { kind: 'truncated', reset: i % 24 === 7 } : undefined;
        case 8: return { kind: 'status', status: 400, message: `bad request for item ${i}` };
        case 9: return { kind: 'content', content: 'I think it passes, honestly.' };
        case 10: return { kind: 'slowStream', chunkDelayMs: 5 };
        case 11: return { kind: 'latency', ms: 20 };
        default: return undefined;
      }
    };
    const s = await setup({
      fault: (req) => {
        const item = itemOf(req);
        const n = (attempts.get(item) ?? 0) + 1;
        attempts.set(item, n);
        return faultFor(Number(item.slice(5)), n);
      },
    }, { items: 96, engine: { provider: { baseBackoffMs: 1, maxBackoffMs: 10, timeoutMs: 300 } } });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', concurrency: 8 });
    const finished = await s.ws.engine.execute(planned.id);
    expect(finished.status).toBe('done');
    const { run, rows } = checkLedger(s, planned.id);
    expect(rows).toHaveLength(96);
    expect(run.done).toBe(96);

    const byItem = new Map(rows.map((j) => [Number(s.ws.item(j.itemId).externalId.slice(5)), j]));
    for (const [i, j] of byItem) {
      if (i % 12 === 8) {
        expect(j.error).toBe(`HTTP 400: bad request for item ${i}`);
        expect(j.attempts).toBe(1); // not retried
      } else if (i % 12 === 9) {
        expect(j.error).toMatch(/^unparseable reply/);
        expect(j.raw).toBe('I think it passes, honestly.'); // kept for the user to see
      } else {
        expect(j.verdict).toBe('pass');
      }
    }
    expect(run.errors).toBe(16);
    // every request the endpoint saw belongs to exactly one recorded judgment's attempts
    expect(rows.reduce((sum, j) => sum + j.attempts, 0)).toBe(fake!.count());
  });

  it('stops at the error budget with the endpoint\'s message and a hint (wrong API key)', async () => {
    const s = await setup({ apiKey: 'the-right-key' }, { items: 60, engine: { errorBudget: 5 } });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', concurrency: 3 });
    const run = await s.ws.engine.execute(planned.id);
    expect(run.status).toBe('failed');
    expect(run.message).toMatch(/stopped after 5 consecutive failed requests; last error: HTTP 401: Incorrect API key provided.*check the API key in \$TEST_KEY/);
    const rows = s.ws.repos.runs.judgments(planned.id);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.length).toBeLessThanOrEqual(5 + 2); // at most the requests already in flight
    for (const j of rows) expect(j).toMatchObject({ attempts: 1, verdict: null });
  });

  it('retries only transport errors when resumed with retryErrors', async () => {
    let broken = true;
    const s = await setup({ fault: (req) => (broken && itemOf(req) === 'item-3' ? { kind: 'status', status: 503 } : undefined) },
      { items: 6, engine: { provider: { baseBackoffMs: 1, maxBackoffMs: 2, maxRetries: 1, timeoutMs: 1000 } } });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' });
    expect((await s.ws.engine.execute(planned.id)).errors).toBe(1);
    broken = false;
    const before = fake!.count();
    const again = await s.ws.engine.execute(planned.id, { retryErrors: true });
    expect(again).toMatchObject({ status: 'done', errors: 0, done: 6 });
    expect(fake!.count() - before).toBe(1);
  });
});

describe('RunEngine cache', () => {
  it('answers an unchanged rerun from the cache at no cost, counts the hits, and bypasses it with noCache', async () => {
    const s = await setup({}, { items: 10 });
    const plan = { criterion: s.criterion, version: s.version, split: 'all' as const };
    const first = await s.ws.engine.execute(s.ws.engine.plan(plan).id);
    expect(first).toMatchObject({ status: 'done', cached: 0 });
    expect(first.cost).toBeGreaterThan(0);
    expect(fake!.count()).toBe(10);

    const events: RunProgress[] = [];
    s.ws.engine.on('progress', (p: RunProgress) => events.push(p));
    const second = await s.ws.engine.execute(s.ws.engine.plan(plan).id);
    expect(second).toMatchObject({ status: 'done', cached: 10, cost: 0, done: 10 });
    expect(fake!.count()).toBe(10); // nothing sent
    expect(events.at(-1)).toMatchObject({ cached: 10, done: 10 });

    const third = await s.ws.engine.execute(s.ws.engine.plan({ ...plan, noCache: true }).id);
    expect(third).toMatchObject({ status: 'done', cached: 0 });
    expect(fake!.count()).toBe(20);
  });

  it('keys samples apart: k samples make k requests per item, and a rerun hits all k', async () => {
    const s = await setup({}, { items: 4 });
    const plan = { criterion: s.criterion, version: s.version, split: 'all' as const, samples: 3 };
    const run = await s.ws.engine.execute(s.ws.engine.plan(plan).id);
    expect(run).toMatchObject({ total: 12, done: 12 });
    expect(fake!.count()).toBe(12);
    expect(s.ws.repos.runs.judgments(run.id).filter((j) => j.sample === 2)).toHaveLength(4);
    expect((await s.ws.engine.execute(s.ws.engine.plan(plan).id)).cached).toBe(12);
  });
});

describe('RunEngine variants', () => {
  it('permutes the few-shot examples deterministically with a seed', async () => {
    const s = await setup({}, { items: 12, examples: 5 });
    const exampleOrder = (content: string) => [...content.matchAll(/### Example \d+\nInput:\nquestion \[(item-\d+)\]/g)].map((m) => m[1]);
    const runWith = async (permuteSeed?: number) => {
      const from = fake!.count();
      await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', noCache: true, variant: permuteSeed === undefined ? {} : { permuteSeed } }).id);
      return exampleOrder(fake!.requests[from]!.messages[1]!.content);
    };
    const plain = await runWith();
    const seeded = await runWith(7);
    expect(seeded).toHaveLength(5);
    expect([...seeded].sort()).toEqual([...plain].sort());
    expect(seeded).not.toEqual(plain);
    expect(await runWith(7)).toEqual(seeded);
  });

  it('swaps A and B for pairwise criteria and maps the verdict back to the item\'s orientation', async () => {
    const s = await setup({ respond: verdictFrom((text) => (text.includes('A: other answer') ? 'A' : 'tie')) }, { items: 6, scale: 'pairwise' });
    const plain = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' }).id);
    expect(s.ws.repos.runs.judgments(plain.id).every((j) => j.verdict === 'tie')).toBe(true);
    const swapped = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', variant: { swap: true } }).id);
    // the judge preferred what it saw as A, which is the item's B
    expect(s.ws.repos.runs.judgments(swapped.id).map((j) => j.verdict)).toEqual(Array(6).fill('B'));
  });

  it('refuses a swap on a binary criterion', async () => {
    const s = await setup({}, { items: 2 });
    expect(() => s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', variant: { swap: true } })).toThrow(/pairwise/);
  });
});

describe('RunEngine estimate', () => {
  it('predicts prompt tokens as the endpoint counts them, prices them, and sees cache hits', async () => {
    const s = await setup({}, { items: 8, examples: 2, maxTokens: 200 });
    const plan = { criterion: s.criterion, version: s.version, split: 'all' as const, samples: 2 };
    const e = s.ws.engine.costPreview(plan);
    expect(e).toMatchObject({ items: 8, samples: 2, requests: 16, cachedRequests: 0, billableRequests: 16, completionTokensPerRequest: 200, completionTokensFrom: 'max_tokens', sampled: false });
    expect(s.ws.repos.runs.list(s.criterion.id)).toHaveLength(0); // nothing planned, nothing sent
    expect(fake!.count()).toBe(0);
    const run = await s.ws.engine.execute(s.ws.engine.plan(plan).id);
    // the fake endpoint counts ceil(characters / 4) of the messages, as the estimate does
    expect(e.promptTokens).toBe(run.promptTokens);
    // gpt-4o-mini: $0.15 / $0.60 per million tokens
    expect(e.cost).toBeCloseTo((e.promptTokens * 0.15 + 16 * 200 * 0.6) / 1e6, 12);
    expect(s.ws.engine.costPreview(plan)).toMatchObject({ cachedRequests: 16, billableRequests: 0, cost: 0 });
    expect(s.ws.engine.costPreview({ ...plan, noCache: true })).toMatchObject({ cachedRequests: 0, billableRequests: 16 });
  });

  it("gives execute's cost preview before the first request, equal to costPreviewRun's, and sends the same messages", async () => {
    const s = await setup({}, { items: 8, examples: 2, maxTokens: 200 });
    const plan = { criterion: s.criterion, version: s.version, split: 'all' as const, samples: 2, noCache: true };
    const key = (r: { messages: unknown }) => JSON.stringify(r.messages);
    // a run executed without the callback: what it sends
    await s.ws.engine.execute(s.ws.engine.plan(plan).id);
    const without = fake!.requests.map(key).sort();
    expect(without).toHaveLength(16);
    // a run whose preview comes from its execution (cancelled after a few, so a resume previews the rest)
    const planned = s.ws.engine.plan({ ...plan, concurrency: 1 });
    const expected = s.ws.engine.costPreviewRun(planned.id);
    const previews: Array<{ preview: unknown; sent: number }> = [];
    const from = fake!.count();
    const onProgress = (p: RunProgress) => { if (p.done >= 5) s.ws.engine.cancel(planned.id); };
    s.ws.engine.on('progress', onProgress);
    const cancelled = await s.ws.engine.execute(planned.id, { onCostPreview: (preview) => previews.push({ preview, sent: fake!.count() - from }) });
    s.ws.engine.off('progress', onProgress);
    expect(cancelled.status).toBe('cancelled');
    expect(previews).toEqual([{ preview: expected, sent: 0 }]);
    expect(expected).toMatchObject({ requests: 16, items: 8, samples: 2, cachedRequests: 0 });
    // the resume previews exactly what is left, as costPreviewRun does
    const rest = s.ws.engine.costPreviewRun(planned.id);
    expect(rest.requests).toBe(16 - cancelled.done);
    const before = fake!.count();
    const resumed = await s.ws.engine.execute(planned.id, { onCostPreview: (preview) => previews.push({ preview, sent: fake!.count() - before }) });
    expect(previews[1]).toEqual({ preview: rest, sent: 0 });
    expect(resumed).toMatchObject({ status: 'done', done: 16, errors: 0 });
    // the prompt tokens the preview predicted are the ones sent, and the messages are the uncached run's
    expect(resumed.promptTokens).toBe(expected.promptTokens);
    // (a request in flight when the cancel came is asked again on resume: its reply was never recorded)
    // (each item's two samples send the same messages)
    expect([...new Set(fake!.requests.slice(from).map(key))].sort()).toEqual([...new Set(without)].sort());
    checkLedger(s, planned.id);
  });

  it('says when a model has no price, and uses a default completion allowance without max_tokens', async () => {
    const s = await setup({}, { items: 3, maxTokens: null });
    const v = s.ws.addVersion(s.criterion, { template: 'Judge {{output}}', model: 'my-local-model', baseUrl: fake!.url, apiKeyEnv: 'TEST_KEY' });
    const e = s.ws.engine.costPreview({ criterion: s.criterion, version: v, split: 'all' });
    expect(e).toMatchObject({ cost: null, price: null, completionTokensFrom: 'default', completionTokensPerRequest: 300 });
  });
});

describe('RunEngine cancel and resume', () => {
  it('cancels mid-run, then a resume judges exactly the rest', async () => {
    const s = await setup({ latencyMs: 20 }, { items: 40 });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', concurrency: 2 });
    const onProgress = (p: RunProgress) => { if (p.done >= 6) s.ws.engine.cancel(planned.id); };
    s.ws.engine.on('progress', onProgress);
    const cancelled = await s.ws.engine.execute(planned.id);
    s.ws.engine.off('progress', onProgress);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.done).toBeLessThan(40);
    const recorded = new Set(s.ws.repos.runs.judgments(planned.id).map((j) => s.ws.item(j.itemId).externalId));
    const from = fake!.count();
    const resumed = await s.ws.engine.execute(planned.id);
    expect(resumed).toMatchObject({ status: 'done', done: 40, errors: 0 });
    const asked = fake!.requests.slice(from).map(itemOf);
    expect(asked.filter((id) => recorded.has(id))).toEqual([]); // no finished judgment repeated
    expect(new Set(asked).size + recorded.size).toBe(40); // none lost
    checkLedger(s, planned.id);
  });

  it('notices a cancel made by another process through the database', async () => {
    const s = await setup({ latencyMs: 40 }, { items: 200 });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', concurrency: 1 });
    const other = new Workspace(openWorkspace(s.path));
    cleanups.push(() => other.repos.db.close());
    const running = s.ws.engine.execute(planned.id);
    setTimeout(() => other.engine.cancel(planned.id), 100);
    const run = await running;
    expect(run.status).toBe('cancelled');
    expect(run.message).toBe('cancelled from another process');
    expect(run.done).toBeLessThan(200);
  });

  it('will not run a run another live process holds, and takes over one whose process is dead', async () => {
    const s = await setup({}, { items: 3 });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' });
    s.ws.repos.runs.setStatus(planned.id, 'running');
    s.ws.repos.runs.heartbeat(planned.id, 'some-other-host:4242');
    expect(s.ws.engine.resumable().map((r) => r.id)).not.toContain(planned.id);
    await expect(s.ws.engine.execute(planned.id)).rejects.toBeInstanceOf(RunBusyError);
    const { hostname } = await import('node:os');
    s.ws.repos.runs.heartbeat(planned.id, `${hostname()}:999999999`); // this machine, no such process
    expect(s.ws.engine.resumable().map((r) => r.id)).toContain(planned.id);
    expect((await s.ws.engine.execute(planned.id)).status).toBe('done');
  });
});

describe('RunEngine rate limits', () => {
  it('stores the limits with the run and never sends faster than requests-per-minute allows', async () => {
    const arrivals: number[] = [];
    const s = await setup({ fault: () => { arrivals.push(performance.now()); return undefined; } }, { items: 4 });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', concurrency: 4, rpm: 120, tpm: 1_000_000 });
    expect(s.ws.repos.runs.options(planned.id)).toEqual({ rpm: 120, tpm: 1_000_000 });
    expect((await s.ws.engine.execute(planned.id)).status).toBe('done');
    // 120/min = a burst of 2, then one every 500 ms: the 4th request cannot arrive before 1 s after the first
    expect(arrivals[3]! - arrivals[0]!).toBeGreaterThanOrEqual(950);
  });
});
