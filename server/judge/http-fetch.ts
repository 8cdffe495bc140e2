import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

/**
 * A lean `fetch` for the openai client, on node:http with a keep-alive agent.
 *
 * Why: Node's built-in fetch (undici's WHATWG implementation) spends about 0.4–0.7 ms of CPU per
 * request on web streams, Request/Response objects and header guards — as much as the whole rest
 * of a judgment — so at 64 concurrent requests the client, not the endpoint, became the limit.
 * node:http with a buffered body costs about 0.1 ms. JSON requests with a string or byte body go
 * this way; anything else (multipart file uploads, streams) goes to the built-in fetch.
 *
 * The response is buffered whole (judge replies are small; batch result files are read whole
 * anyway) and exposed through the part of the Response interface the openai client uses. Errors
 * are what fetch callers expect: an AbortError when the signal aborts, the socket's error
 * (ECONNRESET, "socket hang up") when the connection breaks, before or during the body.
 */
export function createHttpFetch(opts: { maxSockets?: number } = {}): typeof fetch {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 }),
  };
  const lean = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    const simpleBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (input instanceof Request || !simpleBody) return fetch(input, init);
    const url = typeof input === 'string' ? new URL(input) : input;
    const agent = agents[url.protocol as 'http:' | 'https:'];
    if (!agent) return fetch(input, init);
    const signal = init.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const headers = flattenHeaders(init.headers);
      const payload = body === undefined || body === null ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
      if (payload) headers['content-length'] = String(payload.byteLength);
      const req = (url.protocol === 'https:' ? https : http).request(url, { method: init.method ?? 'GET', headers, agent });
      const onAbort = () => req.destroy(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      req.on('error', (e) => { done(); reject(e); });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => { done(); reject(e); });
        // A body cut short by a reset ends with 'aborted'/'error', never 'end'.
        res.on('aborted', () => { done(); reject(Object.assign(new TypeError('terminated'), { cause: new Error('the connection closed before the body was complete') })); });
        res.on('end', () => {
          done();
          if (!res.complete) return reject(new TypeError('terminated'));
          let buffer: Buffer;
          try {
            buffer = decode(Buffer.concat(chunks), res.headers['content-encoding']);
          } catch (e) {
            return reject(Object.assign(new TypeError('fetch failed: the response body could not be decoded'), { cause: e }));
          }
          if (buffer.length && res.headers['content-encoding']) {
            delete res.headers['content-encoding'];
            delete res.headers['content-length'];
          }
          resolve(new BufferedResponse(buffer, res.statusCode ?? 0, res.statusMessage ?? '', res.headers, url.href) as unknown as Response);
        });
      });
      req.end(payload);
    });
  };
  return lean as typeof fetch;
}

/** Concur never asks for compression, but a server may send it anyway; fetch would decode it too. */
function decode(body: Buffer, encoding: string | undefined): Buffer {
  if (!encoding || !body.length) return body;
  let out = body;
  for (const coding of encoding.split(',').map((c) => c.trim().toLowerCase()).reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') out = zlib.gunzipSync(out);
    else if (coding === 'deflate') out = zlib.inflateSync(out);
    else if (coding === 'br') out = zlib.brotliDecompressSync(out);
    else if (coding !== 'identity') throw new Error(`unsupported content-encoding ${coding}`);
  }
  return out;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error && signal.reason.name === 'AbortError' ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
}

function flattenHeaders(h: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (h instanceof Headers) { h.forEach((v, k) => { out[k] = v; }); return out; }
  if (Array.isArray(h)) { for (const [k, v] of h) out[k!.toLowerCase()] = v!; return out; }
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = String(v);
  return out;
}

/** The Response members the openai client reads, over a body already in memory. */
class BufferedResponse {
  readonly ok: boolean;
  readonly headers: Headers;
  readonly redirected = false;
  readonly type = 'basic';
  bodyUsed = false;

  constructor(private readonly buffer: Buffer, readonly status: number, readonly statusText: string, raw: http.IncomingHttpHeaders, readonly url: string) {
    this.ok = status >= 200 && status < 300;
    const pairs: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(raw)) {
      if (Array.isArray(v)) for (const x of v) pairs.push([k, x]);
      else if (v !== undefined) pairs.push([k, v]);
    }
    this.headers = new Headers(pairs);
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (!this.buffer.length) return null;
    const bytes = this.take();
    return new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } });
  }

  private take(): Uint8Array {
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    this.bodyUsed = true;
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  async text(): Promise<string> { return Buffer.from(this.take()).toString('utf8'); }
  async json(): Promise<unknown> { return JSON.parse(await this.text()); }
  async arrayBuffer(): Promise<ArrayBuffer> { const b = this.take(); return b.slice().buffer as ArrayBuffer; }
  async bytes(): Promise<Uint8Array> { return this.take().slice(); }
  async blob(): Promise<Blob> { return new Blob([this.take().slice()], { type: this.headers.get('content-type') ?? '' }); }
  clone(): BufferedResponse {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    const raw: http.IncomingHttpHeaders = {};
    this.headers.forEach((v, k) => { raw[k] = v; });
    return new BufferedResponse(this.buffer, this.status, this.statusText, raw, this.url);
  }
}
