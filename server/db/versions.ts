import type { DB } from './open.ts';
import type { PromptVersion } from '../../shared/types.ts';

interface Row { id: number; criterion_id: number; number: number; template: string; model: string; base_url: string | null; api_key_env: string; temperature: number | null; max_tokens: number | null; seed: number | null; examples: string; note: string; parent_id: number | null; created_at: string }

const toVersion = (r: Row): PromptVersion => ({
  id: r.id, criterionId: r.criterion_id, number: r.number, template: r.template, model: r.model, baseUrl: r.base_url,
  apiKeyEnv: r.api_key_env, temperature: r.temperature, maxTokens: r.max_tokens, seed: r.seed,
  examples: JSON.parse(r.examples), note: r.note, parentId: r.parent_id, createdAt: r.created_at,
});

export type NewVersion = Omit<PromptVersion, 'id' | 'criterionId' | 'number' | 'createdAt' | 'parentId'> & { parentId?: number | null };

export function versionsRepository(db: DB) {
  const byId = db.prepare<[number], Row>(`SELECT * FROM prompt_versions WHERE id = ?`);
  const byNumber = db.prepare<[number, number], Row>(`SELECT * FROM prompt_versions WHERE criterion_id = ? AND number = ?`);
  const list = db.prepare<[number], Row>(`SELECT * FROM prompt_versions WHERE criterion_id = ? ORDER BY number`);
  const latest = db.prepare<[number], Row>(`SELECT * FROM prompt_versions WHERE criterion_id = ? ORDER BY number DESC LIMIT 1`);
  const insert = db.prepare(`INSERT INTO prompt_versions
    (criterion_id, number, template, model, base_url, api_key_env, temperature, max_tokens, seed, examples, note, parent_id)
    VALUES (@criterionId, (SELECT coalesce(max(number), 0) + 1 FROM prompt_versions WHERE criterion_id = @criterionId),
      @template, @model, @baseUrl, @apiKeyEnv, @temperature, @maxTokens, @seed, @examples, @note, @parentId)`);
  const one = (r: Row | undefined) => (r ? toVersion(r) : undefined);
  return {
    get: (id: number) => one(byId.get(id)),
    byNumber: (criterionId: number, n: number) => one(byNumber.get(criterionId, n)),
    latest: (criterionId: number) => one(latest.get(criterionId)),
    list: (criterionId: number) => list.all(criterionId).map(toVersion),
    /** Versions are immutable: this is the only write. The parent defaults to the latest version. */
    create(criterionId: number, v: NewVersion): PromptVersion {
      const parentId = v.parentId !== undefined ? v.parentId : (latest.get(criterionId)?.id ?? null);
      const id = Number(insert.run({ ...v, criterionId, parentId, examples: JSON.stringify(v.examples) }).lastInsertRowid);
      return one(byId.get(id))!;
    },
  };
}
