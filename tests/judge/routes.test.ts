import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../support/app.ts';
import { buildApp } from '../../server/app.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { judgeWorkspace } from './helpers.ts';
import type { Run } from '../../shared/types.ts';

let fake: FakeOpenAI | undefined;
let app: FastifyInstance | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await app?.close();
  app = undefined;
  await fake?.close();
  fake = undefined;
  for (const c of cleanups.splice(0)) c();
});

async function setup(items = 6) {
  fake = await startFakeOpenAI();
  const s = judgeWorkspace({ baseUrl: fake.url, items });
  cleanups.push(s.cleanup);
  app = await buildTestApp({ workspace: s.ws });
  return { ...s, app };
}

function finished(s: Awaited<ReturnType<typeof setup>>, runId: number): Promise<Run> {
  const run = s.ws.run(runId);
  if (['done', 'failed', 'cancelled'].includes(run.status) && !s.ws.engine.isActive(runId)) return Promise.resolve(run);
  return new Promise((resolve) => s.ws.engine.on('finished', (r: Run) => { if (r.id === runId) resolve(r); }));
}

describe('POST /api/criteria/:id/runs', () => {
  it('takes samples, variants, rate limits and batch mode, and keeps them for a resume', async () => {
    const s = await setup();
    const res = await s.app.inject({ method: 'POST', url: `/api/criteria/${s.criterion.id}/runs`, payload: { version: 'latest', split: 'all', samples: 2, permuteSeed: 5, rpm: 100_000, tpm: 10_000_000, timeoutMs: 5000, concurrency: 3 } });
    expect(res.statusCode).toBe(202);
    const run = await finished(s, res.json().id);
    expect(run).toMatchObject({ status: 'done', total: 12, done: 12, samples: 2, concurrency: 3, variant: { permuteSeed: 5 } });
    expect(s.ws.repos.runs.options(run.id)).toEqual({ rpm: 100_000, tpm: 10_000_000, timeoutMs: 5000 });

    const batch = await s.app.inject({ method: 'POST', url: `/api/criteria/${s.criterion.id}/runs`, payload: { version: 'latest', split: 'all', batch: true, noCache: true } });
    expect(batch.statusCode).toBe(202);
    expect(await finished(s, batch.json().id)).toMatchObject({ status: 'done', done: 6, cached: 0 });
    expect(fake!.batches.size).toBe(1);
  });

  it('rejects bad options with 400 naming the field', async () => {
    const s = await setup();
    const bad = await s.app.inject({ method: 'POST', url: `/api/criteria/${s.criterion.id}/runs`, payload: { version: 'latest', rpm: 0 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/rpm/);
    const swap = await s.app.inject({ method: 'POST', url: `/api/criteria/${s.criterion.id}/runs`, payload: { version: 'latest', split: 'all', swap: true } });
    expect(swap.statusCode).toBe(400);
    expect(swap.json().error).toMatch(/pairwise/);
  });
});

describe('POST /api/criteria/:id/runs/cost-preview', () => {
  it('previews requests, tokens and cost without creating a run or calling the endpoint', async () => {
    const s = await setup(5);
    const res = await s.app.inject({ method: 'POST', url: `/api/criteria/${s.criterion.id}/runs/cost-preview`, payload: { version: 'latest', split: 'all', samples: 3 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ model: 'gpt-4o-mini', requests: 15, billableRequests: 15, completionTokensPerRequest: 200 });
    expect(res.json().cost).toBeGreaterThan(0);
    expect(s.ws.repos.runs.list(s.criterion.id)).toHaveLength(0);
    expect(fake!.count()).toBe(0);
  });
});

describe('GET and PUT /api/prices', () => {
  it('lists the seeded prices and saves an edited one', async () => {
    const s = await setup();
    const list = await s.app.inject({ method: 'GET', url: '/api/prices' });
    expect(list.json()).toContainEqual({ model: 'gpt-4o-mini', inputPerMTok: 0.15, outputPerMTok: 0.6 });
    const put = await s.app.inject({ method: 'PUT', url: '/api/prices', payload: { model: 'openrouter/llama-3', inputPerMTok: 0.2, outputPerMTok: 0.3 } });
    expect(put.statusCode).toBe(200);
    expect(s.ws.repos.prices.get('openrouter/llama-3')).toEqual({ model: 'openrouter/llama-3', inputPerMTok: 0.2, outputPerMTok: 0.3 });
    const bad = await s.app.inject({ method: 'PUT', url: '/api/prices', payload: { model: 'x', inputPerMTok: -1, outputPerMTok: 0 } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('GET /api/runs/:id/events', () => {
  const events = (body: string) => [...body.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]!) }));

  it('streams progress with tokens, cost and cache hits, then the end', async () => {
    const s = await setup();
    const first = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' });
    await s.ws.engine.execute(first.id);
    const second = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' });
    const stream = s.app.inject({ method: 'GET', url: `/api/runs/${second.id}/events` });
    await s.ws.engine.execute(second.id);
    const got = events((await stream).body);
    expect(got[0]!.event).toBe('progress');
    expect(got.at(-1)).toMatchObject({ event: 'end', data: { status: 'done', done: 6, cached: 6, cost: 0 } });
    expect(Object.keys(got[0]!.data).sort()).toEqual(['cached', 'completionTokens', 'cost', 'done', 'errors', 'etaSec', 'message', 'promptTokens', 'ratePerSec', 'runId', 'status', 'total'].sort());
  });

  it('follows a run executed by another process through the database', async () => {
    const s = await setup();
    const run = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' });
    s.ws.repos.runs.setStatus(run.id, 'running');
    s.ws.repos.runs.heartbeat(run.id, 'elsewhere:1');
    // A real connection, read as it streams: the other process cancels only after the route has
    // sent a progress event read from the database (its poll), so no timer races the poll.
    // an app that listens (its allowed Host is the port it listens on), not the inject() test app
    const live = await buildApp({ workspace: s.ws, webRoot: '/nonexistent' });
    cleanups.push(() => { void live.close(); });
    const base = await live.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${base}/api/runs/${run.id}/events`);
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let body = '';
    const readUntil = async (done: () => boolean) => {
      while (!done()) {
        const chunk = await reader.read();
        if (chunk.done) break;
        body += chunk.value;
      }
    };
    await readUntil(() => events(body).filter((e) => e.event === 'progress').length >= 2);
    s.ws.repos.runs.setStatus(run.id, 'cancelled', 'cancelled by the user');
    await readUntil(() => events(body).some((e) => e.event === 'end'));
    const got = events(body);
    expect(got.filter((e) => e.event === 'progress').length).toBeGreaterThanOrEqual(2);
    expect(got.filter((e) => e.event === 'progress').every((e) => e.data.status === 'running')).toBe(true);
    expect(got.at(-1)).toMatchObject({ event: 'end', data: { status: 'cancelled' } });
  });
});
