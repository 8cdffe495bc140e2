import { createHash } from 'node:crypto';
import type { ChatMessage } from '../../shared/template.ts';
import type { PromptVersion } from '../../shared/types.ts';

/**
 * The response cache key: SHA-256 of (rendered messages, model, settings, resolved base URL, sample index).
 * The base URL is where the calls actually go (the version's, else OPENAI_BASE_URL, else the
 * OpenAI API), so the same version run against another endpoint never reuses a reply.
 * Any change to what the judge would see or how it samples gives a new key; sample k of an
 * unchanged version hits the cache, so a rerun costs nothing.
 */
export function cacheKey(messages: ChatMessage[], v: Pick<PromptVersion, 'model' | 'temperature' | 'maxTokens' | 'seed'>, sample: number, baseUrl: string): string {
  return createHash('sha256').update(JSON.stringify([messages, v.model, v.temperature, v.maxTokens, v.seed, baseUrl, sample])).digest('hex');
}
