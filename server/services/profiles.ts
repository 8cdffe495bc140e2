/**
 * Endpoint profiles: where judge and task calls go, kept in the workspace and editable. Whether a
 * profile's key may go to its URL is decided by the environment only (server/judge/secrets.ts);
 * a profile pairing a key with an unbound URL is refused at save (400 / exit 2, naming the rule and
 * the setting), and an existing one at run and test time. Editing a profile never rewrites history:
 * runs record the base URL, model and settings they resolved.
 */
import type { EndpointProfile } from '../../shared/types.ts';
import type { ConnectionTest, NewProfileBody, ProfileOut, UpdateProfileBody } from '../../shared/api/profiles.ts';
import type { ProfileFields } from '../db/profiles.ts';
import { NO_KEY, wantsNoKey } from '../judge/secrets.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import type { Repositories } from '../db/index.ts';
import type { RunEngine } from '../judge/engine.ts';

/** What endpoint profiles need of a workspace: its repositories and engine (the Workspace passes itself). */
type Workspace = { repos: Repositories; engine: RunEngine };

/** A profile as the API shows it: where calls go from this server, and key presence for bound names only. */
export function describeProfile(ws: Workspace, p: EndpointProfile): ProfileOut {
  const e = ws.engine.endpointOf({ baseUrl: p.baseUrl, apiKeyEnv: p.apiKeyEnv });
  return { ...p, resolvedBaseUrl: e.baseUrl, keyPresent: e.keyPresent, problem: e.problem, configured: e.configured };
}

export function listProfiles(ws: Workspace): ProfileOut[] {
  return ws.repos.profiles.list().map((p) => describeProfile(ws, p));
}

/** A profile by id (API) or name (CLI, run/task bodies); NotFoundError naming it otherwise. */
export function profileByRef(ws: Workspace, ref: number | string): EndpointProfile {
  const p = typeof ref === 'number' ? ws.repos.profiles.get(ref) : ws.repos.profiles.byName(ref);
  if (!p) throw new NotFoundError(typeof ref === 'number' ? `no endpoint profile #${ref}` : `no endpoint profile named "${ref}"`, 'profile_not_found');
  return p;
}

/** Validates a profile's fields under the secrets rule; ValidationError naming the field otherwise. */
function checkFields(ws: Workspace, f: ProfileFields, selfId: number | null): ProfileFields {
  const name = f.name.trim();
  if (!name) throw new ValidationError('name', 'must not be empty');
  if (!/^[^\s/\\][^/\\]*$/.test(name) || name.length > 100) throw new ValidationError('name', 'must be up to 100 characters, without slashes or leading spaces');
  const other = ws.repos.profiles.byName(name);
  if (other && other.id !== selfId) throw new ConflictError(`an endpoint profile named "${other.name}" already exists`, 'profile_exists');
  const baseUrl = f.baseUrl?.trim() || null;
  if (baseUrl !== null) {
    let ok = false;
    try { const u = new URL(baseUrl); ok = u.protocol === 'http:' || u.protocol === 'https:'; } catch { ok = false; }
    if (!ok) throw new ValidationError('baseUrl', `must be an http(s) URL, got ${JSON.stringify(baseUrl)}`);
  }
  const given = f.apiKeyEnv.trim();
  const apiKeyEnv = wantsNoKey(given) ? '' : given;
  if (apiKeyEnv && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv)) {
    throw new ValidationError('apiKeyEnv', `must be an environment variable name (the key itself is never stored), or "${NO_KEY}" for an endpoint that needs no key`);
  }
  const problem = ws.engine.endpointOf({ baseUrl, apiKeyEnv }).problem;
  if (problem) throw new ValidationError('apiKeyEnv', problem, 'key_not_allowed');
  for (const k of ['rpm', 'tpm'] as const) if (f[k] != null && !(f[k]! > 0)) throw new ValidationError(k, 'must be a positive number');
  if (f.maxReplyBytes != null && !(Number.isInteger(f.maxReplyBytes) && f.maxReplyBytes > 0)) throw new ValidationError('maxReplyBytes', 'must be a positive integer');
  return { name, baseUrl, apiKeyEnv, model: f.model.trim(), rpm: f.rpm ?? null, tpm: f.tpm ?? null, maxReplyBytes: f.maxReplyBytes ?? null };
}

/**
 * Creates a profile. With no key variable given: OPENAI_API_KEY where that key may go (the default
 * URL / OPENAI_BASE_URL), else none (a local server).
 */
export function addProfile(ws: Workspace, body: NewProfileBody): ProfileOut {
  const baseUrl = body.baseUrl?.trim() || null;
  const apiKeyEnv = body.apiKeyEnv ?? defaultKeyVariable(ws, baseUrl);
  const fields = checkFields(ws, { name: body.name, baseUrl, apiKeyEnv, model: body.model ?? '', rpm: body.rpm ?? null, tpm: body.tpm ?? null, maxReplyBytes: body.maxReplyBytes ?? null }, null);
  return describeProfile(ws, ws.repos.profiles.create(fields));
}

/** Changes the given fields of a profile (the rest stay); runs already made keep what they used. */
export function editProfile(ws: Workspace, ref: number | string, body: UpdateProfileBody): ProfileOut {
  const p = profileByRef(ws, ref);
  const fields = checkFields(ws, {
    name: body.name ?? p.name, baseUrl: body.baseUrl !== undefined ? body.baseUrl : p.baseUrl, apiKeyEnv: body.apiKeyEnv ?? p.apiKeyEnv,
    model: body.model ?? p.model, rpm: body.rpm !== undefined ? body.rpm : p.rpm, tpm: body.tpm !== undefined ? body.tpm : p.tpm,
    maxReplyBytes: body.maxReplyBytes !== undefined ? body.maxReplyBytes : p.maxReplyBytes,
  }, p.id);
  return describeProfile(ws, ws.repos.profiles.update(p.id, fields)!);
}

/** Deletes a profile that no version names; ConflictError saying how many do otherwise. */
export function removeProfile(ws: Workspace, ref: number | string): void {
  const p = profileByRef(ws, ref);
  if (!ws.repos.profiles.remove(p.id)) {
    throw new ConflictError(`endpoint profile "${p.name}" is named by ${p.versions} version${p.versions === 1 ? '' : 's'}; versions are immutable, so it cannot be deleted (edit it instead)`, 'profile_in_use');
  }
}

/** One real call through the profile: the reply, or the error with its status and a hint. */
export function testProfile(ws: Workspace, ref: number | string, model?: string): Promise<ConnectionTest> {
  return ws.engine.testConnection(profileByRef(ws, ref), model);
}

function defaultKeyVariable(ws: Workspace, baseUrl: string | null): string {
  return ws.engine.endpointOf({ baseUrl, apiKeyEnv: 'OPENAI_API_KEY' }).problem ? '' : 'OPENAI_API_KEY';
}

/**
 * The `--base-url URL [--api-key-env VAR]` shorthand of a version: the profile with exactly that
 * URL and key variable, else a new one named after the URL's host:port (or "openai"). The secrets
 * rule is checked either way.
 */
export function findOrCreateProfile(ws: Workspace, baseUrlGiven: string | null, apiKeyEnvGiven: string | undefined): EndpointProfile {
  const baseUrl = baseUrlGiven?.trim() || null;
  const wanted = apiKeyEnvGiven === undefined ? defaultKeyVariable(ws, baseUrl) : apiKeyEnvGiven.trim();
  const apiKeyEnv = wantsNoKey(wanted) ? '' : wanted;
  const existing = ws.repos.profiles.byEndpoint(baseUrl, apiKeyEnv);
  if (existing) {
    const problem = ws.engine.endpointOf(existing).problem;
    if (problem) throw new ValidationError('apiKeyEnv', problem, 'key_not_allowed');
    return existing;
  }
  let base = 'openai';
  if (baseUrl) { try { base = new URL(baseUrl).host || baseUrl; } catch { base = baseUrl; } }
  let name = base;
  for (let i = 2; ws.repos.profiles.byName(name); i++) name = `${base}-${i}`;
  const fields = checkFields(ws, { name, baseUrl, apiKeyEnv, model: '', rpm: null, tpm: null, maxReplyBytes: null }, null);
  return ws.repos.profiles.create(fields);
}
