import type { DB } from './open.ts';

export interface CachedResponse { content: string; promptTokens: number; completionTokens: number }

/** Judge responses keyed by a hash of (rendered messages, model, settings, sample index). */
export function cacheRepository(db: DB) {
  const get = db.prepare<[string], { content: string; prompt_tokens: number; completion_tokens: number }>(`SELECT content, prompt_tokens, completion_tokens FROM response_cache WHERE key = ?`);
  const put = db.prepare(`INSERT OR REPLACE INTO response_cache (key, content, prompt_tokens, completion_tokens) VALUES (?, ?, ?, ?)`);
  return {
    get(key: string): CachedResponse | undefined {
      const r = get.get(key);
      return r ? { content: r.content, promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens } : undefined;
    },
    put: (key: string, r: CachedResponse) => { put.run(key, r.content, r.promptTokens, r.completionTokens); },
  };
}
