import type { NewJudgment } from '../db/runs.ts';
import type { CachedResponse } from '../db/cache.ts';
import type { Criterion, Item, ModelSettings, PromptVersion, RunVariant } from '../../shared/types.ts';
import type { ChatMessage } from '../../shared/template.ts';
import { verdictOptions } from '../../shared/verdicts.ts';
import { parseJudgeReply, verdictSchema } from './parse.ts';
import { cacheKey } from './cache-key.ts';
import { tokenCount } from './limiter.ts';
import { DEFAULT_COMPLETION_TOKENS } from './cost-preview.ts';

export interface Writer {
  /** `requestHash` (the cache key of the request) goes into the call's model_calls row */
  push(j: NewJudgment, cache: { key: string; response: CachedResponse } | undefined, requestHash: string): void;
  flush(): void;
}

/** What the engine knows of a reply when it records it. */
export interface ReplyMeta { promptTokens: number; completionTokens: number; latencyMs: number | null; attempts: number; cached: boolean }

/**
 * What differs between kinds of run whose jobs are item × sample (the judge; later panel members, the
 * system under test, production sampling — see docs/ARCHITECTURE.md): how a job's call is rendered,
 * keyed and sized, and what its reply becomes. The run engine does everything else the same way for
 * every kind: workers and concurrency, limiter, provider (retries, reply cap), cache, error budget,
 * cancel, lease and resume, the batched writer with one model_calls row per call, the Batch API.
 */
export interface RunCallKind {
  /** model_calls.task_kind of the calls */
  readonly name: string;
  /** the model and sampling settings every call goes with (the run's immutable version for a judge) */
  readonly settings: ModelSettings;
  readonly responseFormat: object;
  readonly useCache: boolean;
  /** where the calls go (resolved), part of every request key */
  readonly baseUrl: string;
  render(item: Item): ChatMessage[];
  /** the request's hash: the cache key and the model_calls request_hash */
  requestKey(messages: ChatMessage[], sample: number): string;
  /** tokens reserved against a TPM limit before the call */
  tokenCount(messages: ChatMessage[]): number;
  /** the record of a reply (from the endpoint or the cache) */
  record(itemId: number, sample: number, content: string, meta: ReplyMeta): NewJudgment;
}

/** The judge kind: what every judgment of one run shares — rendering, token estimate, price, parsing. */
export class JudgeContext implements RunCallKind {
  readonly name = 'judge';
  readonly responseFormat: object;
  private readonly inputPrice: number;
  private readonly outputPrice: number;
  private readonly completionAllowance: number;

  constructor(readonly version: PromptVersion, readonly criterion: Criterion, readonly variant: RunVariant,
    readonly render: (item: Item) => ChatMessage[], price: { inputPerMTok: number; outputPerMTok: number } | undefined, readonly useCache: boolean,
    /** where the calls go (resolved), part of every cache key */
    readonly baseUrl: string) {
    // Looked up once per run: a price read per judgment would be a query on the hot path.
    this.inputPrice = price?.inputPerMTok ?? 0;
    this.outputPrice = price?.outputPerMTok ?? 0;
    this.completionAllowance = version.maxTokens ?? DEFAULT_COMPLETION_TOKENS;
    this.responseFormat = verdictSchema(verdictOptions(criterion));
  }

  get settings(): ModelSettings { return this.version; }

  requestKey(messages: ChatMessage[], sample: number): string {
    return cacheKey(messages, this.version, sample, this.baseUrl);
  }

  /** Tokens reserved against a TPM limit before the call: prompt characters / 4 + max_tokens. */
  tokenCount(messages: ChatMessage[]): number {
    let chars = 0;
    for (const m of messages) chars += m.content.length;
    return tokenCount(chars) + this.completionAllowance;
  }

  cost(promptTokens: number, completionTokens: number): number {
    return (promptTokens * this.inputPrice + completionTokens * this.outputPrice) / 1e6;
  }

  /** A judgment from a reply: parsed verdict, or an error that keeps the raw text. */
  record(itemId: number, sample: number, content: string, meta: ReplyMeta): NewJudgment {
    const parsed = parseJudgeReply(content, this.criterion);
    const cost = meta.cached ? 0 : this.cost(meta.promptTokens, meta.completionTokens);
    const base = {
      itemId, sample, raw: content, promptTokens: meta.promptTokens, completionTokens: meta.completionTokens,
      latencyMs: meta.latencyMs, attempts: meta.attempts, cached: meta.cached, cost,
    };
    if ('error' in parsed) return { ...base, verdict: null, critique: '', error: `unparseable reply: ${parsed.error}` };
    // A swapped run saw B as A: store the verdict in the item's own orientation so it compares directly.
    const verdict = this.variant.swap ? ({ A: 'B', B: 'A' } as Record<string, string>)[parsed.verdict] ?? parsed.verdict : parsed.verdict;
    return { ...base, verdict, critique: parsed.critique, error: null };
  }
}

/**
 * A judgment for a request that got no usable reply (raw stays empty, so `--retry-errors` can tell
 * it apart) — or a reply refused for its size, whose first few KB are kept in raw (so it is not retried).
 */
export function transportError(itemId: number, sample: number, error: string, latencyMs: number | null, attempts: number, raw = ''): NewJudgment {
  return { itemId, sample, verdict: null, critique: '', raw, error, latencyMs, promptTokens: 0, completionTokens: 0, cost: 0, cached: false, attempts };
}

/** The most any judgment stores in each text column: every reply, parsed or not, is bounded before it reaches the workspace. */
export const STORED_TEXT_LIMITS = { raw: 1024 * 1024, critique: 64 * 1024, error: 8 * 1024 } as const;

/** Cuts a judgment's text columns to STORED_TEXT_LIMITS (on a character boundary, marked with "…[cut]"). */
export function boundJudgment(j: NewJudgment): NewJudgment {
  const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 8).replace(/[\uD800-\uDBFF]$/, '')}…[cut]`);
  if (j.raw.length <= STORED_TEXT_LIMITS.raw && j.critique.length <= STORED_TEXT_LIMITS.critique && (j.error?.length ?? 0) <= STORED_TEXT_LIMITS.error) return j;
  return { ...j, raw: cut(j.raw, STORED_TEXT_LIMITS.raw), critique: cut(j.critique, STORED_TEXT_LIMITS.critique), error: j.error === null ? null : cut(j.error, STORED_TEXT_LIMITS.error) };
}
