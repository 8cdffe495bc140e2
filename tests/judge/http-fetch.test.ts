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
