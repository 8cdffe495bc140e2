import type { Repositories } from '../db/index.ts';
import type { Criterion, Item, PromptVersion, RunVariant } from '../../shared/types.ts';
import type { ChatMessage } from '../../shared/template.ts';
import type { RunCostPreview } from '../../shared/runs.ts';
import { tokenCount } from './limiter.ts';
import { cacheKey } from './cache-key.ts';
import { shellQuote } from '../../shared/shell.ts';
import { usd } from '../../shared/format.ts';

/** Completion tokens assumed per request when the version sets no max_tokens (cost previews, TPM reservations). */
export const DEFAULT_COMPLETION_TOKENS = 300;

export type { RunCostPreview } from '../../shared/runs.ts';

export interface CostPreviewInput {
  version: PromptVersion;
  /** where the calls would go (resolved), part of the cache key */
  baseUrl: string;
  criterion: Criterion;
  variant: RunVariant;
  items: number;
  samples: number;
  requests: number;
  jobs: Iterable<{ item: Item; sample: number }>;
  noCache: boolean;
  render: (item: Item) => ChatMessage[];
}

/** Above this many requests, averages and the cached share come from an evenly spaced sample. */
const SAMPLE_LIMIT = 5000;

/**
 * Estimate = billable requests × (average rendered prompt tokens + completion allowance), priced
 * from the per-model price table. The completion allowance is max_tokens (an upper bound: replies
 * are usually shorter) or a default when the version sets none. Complexity O(min(n, 5000)) renders.
 */
export function previewCost(repos: Repositories, input: CostPreviewInput): RunCostPreview {
  const step = Math.max(1, Math.ceil(input.requests / SAMPLE_LIMIT));
  let seen = 0, looked = 0, promptSum = 0, cachedSeen = 0;
  for (const job of input.jobs) {
    if (seen++ % step !== 0) continue;
    looked++;
    const messages = input.render(job.item);
    let chars = 0;
    for (const m of messages) chars += m.content.length;
    const tokens = tokenCount(chars);
    promptSum += tokens;
    if (!input.noCache && repos.cache.get(cacheKey(messages, input.version, job.sample, input.baseUrl))) cachedSeen++;
  }
  const avgPromptTokens = looked ? promptSum / looked : 0;
  const cachedRequests = looked ? Math.round((cachedSeen / looked) * input.requests) : 0;
  const billableRequests = input.requests - cachedRequests;
  const completionTokensPerRequest = input.version.maxTokens ?? DEFAULT_COMPLETION_TOKENS;
  const promptTokens = Math.round(avgPromptTokens * billableRequests);
  const completionTokens = completionTokensPerRequest * billableRequests;
  const price = repos.prices.get(input.version.model);
  return {
    model: input.version.model, items: input.items, samples: input.samples, requests: input.requests, cachedRequests, billableRequests,
    avgPromptTokens: Math.round(avgPromptTokens), completionTokensPerRequest,
    completionTokensFrom: input.version.maxTokens !== null ? 'max_tokens' : 'default',
    promptTokens, completionTokens,
    cost: price ? (promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1e6 : null,
    price: price ? { inputPerMTok: price.inputPerMTok, outputPerMTok: price.outputPerMTok } : null,
    sampled: step > 1,
  };
}

/** One line for people: "120 requests (20 cached) × ~850 prompt + ≤300 completion tokens ≈ $0.0312 (gpt-4o-mini)". */
export function describeCostPreview(e: RunCostPreview): string {
  const cached = e.cachedRequests ? ` (${e.cachedRequests} cached, free)` : '';
  const completion = `${e.completionTokensFrom === 'max_tokens' ? '≤' : '~'}${e.completionTokensPerRequest} completion`;
  const cost = e.cost === null ? `cost unknown: no price for "${e.model}" (concur prices set ${shellQuote(e.model)} INPUT OUTPUT)` : `≈ ${usd(e.cost)} (${e.model})`;
  return `cost preview: ${e.requests} requests${cached} × ~${e.avgPromptTokens} prompt + ${completion} tokens = ${e.promptTokens + e.completionTokens} tokens ${cost}${e.sampled ? ' [sampled]' : ''}`;
}
