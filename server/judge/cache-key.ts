import { createHash } from 'node:crypto';
import type { ChatMessage } from '../../shared/template.ts';
import type { PromptVersion } from '../../shared/types.ts';

/**
 * The response cache key: SHA-256 of (rendered messages, model, settings, sample index).
 * Any change to what the judge would see or how it samples gives a new key; sample k of an
 * unchanged version hits the cache, so a rerun costs nothing.
 */
export function cacheKey(messages: ChatMessage[], v: Pick<PromptVersion, 'model' | 'temperature' | 'maxTokens' | 'seed' | 'baseUrl'>, sample: number): string {
  return createHash('sha256').update(JSON.stringify([messages, v.model, v.temperature, v.maxTokens, v.seed, v.baseUrl, sample])).digest('hex');
}
