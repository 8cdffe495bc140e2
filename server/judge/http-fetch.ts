import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';

/** Default cap on one reply body (a judge completion, an API answer): 1 MB. */
export const DEFAULT_MAX_REPLY_BYTES = 1024 * 1024;
/** How much of an oversized reply is kept (stored with the judgment's error). */
export const REPLY_HEAD_BYTES = 4096;

/**
 * A reply body larger than the cap: the request was aborted there. `head` is the first
 * REPLY_HEAD_BYTES of it (as text), kept so the user can see what the endpoint was sending.
 */
export class ReplyTooLargeError extends Error {
  constructor(readonly limitBytes: number, readonly head: string) {
    super(`reply exceeded ${formatBytes(limitBytes)}; first ${formatBytes(Math.min(REPLY_HEAD_BYTES, Buffer.byteLength(head)))} stored`);
    this.name = 'ReplyTooLargeError';
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MB`;
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

/**
 * A request option (through the openai client's `fetchOptions`) asking for the body as a stream,
 * uncapped, for a successful reply: the Batch API's output files, which the caller parses line by
 * line and caps per completion (batch.ts). Error replies are still buffered and capped.
 */
export const STREAM_BODY = 'concurStreamBody';

export interface HttpFetchOptions {
  maxSockets?: number;
  /** abort a reply whose body exceeds this many bytes (default DEFAULT_MAX_REPLY_BYTES) */
  maxReplyBytes?: number;
}

/**
 * A lean `fetch` for the openai client, on node:http with a keep-alive agent.
 *
 * Why: Node's built-in fetch (undici's WHATWG implementation) spends about 0.4–0.7 ms of CPU per
 * request on web streams, Request/Response objects and header guards — as much as the whole rest
 * of a judgment — so at 64 concurrent requests the client, not the endpoint, became the limit.
 * node:http with a buffered body costs about 0.1 ms (bench/fetch.ts measures both). JSON requests
 * with a string or byte body go this way; anything else (multipart file uploads, streams) goes to
 * the built-in fetch, whose reply is read under the same cap.
 *
 * The reply cap lives here: a body past `maxReplyBytes` (declared or received, after decoding)
 * aborts the request and rejects with ReplyTooLargeError carrying the first 4 KB, so an endpoint
 * streaming 300 MB or never ending costs at most the cap in memory.
 *
 * The response is buffered whole and exposed through the part of the Response interface the
 * openai client uses (tests/judge/http-fetch.test.ts exercises each). Errors are what fetch
 * callers expect: an AbortError when the signal aborts, the socket's error (ECONNRESET, "socket
 * hang up") when the connection breaks, before or during the body.
 */
export function createHttpFetch(opts: HttpFetchOptions = {}): typeof fetch {
  const cap = opts.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
  if (!(Number.isInteger(cap) && cap > 0)) throw new Error(`createHttpFetch: maxReplyBytes must be a positive integer, got ${cap}`);
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 }),
  };
  const lean = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    const simpleBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (input instanceof Request || !simpleBody) return cappedBuiltinFetch(input, init, cap);
    const url = typeof input === 'string' ? new URL(input) : input;
    const agent = agents[url.protocol as 'http:' | 'https:'];
    if (!agent) return cappedBuiltinFetch(input, init, cap);
    const signal = init.signal ?? undefined;
    const streamBody = Boolean((init as Record<string, unknown>)[STREAM_BODY]);
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
        // Destroying the request (abort, cap) errors the response too; the promise reports it, never the process.
        res.on('error', () => {});
        const status = res.statusCode ?? 0;
        if (streamBody && status >= 200 && status < 300) {
          // The caller reads (and caps) the body itself; the signal still aborts it mid-way.
          res.on('end', done);
          res.on('close', done);
          resolve(new BufferedResponse(Buffer.alloc(0), status, res.statusMessage ?? '', res.headers, url.href, res) as unknown as Response);
          return;
        }
        const declared = Number(res.headers['content-length']);
        const encoding = res.headers['content-encoding'];
        const chunks: Buffer[] = [];
        let received = 0;
        let settled = false;
        const tooLarge = () => {
          settled = true;
          done();
          const head = encoding ? '' : Buffer.concat(chunks).subarray(0, REPLY_HEAD_BYTES).toString('utf8');
          const err = new ReplyTooLargeError(cap, head);
          reject(err);
          req.destroy(); // no error passed: the socket may already be back in the pool, where an error would be nobody's
        };
        if (!encoding && Number.isFinite(declared) && declared > cap) {
          // Known too large before reading it: keep the head, then stop.
          res.once('data', (c: Buffer) => { chunks.push(c); if (!settled) tooLarge(); });
          res.once('end', () => { if (!settled) tooLarge(); });
          return;
        }
        res.on('data', (c: Buffer) => {
          if (settled) return;
          received += c.length;
          if (received > cap) {
            if (received - c.length < REPLY_HEAD_BYTES) chunks.push(c);
            return tooLarge();
          }
          chunks.push(c);
        });
        res.on('error', (e) => { if (settled) return; settled = true; done(); reject(e); });
        // A body cut short by a reset ends with 'aborted'/'error', never 'end'.
        res.on('aborted', () => { if (settled) return; settled = true; done(); reject(Object.assign(new TypeError('terminated'), { cause: new Error('the connection closed before the body was complete') })); });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          done();
          if (!res.complete) return reject(new TypeError('terminated'));
          let buffer: Buffer;
          try {
            buffer = decode(Buffer.concat(chunks), encoding, cap);
          } catch (e) {
            if (e instanceof ReplyTooLargeError) return reject(e);
            return reject(Object.assign(new TypeError('fetch failed: the response body could not be decoded'), { cause: e }));
          }
          if (buffer.length && encoding) {
            delete res.headers['content-encoding'];
            delete res.headers['content-length'];
          }
          resolve(new BufferedResponse(buffer, status, res.statusMessage ?? '', res.headers, url.href) as unknown as Response);
        });
      });
      req.end(payload);
    });
  };
  return lean as typeof fetch;
}

/** The built-in fetch (multipart uploads), with its reply read under the same cap. */
async function cappedBuiltinFetch(input: string | URL | Request, init: RequestInit, cap: number): Promise<Response> {
  const ctl = new AbortController();
  const outer = init.signal ?? undefined;
  const onAbort = () => ctl.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  outer?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await fetch(input, { ...init, signal: ctl.signal });
    const chunks: Buffer[] = [];
    let received = 0;
    if (res.body) {
      for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
        received += c.byteLength;
        if (received > cap) {
          chunks.push(Buffer.from(c));
          ctl.abort();
          throw new ReplyTooLargeError(cap, Buffer.concat(chunks).subarray(0, REPLY_HEAD_BYTES).toString('utf8'));
        }
        chunks.push(Buffer.from(c));
      }
    }
    const raw: http.IncomingHttpHeaders = {};
    res.headers.forEach((v, k) => { if (k !== 'content-encoding' && k !== 'content-length') raw[k] = v; });
    return new BufferedResponse(Buffer.concat(chunks), res.status, res.statusText, raw, res.url) as unknown as Response;
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
}

/** Concur never asks for compression, but a server may send it anyway; fetch would decode it too. */
function decode(body: Buffer, encoding: string | undefined, cap: number): Buffer {
  if (!encoding || !body.length) return body;
  let out = body;
  // maxOutputLength: a small compressed body must not expand past the cap (a "zip bomb").
  const limit = { maxOutputLength: cap + 1 };
  for (const coding of encoding.split(',').map((c) => c.trim().toLowerCase()).reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') out = inflating(() => zlib.gunzipSync(out, limit), cap);
    else if (coding === 'deflate') out = inflating(() => zlib.inflateSync(out, limit), cap);
    else if (coding === 'br') out = inflating(() => zlib.brotliDecompressSync(out, limit), cap);
    else if (coding !== 'identity') throw new Error(`unsupported content-encoding ${coding}`);
  }
  if (out.length > cap) throw new ReplyTooLargeError(cap, out.subarray(0, REPLY_HEAD_BYTES).toString('utf8'));
  return out;
}

function inflating(fn: () => Buffer, cap: number): Buffer {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError || (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ReplyTooLargeError(cap, '');
    throw e;
  }
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
  private taken = false;
  private bodyStream: ReadableStream<Uint8Array> | null | undefined;

  /** `stream`: a successful reply the caller asked to read as a stream (STREAM_BODY); then `buffer` is unused */
  constructor(private readonly buffer: Buffer, readonly status: number, readonly statusText: string, raw: http.IncomingHttpHeaders, readonly url: string,
    private readonly stream?: http.IncomingMessage) {
    this.ok = status >= 200 && status < 300;
    const pairs: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(raw)) {
      if (Array.isArray(v)) for (const x of v) pairs.push([k, x]);
      else if (v !== undefined) pairs.push([k, v]);
    }
    this.headers = new Headers(pairs);
  }

  /** The same stream on every read, as fetch's Response gives (the SDK reads `body` once to log it, then again to use it). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.bodyStream !== undefined) return this.bodyStream;
    if (this.stream) return (this.bodyStream = Readable.toWeb(this.stream) as ReadableStream<Uint8Array>);
    if (!this.buffer.length) return (this.bodyStream = null);
    const bytes = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    return (this.bodyStream = new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } }));
  }

  /** Read through a method, or its stream taken by a reader. */
  get bodyUsed(): boolean {
    return this.taken || Boolean(this.bodyStream?.locked);
  }

  private take(): Uint8Array {
    if (this.stream) throw new TypeError('this reply was asked for as a stream (STREAM_BODY): read .body under a cap');
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    this.taken = true;
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  async text(): Promise<string> { return Buffer.from(this.take()).toString('utf8'); }
  async json(): Promise<unknown> { return JSON.parse(await this.text()); }
  async arrayBuffer(): Promise<ArrayBuffer> { const b = this.take(); return b.slice().buffer as ArrayBuffer; }
  async bytes(): Promise<Uint8Array> { return this.take().slice(); }
  async blob(): Promise<Blob> { return new Blob([this.take().slice()], { type: this.headers.get('content-type') ?? '' }); }
  clone(): BufferedResponse {
    if (this.stream) throw new TypeError('Response.clone: a streamed body cannot be cloned');
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    const raw: http.IncomingHttpHeaders = {};
    this.headers.forEach((v, k) => { raw[k] = v; });
    return new BufferedResponse(this.buffer, this.status, this.statusText, raw, this.url);
  }
}
