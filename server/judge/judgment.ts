import type { NewJudgment } from '../db/runs.ts';
import type { CachedResponse } from '../db/cache.ts';
import type { Criterion, Item, PromptVersion, RunVariant } from '../../shared/types.ts';
import type { ChatMessage } from '../../shared/template.ts';
import { parseJudgeReply } from './parse.ts';
import { estimateTokens } from './limiter.ts';
import { DEFAULT_COMPLETION_TOKENS } from './estimate.ts';

export interface Writer {
  push(j: NewJudgment, cache?: { key: string; response: CachedResponse }): void;
  flush(): void;
}

/** What every judgment of one run shares: rendering, token estimate, price, parsing. */
export class JudgeContext {
  private readonly inputPrice: number;
  private readonly outputPrice: number;
  private readonly completionAllowance: number;

  constructor(readonly version: PromptVersion, readonly criterion: Criterion, readonly variant: RunVariant,
    readonly render: (item: Item) => ChatMessage[], price: { inputPerMTok: number; outputPerMTok: number } | undefined, readonly useCache: boolean) {
    // Looked up once per run: a price read per judgment would be a query on the hot path.
    this.inputPrice = price?.inputPerMTok ?? 0;
    this.outputPrice = price?.outputPerMTok ?? 0;
    this.completionAllowance = version.maxTokens ?? DEFAULT_COMPLETION_TOKENS;
  }

  /** Tokens reserved against a TPM limit before the call: prompt characters / 4 + max_tokens. */
  estimateTokens(messages: ChatMessage[]): number {
    let chars = 0;
    for (const m of messages) chars += m.content.length;
    return estimateTokens(chars) + this.completionAllowance;
  }

  cost(promptTokens: number, completionTokens: number): number {
    return (promptTokens * this.inputPrice + completionTokens * this.outputPrice) / 1e6;
  }

  /** A judgment from a reply: parsed verdict, or an error that keeps the raw text. */
  judgment(itemId: number, sample: number, content: string,
    meta: { promptTokens: number; completionTokens: number; latencyMs: number | null; attempts: number; cached: boolean }): NewJudgment {
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

/** A judgment for a request that got no usable reply (raw stays empty, so `--retry-errors` can tell it apart). */
export function transportError(itemId: number, sample: number, error: string, latencyMs: number | null, attempts: number): NewJudgment {
  return { itemId, sample, verdict: null, critique: '', raw: '', error, latencyMs, promptTokens: 0, completionTokens: 0, cost: 0, cached: false, attempts };
}
