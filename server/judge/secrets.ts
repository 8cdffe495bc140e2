/**
 * Which secret may leave Concur, and to where. Every outgoing call that could carry a key goes
 * through `resolveEndpoint` (judge calls, the Batch API, and any later proposer, generator,
 * system-under-test or webhook call); nothing else reads a key from the environment.
 *
 * The rule — decided only by the environment of whoever starts Concur, never by the workspace:
 * - `OPENAI_API_KEY` may be sent to `OPENAI_BASE_URL`, or to the OpenAI API
 *   (https://api.openai.com/v1) when that is unset;
 * - any variable (OPENAI_API_KEY too) may be sent to the base URLs bound to it in `CONCUR_KEYS`,
 *   e.g. `CONCUR_KEYS="VLLM_API_KEY=http://127.0.0.1:8000/v1,OPENROUTER_API_KEY=https://openrouter.ai/api/v1"`;
 * - a binding is a base-URL prefix compared on parsed URLs: scheme, host, port and credentials
 *   exact, path a prefix on segment boundaries (`…/v1` matches `…/v1` and `…/v1/x`, never `…/v1evil`);
 * - a version that wants no key (`apiKeyEnv` empty, stored as '') is called with no
 *   Authorization header at all — that is how a local server that needs no key is reached.
 * A version pairing a key variable with a URL it is not bound to is refused when it is saved and,
 * for versions saved before this rule, when a run starts. Whether a variable is set is reported
 * only for bound names, so the API never reveals whether an arbitrary variable exists.
 */

import { shellQuote } from '../../shared/shell.ts';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** What a user types for "this endpoint needs no key" (stored as ''). */
export const NO_KEY = 'none';

export interface ResolvedEndpoint {
  /** where the calls go: the version's base URL, else OPENAI_BASE_URL, else the OpenAI API */
  baseUrl: string;
  /** the variable named by the version ('' when it wants no key) */
  apiKeyEnv: string;
  /** the key may be sent to baseUrl (always true when no key is wanted) */
  allowed: boolean;
  /** why the key may not be sent (names the rule and the setting), when it may not */
  problem: string | null;
  /** the key to send: null when none is wanted, the variable is unset, or it is not allowed */
  key: string | null;
  /** the variable is set — only ever true for a name bound to baseUrl */
  keyPresent: boolean;
}

export class KeyNotAllowedError extends Error {}

/** True when apiKeyEnv means "send no key". */
export function wantsNoKey(apiKeyEnv: string | null | undefined): boolean {
  return !apiKeyEnv || apiKeyEnv.toLowerCase() === NO_KEY;
}

interface Binding { name: string; url: URL; text: string }

/** The bindings the environment declares, plus the malformed CONCUR_KEYS entries (which bind nothing). */
export function keyBindings(env: NodeJS.ProcessEnv): { bindings: Binding[]; problems: string[] } {
  const bindings: Binding[] = [];
  const problems: string[] = [];
  const openai = env.OPENAI_BASE_URL || OPENAI_DEFAULT_BASE_URL;
  const u = parseUrl(openai);
  if (u) bindings.push({ name: 'OPENAI_API_KEY', url: u, text: openai });
  else problems.push(`OPENAI_BASE_URL is not a URL: ${JSON.stringify(openai)}`);
  const raw = env.CONCUR_KEYS ?? '';
  raw.split(/[,\n]/).forEach((entry, i) => {
    const e = entry.trim();
    if (!e) return;
    const eq = e.indexOf('=');
    const name = eq > 0 ? e.slice(0, eq).trim() : '';
    const text = eq > 0 ? e.slice(eq + 1).trim() : '';
    const url = parseUrl(text);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !url) {
      problems.push(`CONCUR_KEYS entry ${i + 1} (${JSON.stringify(e)}) is not NAME=http(s)://base-url`);
      return;
    }
    bindings.push({ name, url, text });
  });
  return { bindings, problems };
}

/** True when `target` lies under the base URL `base`: same scheme, host, port and credentials; path prefix on segment boundaries. */
export function underBaseUrl(target: URL, base: URL): boolean {
  if (target.protocol !== base.protocol || target.hostname !== base.hostname || target.port !== base.port) return false;
  if (target.username !== base.username || target.password !== base.password) return false;
  if (target.search !== base.search || target.hash !== base.hash) return false;
  const prefix = base.pathname.replace(/\/+$/, '');
  const path = target.pathname;
  return path === prefix || path.startsWith(`${prefix}/`) || (prefix === '' && path === '/');
}

/** Where a version's calls go, and which key (if any) may go with them. Never throws. */
export function resolveEndpoint(settings: { baseUrl: string | null; apiKeyEnv: string }, env: NodeJS.ProcessEnv = process.env): ResolvedEndpoint {
  const baseUrl = settings.baseUrl || env.OPENAI_BASE_URL || OPENAI_DEFAULT_BASE_URL;
  if (wantsNoKey(settings.apiKeyEnv)) return { baseUrl, apiKeyEnv: '', allowed: true, problem: null, key: null, keyPresent: false };
  const name = settings.apiKeyEnv;
  const target = parseUrl(baseUrl);
  const { bindings, problems } = keyBindings(env);
  const bound = target !== null && bindings.some((b) => b.name === name && underBaseUrl(target, b.url));
  if (!bound) {
    const problem = `${name} may only be sent to URLs bound to it in CONCUR_KEYS${name === 'OPENAI_API_KEY' ? ' (or to OPENAI_BASE_URL / the OpenAI API)' : ''}, and ${baseUrl} is not; `
      + `set CONCUR_KEYS=${target ? shellQuote(`${name}=${target.href.replace(/\/$/, '')}`) : `${name}=http://…`} when starting Concur, or use API key variable "${NO_KEY}" for an endpoint that needs no key`
      + (problems.length ? ` (ignored: ${problems.join('; ')})` : '');
    return { baseUrl, apiKeyEnv: name, allowed: false, problem, key: null, keyPresent: false };
  }
  const value = env[name];
  return { baseUrl, apiKeyEnv: name, allowed: true, problem: null, key: value ? value : null, keyPresent: Boolean(value) };
}

/** Throws KeyNotAllowedError (naming the rule and the setting) when the version's key may not go to its URL. */
export function assertKeyAllowed(settings: { baseUrl: string | null; apiKeyEnv: string }, env: NodeJS.ProcessEnv = process.env): ResolvedEndpoint {
  const r = resolveEndpoint(settings, env);
  if (!r.allowed) throw new KeyNotAllowedError(r.problem!);
  return r;
}

function parseUrl(text: string): URL | null {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}
