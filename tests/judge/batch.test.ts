import { afterEach, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/openai-server.ts';
import { itemOf, judgeWorkspace, type JudgeSetup } from './helpers.ts';
import type { RunProgress } from '../../server/judge/engine.ts';

let fake: FakeOpenAI | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const c of cleanups.splice(0)) c();
});

async function setup(server: FakeOpenAIOptions = {}, o: Omit<JudgeSetup, 'baseUrl'> = {}) {
  fake = await startFakeOpenAI(server);
  const s = judgeWorkspace({ baseUrl: fake.url, ...o });
  cleanups.push(s.cleanup);
  return s;
}

const inputLines = (f: FakeOpenAI) => [...f.files.entries()]
  .filter(([, text]) => text.includes('"method":"POST"'))
  .map(([, text]) => text.trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; url: string; body: Record<string, unknown> }));

describe('batch runs (OpenAI Batch API)', () => {
  it('uploads one JSONL request per (item, sample), polls, and records results through the normal path', async () => {
    const s = await setup({ fault: (req) => (itemOf(req) === 'item-4' ? { kind: 'content', content: 'no JSON here' } : undefined) }, { items: 10 });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', samples: 2, batch: true });
    expect(s.ws.repos.runs.options(planned.id)).toEqual({ batch: true });
    const run = await s.ws.engine.execute(planned.id);
    expect(run).toMatchObject({ status: 'done', done: 20, errors: 2, cached: 0 });
    expect(fake!.batches.size).toBe(1);
    const [lines] = inputLines(fake!);
    const items = s.ws.repos.runs.itemIds(planned.id);
    expect(lines!.map((l) => l.custom_id).sort()).toEqual(items.flatMap((id) => [`${id}:0`, `${id}:1`]).sort());
    expect(lines![0]).toMatchObject({ url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', max_tokens: 200, response_format: { type: 'json_schema' } } });
    const rows = s.ws.repos.runs.judgments(planned.id);
    expect(rows.filter((j) => j.error).every((j) => j.raw === 'no JSON here' && /unparseable/.test(j.error!))).toBe(true);
    expect(run.promptTokens).toBeGreaterThan(0);
    expect(run.cost).toBeGreaterThan(0);
    expect(s.ws.repos.runs.batches(planned.id)).toMatchObject([{ status: 'collected', requests: 20 }]);
    // the results went into the cache: the same run directly costs nothing
    const direct = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', samples: 2 }).id);
    expect(direct).toMatchObject({ cached: 20 });
  });

  it('resubmits only requests the provider failed transiently, and records an error after three submissions', async () => {
    let failedOnce = false;
    const s = await setup({
      respond: (req) => {
        const item = itemOf(req);
        if (item === 'item-2') throw new Error('always broken');
        if (item === 'item-3' && !failedOnce) { failedOnce = true; throw new Error('broken once'); }
        return JSON.stringify({ critique: 'fine', verdict: 'pass' });
      },
    }, { items: 6 });
    const run = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', batch: true }).id);
    expect(run).toMatchObject({ status: 'done', done: 6, errors: 1 });
    const sizes = inputLines(fake!).map((l) => l.length);
    expect(sizes).toEqual([6, 2, 1]);
    const broken = s.ws.repos.runs.judgments(run.id).find((j) => j.error)!;
    expect(s.ws.item(broken.itemId).externalId).toBe('item-2');
    expect(broken.error).toMatch(/no result after 3 submissions; last error: HTTP 500: .*always broken/);
  });

  it('finds a batch created just before a crash by its nonce instead of submitting it again', async () => {
    const s = await setup({}, { items: 5 });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', batch: true });
    // what a process killed between "register" and "store the batch id" leaves behind
    const client = new OpenAI({ baseURL: fake!.url, apiKey: 'k', maxRetries: 0 });
    const lines = s.ws.repos.runs.itemIds(planned.id).map((id) => JSON.stringify({
      custom_id: `${id}:0`, method: 'POST', url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'q' }] },
    }));
    const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
    await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { concur_nonce: 'nonce-1' } });
    s.ws.repos.runs.addBatch(planned.id, 'nonce-1', 5);
    const run = await s.ws.engine.execute(planned.id);
    expect(run).toMatchObject({ status: 'done', done: 5, errors: 0 });
    expect(fake!.batches.size).toBe(1);
    expect(s.ws.repos.runs.batches(planned.id)).toMatchObject([{ status: 'collected', batchId: [...fake!.batches.keys()][0] }]);
  });

  it('abandons a registration whose batch never got created, and submits the work', async () => {
    const s = await setup({}, { items: 3 });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', batch: true });
    s.ws.repos.runs.addBatch(planned.id, 'never-created', 3);
    const run = await s.ws.engine.execute(planned.id);
    expect(run).toMatchObject({ status: 'done', done: 3 });
    expect(s.ws.repos.runs.batches(planned.id).map((b) => b.status)).toEqual(['abandoned', 'collected']);
  });

  it('cancels the provider batch on cancel; a resume collects it and submits what is left', async () => {
    const s = await setup({}, { items: 4 });
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', batch: true });
    const onProgress = (p: RunProgress) => { if (p.message.startsWith('submitted batch')) s.ws.engine.cancel(planned.id); };
    s.ws.engine.on('progress', onProgress);
    const cancelled = await s.ws.engine.execute(planned.id);
    s.ws.engine.off('progress', onProgress);
    expect(cancelled).toMatchObject({ status: 'cancelled', done: 0 });
    const first = [...fake!.batches.values()][0] as { status: string };
    expect(first.status).toBe('cancelling');
    const resumed = await s.ws.engine.execute(planned.id);
    expect(resumed).toMatchObject({ status: 'done', done: 4, errors: 0 });
    expect(first.status).toBe('cancelled');
    expect(fake!.batches.size).toBe(2);
  });

  it('fails the run with a clear message when the endpoint has no Batch API', async () => {
    fake = await startFakeOpenAI();
    const s = judgeWorkspace({ baseUrl: `${fake.url}/no-batches-here`, items: 2 });
    cleanups.push(s.cleanup);
    const run = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', batch: true }).id);
    expect(run.status).toBe('failed');
    expect(run.message).toMatch(/could not submit the batch: upload the batch input: HTTP 404: .*does this endpoint offer the Batch API\? run without --batch/);
    expect(s.ws.repos.runs.batches(run.id).map((b) => b.status)).toEqual(['abandoned']);
  });

  it('answers cached requests without a batch at all', async () => {
    const s = await setup({}, { items: 3 });
    await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' }).id);
    const run = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', batch: true }).id);
    expect(run).toMatchObject({ status: 'done', cached: 3 });
    expect(fake!.batches.size).toBe(0);
  });
});
