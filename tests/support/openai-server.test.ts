import { afterEach, describe, expect, it } from 'vitest';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  toFile,
} from 'openai';
import { startFakeOpenAI, verdictFrom } from './openai-server.ts';
import type { FakeOpenAI, FakeOpenAIOptions } from './openai-server.ts';

let server: FakeOpenAI | undefined;

async function start(opts?: FakeOpenAIOptions): Promise<FakeOpenAI> {
  server = await startFakeOpenAI(opts);
  return server;
}

function client(s: FakeOpenAI, extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}): OpenAI {
  return new OpenAI({ baseURL: s.url, apiKey: 'test', maxRetries: 0, ...extra });
}

const msgs = (user: string) => [
  { role: 'system' as const, content: 'You are a judge.' },
  { role: 'user' as const, content: user },
];

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('fake OpenAI server: chat completions', () => {
  it('answers a normal completion with the default verdict and usage', async () => {
    const s = await start();
    const res = await client(s).chat.completions.create({ model: 'gpt-4o-mini', messages: msgs('hello world!') });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('gpt-4o-mini');
    expect(res.choices).toHaveLength(1);
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.choices[0]?.message.role).toBe('assistant');
    const content = res.choices[0]?.message.content ?? '';
    expect(JSON.parse(content)).toMatchObject({ verdict: 'pass', critique: expect.any(String) });
    // prompt: ceil(("You are a judge." + "hello world!").length / 4) = ceil(28/4) = 7
    expect(res.usage?.prompt_tokens).toBe(7);
    expect(res.usage?.completion_tokens).toBe(Math.ceil(content.length / 4));
    expect(res.usage?.total_tokens).toBe(7 + Math.ceil(content.length / 4));
    expect(res._request_id).toMatch(/^req_/);
    expect(s.count()).toBe(1);
    expect(s.requests[0]?.messages[1]?.content).toBe('hello world!');
  });

  it('passes request fields through to respond() with an arrival index', async () => {
    const seen: Array<[number, number | undefined]> = [];
    const s = await start({
      respond: (req, index) => {
        seen.push([index, req.temperature]);
        return `reply ${index} seed=${req.seed}`;
      },
    });
    const c = client(s);
    const a = await c.chat.completions.create({ model: 'm1', messages: msgs('a'), temperature: 0, seed: 7 });
    const b = await c.chat.completions.create({ model: 'm2', messages: msgs('b'), temperature: 0.5, max_tokens: 10 });
    expect(a.choices[0]?.message.content).toBe('reply 0 seed=7');
    expect(b.choices[0]?.message.content).toBe('reply 1 seed=undefined');
    expect(seen).toEqual([
      [0, 0],
      [1, 0.5],
    ]);
    expect(s.requests.map((r) => r.model)).toEqual(['m1', 'm2']);
    expect(s.requests[1]?.max_tokens).toBe(10);
  });

  it('verdictFrom decides the verdict from the user message', async () => {
    const s = await start({ respond: verdictFrom((text) => (text.includes('refund') ? 'fail' : 'pass')) });
    const c = client(s);
    const r1 = await c.chat.completions.create({ model: 'x', messages: msgs('I want a refund') });
    const r2 = await c.chat.completions.create({ model: 'x', messages: msgs('thanks') });
    expect(JSON.parse(r1.choices[0]?.message.content ?? '')).toMatchObject({ verdict: 'fail' });
    expect(JSON.parse(r2.choices[0]?.message.content ?? '')).toMatchObject({ verdict: 'pass' });
  });

  it('returns n choices when n > 1', async () => {
    const s = await start({ respond: () => 'abcd' });
    const res = await client(s).chat.completions.create({ model: 'x', messages: msgs('q'), n: 3 });
    expect(res.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(res.usage?.completion_tokens).toBe(3);
  });

  it('rejects response_format with 400 when rejectResponseFormat is set', async () => {
    const s = await start({ rejectResponseFormat: true });
    const c = client(s);
    const err = await c.chat.completions
      .create({
        model: 'x',
        messages: msgs('q'),
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'verdict', schema: { type: 'object', properties: {} }, strict: true },
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    const e = err as BadRequestError;
    expect(e.status).toBe(400);
    expect(e.param).toBe('response_format');
    expect(e.message).toContain('response_format json_schema is not supported');
    // Without response_format the same server answers normally.
    const ok = await c.chat.completions.create({ model: 'x', messages: msgs('q') });
    expect(ok.choices[0]?.message.content).toContain('verdict');
    expect(s.count()).toBe(2);
  });

  it('accepts response_format when rejectResponseFormat is not set', async () => {
    const s = await start();
    const res = await client(s).chat.completions.create({
      model: 'x',
      messages: msgs('q'),
      response_format: { type: 'json_object' },
    });
    expect(res.choices[0]?.message.content).toContain('verdict');
    expect(s.requests[0]?.response_format).toEqual({ type: 'json_object' });
  });

  it('answers 400 for a request without messages', async () => {
    const s = await start();
    const err = await client(s)
      .chat.completions.create({ model: 'x', messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).param).toBe('messages');
    expect(s.count()).toBe(0);
  });

  it('cuts long replies with finish_reason "length" when enforceMaxTokens is set', async () => {
    const s = await start({ enforceMaxTokens: true, respond: () => 'x'.repeat(100) });
    const res = await client(s).chat.completions.create({ model: 'x', messages: msgs('q'), max_completion_tokens: 5 });
    expect(res.choices[0]?.finish_reason).toBe('length');
    expect(res.choices[0]?.message.content).toBe('x'.repeat(20));
    expect(res.usage?.completion_tokens).toBe(5);
  });
});

describe('fake OpenAI server: faults', () => {
  it('429 with Retry-After is visible to the client (maxRetries: 0)', async () => {
    const s = await start({
      fault: () => ({ kind: 'status', status: 429, retryAfter: '7' }),
    });
    const err = await client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.status).toBe(429);
    expect(e.headers?.get('retry-after')).toBe('7');
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.type).toBe('requests');
    expect(e.requestID).toMatch(/^req_/);
    expect(s.count()).toBe(1);
  });

  it('the default client retries 429 after the Retry-After delay', async () => {
    const s = await start({
      fault: (_req, i) => (i === 0 ? { kind: 'status', status: 429, retryAfter: '0.2' } : undefined),
    });
    const t0 = Date.now();
    const res = await new OpenAI({ baseURL: s.url, apiKey: 'test' }).chat.completions.create({
      model: 'x',
      messages: msgs('q'),
    });
    const elapsed = Date.now() - t0;
    expect(res.choices[0]?.message.content).toContain('verdict');
    expect(s.count()).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(190);
  });

  it('the default client gives up after 2 retries (3 requests in total) without Retry-After', async () => {
    const s = await start({ fault: () => ({ kind: 'status', status: 429, headers: { 'retry-after-ms': '10' } }) });
    const err = await new OpenAI({ baseURL: s.url, apiKey: 'test' }).chat.completions
      .create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(s.count()).toBe(3);
  });

  it('429 without Retry-After: the client backs off ~0.5s before its single retry', async () => {
    const s = await start({ fault: (_r, i) => (i === 0 ? { kind: 'status', status: 429 } : undefined) });
    const t0 = Date.now();
    await client(s, { maxRetries: 1 }).chat.completions.create({ model: 'x', messages: msgs('q') });
    const elapsed = Date.now() - t0;
    expect(s.count()).toBe(2);
    // 0.5s with up to 25% jitter subtracted
    expect(elapsed).toBeGreaterThanOrEqual(360);
  });

  it('500 surfaces as InternalServerError with an OpenAI-shaped body', async () => {
    const s = await start({ fault: () => ({ kind: 'status', status: 500 }) });
    const err = await client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    const e = err as InternalServerError;
    expect(e.status).toBe(500);
    expect(e.type).toBe('server_error');
    expect(e.message).toMatch(/^500 The server had an error/);
  });

  it('400/401/404 faults map to the matching client error classes', async () => {
    const statuses = [400, 401, 404];
    const s = await start({ fault: (_r, i) => ({ kind: 'status', status: statuses[i] ?? 500, message: `boom ${i}` }) });
    const c = client(s);
    const errs: unknown[] = [];
    for (let i = 0; i < 3; i++) errs.push(await c.chat.completions.create({ model: 'x', messages: msgs('q') }).catch((e: unknown) => e));
    expect(errs[0]).toBeInstanceOf(BadRequestError);
    expect(errs[1]).toBeInstanceOf(AuthenticationError);
    expect(errs[2]).toBeInstanceOf(NotFoundError);
    expect((errs[2] as NotFoundError).message).toBe('404 boom 2');
  });

  it('a non-JSON error body (proxy HTML page) becomes the error message', async () => {
    const s = await start({ fault: () => ({ kind: 'status', status: 502, body: '<html>Bad Gateway</html>' }) });
    const err = await client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect((err as APIError).status).toBe(502);
    expect((err as APIError).message).toBe('502 <html>Bad Gateway</html>');
  });

  it('hang → client timeout (APIConnectionTimeoutError)', async () => {
    const s = await start({ fault: () => ({ kind: 'hang' }) });
    const t0 = Date.now();
    const err = await client(s, { timeout: 200 })
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIConnectionTimeoutError);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('close() destroys hung requests (the waiting client gets a connection error)', async () => {
    const s = await start({ fault: () => ({ kind: 'hang' }) });
    const pending = client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    while (s.count() === 0) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    const err = await pending;
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err).not.toBeInstanceOf(APIConnectionTimeoutError);
  });

  it('drop → APIConnectionError', async () => {
    const s = await start({ fault: () => ({ kind: 'drop' }) });
    const err = await client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect((err as APIConnectionError).status).toBeUndefined();
    expect((err as APIConnectionError).message).toBe('Connection error.');
  });

  it('the default client retries dropped connections (then succeeds)', async () => {
    const s = await start({ fault: (_r, i) => (i === 0 ? { kind: 'drop' } : undefined) });
    const res = await client(s, { maxRetries: 1 }).chat.completions.create({ model: 'x', messages: msgs('q') });
    expect(res.choices[0]?.message.content).toContain('verdict');
    expect(s.count()).toBe(2);
  });

  it('malformed JSON body → a plain SyntaxError, not an OpenAI error class', async () => {
    const s = await start({ fault: () => ({ kind: 'malformed', body: 'this is not json {' }) });
    const err = await client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyntaxError);
    expect(err).not.toBeInstanceOf(APIError);
    expect(s.count()).toBe(1);
  });

  it('malformed JSON body is not retried even with retries enabled', async () => {
    const s = await start({ fault: () => ({ kind: 'malformed', body: '<<<' }) });
    const err = await new OpenAI({ baseURL: s.url, apiKey: 'test' }).chat.completions
      .create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyntaxError);
    expect(s.count()).toBe(1);
  });

  it('malformed non-JSON content type → the client resolves with the raw text instead of a completion', async () => {
    const s = await start({ fault: () => ({ kind: 'malformed', body: 'upstream said hi', contentType: 'text/plain' }) });
    const res: unknown = await client(s).chat.completions.create({ model: 'x', messages: msgs('q') });
    expect(res).toBe('upstream said hi');
  });

  it('truncated JSON body → SyntaxError', async () => {
    const s = await start({ fault: () => ({ kind: 'truncated' }) });
    const err = await client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyntaxError);
    expect(err).not.toBeInstanceOf(APIError);
  });

  it('truncated with connection reset mid-body → TypeError("terminated") from fetch, not an OpenAI error class', async () => {
    const s = await start({ fault: () => ({ kind: 'truncated', reset: true }) });
    const err = await client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).not.toBeInstanceOf(APIError);
    expect((err as Error).message).toBe('terminated');
  });

  it('content fault returns exactly the given content', async () => {
    const s = await start({ fault: (_r, i) => (i === 0 ? { kind: 'content', content: 'I think it passes!' } : undefined) });
    const c = client(s);
    const a = await c.chat.completions.create({ model: 'x', messages: msgs('q') });
    const b = await c.chat.completions.create({ model: 'x', messages: msgs('q') });
    expect(a.choices[0]?.message.content).toBe('I think it passes!');
    expect(a.usage?.completion_tokens).toBe(Math.ceil('I think it passes!'.length / 4));
    expect(b.choices[0]?.message.content).toContain('"verdict"');
  });

  it('latency fault and base latency delay the answer', async () => {
    const s = await start({ latencyMs: 50, fault: () => ({ kind: 'latency', ms: 100 }) });
    const t0 = Date.now();
    const res = await client(s).chat.completions.create({ model: 'x', messages: msgs('q') });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(res.choices[0]?.message.content).toContain('verdict');
  });

  it('the client timeout only covers the response headers: a slowly trickling body still succeeds', async () => {
    const s = await start({ fault: () => ({ kind: 'slowStream', chunkDelayMs: 100 }) });
    const t0 = Date.now();
    const res = await client(s, { timeout: 150 }).chat.completions.create({ model: 'x', messages: msgs('q') });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(res.choices[0]?.message.content).toContain('verdict');
  });
});

describe('fake OpenAI server: streaming', () => {
  it('streams chunks and [DONE], with usage when requested', async () => {
    const s = await start({ respond: () => 'The quick brown fox jumps over the lazy dog.' });
    const stream = await client(s).chat.completions.create({
      model: 'x',
      messages: msgs('q'),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('The quick brown fox jumps over the lazy dog.');
    expect(finish).toBe('stop');
    expect(chunks).toBeGreaterThanOrEqual(4);
    expect(usage?.completion_tokens).toBe(Math.ceil(text.length / 4));
  });

  it('slowStream delivers content in several delayed chunks', async () => {
    const s = await start({
      respond: () => 'abcdefghijklmnopqrstuvwxyz',
      fault: () => ({ kind: 'slowStream', chunkDelayMs: 40 }),
    });
    const t0 = Date.now();
    const stream = await client(s).chat.completions.create({ model: 'x', messages: msgs('q'), stream: true });
    const arrivals: Array<{ at: number; content: string }> = [];
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) arrivals.push({ at: Date.now() - t0, content });
    }
    expect(arrivals.map((a) => a.content).join('')).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    const last = arrivals[arrivals.length - 1]!;
    const first = arrivals[0]!;
    expect(last.at - first.at).toBeGreaterThanOrEqual(40 * (arrivals.length - 1) - 10);
  });

  it('the streaming helper (chat.completions.stream) assembles the final completion', async () => {
    const s = await start({ fault: () => ({ kind: 'slowStream', chunkDelayMs: 5 }) });
    const runner = client(s).chat.completions.stream({ model: 'x', messages: msgs('q') });
    const final = await runner.finalChatCompletion();
    expect(JSON.parse(final.choices[0]?.message.content ?? '')).toMatchObject({ verdict: 'pass' });
  });

  it('a truncated stream fails during iteration', async () => {
    const s = await start({ fault: () => ({ kind: 'truncated' }) });
    const stream = await client(s).chat.completions.create({ model: 'x', messages: msgs('q'), stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(APIError);
    expect((err as Error).message).toBe('terminated');
    expect(text.length).toBeGreaterThan(0);
  });

  it('a status fault on a streaming request throws before any chunk', async () => {
    const s = await start({ fault: () => ({ kind: 'status', status: 503 }) });
    const err = await client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q'), stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect((err as APIError).status).toBe(503);
  });
});

describe('fake OpenAI server: other routes', () => {
  it('lists models including seen ones and gpt-4o-mini', async () => {
    const s = await start();
    const c = client(s);
    await c.chat.completions.create({ model: 'my-judge', messages: msgs('q') });
    const ids: string[] = [];
    for await (const m of c.models.list()) ids.push(m.id);
    expect(ids).toContain('gpt-4o-mini');
    expect(ids).toContain('my-judge');
    const one = await c.models.retrieve('my-judge');
    expect(one.id).toBe('my-judge');
  });

  it('unknown route → 404 NotFoundError', async () => {
    const s = await start();
    const err = await client(s)
      .embeddings.create({ model: 'x', input: 'y' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toBe('404 Invalid URL (POST /v1/embeddings)');
  });

  it('apiKey: wrong key → 401, right key → 200', async () => {
    const s = await start({ apiKey: 'sk-right' });
    const bad = await client(s)
      .chat.completions.create({ model: 'x', messages: msgs('q') })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(AuthenticationError);
    expect((bad as AuthenticationError).code).toBe('invalid_api_key');
    const ok = await client(s, { apiKey: 'sk-right' }).chat.completions.create({ model: 'x', messages: msgs('q') });
    expect(ok.choices).toHaveLength(1);
    expect(s.count()).toBe(1);
  });

  it('a raw non-JSON request body gets a 400', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "x", ',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/could not parse the JSON body/);
  });
});

describe('fake OpenAI server: batch API', () => {
  function jsonl(items: Array<{ id: string; user: string }>, model = 'gpt-4o-mini'): string {
    return (
      items
        .map((it) =>
          JSON.stringify({
            custom_id: it.id,
            method: 'POST',
            url: '/v1/chat/completions',
            body: { model, messages: msgs(it.user), temperature: 0 },
          }),
        )
        .join('\n') + '\n'
    );
  }

  it('round trip: upload, create, poll until completed, download output', async () => {
    const s = await start({
      respond: verdictFrom((text) => (text.includes('refund') ? 'fail' : 'pass')),
      fault: (req) =>
        req.messages.some((m) => m.content === 'weird') ? { kind: 'content', content: 'not json at all' } : { kind: 'status', status: 500 },
    });
    const c = client(s);
    const items = [
      { id: 'item-1', user: 'please refund me' },
      { id: 'item-2', user: 'great service' },
      { id: 'item-3', user: 'weird' },
    ];
    const file = await c.files.create({
      file: await toFile(Buffer.from(jsonl(items)), 'input.jsonl', { type: 'application/jsonl' }),
      purpose: 'batch',
    });
    expect(file.object).toBe('file');
    expect(file.purpose).toBe('batch');
    expect(file.filename).toBe('input.jsonl');
    expect(s.files.get(file.id)).toBe(jsonl(items));

    const batch = await c.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { run: 'r1' },
    });
    expect(batch.status).toBe('validating');
    expect(batch.metadata).toEqual({ run: 'r1' });
    expect(s.count()).toBe(0);

    const statuses: string[] = [];
    let current = batch;
    for (let i = 0; i < 10 && current.status !== 'completed'; i++) {
      current = await c.batches.retrieve(batch.id);
      statuses.push(current.status);
    }
    expect(statuses).toEqual(['in_progress', 'completed']);
    expect(current.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(current.output_file_id).toBeTruthy();
    expect(current.error_file_id).toBeNull();
    expect(s.batches.get(batch.id)).toMatchObject({ status: 'completed' });

    const out = await (await c.files.content(current.output_file_id!)).text();
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { custom_id: string; error: unknown; response: { status_code: number; body: OpenAI.ChatCompletion } });
    expect(lines.map((l) => l.custom_id)).toEqual(['item-1', 'item-2', 'item-3']);
    expect(lines.every((l) => l.response.status_code === 200 && l.error === null)).toBe(true);
    const contents = lines.map((l) => l.response.body.choices[0]?.message.content ?? '');
    expect(JSON.parse(contents[0]!)).toMatchObject({ verdict: 'fail' });
    expect(JSON.parse(contents[1]!)).toMatchObject({ verdict: 'pass' });
    expect(contents[2]).toBe('not json at all'); // only 'content' faults apply to batch lines
    expect(lines[0]?.response.body.usage?.prompt_tokens).toBeGreaterThan(0);

    // Batch lines are recorded as requests when processed.
    expect(s.count()).toBe(3);
    expect(s.requests.map((r) => r.messages[1]?.content)).toEqual(['please refund me', 'great service', 'weird']);

    // Retrieving a finished batch changes nothing.
    const again = await c.batches.retrieve(batch.id);
    expect(again.status).toBe('completed');
    expect(s.count()).toBe(3);
  });

  it('respond() throwing fails that line into the error file', async () => {
    const s = await start({
      respond: (req) => {
        if (req.messages[1]?.content === 'explode') throw new Error('kaboom');
        return '{"verdict":"pass"}';
      },
    });
    const c = client(s);
    const file = await c.files.create({
      file: await toFile(Buffer.from(jsonl([{ id: 'a', user: 'fine' }, { id: 'b', user: 'explode' }])), 'in.jsonl'),
      purpose: 'batch',
    });
    const batch = await c.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await c.batches.retrieve(batch.id);
    const done = await c.batches.retrieve(batch.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
    const errText = await (await c.files.content(done.error_file_id!)).text();
    const errLine = JSON.parse(errText.trim()) as { custom_id: string; response: { status_code: number; body: { error: { message: string } } } };
    expect(errLine.custom_id).toBe('b');
    expect(errLine.response.status_code).toBe(500);
    expect(errLine.response.body.error.message).toContain('kaboom');
  });

  it('invalid input lines fail the batch at validation', async () => {
    const s = await start();
    const c = client(s);
    const bad = jsonl([{ id: 'a', user: 'x' }, { id: 'a', user: 'y' }]) + 'not json\n';
    const file = await c.files.create({ file: await toFile(Buffer.from(bad), 'bad.jsonl'), purpose: 'batch' });
    const batch = await c.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const after = await c.batches.retrieve(batch.id);
    expect(after.status).toBe('failed');
    expect(after.errors?.data?.map((e) => [e.code, e.line])).toEqual([
      ['duplicate_custom_id', 2],
      ['invalid_json_line', 3],
    ]);
    expect(s.count()).toBe(0);
  });

  it('cancel: validating → cancelling → cancelled, nothing processed', async () => {
    const s = await start();
    const c = client(s);
    const file = await c.files.create({ file: await toFile(Buffer.from(jsonl([{ id: 'a', user: 'x' }])), 'in.jsonl'), purpose: 'batch' });
    const batch = await c.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const cancelling = await c.batches.cancel(batch.id);
    expect(cancelling.status).toBe('cancelling');
    const cancelled = await c.batches.retrieve(batch.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.output_file_id).toBeNull();
    expect(s.count()).toBe(0);
  });

  it('unknown batch / file ids → 404', async () => {
    const s = await start();
    const c = client(s);
    await expect(c.batches.retrieve('batch_nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.files.content('file-nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      c.batches.create({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
