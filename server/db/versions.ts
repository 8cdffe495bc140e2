import type { DB } from './open.ts';
import type { PromptVersion, VersionOrigin } from '../../shared/types.ts';

interface Row { id: number; profile_id: number | null; criterion_id: number; number: number; template: string; model: string; base_url: string | null; api_key_env: string; temperature: number | null; max_tokens: number | null; seed: number | null; examples: string; note: string; parent_id: number | null; created_at: string;
  origin: VersionOrigin; strategy: string | null; rationale: string | null; accepted_by: string | null; accepted_at: string | null }

const toVersion = (r: Row): PromptVersion => ({
  id: r.id, profileId: r.profile_id ?? null, criterionId: r.criterion_id, number: r.number, template: r.template, model: r.model, baseUrl: r.base_url,
  apiKeyEnv: r.api_key_env, temperature: r.temperature, maxTokens: r.max_tokens, seed: r.seed,
  examples: JSON.parse(r.examples), note: r.note, parentId: r.parent_id, createdAt: r.created_at,
  origin: r.origin, strategy: r.strategy, rationale: r.rationale,
  // a hand-written version is accepted by being written; a candidate only by an acceptance row
  status: r.origin === 'human' || r.accepted_at !== null ? 'accepted' : 'candidate',
  acceptedBy: r.accepted_by, acceptedAt: r.origin === 'human' ? r.created_at : r.accepted_at,
});

export type NewVersion = Omit<PromptVersion, 'id' | 'profileId' | 'criterionId' | 'number' | 'createdAt' | 'parentId' | 'origin' | 'strategy' | 'rationale' | 'status' | 'acceptedBy' | 'acceptedAt'>
  & { profileId?: number | null; parentId?: number | null; origin?: VersionOrigin; strategy?: string | null; rationale?: string | null };

/** Every version read carries its acceptance (candidates have none until accepted). */
const SELECT = `SELECT v.*, a.accepted_by, a.accepted_at FROM prompt_versions v LEFT JOIN version_acceptances a ON a.version_id = v.id`;
/** Accepted = hand-written, or a candidate with an acceptance row. */
const ACCEPTED = `(v.origin = 'human' OR a.version_id IS NOT NULL)`;

export function versionsRepository(db: DB) {
  const byId = db.prepare<[number], Row>(`${SELECT} WHERE v.id = ?`);
  const byNumber = db.prepare<[number, number], Row>(`${SELECT} WHERE v.criterion_id = ? AND v.number = ?`);
  const list = db.prepare<[number], Row>(`${SELECT} WHERE v.criterion_id = ? ORDER BY v.number`);
  // `latest` is the latest ACCEPTED version, never a candidate: a hand-written version counts from
  // its creation, an accepted candidate from its acceptance (so accepting one makes it the latest).
  const latest = db.prepare<[number], Row>(`${SELECT} WHERE v.criterion_id = ? AND ${ACCEPTED}
    ORDER BY coalesce(a.accepted_at, v.created_at) DESC, v.number DESC LIMIT 1`);
  const insert = db.prepare(`INSERT INTO prompt_versions
    (criterion_id, number, template, model, base_url, api_key_env, profile_id, temperature, max_tokens, seed, examples, note, parent_id, origin, strategy, rationale)
    VALUES (@criterionId, (SELECT coalesce(max(number), 0) + 1 FROM prompt_versions WHERE criterion_id = @criterionId),
      @template, @model, @baseUrl, @apiKeyEnv, @profileId, @temperature, @maxTokens, @seed, @examples, @note, @parentId, @origin, @strategy, @rationale)`);
  const accept = db.prepare(`INSERT OR IGNORE INTO version_acceptances (version_id, accepted_by) VALUES (?, ?)`);
  const one = (r: Row | undefined) => (r ? toVersion(r) : undefined);
  return {
    get: (id: number) => one(byId.get(id)),
    byNumber: (criterionId: number, n: number) => one(byNumber.get(criterionId, n)),
    latest: (criterionId: number) => one(latest.get(criterionId)),
    list: (criterionId: number) => list.all(criterionId).map(toVersion),
    /** Versions are immutable: this is the only write. The parent defaults to the latest version. */
    create(criterionId: number, v: NewVersion): PromptVersion {
      const parentId = v.parentId !== undefined ? v.parentId : (latest.get(criterionId)?.id ?? null);
      const id = Number(insert.run({
        ...v, profileId: v.profileId ?? null, criterionId, parentId, examples: JSON.stringify(v.examples), origin: v.origin ?? 'human', strategy: v.strategy ?? null, rationale: v.rationale ?? null,
      }).lastInsertRowid);
      return one(byId.get(id))!;
    },
    /** Accepts a candidate (records who and when; the version row itself never changes). Idempotent. */
    accept(versionId: number, by: string): PromptVersion | undefined {
      accept.run(versionId, by);
      return one(byId.get(versionId));
    },
  };
}
