/**
 * "Test connection": one real, tiny chat completion through an endpoint profile — the same
 * provider, secrets rule and reply cap as a run — recorded in model_calls (task kind
 * 'connection-test'). Failures are data: the reply text, or the error with its status and a hint.
 */
import { createHash } from 'node:crypto';
import type { Repositories } from '../db/index.ts';
import type { EndpointProfile } from '../../shared/types.ts';
import type { ConnectionTest } from '../../shared/api/profiles.ts';
import { createProvider, NotConfiguredError, type ProviderOptions } from './provider.ts';
import { resolveEndpoint } from './secrets.ts';

export const CONNECTION_TEST_MESSAGES = [{ role: 'user' as const, content: 'This is a connection test. Reply with the single word OK.' }];

export interface ConnectionTestOptions {
  env?: NodeJS.ProcessEnv;
  provider?: Omit<ProviderOptions, 'settings' | 'env' | 'limiter'>;
  maxReplyBytes?: number;
}

/** What to check after a failed call, from its HTTP status. */
export function connectionHint(status: number | null, where: { baseUrl: string; apiKeyEnv: string; model: string }): string | null {
  if (status === 401 || status === 403) return where.apiKeyEnv ? `check the API key in $${where.apiKeyEnv}` : 'the endpoint wants a key: name the variable that holds it (API key variable)';
  if (status === 404) return `check the model name "${where.model}" and the base URL ${where.baseUrl}`;
  if (status === 429) return 'the endpoint is rate limiting or out of quota; lower rpm/tpm or check the account';
  if (status === null) return `is the endpoint ${where.baseUrl} reachable?`;
  if (status >= 500) return 'the endpoint failed; try again later';
  return null;
}

export async function testConnection(repos: Repositories, profile: EndpointProfile, model: string | undefined, o: ConnectionTestOptions): Promise<ConnectionTest> {
  const env = o.env ?? process.env;
  const useModel = (model ?? profile.model).trim();
  const where = resolveEndpoint({ baseUrl: profile.baseUrl, apiKeyEnv: profile.apiKeyEnv }, env);
  const base = { profile: profile.name, baseUrl: where.baseUrl, model: useModel };
  if (!useModel) return { ...base, ok: false, reply: null, status: null, latencyMs: null, error: 'no model to call', hint: 'give the profile a default model, or name one for the test' };
  let provider;
  try {
    provider = createProvider({
      ...o.provider, maxRetries: 0, timeoutMs: o.provider?.timeoutMs ?? 20_000,
      maxReplyBytes: profile.maxReplyBytes ?? o.maxReplyBytes ?? o.provider?.maxReplyBytes,
      settings: { model: useModel, baseUrl: profile.baseUrl, apiKeyEnv: profile.apiKeyEnv, temperature: null, maxTokens: 16, seed: null }, env,
    });
  } catch (e) {
    // The secrets rule (or a missing key) refuses before anything is sent; nothing to record.
    if (!(e instanceof NotConfiguredError)) throw e;
    return { ...base, ok: false, reply: null, status: null, latencyMs: null, error: e.message,
      hint: profile.apiKeyEnv && where.allowed ? `set $${profile.apiKeyEnv} in the environment Concur runs in` : 'see the secrets rule in SECURITY.md' };
  }
  const r = await provider.call(CONNECTION_TEST_MESSAGES, undefined);
  const requestHash = createHash('sha256').update(JSON.stringify(['connection-test', CONNECTION_TEST_MESSAGES, useModel, where.baseUrl])).digest('hex');
  repos.profiles.recordTest(profile.id, {
    baseUrl: where.baseUrl, model: useModel, requestHash, reply: r.ok ? r.content : (r.raw ?? null), error: r.ok ? null : r.error,
    promptTokens: r.ok ? r.promptTokens : 0, completionTokens: r.ok ? r.completionTokens : 0, latencyMs: r.latencyMs, attempts: r.attempts,
  });
  if (r.ok) return { ...base, ok: true, reply: r.content, status: null, error: null, hint: null, latencyMs: r.latencyMs };
  return { ...base, ok: false, reply: null, status: r.status, error: r.error, hint: connectionHint(r.status, { ...where, model: useModel }), latencyMs: r.latencyMs };
}
