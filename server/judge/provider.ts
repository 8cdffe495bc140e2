import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatMessage } from '../../shared/template.ts';
import type { ModelSettings } from '../../shared/types.ts';
import type { RateLimiter } from './limiter.ts';
import { createHttpFetch, DEFAULT_MAX_REPLY_BYTES, ReplyTooLargeError } from './http-fetch.ts';
import { OPENAI_DEFAULT_BASE_URL, resolveEndpoint } from './secrets.ts';
import { pause } from './sleep.ts';

/**
 * The one place judge calls leave Concur. Built on the official `openai` client, so any
 * OpenAI-compatible endpoint works. Failures are data (`{ ok: false }`), not throws.
 */
export type JudgeCall =
  | { ok: true; content: string; promptTokens: number; completionTokens: number; latencyMs: number; attempts: number }
  | { ok: false; error: string; status: number | null; retryable: boolean; latencyMs: number; attempts: number;
      /** what the endpoint sent, when it is worth keeping (the first 4 KB of an oversized reply) */
      raw?: string };

export interface ProviderOptions {
  settings: ModelSettings;
  /** environment to read the API key and OPENAI_BASE_URL from (default process.env) */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  maxRetries?: number;
  /** first backoff step; doubled per attempt, with full jitter, capped at maxBackoffMs */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  fetch?: typeof fetch;
  /** for tests: a seeded random source for jitter */
  random?: () => number;
  /** RPM/TPM limits shared by the runs on this endpoint; every attempt (retries too) reserves a slot */
  limiter?: RateLimiter;
  /** abort a reply whose body exceeds this many bytes (default 1 MB); applies to the default fetch */
  maxReplyBytes?: number;
}

/** Per-call extras: the token estimate reserved against a tokens-per-minute limit. */
export interface CallOptions { estimatedTokens?: number }

export interface EndpointInfo {
  baseUrl: string;
  /** '' when the version sends no key */
  apiKeyEnv: string;
  /** the variable is set; only ever true for a name bound to baseUrl (see secrets.ts) */
  keyPresent: boolean;
  configured: boolean;
  /** why the key may not be sent to baseUrl (the secrets rule and the setting to change), else null */
  problem: string | null;
}

/** Where a version's calls go, and whether they can be made (never returns the key itself). */
export function describeEndpoint(settings: Pick<ModelSettings, 'baseUrl' | 'apiKeyEnv'>, env: NodeJS.ProcessEnv = process.env): EndpointInfo {
  const r = resolveEndpoint(settings, env);
  // A custom endpoint (Ollama, vLLM, a local server) often needs no key; OpenAI itself always does.
  return { baseUrl: r.baseUrl, apiKeyEnv: r.apiKeyEnv, keyPresent: r.keyPresent, configured: r.allowed && (r.keyPresent || r.baseUrl !== OPENAI_DEFAULT_BASE_URL), problem: r.problem };
}

export class NotConfiguredError extends Error {}

const httpFetches = new Map<number, typeof fetch>();
/** One keep-alive connection pool per process and reply cap, shared by every run (see http-fetch.ts for why not the built-in fetch). */
function sharedFetch(maxReplyBytes = DEFAULT_MAX_REPLY_BYTES): typeof fetch {
  let f = httpFetches.get(maxReplyBytes);
  if (!f) httpFetches.set(maxReplyBytes, (f = createHttpFetch({ maxReplyBytes })));
  return f;
}

export function createProvider(opts: ProviderOptions) {
  const env = opts.env ?? process.env;
  // The secrets rule (secrets.ts) decides which key, if any, goes with these calls.
  const resolved = resolveEndpoint(opts.settings, env);
  if (!resolved.allowed) throw new NotConfiguredError(resolved.problem!);
  const endpoint = describeEndpoint(opts.settings, env);
  if (!endpoint.configured) {
    throw new NotConfiguredError(`no judge endpoint configured: set ${opts.settings.apiKeyEnv || 'OPENAI_API_KEY'} (and OPENAI_BASE_URL for a non-OpenAI endpoint) in the environment, or give the version a base URL`);
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const secret = resolved.key ?? undefined;
  const sendsOpenAIKey = resolved.key !== null && resolved.apiKeyEnv === 'OPENAI_API_KEY';
  const client = new OpenAI({
    // Every credential option is given explicitly, so the client never reads one from process.env itself.
    apiKey: secret ?? 'no-key',
    adminAPIKey: null,
    organization: sendsOpenAIKey ? env.OPENAI_ORG_ID ?? null : null,
    project: sendsOpenAIKey ? env.OPENAI_PROJECT_ID ?? null : null,
    webhookSecret: null,
    baseURL: endpoint.baseUrl,
    timeout: timeoutMs,
    maxRetries: 0, // retries are ours: counted, jittered, and visible to the run's error budget
    fetch: opts.fetch ?? sharedFetch(opts.maxReplyBytes),
    // No key: no Authorization header at all (a null header is removed by the client).
    ...(secret === undefined ? { defaultHeaders: { Authorization: null } } : {}),
  });
  const maxRetries = opts.maxRetries ?? 6;
  const base = opts.baseBackoffMs ?? 500;
  const cap = opts.maxBackoffMs ?? 30_000;
  const random = opts.random ?? Math.random;
  let structuredOutput = true;

  const limiter = opts.limiter;
  const ownTimer = opts.fetch !== undefined;

  async function call(messages: ChatMessage[], responseFormat: object | undefined, signal?: AbortSignal, callOptions: CallOptions = {}): Promise<JudgeCall> {
    const started = performance.now();
    const estimatedTokens = callOptions.estimatedTokens ?? 0;
    let attempts = 0;
    for (;;) {
      attempts++;
      const reservation = limiter?.reserve(estimatedTokens);
      if (reservation && reservation.delayMs > 0) await pause(reservation.delayMs, signal);
      // The client's own timeout covers only the wait for a fetch to resolve. Concur's fetch resolves
      // after the whole body, so that suffices; a fetch passed in (e.g. the built-in one, which resolves
      // at the headers) gets a timer of ours that covers the body too.
      const attempt = ownTimer ? new AbortController() : null;
      const onOuterAbort = () => attempt?.abort();
      if (attempt) signal?.addEventListener('abort', onOuterAbort, { once: true });
      let timedOut = false;
      const timer = attempt ? setTimeout(() => { timedOut = true; attempt.abort(); }, timeoutMs) : undefined;
      // Requests in flight when another one discovers the endpoint rejects response_format retry without it too.
      const usedFormat = structuredOutput ? responseFormat : undefined;
      try {
        const body = chatRequestBody(opts.settings, messages, usedFormat);
        const res = await client.chat.completions.create(body, { signal: attempt ? attempt.signal : signal });
        const content = res.choices?.[0]?.message?.content;
        if (typeof content !== 'string') throw new MalformedResponse('the endpoint returned no message content');
        const promptTokens = res.usage?.prompt_tokens ?? 0, completionTokens = res.usage?.completion_tokens ?? 0;
        reservation?.settle(res.usage ? promptTokens + completionTokens : estimatedTokens);
        return { ok: true, content, attempts, latencyMs: Math.round(performance.now() - started), promptTokens, completionTokens };
      } catch (e) {
        reservation?.settle(0);
        if (signal?.aborted) throw e;
        if (timedOut) e = new APIConnectionTimeoutError();
        if (usedFormat && isResponseFormatRejection(e)) {
          structuredOutput = false; // the endpoint has no structured output: fall back to tolerant parsing
          attempts--;
          continue;
        }
        const failure = describeFailure(e, secret);
        if (!failure.retryable || attempts > maxRetries) {
          return { ok: false, ...failure, attempts, latencyMs: Math.round(performance.now() - started) };
        }
        const wait = backoffMs(e, attempts, base, cap, random);
        // The endpoint said when to come back: hold the other requests on this endpoint too.
        if (e instanceof APIError && e.status === 429 && hasRetryAfter(e)) limiter?.pauseFor(wait);
        await pause(wait, signal);
      } finally {
        if (attempt) {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onOuterAbort);
        }
      }
    }
  }
  /**
   * Runs one non-judge API call (file upload, batch create/poll/download) with the same
   * retry policy as judge calls: transient failures are retried with backoff, others thrown.
   */
  async function withRetries<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal, attemptTimeoutMs = timeoutMs): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const ctl = new AbortController();
      const onOuterAbort = () => ctl.abort();
      signal?.addEventListener('abort', onOuterAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; ctl.abort(); }, attemptTimeoutMs);
      try {
        return await fn(ctl.signal);
      } catch (e) {
        if (signal?.aborted) throw e;
        const failure = describeFailure(timedOut ? new APIConnectionTimeoutError() : e, secret);
        if (!failure.retryable || attempt > maxRetries) throw new EndpointError(`${what}: ${failure.error}`, failure.status);
        await pause(backoffMs(e, attempt, base, cap, random), signal);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onOuterAbort);
      }
    }
  }

  return { call, withRetries, client, endpoint, get structuredOutput() { return structuredOutput; } };
}
export type Provider = ReturnType<typeof createProvider>;

/** A non-judge API call that failed for good (after retries, or not retryable). */
export class EndpointError extends Error {
  constructor(message: string, readonly status: number | null) { super(message); }
}

/** The chat completion request Concur sends for a version: the same for direct calls and Batch API lines. */
export function chatRequestBody(settings: ModelSettings, messages: ChatMessage[], responseFormat?: object): OpenAI.ChatCompletionCreateParamsNonStreaming {
  return {
    model: settings.model,
    messages,
    ...(settings.temperature !== null ? { temperature: settings.temperature } : {}),
    ...(settings.maxTokens !== null ? { max_tokens: settings.maxTokens } : {}),
    ...(settings.seed !== null ? { seed: settings.seed } : {}),
    ...(responseFormat ? { response_format: responseFormat as OpenAI.ResponseFormatJSONSchema } : {}),
  };
}

function hasRetryAfter(e: APIError): boolean {
  return Boolean(e.headers?.get?.('retry-after') || e.headers?.get?.('retry-after-ms'));
}

class MalformedResponse extends Error {}

function isResponseFormatRejection(e: unknown): boolean {
  if (!(e instanceof APIError) || (e.status !== 400 && e.status !== 422)) return false;
  const err = e.error as { param?: string; message?: string } | undefined;
  return err?.param === 'response_format' || /response_format|json_schema|structured/i.test(err?.message ?? e.message);
}

/**
 * Removes API keys from text that is stored or shown (an endpoint's error message can echo the
 * key it rejected): the configured key itself and anything shaped like an OpenAI-style secret.
 */
export function redactSecrets(text: string, secret?: string): string {
  let out = secret && secret.length >= 8 ? text.split(secret).join('[redacted key]') : text;
  out = out.replace(/\b(sk|rk|pk)-[A-Za-z0-9_-]{12,}/g, '$1-[redacted]');
  return out;
}

export function describeFailure(e: unknown, secret?: string): { error: string; status: number | null; retryable: boolean; raw?: string } {
  const f = classifyFailure(e);
  return { ...f, error: redactSecrets(f.error, secret), ...(f.raw !== undefined ? { raw: redactSecrets(f.raw, secret) } : {}) };
}

function classifyFailure(e: unknown): { error: string; status: number | null; retryable: boolean; raw?: string } {
  // The reply cap (http-fetch.ts) aborted the body: asking again would cost the same, so no retry.
  const tooLarge = e instanceof ReplyTooLargeError ? e : e instanceof Error && e.cause instanceof ReplyTooLargeError ? e.cause : null;
  if (tooLarge) return { error: tooLarge.message, status: null, retryable: false, raw: tooLarge.head };
  if (e instanceof APIConnectionTimeoutError) return { error: 'request timed out', status: null, retryable: true };
  if (e instanceof APIConnectionError) return { error: `connection failed: ${e.cause instanceof Error ? e.cause.message : e.message}`, status: null, retryable: true };
  if (e instanceof APIError && typeof e.status === 'number') {
    const msg = (e.error as { message?: string } | undefined)?.message ?? e.message;
    return { error: `HTTP ${e.status}: ${msg}`, status: e.status, retryable: e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500 };
  }
  if (e instanceof MalformedResponse) return { error: e.message, status: null, retryable: true };
  // A body that is not JSON (truncated or garbled) surfaces as a SyntaxError from the client.
  if (e instanceof SyntaxError) return { error: `malformed response from the endpoint: ${e.message}`, status: null, retryable: true };
  // fetch reports a connection cut mid-body as TypeError('terminated') / 'fetch failed'.
  if (e instanceof TypeError && /terminated|fetch failed|socket|ECONNRESET/i.test(e.message)) return { error: `connection failed: ${e.message}`, status: null, retryable: true };
  return { error: e instanceof Error ? e.message : String(e), status: null, retryable: false };
}

/** Retry-After (seconds or HTTP date) or retry-after-ms when given, else exponential backoff with full jitter. */
export function backoffMs(e: unknown, attempt: number, base: number, cap: number, random: () => number): number {
  const headers = e instanceof APIError ? e.headers : undefined;
  const ms = headers?.get?.('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.min(Number(ms), cap * 4);
  const ra = headers?.get?.('retry-after');
  if (ra) {
    const secs = Number(ra);
    const wait = Number.isFinite(secs) ? secs * 1000 : Date.parse(ra) - Date.now();
    if (Number.isFinite(wait) && wait >= 0) return Math.min(wait, cap * 4);
  }
  return Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)));
}
