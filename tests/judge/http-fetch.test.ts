import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createHttpFetch } from '../../server/judge/http-fetch.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const leanFetch = createHttpFetch();

describe('createHttpFetch (the lean fetch the judge client uses)', () => {
  it('sends method, headers and body, and returns status, headers and a readable body', async () => {
    const url = await serve((req, res, body) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'req_1' });
      res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, body }));
    });
    const res = await leanFetch(`${url}/v1/x`, { method: 'POST', headers: new Headers({ Authorization: 'Bearer k' }), body: '{"a":1}' });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-request-id')).toBe('req_1');
    expect(await res.json()).toEqual({ method: 'POST', auth: 'Bearer k', body: '{"a":1}' });
  });

  it('decodes a body the server compressed anyway', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync('{"ok":true}'));
    });
    const res = await leanFetch(url);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.json()).toEqual({ ok: true });
  });

  it('rejects with an AbortError when the signal aborts, and with the socket error when the body is cut', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"partial":');
        setTimeout(() => res.socket?.destroy(), 5);
      } // '/hang' never answers
    });
    const ctl = new AbortController();
    const hanging = leanFetch(`${url}/hang`, { signal: ctl.signal });
    ctl.abort();
    await expect(hanging).rejects.toMatchObject({ name: 'AbortError' });
    await expect(leanFetch(`${url}/cut`)).rejects.toBeInstanceOf(Error);
  });

  it('hands a multipart upload to the built-in fetch', async () => {
    const url = await serve((req, res) => { res.writeHead(200); res.end(String(req.headers['content-type'])); });
    const form = new FormData();
    form.append('purpose', 'batch');
    const res = await leanFetch(url, { method: 'POST', body: form });
    expect(await res.text()).toMatch(/^multipart\/form-data; boundary=/);
  });
});

/**
 * Every Response member the openai SDK (pinned at 6.49.0 in package.json) reads, found with
 *   grep -rhoE "response\.(headers\.get|headers|status|ok|body|text|json|url)" node_modules/openai --include=*.js
 * (client.js: ok, status, url, headers.entries/get, body cancelled before a retry, text() of an error;
 * internal/parse.js: status 204, headers.get('content-type'/'content-length'), json(), text(), the
 * Response itself for binary downloads; core/streaming.js: body as an SSE stream) — exercised through
 * the real client over the lean fetch, so an SDK upgrade that reads another member fails here first.
 */
describe('createHttpFetch under the openai client: every Response member the SDK reads', () => {
  const OpenAI = async () => (await import('openai')).default;
  const completion = { id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop', logprobs: null }] };

  it('status, ok, url, headers.get/entries, json(): a completion with its request id', async () => {
    const url = await serve((_req, res) => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req_42' }); res.end(JSON.stringify(completion)); });
    const client = new (await OpenAI())({ apiKey: 'k', baseURL: `${url}/v1`, fetch: leanFetch, maxRetries: 0 });
    const { data, response, request_id } = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe('hi');
    expect(request_id).toBe('req_42');
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.url).toBe(`${url}/v1/chat/completions`);
    expect([...(response.headers as unknown as { entries(): IterableIterator<[string, string]> }).entries()]).toContainEqual(['x-request-id', 'req_42']);
  });

  it('an error status: ok false, text() of the body, headers for Retry-After; the body is cancelled before a retry', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      if (calls === 1) { res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"error":{"message":"first"}}'); return; }
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end('{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}');
    });
    const OpenAIClient = await OpenAI();
    const client = new OpenAIClient({ apiKey: 'k', baseURL: `${url}/v1`, fetch: leanFetch, maxRetries: 1 });
    const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { timeout: 60_000 }).catch((e) => e);
    // the 500 was retried once (its body cancelled first); the 429 then ended it, its headers kept on the error
    expect(calls).toBe(2);
    expect(err).toBeInstanceOf((await import('openai')).APIError);
    expect(err.status).toBe(429);
    expect(err.message).toContain('slow down');
    expect(err.headers.get('retry-after')).toBe('7');
  });

  it('204: no body read; text/plain: text()', async () => {
    const url = await serve((req, res) => {
      if (req.url!.endsWith('/empty')) { res.writeHead(204); res.end(); return; }
      res.writeHead(200, { 'content-type': 'text/plain' }); res.end('plain words');
    });
    const client = new (await OpenAI())({ apiKey: 'k', baseURL: `${url}/v1`, fetch: leanFetch, maxRetries: 0 });
    expect(await client.get('/empty')).toBeNull();
    expect(await client.get('/plain')).toBe('plain words');
  });

  it('body as an SSE stream (stream: true)', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      res.end(chunk('he') + chunk('llo') + 'data: [DONE]\n\n');
    });
    const client = new (await OpenAI())({ apiKey: 'k', baseURL: `${url}/v1`, fetch: leanFetch, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('hello');
  });

  it('a binary download returns the Response itself: text(), arrayBuffer(), bytes(), blob(), clone(), bodyUsed; STREAM_BODY gives the body as a stream', async () => {
    const { STREAM_BODY } = await import('../../server/judge/http-fetch.ts');
    const url = await serve((_req, res) => { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.end('line 1\nline 2\n'); });
    const client = new (await OpenAI())({ apiKey: 'k', baseURL: `${url}/v1`, fetch: leanFetch, maxRetries: 0 });
    const res = await client.files.content('file-1');
    const copy = res.clone();
    expect(res.bodyUsed).toBe(false);
    expect(await res.text()).toBe('line 1\nline 2\n');
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(/already been read/);
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe('line 1\nline 2\n');
    const again = await client.files.content('file-1');
    expect(new TextDecoder().decode(await again.bytes())).toBe('line 1\nline 2\n');
    expect(await (await (await client.files.content('file-1')).blob()).text()).toBe('line 1\nline 2\n');
    const streamed = await client.files.content('file-1', { fetchOptions: { [STREAM_BODY]: true } as never });
    let got = '';
    for await (const c of streamed.body as unknown as AsyncIterable<Uint8Array>) got += Buffer.from(c).toString();
    expect(got).toBe('line 1\nline 2\n');
  });
});
