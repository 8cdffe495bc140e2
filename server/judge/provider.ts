import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatMessage } from '../../shared/template.ts';
import type { ModelSettings } from '../../shared/types.ts';

/**
 * The one place judge calls leave Concur. Built on the official `openai` client, so any
 * OpenAI-compatible endpoint works. Failures are data (`{ ok: false }`), not throws.
 */
export type JudgeCall =
  | { ok: true; content: string; promptTokens: number; completionTokens: number; latencyMs: number; attempts: number }
  | { ok: false; error: string; status: number | null; retryable: boolean; latencyMs: number; attempts: number };

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
}

export interface EndpointInfo { baseUrl: string; apiKeyEnv: string; keyPresent: boolean; configured: boolean }

const OPENAI_DEFAULT = 'https://api.openai.com/v1';

/** Where a version's calls go, and whether they can be made (never returns the key itself). */
export function describeEndpoint(settings: Pick<ModelSettings, 'baseUrl' | 'apiKeyEnv'>, env: NodeJS.ProcessEnv = process.env): EndpointInfo {
  const baseUrl = settings.baseUrl || env.OPENAI_BASE_URL || OPENAI_DEFAULT;
  const keyPresent = Boolean(env[settings.apiKeyEnv]);
  // A custom endpoint (Ollama, vLLM, a local server) often needs no key; OpenAI itself always does.
  return { baseUrl, apiKeyEnv: settings.apiKeyEnv, keyPresent, configured: keyPresent || baseUrl !== OPENAI_DEFAULT };
}

export class NotConfiguredError extends Error {}

export function createProvider(opts: ProviderOptions) {
  const env = opts.env ?? process.env;
  const endpoint = describeEndpoint(opts.settings, env);
  if (!endpoint.configured) {
    throw new NotConfiguredError(`no judge endpoint configured: set ${opts.settings.apiKeyEnv} (and OPENAI_BASE_URL for a non-OpenAI endpoint) in the environment, or give the version a base URL`);
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const client = new OpenAI({
    apiKey: env[opts.settings.apiKeyEnv] || 'not-needed',
    baseURL: endpoint.baseUrl,
    timeout: timeoutMs,
    maxRetries: 0, // retries are ours: counted, jittered, and visible to the run's error budget
    fetch: opts.fetch,
  });
  const maxRetries = opts.maxRetries ?? 6;
  const base = opts.baseBackoffMs ?? 500;
  const cap = opts.maxBackoffMs ?? 30_000;
  const random = opts.random ?? Math.random;
  let structuredOutput = true;

  async function call(messages: ChatMessage[], responseFormat: object | undefined, signal?: AbortSignal): Promise<JudgeCall> {
    const started = performance.now();
    let attempts = 0;
    for (;;) {
      attempts++;
      // The client's own timeout covers only the wait for headers; this one covers the whole body too.
      const attempt = new AbortController();
      const onOuterAbort = () => attempt.abort();
      signal?.addEventListener('abort', onOuterAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; attempt.abort(); }, timeoutMs);
      try {
        const useFormat = responseFormat && structuredOutput;
        const res = await client.chat.completions.create({
          model: opts.settings.model,
          messages,
          ...(opts.settings.temperature !== null ? { temperature: opts.settings.temperature } : {}),
          ...(opts.settings.maxTokens !== null ? { max_tokens: opts.settings.maxTokens } : {}),
          ...(opts.settings.seed !== null ? { seed: opts.settings.seed } : {}),
          ...(useFormat ? { response_format: responseFormat as OpenAI.ResponseFormatJSONSchema } : {}),
        }, { signal: attempt.signal });
        const content = res.choices?.[0]?.message?.content;
        if (typeof content !== 'string') throw new MalformedResponse('the endpoint returned no message content');
        return {
          ok: true, content, attempts, latencyMs: Math.round(performance.now() - started),
          promptTokens: res.usage?.prompt_tokens ?? 0, completionTokens: res.usage?.completion_tokens ?? 0,
        };
      } catch (e) {
        if (signal?.aborted) throw e;
        if (timedOut) e = new APIConnectionTimeoutError();
        if (structuredOutput && responseFormat && isResponseFormatRejection(e)) {
          structuredOutput = false; // the endpoint has no structured output: fall back to tolerant parsing
          attempts--;
          continue;
        }
        const failure = describeFailure(e);
        if (!failure.retryable || attempts > maxRetries) {
          return { ok: false, ...failure, attempts, latencyMs: Math.round(performance.now() - started) };
        }
        await sleep(backoffMs(e, attempts, base, cap, random), signal);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onOuterAbort);
      }
    }
  }
  return { call, endpoint, get structuredOutput() { return structuredOutput; } };
}
export type Provider = ReturnType<typeof createProvider>;

class MalformedResponse extends Error {}

function isResponseFormatRejection(e: unknown): boolean {
  if (!(e instanceof APIError) || (e.status !== 400 && e.status !== 422)) return false;
  const err = e.error as { param?: string; message?: string } | undefined;
  return err?.param === 'response_format' || /response_format|json_schema|structured/i.test(err?.message ?? e.message);
}

function describeFailure(e: unknown): { error: string; status: number | null; retryable: boolean } {
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

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError());
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(new APIUserAbortError()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
