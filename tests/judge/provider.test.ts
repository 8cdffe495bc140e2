import { afterEach, describe, expect, it } from 'vitest';
import { createProvider, backoffMs } from '../../server/judge/provider.ts';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions, type Fault } from '../support/openai-server.ts';
import type { ModelSettings } from '../../shared/types.ts';
import { RateLimiter } from '../../server/judge/limiter.ts';

let fake: FakeOpenAI | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const messages = [{ role: 'system' as const, content: 'judge' }, { role: 'user' as const, content: 'is this fine?' }];
const format = { type: 'json_schema', json_schema: { name: 'judgment', schema: { type: 'object' } } };

async function providerFor(opts: FakeOpenAIOptions, extra: Partial<Parameters<typeof createProvider>[0]> = {}) {
  fake = await startFakeOpenAI(opts);
  const settings: ModelSettings = { model: 'gpt-4o-mini', baseUrl: fake.url, apiKeyEnv: 'TEST_KEY', temperature: 0, maxTokens: 100, seed: null };
  return createProvider({ settings, env: { TEST_KEY: 'k', CONCUR_KEYS: `TEST_KEY=${fake.url}` }, baseBackoffMs: 1, maxBackoffMs: 5, timeoutMs: 500, ...extra });
}

/** Fault on the first `n` requests, then normal answers. */
const firstN = (n: number, fault: Fault) => (_req: unknown, index: number) => (index < n ? fault : undefined);

// Both HTTP paths the client can take: Concur's lean node:http fetch (the default) and Node's built-in fetch.
for (const [fetchName, fetchImpl] of [['lean fetch', undefined], ['built-in fetch', globalThis.fetch]] as const) {
  describe(`provider (${fetchName}): transient faults are retried until a reply arrives`, () => {
    const cases: Array<[string, Fault]> = [
      ['429 with Retry-After', { kind: 'status', status: 429, retryAfter: '0' }],
      ['429 without Retry-After', { kind: 'status', status: 429 }],
      ['429 with retry-after-ms', { kind: 'status', status: 429, headers: { 'retry-after-ms': '1' } }],
      ['500', { kind: 'status', status: 500 }],
      ['503 HTML page from a proxy', { kind: 'status', status: 503, body: '<html>busy</html>' }],
      ['a hang past the timeout', { kind: 'hang' }],
      ['a dropped connection', { kind: 'drop' }],
      ['a malformed JSON body', { kind: 'malformed', body: '{"choices": [ nope' }],
      ['a truncated body', { kind: 'truncated' }],
      ['a body cut by a connection reset', { kind: 'truncated', reset: true }],
      ['a 200 without message content', { kind: 'malformed', body: '{"choices": []}' }],
    ];
    for (const [name, fault] of cases) {
      it(`retries ${name}`, async () => {
        const p = await providerFor({ fault: firstN(2, fault) }, { fetch: fetchImpl });
        const res = await p.call(messages, format);
        expect(res).toMatchObject({ ok: true, attempts: 3 });
        expect(fake!.count()).toBe(3);
      });
    }

    it('accepts a slow stream that finishes within the whole-body timeout', async () => {
      const p = await providerFor({ fault: () => ({ kind: 'slowStream', chunkDelayMs: 20 }) }, { fetch: fetchImpl });
      const res = await p.call(messages, format);
      expect(res).toMatchObject({ ok: true, attempts: 1 });
    });

    it('times out a body that trickles past the timeout (headers arrived, the body did not) and retries', async () => {
      const p = await providerFor({ fault: firstN(1, { kind: 'slowStream', chunkDelayMs: 400 }) }, { timeoutMs: 300, fetch: fetchImpl });
      const res = await p.call(messages, format);
      expect(res).toMatchObject({ ok: true, attempts: 2 });
    });

    it('gives up after maxRetries with the last error as data', async () => {
      const p = await providerFor({ fault: () => ({ kind: 'status', status: 500 }) }, { maxRetries: 2, fetch: fetchImpl });
      const res = await p.call(messages, format);
      expect(res).toMatchObject({ ok: false, status: 500, retryable: true, attempts: 3 });
      expect(res.ok ? '' : res.error).toMatch(/HTTP 500: The server had an error/);
      expect(fake!.count()).toBe(3);
    });

    it('reports a hang that never ends as a timeout', async () => {
      const p = await providerFor({ fault: () => ({ kind: 'hang' }) }, { maxRetries: 1, timeoutMs: 100, fetch: fetchImpl });
      const res = await p.call(messages, format);
      expect(res).toMatchObject({ ok: false, error: 'request timed out', attempts: 2 });
    });
  });
}

describe('provider: non-retryable errors are returned once with the endpoint\'s message', () => {
  for (const [status, pattern] of [[400, /Bad request/], [401, /Incorrect API key/], [404, /model does not exist/], [403, /not allowed/]] as const) {
    it(`HTTP ${status}`, async () => {
      const p = await providerFor({ fault: () => ({ kind: 'status', status }) });
      const res = await p.call(messages, format);
      expect(res).toMatchObject({ ok: false, status, retryable: false, attempts: 1 });
      expect(res.ok ? '' : res.error).toMatch(pattern);
      expect(fake!.count()).toBe(1);
    });
  }
});

describe('provider: structured output', () => {
  it('falls back to plain replies when the endpoint rejects response_format, for concurrent requests too', async () => {
    const p = await providerFor({ rejectResponseFormat: true, latencyMs: 5 });
    const results = await Promise.all(Array.from({ length: 6 }, () => p.call(messages, format)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(p.structuredOutput).toBe(false);
    expect(fake!.requests.filter((r) => r.response_format === undefined).length).toBe(6);
  });
});

describe('provider: rate limits', () => {
  it('reserves a slot per attempt and pauses the endpoint after a 429 with Retry-After', async () => {
    const reserved: number[] = [];
    const paused: number[] = [];
    const limiter = new RateLimiter({});
    const original = limiter.reserve.bind(limiter);
    limiter.reserve = (tokens: number) => { reserved.push(tokens); return original(tokens); };
    limiter.pauseFor = (ms: number) => { paused.push(ms); };
    const p = await providerFor({ fault: firstN(1, { kind: 'status', status: 429, retryAfter: '0.01' }) }, { limiter });
    const res = await p.call(messages, format, undefined, { estimatedTokens: 123 });
    expect(res.ok).toBe(true);
    expect(reserved).toEqual([123, 123]);
    expect(paused).toEqual([10]);
  });
});

describe('backoffMs', () => {
  const headers = (h: Record<string, string>) => ({ headers: new Headers(h) });
  it('honours Retry-After in seconds and as a date, retry-after-ms, else full jitter', async () => {
    const { APIError } = await import('openai');
    const err = (h: Record<string, string>) => Object.assign(new APIError(429, {}, 'x', headers(h).headers), {});
    expect(backoffMs(err({ 'retry-after': '2' }), 1, 100, 1000, () => 0.5)).toBe(2000);
    expect(backoffMs(err({ 'retry-after-ms': '150' }), 1, 100, 1000, () => 0.5)).toBe(150);
    const date = new Date(Date.now() + 60_000).toUTCString();
    expect(backoffMs(err({ 'retry-after': date }), 1, 100, 1000, () => 0.5)).toBeGreaterThan(1000);
    expect(backoffMs(new Error('x'), 3, 100, 1000, () => 0.5)).toBe(200); // 0.5 × min(1000, 100 × 2²)
    expect(backoffMs(new Error('x'), 10, 100, 1000, () => 0.999)).toBeLessThan(1000); // capped
  });
});
