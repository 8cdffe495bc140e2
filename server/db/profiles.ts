import type { DB } from './open.ts';
import type { EndpointProfile } from '../../shared/types.ts';

interface Row {
  id: number; name: string; base_url: string | null; api_key_env: string; model: string; rpm: number | null; tpm: number | null;
  max_reply_bytes: number | null; created_at: string; updated_at: string; versions: number;
}

const toProfile = (r: Row): EndpointProfile => ({
  id: r.id, name: r.name, baseUrl: r.base_url, apiKeyEnv: r.api_key_env, model: r.model, rpm: r.rpm, tpm: r.tpm,
  maxReplyBytes: r.max_reply_bytes, createdAt: r.created_at, updatedAt: r.updated_at, versions: r.versions,
});

/** The fields of a profile a user sets (the rest are kept by the database). */
export type ProfileFields = Pick<EndpointProfile, 'name' | 'baseUrl' | 'apiKeyEnv' | 'model' | 'rpm' | 'tpm' | 'maxReplyBytes'>;

/** Endpoint profiles: where judge and task calls go (workspace-level, editable; runs record what they resolved). */
export function profilesRepository(db: DB) {
  const SELECT = `SELECT p.*, (SELECT count(*) FROM prompt_versions v WHERE v.profile_id = p.id) AS versions FROM endpoint_profiles p`;
  const list = db.prepare<[], Row>(`${SELECT} ORDER BY p.name COLLATE NOCASE`);
  const byId = db.prepare<[number], Row>(`${SELECT} WHERE p.id = ?`);
  const byName = db.prepare<[string], Row>(`${SELECT} WHERE p.name = ? COLLATE NOCASE`);
  const byEndpoint = db.prepare<[string | null, string], Row>(`${SELECT} WHERE coalesce(p.base_url, '') = coalesce(?, '') AND p.api_key_env = ? ORDER BY p.id LIMIT 1`);
  const insert = db.prepare(`INSERT INTO endpoint_profiles (name, base_url, api_key_env, model, rpm, tpm, max_reply_bytes)
    VALUES (@name, @baseUrl, @apiKeyEnv, @model, @rpm, @tpm, @maxReplyBytes)`);
  const update = db.prepare(`UPDATE endpoint_profiles SET name = @name, base_url = @baseUrl, api_key_env = @apiKeyEnv, model = @model,
    rpm = @rpm, tpm = @tpm, max_reply_bytes = @maxReplyBytes, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = @id`);
  const remove = db.prepare(`DELETE FROM endpoint_profiles WHERE id = ? AND NOT EXISTS (SELECT 1 FROM prompt_versions WHERE profile_id = ?)`);
  const insertTest = db.prepare(`INSERT INTO model_calls
    (task_kind, profile_id, base_url, model, request_hash, reply, error, prompt_tokens, completion_tokens, latency_ms, attempts)
    VALUES ('connection-test', @profileId, @baseUrl, @model, @requestHash, @reply, @error, @promptTokens, @completionTokens, @latencyMs, @attempts)`);
  const one = (r: Row | undefined) => (r ? toProfile(r) : undefined);
  return {
    list: () => list.all().map(toProfile),
    get: (id: number) => one(byId.get(id)),
    byName: (name: string) => one(byName.get(name)),
    /** The oldest profile with exactly this base URL (null = the default) and key variable. */
    byEndpoint: (baseUrl: string | null, apiKeyEnv: string) => one(byEndpoint.get(baseUrl, apiKeyEnv)),
    create(f: ProfileFields): EndpointProfile {
      return one(byId.get(Number(insert.run(f).lastInsertRowid)))!;
    },
    update(id: number, f: ProfileFields): EndpointProfile | undefined {
      update.run({ ...f, id });
      return one(byId.get(id));
    },
    /** Records a connection test's one call in model_calls (it belongs to no run or task). */
    recordTest(profileId: number, c: { baseUrl: string; model: string; requestHash: string; reply: string | null; error: string | null;
      promptTokens: number; completionTokens: number; latencyMs: number | null; attempts: number }) {
      insertTest.run({ ...c, profileId });
    },
    /** Deletes a profile no version names; false when one does (or it does not exist). */
    remove: (id: number) => remove.run(id, id).changes > 0,
  };
}
