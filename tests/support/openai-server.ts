/**
 * A stand-in for the OpenAI HTTP API, for tests and benchmarks.
 *
 * It listens on 127.0.0.1 (random port) and speaks the real wire protocol, so
 * the real `openai` client can talk to it: chat completions (plain and SSE
 * streaming), model listing, and enough of the Files + Batch API for a batch
 * round trip. Faults (latency, error statuses, hangs, dropped connections,
 * broken bodies, odd content, slow streams) are scripted per request.
 *
 * Only node:http is used. `close()` destroys every open socket, including
 * requests that are deliberately left hanging, and cancels pending timers, so
 * nothing keeps the process alive afterwards.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  seed?: number;
  response_format?: unknown;
  n?: number;
  stream?: boolean;
  [k: string]: unknown;
}

export type Fault =
  /** Delay, then answer normally. */
  | { kind: 'latency'; ms: number }
  /**
   * Error status with an OpenAI-shaped body `{error:{message,type,param,code}}`
   * (type/code default per status, e.g. 429 → type "requests", code "rate_limit_exceeded").
   * `retryAfter` sets the Retry-After header; `headers` adds any others
   * (e.g. `retry-after-ms`, `x-should-retry`); `body` replaces the JSON body with raw text
   * (e.g. an HTML 502 page from a proxy).
   */
  | {
      kind: 'status';
      status: number;
      retryAfter?: string;
      message?: string;
      type?: string;
      code?: string | null;
      headers?: Record<string, string>;
      body?: string;
    }
  /** Never answers (until the client gives up or the server closes). */
  | { kind: 'hang' }
  /** Destroy the socket without any response (connection reset). */
  | { kind: 'drop' }
  /**
   * 200 with this raw body. Content-Type defaults to application/json (a broken
   * endpoint claiming JSON). For `stream: true` requests the body is sent as one
   * SSE `data:` event instead.
   */
  | { kind: 'malformed'; body: string; contentType?: string }
  /**
   * 200 whose JSON body is cut off midway. By default the response is properly
   * framed (Content-Length of the cut body) and ends cleanly; with `reset: true` the
   * full length is announced, half is sent, and the socket is destroyed.
   * For `stream: true`, half the SSE events are sent, then the socket is destroyed.
   */
  | { kind: 'truncated'; reset?: boolean }
  /** 200, valid completion whose message content is exactly this string. */
  | { kind: 'content'; content: string }
  /**
   * Answer normally but slowly: for `stream: true` the content is streamed in
   * several chunks with this delay between SSE events; for non-streaming requests
   * the headers are sent at once and the JSON body trickles out in several pieces.
   */
  | { kind: 'slowStream'; chunkDelayMs: number }
  /**
   * 200 with a completion whose content is `bytes` long, generated lazily in 64 KB chunks as the
   * client reads (300 MB costs the server nothing): the reply-size cap's test. `declareLength`
   * sends a Content-Length up front (default: chunked). In a batch, the output line's content
   * is this long instead (allocated: keep it to a few MB there).
   */
  | { kind: 'oversized'; bytes: number; declareLength?: boolean }
  /** 200 whose JSON body never ends: chunks of 64 KB forever (every `chunkDelayMs`, default 0), until the client hangs up. */
  | { kind: 'endless'; chunkDelayMs?: number };

export interface FakeOpenAIOptions {
  /** Decide the judge's reply for a request; default: reply {"critique": "...", "verdict": "pass"}. Return the message content string. */
  respond?: (req: ChatRequest, index: number) => string | Promise<string>;
  /** Scripted faults: called per request (index = 0-based arrival count); return a Fault or undefined for normal behaviour. */
  fault?: (req: ChatRequest, index: number) => Fault | undefined | Promise<Fault | undefined>;
  /** Base latency for every chat request (before any fault is applied). */
  latencyMs?: number;
  /** Answer 400 {error:{message:"response_format json_schema is not supported", param:"response_format"}} when response_format is present. */
  rejectResponseFormat?: boolean;
  /** If set, requests (any route) without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /**
   * If true, a reply longer than `max_completion_tokens ?? max_tokens` (estimated at 4 chars
   * per token) is cut to that many tokens and gets finish_reason "length". Default false.
   */
  enforceMaxTokens?: boolean;
}

export interface FakeOpenAI {
  /** Base URL including /v1, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  /**
   * Every valid chat request received, in arrival order: direct POST /v1/chat/completions
   * calls and batch lines (added when the batch is processed). The position in this array
   * is the `index` passed to respond() and fault().
   */
  requests: ChatRequest[];
  count(): number;
  /** Closes the server and destroys open sockets (including hung ones). Idempotent. */
  close(): Promise<void>;
  /** Uploaded and generated files: id → content. */
  files: Map<string, string>;
  /** Batch objects (as returned by the API, updated in place): id → batch. */
  batches: Map<string, unknown>;
  /** The headers of every HTTP request received (any route), in arrival order. */
  headers: IncomingHttpHeaders[];
}

const DEFAULT_REPLY = JSON.stringify({
  critique: 'The fake judge looked at the output and found nothing wrong with it.',
  verdict: 'pass',
});

/** Text of a message content: a string, or the text parts of a content-part array. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .join('');
  }
  return '';
}

/** Helper for tests: a respond() that decides the verdict from the request's user message(s). */
export function verdictFrom(decide: (userText: string, req: ChatRequest) => string): (req: ChatRequest) => string {
  return (req: ChatRequest) => {
    const userText = (Array.isArray(req.messages) ? req.messages : [])
      .filter((m) => m && m.role === 'user')
      .map((m) => textOf(m.content))
      .join('\n\n');
    const verdict = decide(userText, req);
    return JSON.stringify({ critique: `The fake judge decided "${verdict}" for this output.`, verdict });
  };
}

function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

function promptTokens(req: ChatRequest): number {
  let chars = 0;
  for (const m of req.messages) chars += textOf(m?.content).length;
  return estimateTokens(chars);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Split into `parts` roughly equal pieces, never inside a surrogate pair. */
function splitPieces(s: string, parts: number): string[] {
  const chars = Array.from(s);
  if (chars.length === 0) return [];
  const size = Math.max(1, Math.ceil(chars.length / parts));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function defaultErrorFor(status: number): { message: string; type: string; code: string | null } {
  switch (status) {
    case 400:
      return { message: 'Bad request (fake OpenAI fault).', type: 'invalid_request_error', code: null };
    case 401:
      return {
        message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      };
    case 403:
      return { message: 'You are not allowed to access this resource.', type: 'permission_error', code: null };
    case 404:
      return {
        message: 'The model does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        code: 'model_not_found',
      };
    case 408:
      return { message: 'Request timed out.', type: 'timeout', code: null };
    case 409:
      return { message: 'Conflict.', type: 'invalid_request_error', code: null };
    case 422:
      return { message: 'Unprocessable entity.', type: 'invalid_request_error', code: null };
    case 429:
      return {
        message: 'Rate limit reached for requests. Please try again later.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      };
    case 500:
      return {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        code: null,
      };
    case 502:
    case 503:
    case 504:
      return { message: 'The server is overloaded or not ready yet.', type: 'server_error', code: null };
    default:
      return { message: `Error ${status} (fake OpenAI fault).`, type: status >= 500 ? 'server_error' : 'api_error', code: null };
  }
}

interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

function parseMultipart(body: Buffer, contentType: string): MultipartPart[] | null {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = m ? (m[1] ?? m[2] ?? '').trim() : '';
  if (!boundary) return null;
  const delim = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) return null;
  while (pos >= 0) {
    let start = pos + delim.length;
    // Final delimiter: "--boundary--"
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    const part = body.subarray(start, end);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headerText = part.subarray(0, headerEnd).toString('utf8');
      const data = part.subarray(headerEnd + 4);
      let name = '';
      let filename: string | undefined;
      let partType: string | undefined;
      for (const line of headerText.split('\r\n')) {
        const idx = line.indexOf(':');
        if (idx < 0) continue;
        const key = line.slice(0, idx).trim().toLowerCase();
        const value = line.slice(idx + 1).trim();
        if (key === 'content-disposition') {
          const nm = /(?:^|;)\s*name="((?:[^"\\]|\\.)*)"/i.exec(value);
          const fn = /(?:^|;)\s*filename="((?:[^"\\]|\\.)*)"/i.exec(value);
          if (nm) name = nm[1] ?? '';
          if (fn) filename = fn[1];
        } else if (key === 'content-type') {
          partType = value;
        }
      }
      parts.push({ name, filename, contentType: partType, data: Buffer.from(data) });
    }
    pos = next;
  }
  return parts;
}

interface FileMeta {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: 'processed';
  expires_at: number | null;
  status_details: null;
}

interface BatchObject {
  id: string;
  object: 'batch';
  endpoint: string;
  errors: { object: 'list'; data: Array<{ code: string; message: string; param: string | null; line: number | null }> } | null;
  input_file_id: string;
  completion_window: string;
  status: 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  usage?: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  };
  metadata: Record<string, string> | null;
}

interface BatchLine {
  custom_id: string;
  body: ChatRequest;
}

interface BatchRecord {
  obj: BatchObject;
  lines: BatchLine[];
  lock: Promise<unknown>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const respond = opts.respond ?? (() => DEFAULT_REPLY);
  const requests: ChatRequest[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const files = new Map<string, string>();
  const fileMeta = new Map<string, FileMeta>();
  const batches = new Map<string, BatchObject>();
  const batchRecords = new Map<string, BatchRecord>();
  const seenModels = new Set<string>();
  const sockets = new Set<Socket>();
  const pendingSleeps = new Set<() => void>();
  let closed = false;
  let closing: Promise<void> | undefined;
  let httpCounter = 0;
  let idCounter = 0;
  const nextId = (prefix: string) => `${prefix}${(++idCounter).toString(36).padStart(6, '0')}`;

  /** Resolves true after ms, or false at once if the server closes meanwhile. */
  function sleep(ms: number): Promise<boolean> {
    if (closed) return Promise.resolve(false);
    if (!(ms > 0)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        pendingSleeps.delete(cancel);
        resolve(!closed);
      }, ms);
      const cancel = () => {
        clearTimeout(timer);
        pendingSleeps.delete(cancel);
        resolve(false);
      };
      pendingSleeps.add(cancel);
    });
  }

  const alive = (res: ServerResponse) => !closed && !res.writableEnded && !res.destroyed;

  function sendJSON(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
    if (!alive(res)) return;
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  }

  function sendError(
    res: ServerResponse,
    status: number,
    message: string,
    extra: { type?: string; param?: string | null; code?: string | null; headers?: Record<string, string> } = {},
  ) {
    const def = defaultErrorFor(status);
    sendJSON(
      res,
      status,
      {
        error: {
          message,
          type: extra.type ?? def.type,
          param: extra.param ?? null,
          code: extra.code === undefined ? def.code : extra.code,
        },
      },
      extra.headers,
    );
  }

  function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
      req.on('aborted', () => reject(new Error('request aborted')));
    });
  }

  function parseJSONBody(raw: Buffer): Record<string, unknown> {
    const text = raw.toString('utf8');
    if (text.trim() === '') {
      throw new HttpError(400, 'We could not parse the JSON body of your request: the body is empty.');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new HttpError(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
      );
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new HttpError(400, 'The request body must be a JSON object.');
    }
    return parsed as Record<string, unknown>;
  }

  /** Returns an error message if the body is not a usable chat request. */
  function chatRequestProblem(body: Record<string, unknown>): { message: string; param: string } | null {
    if (typeof body.model !== 'string' || body.model === '') {
      return { message: 'you must provide a model parameter', param: 'model' };
    }
    if (!Array.isArray(body.messages)) {
      return { message: "Missing required parameter: 'messages'.", param: 'messages' };
    }
    if (body.messages.length === 0) {
      return { message: "Invalid 'messages': empty array. Expected an array with minimum length 1.", param: 'messages' };
    }
    for (let i = 0; i < body.messages.length; i++) {
      const m = body.messages[i] as unknown;
      if (!m || typeof m !== 'object' || typeof (m as { role?: unknown }).role !== 'string') {
        return { message: `Missing required parameter: 'messages[${i}].role'.`, param: `messages[${i}].role` };
      }
    }
    if (body.n !== undefined && (typeof body.n !== 'number' || !Number.isInteger(body.n) || body.n < 1 || body.n > 128)) {
      return { message: `Invalid 'n': expected an integer between 1 and 128.`, param: 'n' };
    }
    return null;
  }

  function buildCompletion(req: ChatRequest, index: number, content: string) {
    const n = typeof req.n === 'number' && req.n > 1 ? req.n : 1;
    const { content: text, finish } = applyMaxTokens(req, content);
    const prompt = promptTokens(req);
    const completion = estimateTokens(text.length) * n;
    return {
      id: `chatcmpl-fake${String(index).padStart(6, '0')}`,
      object: 'chat.completion' as const,
      created: nowSeconds(),
      model: req.model,
      choices: Array.from({ length: n }, (_, i) => ({
        index: i,
        message: { role: 'assistant' as const, content: text, refusal: null, annotations: [] as unknown[] },
        logprobs: null,
        finish_reason: finish,
      })),
      usage: usageOf(prompt, completion),
      service_tier: 'default',
      system_fingerprint: 'fp_fakeopenai',
    };
  }

  function usageOf(prompt: number, completion: number) {
    return {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
  }

  function applyMaxTokens(req: ChatRequest, content: string): { content: string; finish: 'stop' | 'length' } {
    const limit = typeof req.max_completion_tokens === 'number' ? req.max_completion_tokens : req.max_tokens;
    if (opts.enforceMaxTokens && typeof limit === 'number' && estimateTokens(content.length) > limit) {
      return { content: Array.from(content).slice(0, Math.max(0, limit * 4)).join(''), finish: 'length' };
    }
    return { content, finish: 'stop' };
  }

  function streamEvents(req: ChatRequest, index: number, content: string, pieces: number): unknown[] {
    const n = typeof req.n === 'number' && req.n > 1 ? req.n : 1;
    const { content: text, finish } = applyMaxTokens(req, content);
    const streamOptions = req.stream_options as { include_usage?: unknown } | undefined;
    const includeUsage = !!streamOptions && streamOptions.include_usage === true;
    const base = {
      id: `chatcmpl-fake${String(index).padStart(6, '0')}`,
      object: 'chat.completion.chunk',
      created: nowSeconds(),
      model: req.model,
      service_tier: 'default',
      system_fingerprint: 'fp_fakeopenai',
    };
    const withUsage = (o: Record<string, unknown>) => (includeUsage ? { ...o, usage: null } : o);
    const events: unknown[] = [];
    for (let i = 0; i < n; i++) {
      events.push(
        withUsage({
          ...base,
          choices: [{ index: i, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }],
        }),
      );
      for (const piece of splitPieces(text, pieces)) {
        events.push(withUsage({ ...base, choices: [{ index: i, delta: { content: piece }, logprobs: null, finish_reason: null }] }));
      }
      events.push(withUsage({ ...base, choices: [{ index: i, delta: {}, logprobs: null, finish_reason: finish }] }));
    }
    if (includeUsage) {
      events.push({ ...base, choices: [], usage: usageOf(promptTokens(req), estimateTokens(text.length) * n) });
    }
    return events;
  }

  async function writeStream(
    res: ServerResponse,
    req: ChatRequest,
    index: number,
    content: string,
    chunkDelayMs: number,
    truncate: boolean,
  ) {
    if (!alive(res)) return;
    const events = streamEvents(req, index, content, chunkDelayMs > 0 ? 5 : 3);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    const stopAt = truncate ? Math.max(1, Math.floor(events.length / 2)) : events.length;
    for (let k = 0; k < stopAt; k++) {
      if (k > 0 && chunkDelayMs > 0 && !(await sleep(chunkDelayMs))) return;
      if (!alive(res)) return;
      res.write(`data: ${JSON.stringify(events[k])}\n\n`);
    }
    if (truncate) {
      // Give the written events a moment to leave before cutting the connection.
      await sleep(10);
      res.socket?.destroy();
      return;
    }
    if (alive(res)) res.end('data: [DONE]\n\n');
  }

  async function writeSlowBody(res: ServerResponse, payload: unknown, chunkDelayMs: number) {
    if (!alive(res)) return;
    const pieces = splitPieces(JSON.stringify(payload), 5);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    for (let k = 0; k < pieces.length; k++) {
      if (k > 0 && !(await sleep(chunkDelayMs))) return;
      if (!alive(res)) return;
      res.write(pieces[k]);
    }
    if (alive(res)) res.end();
  }

  /**
   * A completion whose content is `bytes` of "x" (Infinity: never ends), written in 64 KB chunks
   * as the socket drains, so a 300 MB or endless reply holds one chunk in memory at a time.
   */
  async function writeLazyBody(res: ServerResponse, chat: ChatRequest, index: number, bytes: number, declareLength: boolean, delayMs: number) {
    const completion = buildCompletion(chat, index, '\u0000');
    const [prefix, suffix] = JSON.stringify(completion).split('\\u0000') as [string, string];
    const head: Record<string, string> = { 'content-type': 'application/json' };
    if (declareLength && Number.isFinite(bytes)) head['content-length'] = String(Buffer.byteLength(prefix) + bytes + Buffer.byteLength(suffix));
    res.writeHead(200, head);
    res.write(prefix);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = bytes;
    while (left > 0) {
      if (!alive(res)) return;
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) {
        const drained = await new Promise<boolean>((resolve) => {
          const onDrain = () => { res.off('close', onClose); resolve(true); };
          const onClose = () => { res.off('drain', onDrain); resolve(false); };
          res.once('drain', onDrain);
          res.once('close', onClose);
        });
        if (!drained) return;
      }
      if (delayMs > 0 && !(await sleep(delayMs))) return;
    }
    if (alive(res)) res.end(suffix);
  }

  async function handleChat(req: IncomingMessage, res: ServerResponse, raw: Buffer) {
    const body = parseJSONBody(raw);
    const problem = chatRequestProblem(body);
    if (problem) throw new HttpError(400, problem.message, problem.param);
    const chat = body as ChatRequest;
    const index = requests.length;
    requests.push(chat);
    seenModels.add(chat.model);
    const stream = chat.stream === true;

    if (opts.latencyMs && !(await sleep(opts.latencyMs))) return;
    const fault = opts.fault ? await opts.fault(chat, index) : undefined;
    if (!alive(res)) return;

    let contentOverride: string | undefined;
    let chunkDelayMs = 0;
    if (fault) {
      switch (fault.kind) {
        case 'latency':
          if (!(await sleep(fault.ms))) return;
          break;
        case 'status': {
          const headers: Record<string, string> = { ...(fault.headers ?? {}) };
          if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
          if (fault.body !== undefined) {
            res.writeHead(fault.status, {
              'content-type': 'text/html; charset=utf-8',
              'content-length': String(Buffer.byteLength(fault.body)),
              ...headers,
            });
            res.end(fault.body);
            return;
          }
          const def = defaultErrorFor(fault.status);
          sendError(res, fault.status, fault.message ?? def.message, {
            type: fault.type,
            code: fault.code,
            headers,
          });
          return;
        }
        case 'hang':
          // Leave the request open; close() destroys the socket.
          return;
        case 'drop':
          req.socket.destroy();
          return;
        case 'malformed': {
          if (stream) {
            res.writeHead(200, { 'content-type': fault.contentType ?? 'text/event-stream; charset=utf-8' });
            res.end(`data: ${fault.body}\n\n`);
            return;
          }
          res.writeHead(200, {
            'content-type': fault.contentType ?? 'application/json',
            'content-length': String(Buffer.byteLength(fault.body)),
          });
          res.end(fault.body);
          return;
        }
        case 'truncated': {
          const content = await respond(chat, index);
          if (stream) {
            await writeStream(res, chat, index, content, 0, true);
            return;
          }
          const full = Buffer.from(JSON.stringify(buildCompletion(chat, index, content)));
          const cut = full.subarray(0, Math.floor(full.length / 2));
          if (!alive(res)) return;
          if (fault.reset) {
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
            res.write(cut);
            await sleep(10);
            res.socket?.destroy();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(cut.length) });
          res.end(cut);
          return;
        }
        case 'content':
          contentOverride = fault.content;
          break;
        case 'slowStream':
          chunkDelayMs = Math.max(0, fault.chunkDelayMs);
          break;
        case 'oversized':
          await writeLazyBody(res, chat, index, fault.bytes, fault.declareLength ?? false, 0);
          return;
        case 'endless':
          await writeLazyBody(res, chat, index, Infinity, false, fault.chunkDelayMs ?? 0);
          return;
        default: {
          const unknownFault: never = fault;
          throw new Error(`fake OpenAI: unknown fault ${JSON.stringify(unknownFault)}`);
        }
      }
    }
    if (!alive(res)) return;

    if (opts.rejectResponseFormat && chat.response_format != null) {
      sendError(res, 400, 'response_format json_schema is not supported', {
        type: 'invalid_request_error',
        param: 'response_format',
        code: null,
      });
      return;
    }

    const content = contentOverride ?? (await respond(chat, index));
    if (typeof content !== 'string') {
      throw new Error(`fake OpenAI: respond() returned ${typeof content}, expected a string`);
    }
    if (stream) {
      await writeStream(res, chat, index, content, chunkDelayMs, false);
    } else if (chunkDelayMs > 0) {
      await writeSlowBody(res, buildCompletion(chat, index, content), chunkDelayMs);
    } else {
      sendJSON(res, 200, buildCompletion(chat, index, content));
    }
  }

  // ---- models -------------------------------------------------------------

  function modelIds(): string[] {
    return [...new Set(['gpt-4o-mini', ...seenModels])];
  }
  function modelObject(id: string) {
    return { id, object: 'model', created: 1700000000, owned_by: 'system' };
  }

  // ---- files --------------------------------------------------------------

  function storeFile(content: string, filename: string, purpose: string): FileMeta {
    const id = nextId('file-');
    const meta: FileMeta = {
      id,
      object: 'file',
      bytes: Buffer.byteLength(content),
      created_at: nowSeconds(),
      filename,
      purpose,
      status: 'processed',
      expires_at: null,
      status_details: null,
    };
    files.set(id, content);
    fileMeta.set(id, meta);
    return meta;
  }

  function handleFileUpload(req: IncomingMessage, raw: Buffer): FileMeta {
    const ct = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(ct)) {
      throw new HttpError(400, "Invalid Content-Type header, expected multipart/form-data.", null, null);
    }
    const parts = parseMultipart(raw, ct);
    if (!parts) throw new HttpError(400, 'Could not parse multipart form data.');
    const filePart = parts.find((p) => p.name === 'file');
    const purposePart = parts.find((p) => p.name === 'purpose');
    if (!filePart) throw new HttpError(400, "Missing required parameter: 'file'.", 'file');
    if (!purposePart) throw new HttpError(400, "Missing required parameter: 'purpose'.", 'purpose');
    const purpose = purposePart.data.toString('utf8');
    return storeFile(filePart.data.toString('utf8'), filePart.filename ?? 'upload', purpose);
  }

  function getFileMeta(id: string): FileMeta {
    const meta = fileMeta.get(id);
    if (!meta) throw new HttpError(404, `No such File object: ${id}`, 'id', null);
    return meta;
  }

  // ---- batches ------------------------------------------------------------

  function handleBatchCreate(raw: Buffer): BatchObject {
    const body = parseJSONBody(raw);
    const inputFileId = body.input_file_id;
    if (typeof inputFileId !== 'string') throw new HttpError(400, "Missing required parameter: 'input_file_id'.", 'input_file_id');
    if (!fileMeta.has(inputFileId)) throw new HttpError(404, `No such File object: ${inputFileId}`, 'input_file_id');
    if (body.endpoint !== '/v1/chat/completions') {
      throw new HttpError(
        400,
        `Invalid value for 'endpoint': the fake OpenAI server only supports '/v1/chat/completions' (got ${JSON.stringify(body.endpoint)}).`,
        'endpoint',
      );
    }
    if (body.completion_window !== '24h') {
      throw new HttpError(400, "Invalid value for 'completion_window': expected '24h'.", 'completion_window');
    }
    const created = nowSeconds();
    const obj: BatchObject = {
      id: nextId('batch_'),
      object: 'batch',
      endpoint: '/v1/chat/completions',
      errors: null,
      input_file_id: inputFileId,
      completion_window: '24h',
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: created,
      in_progress_at: null,
      expires_at: created + 24 * 3600,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      metadata: body.metadata && typeof body.metadata === 'object' ? (body.metadata as Record<string, string>) : null,
    };
    batches.set(obj.id, obj);
    batchRecords.set(obj.id, { obj, lines: [], lock: Promise.resolve() });
    return obj;
  }

  function validateBatchInput(rec: BatchRecord): void {
    const text = files.get(rec.obj.input_file_id) ?? '';
    const errors: NonNullable<BatchObject['errors']>['data'] = [];
    const seen = new Set<string>();
    const lines: BatchLine[] = [];
    const rawLines = text.split(/\r?\n/);
    rawLines.forEach((lineText, i) => {
      const lineNo = i + 1;
      if (lineText.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(lineText);
      } catch {
        errors.push({ code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: lineNo });
        return;
      }
      const o = parsed as Record<string, unknown> | null;
      if (!o || typeof o !== 'object' || Array.isArray(o)) {
        errors.push({ code: 'invalid_request', message: 'Each line must be a JSON object.', param: null, line: lineNo });
        return;
      }
      if (typeof o.custom_id !== 'string' || o.custom_id === '') {
        errors.push({ code: 'missing_required_parameter', message: "Missing required parameter: 'custom_id'.", param: 'custom_id', line: lineNo });
        return;
      }
      if (seen.has(o.custom_id)) {
        errors.push({
          code: 'duplicate_custom_id',
          message: `The custom_id for this request is a duplicate of another request: ${o.custom_id}`,
          param: 'custom_id',
          line: lineNo,
        });
        return;
      }
      seen.add(o.custom_id);
      if (o.method !== 'POST') {
        errors.push({ code: 'invalid_request', message: "Invalid value for 'method': expected 'POST'.", param: 'method', line: lineNo });
        return;
      }
      if (o.url !== rec.obj.endpoint) {
        errors.push({
          code: 'mismatched_endpoint',
          message: `The provided URL '${String(o.url)}' does not match the batch endpoint '${rec.obj.endpoint}'.`,
          param: 'url',
          line: lineNo,
        });
        return;
      }
      const b = o.body as Record<string, unknown> | null;
      if (!b || typeof b !== 'object' || Array.isArray(b)) {
        errors.push({ code: 'missing_required_parameter', message: "Missing required parameter: 'body'.", param: 'body', line: lineNo });
        return;
      }
      const problem = chatRequestProblem(b);
      if (problem) {
        errors.push({ code: 'invalid_request', message: problem.message, param: `body.${problem.param}`, line: lineNo });
        return;
      }
      if (b.stream === true) {
        errors.push({ code: 'invalid_request', message: 'Streaming is not supported in the Batch API.', param: 'body.stream', line: lineNo });
        return;
      }
      lines.push({ custom_id: o.custom_id, body: b as ChatRequest });
    });
    if (errors.length === 0 && lines.length === 0) {
      errors.push({ code: 'empty_file', message: 'The input file contains no requests.', param: null, line: null });
    }
    const t = nowSeconds();
    if (errors.length > 0) {
      rec.obj.status = 'failed';
      rec.obj.failed_at = t;
      rec.obj.errors = { object: 'list', data: errors };
      return;
    }
    rec.lines = lines;
    rec.obj.status = 'in_progress';
    rec.obj.in_progress_at = t;
    rec.obj.request_counts = { total: lines.length, completed: 0, failed: 0 };
  }

  async function processBatch(rec: BatchRecord): Promise<void> {
    const out: string[] = [];
    const errs: string[] = [];
    let inputTokens = 0;
    let outputTokens = 0;
    for (const line of rec.lines) {
      const index = requests.length;
      requests.push(line.body);
      seenModels.add(line.body.model);
      const requestId = nextId('req_');
      const lineId = nextId('batch_req_');
      try {
        const fault = opts.fault ? await opts.fault(line.body, index) : undefined;
        const content = fault && fault.kind === 'content' ? fault.content
          : fault && fault.kind === 'oversized' ? 'x'.repeat(fault.bytes) : await respond(line.body, index);
        if (typeof content !== 'string') throw new Error(`respond() returned ${typeof content}, expected a string`);
        const completion = buildCompletion(line.body, index, content);
        inputTokens += completion.usage.prompt_tokens;
        outputTokens += completion.usage.completion_tokens;
        out.push(
          JSON.stringify({
            id: lineId,
            custom_id: line.custom_id,
            response: { status_code: 200, request_id: requestId, body: completion },
            error: null,
          }),
        );
      } catch (e) {
        errs.push(
          JSON.stringify({
            id: lineId,
            custom_id: line.custom_id,
            response: {
              status_code: 500,
              request_id: requestId,
              body: {
                error: {
                  message: `The server had an error while processing your request (fake respond() threw: ${e instanceof Error ? e.message : String(e)}).`,
                  type: 'server_error',
                  param: null,
                  code: null,
                },
              },
            },
            error: null,
          }),
        );
      }
    }
    const o = rec.obj;
    const t = nowSeconds();
    o.finalizing_at = t;
    if (out.length > 0) o.output_file_id = storeFile(out.join('\n') + '\n', `${o.id}_output.jsonl`, 'batch_output').id;
    if (errs.length > 0) o.error_file_id = storeFile(errs.join('\n') + '\n', `${o.id}_error.jsonl`, 'batch_output').id;
    o.request_counts = { total: rec.lines.length, completed: out.length, failed: errs.length };
    o.usage = {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    };
    o.status = 'completed';
    o.completed_at = t;
  }

  /** One step of progress per retrieve: validating → in_progress → completed; cancelling → cancelled. */
  async function advanceBatch(rec: BatchRecord): Promise<void> {
    switch (rec.obj.status) {
      case 'validating':
        validateBatchInput(rec);
        return;
      case 'in_progress':
        await processBatch(rec);
        return;
      case 'cancelling':
        rec.obj.status = 'cancelled';
        rec.obj.cancelled_at = nowSeconds();
        return;
      default:
        return;
    }
  }

  function withBatchLock<T>(rec: BatchRecord, fn: () => T | Promise<T>): Promise<T> {
    const run = rec.lock.then(fn, fn);
    rec.lock = run.catch(() => undefined);
    return run;
  }

  function getBatchRecord(id: string): BatchRecord {
    const rec = batchRecords.get(id);
    if (!rec) throw new HttpError(404, `No such Batch object: ${id}`, 'id', null);
    return rec;
  }

  function listOf<T extends { id: string }>(items: T[]) {
    return {
      object: 'list',
      data: items,
      first_id: items[0]?.id ?? null,
      last_id: items[items.length - 1]?.id ?? null,
      has_more: false,
    };
  }

  // ---- routing ------------------------------------------------------------

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => {});
    headers.push(req.headers);
    const requestId = `req_fake${(++httpCounter).toString(16).padStart(8, '0')}`;
    res.setHeader('x-request-id', requestId);
    res.setHeader('openai-processing-ms', '1');
    const method = (req.method ?? 'GET').toUpperCase();
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    } catch {
      pathname = req.url ?? '/';
    }
    if (pathname.length > 1) pathname = pathname.replace(/\/+$/, '');

    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch {
      return;
    }
    if (closed) return;

    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      const def = defaultErrorFor(401);
      sendError(res, 401, def.message, { code: 'invalid_api_key' });
      return;
    }

    let m: RegExpExecArray | null;
    if (method === 'POST' && pathname === '/v1/chat/completions') {
      await handleChat(req, res, raw);
      return;
    }
    if (method === 'GET' && pathname === '/v1/models') {
      sendJSON(res, 200, { object: 'list', data: modelIds().map(modelObject) });
      return;
    }
    if (method === 'GET' && (m = /^\/v1\/models\/([^/]+)$/.exec(pathname))) {
      const id = decodeURIComponent(m[1] ?? '');
      if (!modelIds().includes(id)) {
        throw new HttpError(404, `The model '${id}' does not exist`, 'model', 'model_not_found');
      }
      sendJSON(res, 200, modelObject(id));
      return;
    }
    if (method === 'POST' && pathname === '/v1/files') {
      sendJSON(res, 200, handleFileUpload(req, raw));
      return;
    }
    if (method === 'GET' && pathname === '/v1/files') {
      sendJSON(res, 200, listOf([...fileMeta.values()]));
      return;
    }
    if (method === 'GET' && (m = /^\/v1\/files\/([^/]+)\/content$/.exec(pathname))) {
      const id = decodeURIComponent(m[1] ?? '');
      getFileMeta(id);
      const content = files.get(id) ?? '';
      if (!alive(res)) return;
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(Buffer.byteLength(content)),
      });
      res.end(content);
      return;
    }
    if (method === 'GET' && (m = /^\/v1\/files\/([^/]+)$/.exec(pathname))) {
      sendJSON(res, 200, getFileMeta(decodeURIComponent(m[1] ?? '')));
      return;
    }
    if (method === 'DELETE' && (m = /^\/v1\/files\/([^/]+)$/.exec(pathname))) {
      const id = decodeURIComponent(m[1] ?? '');
      getFileMeta(id);
      files.delete(id);
      fileMeta.delete(id);
      sendJSON(res, 200, { id, object: 'file', deleted: true });
      return;
    }
    if (method === 'POST' && pathname === '/v1/batches') {
      sendJSON(res, 200, handleBatchCreate(raw));
      return;
    }
    if (method === 'GET' && pathname === '/v1/batches') {
      sendJSON(res, 200, listOf([...batches.values()].reverse()));
      return;
    }
    if (method === 'GET' && (m = /^\/v1\/batches\/([^/]+)$/.exec(pathname))) {
      const rec = getBatchRecord(decodeURIComponent(m[1] ?? ''));
      await withBatchLock(rec, () => advanceBatch(rec));
      sendJSON(res, 200, rec.obj);
      return;
    }
    if (method === 'POST' && (m = /^\/v1\/batches\/([^/]+)\/cancel$/.exec(pathname))) {
      const rec = getBatchRecord(decodeURIComponent(m[1] ?? ''));
      await withBatchLock(rec, () => {
        if (rec.obj.status === 'validating' || rec.obj.status === 'in_progress') {
          rec.obj.status = 'cancelling';
          rec.obj.cancelling_at = nowSeconds();
        }
      });
      sendJSON(res, 200, rec.obj);
      return;
    }
    throw new HttpError(404, `Invalid URL (${method} ${pathname})`, null, null);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (!alive(res) || res.headersSent) {
        if (!res.writableEnded) res.destroy();
        return;
      }
      if (e instanceof HttpError) {
        sendError(res, e.status, e.message, { type: e.type, param: e.param, code: e.code });
      } else {
        const msg = e instanceof Error ? e.message : String(e);
        sendError(res, 500, `fake OpenAI server error: ${msg}`, { type: 'server_error', code: null });
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  function close(): Promise<void> {
    if (closing) return closing;
    closed = true;
    for (const cancel of [...pendingSleeps]) cancel();
    closing = new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      sockets.clear();
      server.closeAllConnections();
    });
    return closing;
  }

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    count: () => requests.length,
    close,
    files,
    batches,
    headers,
  };
}
