/**
 * The secrets rule (server/judge/secrets.ts): which key may be sent where is decided by the
 * environment only — OPENAI_API_KEY to OPENAI_BASE_URL or the OpenAI API, any other variable to
 * the base URLs bound to it in CONCUR_KEYS — and nothing saved in the workspace can change that.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEndpoint } from '../../server/judge/provider.ts';
import { resolveEndpoint, underBaseUrl } from '../../server/judge/secrets.ts';
import { ValidationError } from '../../server/services/errors.ts';
import { buildTestApp } from '../support/app.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { TEMPLATE, seed } from '../support/seed.ts';
import { concur } from '../support/cli.ts';

const VLLM = 'http://127.0.0.1:8000/v1';
const ENV = { VLLM_API_KEY: 'vllm-secret', OPENROUTER_API_KEY: 'or-secret', CONCUR_KEYS: `VLLM_API_KEY=${VLLM},OPENROUTER_API_KEY=https://openrouter.ai/api/v1` };

describe('the rule: which key may go to which URL', () => {
  it('OPENAI_API_KEY goes to the OpenAI API by default, to OPENAI_BASE_URL when set, and nowhere else', () => {
    expect(resolveEndpoint({ baseUrl: null, apiKeyEnv: 'OPENAI_API_KEY' }, { OPENAI_API_KEY: 'k' }))
      .toMatchObject({ baseUrl: 'https://api.openai.com/v1', allowed: true, key: 'k', keyPresent: true });
    expect(resolveEndpoint({ baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' }, { OPENAI_API_KEY: 'k' })).toMatchObject({ allowed: true, key: 'k' });
    const local = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' };
    expect(resolveEndpoint({ baseUrl: null, apiKeyEnv: 'OPENAI_API_KEY' }, local)).toMatchObject({ baseUrl: 'http://127.0.0.1:11434/v1', allowed: true, key: 'k' });
    expect(resolveEndpoint({ baseUrl: 'http://127.0.0.1:11434/v1', apiKeyEnv: 'OPENAI_API_KEY' }, local)).toMatchObject({ allowed: true, key: 'k' });
    // with OPENAI_BASE_URL set, the OpenAI API itself is no longer a destination for the key
    expect(resolveEndpoint({ baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' }, local)).toMatchObject({ allowed: false, key: null });
    const other = resolveEndpoint({ baseUrl: 'https://attacker.example/v1', apiKeyEnv: 'OPENAI_API_KEY' }, { OPENAI_API_KEY: 'k' });
    expect(other).toMatchObject({ allowed: false, key: null, keyPresent: false });
    expect(other.problem).toMatch(/OPENAI_API_KEY may only be sent to URLs bound to it in CONCUR_KEYS.*set CONCUR_KEYS=OPENAI_API_KEY=https:\/\/attacker\.example\/v1 when starting Concur/);
  });

  it('a key bound in CONCUR_KEYS goes to its base URL and paths under it', () => {
    for (const url of [VLLM, `${VLLM}/`, `${VLLM}/chat`, 'http://127.0.0.1:8000/v1/./chat']) {
      expect(resolveEndpoint({ baseUrl: url, apiKeyEnv: 'VLLM_API_KEY' }, ENV), url).toMatchObject({ allowed: true, key: 'vllm-secret' });
    }
    expect(resolveEndpoint({ baseUrl: 'https://openrouter.ai/api/v1', apiKeyEnv: 'OPENROUTER_API_KEY' }, ENV)).toMatchObject({ allowed: true, key: 'or-secret' });
    expect(resolveEndpoint({ baseUrl: 'HTTPS://OpenRouter.AI:443/api/v1', apiKeyEnv: 'OPENROUTER_API_KEY' }, ENV)).toMatchObject({ allowed: true });
  });

  it('refuses lookalike URLs: other path segment, port, scheme, host, credentials, dot segments', () => {
    for (const url of [
      'http://127.0.0.1:8000/v1evil', 'http://127.0.0.1:80001/v1', 'http://127.0.0.1:8001/v1', 'http://127.0.0.1/v1',
      'https://127.0.0.1:8000/v1', 'http://127.0.0.1:8000/', 'http://127.0.0.1:8000/V1', 'http://127.0.0.1:8000/v1/../evil',
      'http://127.0.0.1:8000/v1/%2e%2e/evil', 'http://127.0.0.1.evil.example:8000/v1', 'http://127.0.0.1:8000@evil.example/v1',
      'http://user:pw@127.0.0.1:8000/v1', 'http://127.0.0.1:8000/v1?x=1', 'http://localhost:8000/v1', 'not a url', 'file:///etc/passwd',
    ]) {
      const r = resolveEndpoint({ baseUrl: url, apiKeyEnv: 'VLLM_API_KEY' }, ENV);
      expect(r, url).toMatchObject({ allowed: false, key: null, keyPresent: false });
    }
    // a key bound elsewhere is not a key bound here
    expect(resolveEndpoint({ baseUrl: VLLM, apiKeyEnv: 'OPENROUTER_API_KEY' }, ENV)).toMatchObject({ allowed: false });
    expect(underBaseUrl(new URL('http://h/x'), new URL('http://h/'))).toBe(true);
  });

  it('an unbound variable is never sent and never reported present (HOME, AWS_SECRET_ACCESS_KEY)', () => {
    const env = { ...ENV, HOME: '/home/u', AWS_SECRET_ACCESS_KEY: 'aws' };
    for (const name of ['HOME', 'AWS_SECRET_ACCESS_KEY']) {
      expect(resolveEndpoint({ baseUrl: VLLM, apiKeyEnv: name }, env)).toMatchObject({ allowed: false, key: null, keyPresent: false });
      expect(describeEndpoint({ baseUrl: VLLM, apiKeyEnv: name }, env)).toMatchObject({ keyPresent: false, configured: false });
      expect(describeEndpoint({ baseUrl: VLLM, apiKeyEnv: name }, env).problem).toContain(`${name} may only be sent`);
    }
    // a bound name: present or not, truthfully
    expect(describeEndpoint({ baseUrl: VLLM, apiKeyEnv: 'VLLM_API_KEY' }, env)).toMatchObject({ keyPresent: true, configured: true, problem: null });
    expect(describeEndpoint({ baseUrl: VLLM, apiKeyEnv: 'VLLM_API_KEY' }, { CONCUR_KEYS: ENV.CONCUR_KEYS })).toMatchObject({ keyPresent: false, configured: true });
  });

  it('"no key" is explicit and sends nothing; a malformed CONCUR_KEYS entry binds nothing and is named', () => {
    for (const apiKeyEnv of ['', 'none', 'NONE']) {
      expect(resolveEndpoint({ baseUrl: 'http://anywhere.example/v1', apiKeyEnv }, { OPENAI_API_KEY: 'k' })).toMatchObject({ allowed: true, key: null, apiKeyEnv: '' });
    }
    const r = resolveEndpoint({ baseUrl: VLLM, apiKeyEnv: 'VLLM_API_KEY' }, { VLLM_API_KEY: 'v', CONCUR_KEYS: `VLLM_API_KEY:${VLLM}` });
    expect(r.allowed).toBe(false);
    expect(r.problem).toMatch(/CONCUR_KEYS entry 1 .* is not NAME=http\(s\):\/\/base-url/);
  });
});

let fake: FakeOpenAI | undefined;
let t: ReturnType<typeof tempWorkspace> | undefined;
let dir: string | undefined;
afterEach(async () => {
  await fake?.close(); fake = undefined;
  t?.cleanup(); t = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function setup(env: (url: string) => NodeJS.ProcessEnv) {
  fake = await startFakeOpenAI();
  t = tempWorkspace({ env: env(fake.url), provider: { baseBackoffMs: 1, maxBackoffMs: 5, timeoutMs: 5000 } });
  const s = seed(t.ws, [{ id: 'a', verdict: 'pass' }, { id: 'b', verdict: 'fail' }]);
  return { ws: t.ws, criterion: s.criterion, url: fake.url };
}

describe('calls carry the key the rule allows, and no other', () => {
  it('a version that wants no key is called with no Authorization header, even with OPENAI_API_KEY set', async () => {
    const { ws, criterion, url } = await setup(() => ({ OPENAI_API_KEY: 'sk-must-not-leave-000000', OPENAI_ORG_ID: 'org-x' }));
    const v = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', baseUrl: url, apiKeyEnv: 'none' });
    expect(v.apiKeyEnv).toBe('');
    const run = await ws.engine.execute(ws.engine.plan({ criterion, version: v, split: 'all' }).id);
    expect(run).toMatchObject({ status: 'done', errors: 0 });
    expect(fake!.headers.length).toBe(2);
    for (const h of fake!.headers) {
      expect(h.authorization).toBeUndefined();
      expect(h['openai-organization']).toBeUndefined();
    }
  });

  it('with no variable given, a URL OPENAI_API_KEY is not bound to gets no key (a local server)', async () => {
    const { ws, criterion, url } = await setup(() => ({ OPENAI_API_KEY: 'sk-must-not-leave-000000' }));
    const v = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', baseUrl: url });
    expect(v.apiKeyEnv).toBe('');
    await ws.engine.execute(ws.engine.plan({ criterion, version: v, split: 'all' }).id);
    expect(fake!.headers.map((h) => h.authorization)).toEqual([undefined, undefined]);
  });

  it('a bound but unset variable sends no key; a bound, set one is sent as the bearer token', async () => {
    const { ws, criterion, url } = await setup((u) => ({ CONCUR_KEYS: `JUDGE_KEY=${u},UNSET_KEY=${u}`, JUDGE_KEY: 'judge-secret' }));
    const unset = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', baseUrl: url, apiKeyEnv: 'UNSET_KEY' });
    await ws.engine.execute(ws.engine.plan({ criterion, version: unset, split: 'all' }).id);
    const set = ws.addVersion(criterion, { template: TEMPLATE, model: 'm2', baseUrl: url, apiKeyEnv: 'JUDGE_KEY' });
    await ws.engine.execute(ws.engine.plan({ criterion, version: set, split: 'all' }).id);
    expect(fake!.headers.map((h) => h.authorization)).toEqual([undefined, undefined, 'Bearer judge-secret', 'Bearer judge-secret']);
  });

  it('the Batch API path follows the same rule (upload, create, poll, download carry no key)', async () => {
    const { ws, criterion, url } = await setup(() => ({ OPENAI_API_KEY: 'sk-must-not-leave-000000', CONCUR_BATCH_POLL_MS: '2' }));
    const v = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', baseUrl: url, apiKeyEnv: 'none' });
    const run = await ws.engine.execute(ws.engine.plan({ criterion, version: v, split: 'all', batch: true }).id);
    expect(run).toMatchObject({ status: 'done', errors: 0, done: 2 });
    expect(fake!.headers.length).toBeGreaterThan(3);
    expect(fake!.headers.every((h) => h.authorization === undefined)).toBe(true);
  });

  it('the cache key includes the resolved base URL: the same version against another OPENAI_BASE_URL asks again', async () => {
    const { ws, criterion, url } = await setup((u) => ({ OPENAI_BASE_URL: u }));
    const v = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', apiKeyEnv: 'none' });
    expect(v.baseUrl).toBeNull();
    await ws.engine.execute(ws.engine.plan({ criterion, version: v, split: 'all' }).id);
    const second = await startFakeOpenAI();
    try {
      const { Workspace } = await import('../../server/services/workspace.ts');
      const other = new Workspace(ws.repos, { env: { OPENAI_BASE_URL: second.url } });
      const run = await other.engine.execute(other.engine.plan({ criterion, version: v, split: 'all' }).id);
      expect(run).toMatchObject({ status: 'done', cached: 0 });
      expect(second.count()).toBe(2);
      // and the first endpoint again: served from the cache
      const again = await ws.engine.execute(ws.engine.plan({ criterion, version: v, split: 'all' }).id);
      expect(again.cached).toBe(2);
      expect(fake!.count()).toBe(2);
      expect(url).toBe(fake!.url);
    } finally {
      await second.close();
    }
  });
});

describe('a key paired with a URL it is not bound to is refused', () => {
  it('at save time: ValidationError naming the rule and the setting, nothing stored', async () => {
    const { ws, criterion, url } = await setup(() => ({ CONCUR_JUDGE_KEY: 'x', HOME: '/home/u' }));
    for (const apiKeyEnv of ['CONCUR_JUDGE_KEY', 'HOME', 'OPENAI_API_KEY']) {
      let err: unknown;
      try { ws.addVersion(criterion, { template: TEMPLATE, model: 'm', baseUrl: url, apiKeyEnv }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('apiKeyEnv');
      expect((err as Error).message).toContain(`${apiKeyEnv} may only be sent to URLs bound to it in CONCUR_KEYS`);
      expect((err as Error).message).toContain(`set CONCUR_KEYS=${apiKeyEnv}=${url} when starting Concur`);
    }
    expect(ws.repos.versions.list(criterion.id)).toEqual([]);
    expect(fake!.headers).toEqual([]);
  });

  it('through the API: 400 with the message; GET shows keyPresent false for an unbound name', async () => {
    const { ws, criterion, url } = await setup(() => ({ HOME: '/home/u' }));
    const app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    try {
      const r = await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/versions`, payload: { template: TEMPLATE, model: 'm', baseUrl: url, apiKeyEnv: 'HOME' } });
      expect(r.statusCode).toBe(400);
      expect(r.body).toContain('HOME may only be sent to URLs bound to it in CONCUR_KEYS');
      expect(ws.repos.versions.list(criterion.id)).toEqual([]);
      // a version saved before the rule existed (written directly): keyPresent stays false, the problem is shown
      const old = ws.repos.versions.create(criterion.id, { template: TEMPLATE, model: 'm', baseUrl: url, apiKeyEnv: 'HOME', temperature: null, maxTokens: null, seed: null, examples: [], note: '' });
      const g = await app.inject({ method: 'GET', url: `/api/versions/${old.id}` });
      expect(g.json().endpoint).toMatchObject({ keyPresent: false, configured: false });
      expect(g.json().endpoint.problem).toContain('HOME may only be sent');
      // and a run of it is refused before any call
      const run = await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: old.number, split: 'all' } });
      expect(run.statusCode).toBe(400);
      expect(run.body).toContain('HOME may only be sent');
      expect(fake!.count()).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('an existing version at run start: the run fails before any call, with the message', async () => {
    const { ws, criterion, url } = await setup(() => ({ AWS_SECRET_ACCESS_KEY: 'aws-secret' }));
    const old = ws.repos.versions.create(criterion.id, { template: TEMPLATE, model: 'm', baseUrl: url, apiKeyEnv: 'AWS_SECRET_ACCESS_KEY', temperature: null, maxTokens: null, seed: null, examples: [], note: '' });
    const run = await ws.engine.execute(ws.engine.plan({ criterion, version: old, split: 'all' }).id);
    expect(run.status).toBe('failed');
    expect(run.message).toContain('AWS_SECRET_ACCESS_KEY may only be sent to URLs bound to it in CONCUR_KEYS');
    expect(fake!.headers).toEqual([]);
  });

  it('through the CLI: exit 2 with the message; with the binding in CONCUR_KEYS the same command saves', async () => {
    const { ws, url } = await setup(() => ({}));
    ws.repos.db.close();
    dir = mkdtempSync(join(tmpdir(), 'concur-secrets-'));
    const tpl = join(dir, 'judge.txt');
    writeFileSync(tpl, TEMPLATE);
    const args = ['prompt', 'add', '--db', t!.path, '--dataset', 'ds', '--criterion', 'correct', '--template', tpl, '--model', 'm', '--base-url', url, '--api-key-env', 'CONCUR_JUDGE_KEY'];
    const refused = await concur(args, { CONCUR_JUDGE_KEY: 'x' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`CONCUR_JUDGE_KEY may only be sent to URLs bound to it in CONCUR_KEYS`);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    const saved = await concur(args, { CONCUR_JUDGE_KEY: 'x', CONCUR_KEYS: `CONCUR_JUDGE_KEY=${url}` });
    expect(saved.code).toBe(0);
    expect(saved.stdout).toContain('saved version 1');
  });
});
