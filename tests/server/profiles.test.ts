/**
 * Endpoint profiles (issue 11 item 6): workspace-level endpoints under the secrets rule, versions
 * naming a profile, `run --profile` recorded on the run, history never rewritten by an edit, the
 * migration from versions' base_url/api_key_env, and "test connection" making one real call
 * against the OpenAI-compatible stand-in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from '../../server/db/migrations.ts';
import { migrate } from '../../server/db/open.ts';
import { buildTestApp } from '../support/app.ts';
import { tempWorkspace, databaseBeforeMigration } from '../support/workspace.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { TEMPLATE, seed } from '../support/seed.ts';
import { concur } from '../support/cli.ts';

let t: ReturnType<typeof tempWorkspace> | undefined;
const servers: FakeOpenAI[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  t?.cleanup();
  t = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const CONNECTION_REPLY = 'OK';
async function standIn(opts: Parameters<typeof startFakeOpenAI>[0] = {}): Promise<FakeOpenAI> {
  const s = await startFakeOpenAI({
    // the connection test asks for one word; judge prompts get the default JSON verdict
    respond: (req) => (JSON.stringify(req.messages).includes('connection test') ? CONNECTION_REPLY
      : JSON.stringify({ critique: 'looks right', verdict: 'pass' })),
    ...opts,
  });
  servers.push(s);
  return s;
}

function setup(env: NodeJS.ProcessEnv = {}) {
  t = tempWorkspace({ env, errorBudget: 3, provider: { maxRetries: 0 } });
  const s = seed(t.ws, [{ id: 'a', verdict: 'pass' }, { id: 'b', verdict: 'fail' }, { id: 'c', verdict: 'pass' }]);
  return { ws: t.ws, criterion: s.criterion };
}

describe('endpoint profiles through the API', () => {
  it('adds, lists, edits and deletes a profile; a profile some version names cannot be deleted', async () => {
    const fake = await standIn();
    const { ws, criterion } = setup();
    const app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    try {
      const add = await app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'local', baseUrl: fake.url, apiKeyEnv: 'none', model: 'judge-1', rpm: 600 } });
      expect(add.statusCode).toBe(201);
      expect(add.json()).toMatchObject({ name: 'local', baseUrl: fake.url, apiKeyEnv: '', model: 'judge-1', rpm: 600, resolvedBaseUrl: fake.url, keyPresent: false, problem: null, versions: 0 });
      const id = add.json().id;

      const dup = await app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'LOCAL', baseUrl: fake.url } });
      expect(dup.statusCode).toBe(409);
      const badUrl = await app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'x', baseUrl: 'ftp://example.com' } });
      expect(badUrl.statusCode).toBe(400);
      expect(badUrl.json()).toMatchObject({ field: 'baseUrl' });

      const edit = await app.inject({ method: 'PUT', url: `/api/profiles/${id}`, payload: { model: 'judge-2', rpm: null } });
      expect(edit.statusCode).toBe(200);
      expect(edit.json()).toMatchObject({ name: 'local', model: 'judge-2', rpm: null, baseUrl: fake.url });

      const list = await app.inject({ method: 'GET', url: '/api/profiles' });
      expect(list.json().map((p: { name: string }) => p.name)).toEqual(['local']);

      const v = await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/versions`, payload: { template: TEMPLATE, model: 'judge-2', profile: 'local' } });
      expect(v.statusCode).toBe(201);
      expect(v.json()).toMatchObject({ profileId: id, baseUrl: fake.url, apiKeyEnv: '', endpoint: { baseUrl: fake.url, configured: true } });

      const del = await app.inject({ method: 'DELETE', url: `/api/profiles/${id}` });
      expect(del.statusCode).toBe(409);
      expect(del.json().error).toContain('named by 1 version');
      expect(ws.repos.profiles.get(id)).toBeDefined();

      const spare = await app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'spare', baseUrl: fake.url, apiKeyEnv: 'none' } });
      expect((await app.inject({ method: 'DELETE', url: `/api/profiles/${spare.json().id}` })).statusCode).toBe(204);
      expect(ws.repos.profiles.byName('spare')).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('refuses at save a profile pairing a key with an unbound URL (naming the rule and the setting), and saves it once the environment binds it', async () => {
    const fake = await standIn();
    const { ws } = setup({ HOME: '/home/u' });
    const app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    try {
      const r = await app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'leaky', baseUrl: fake.url, apiKeyEnv: 'HOME' } });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ field: 'apiKeyEnv', code: 'key_not_allowed' });
      expect(r.json().error).toContain('HOME may only be sent to URLs bound to it in CONCUR_KEYS');
      expect(r.json().error).toContain('set CONCUR_KEYS=');
      expect(ws.repos.profiles.list()).toEqual([]);

      // an edit cannot redirect a key either: the profile keeps its old settings
      const ok = await app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'ok', baseUrl: fake.url, apiKeyEnv: 'none' } });
      const put = await app.inject({ method: 'PUT', url: `/api/profiles/${ok.json().id}`, payload: { apiKeyEnv: 'HOME' } });
      expect(put.statusCode).toBe(400);
      expect(ws.repos.profiles.byName('ok')!.apiKeyEnv).toBe('');
      // nor can OPENAI_API_KEY be pointed at another URL
      const openai = await app.inject({ method: 'PUT', url: `/api/profiles/${ok.json().id}`, payload: { apiKeyEnv: 'OPENAI_API_KEY' } });
      expect(openai.statusCode).toBe(400);
      expect(openai.json().error).toContain('OPENAI_API_KEY may only be sent');
    } finally {
      await app.close();
    }
    t!.cleanup();
    // the same profile with the binding in the environment of whoever starts Concur
    const bound = setup({ JUDGE_KEY: 'secret', CONCUR_KEYS: `JUDGE_KEY=${fake.url}` });
    const app2 = await buildTestApp({ workspace: bound.ws, webRoot: '/nonexistent' });
    try {
      const r = await app2.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'bound', baseUrl: fake.url, apiKeyEnv: 'JUDGE_KEY' } });
      expect(r.statusCode).toBe(201);
      expect(r.json()).toMatchObject({ apiKeyEnv: 'JUDGE_KEY', keyPresent: true, problem: null });
      expect(r.body).not.toContain('secret');
    } finally {
      await app2.close();
    }
  });

  it('refuses at run and test time an existing profile whose key the environment does not bind to its URL, before any call', async () => {
    const fake = await standIn();
    const { ws, criterion } = setup({ AWS_SECRET_ACCESS_KEY: 'aws-secret' });
    // saved before this environment (written directly): the rule is checked again when used
    const p = ws.repos.profiles.create({ name: 'old', baseUrl: fake.url, apiKeyEnv: 'AWS_SECRET_ACCESS_KEY', model: 'm', rpm: null, tpm: null, maxReplyBytes: null });
    const v = ws.repos.versions.create(criterion.id, { template: TEMPLATE, model: 'm', baseUrl: null, apiKeyEnv: '', profileId: p.id, temperature: null, maxTokens: null, seed: null, examples: [], note: '' });
    const app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    try {
      const listed = (await app.inject({ method: 'GET', url: '/api/profiles' })).json()[0];
      expect(listed).toMatchObject({ keyPresent: false });
      expect(listed.problem).toContain('AWS_SECRET_ACCESS_KEY may only be sent');
      const run = await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: v.number, split: 'all' } });
      expect(run.statusCode).toBe(400);
      expect(run.body).toContain('AWS_SECRET_ACCESS_KEY may only be sent to URLs bound to it in CONCUR_KEYS');
      const test = await app.inject({ method: 'POST', url: `/api/profiles/${p.id}/test`, payload: {} });
      expect(test.statusCode).toBe(200);
      expect(test.json()).toMatchObject({ ok: false, reply: null });
      expect(test.json().error).toContain('AWS_SECRET_ACCESS_KEY may only be sent');
      // the engine refuses too (a run planned before the environment changed fails without a call)
      const planned = ws.engine.plan({ criterion, version: ws.engine.resolveVersion(v).version, split: 'all' });
      const done = await ws.engine.execute(planned.id);
      expect(done.status).toBe('failed');
      expect(done.message).toContain('AWS_SECRET_ACCESS_KEY may only be sent');
      expect(fake.headers).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('running a version through a profile', () => {
  it('run --profile runs it elsewhere, recorded on the run; editing the profile later never rewrites the run', async () => {
    const home = await standIn();
    const elsewhere = await standIn();
    const { ws, criterion } = setup();
    const app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    try {
      const add = (name: string, url: string, model: string) =>
        app.inject({ method: 'POST', url: '/api/profiles', payload: { name, baseUrl: url, apiKeyEnv: 'none', model } });
      const a = (await add('home', home.url, 'model-home')).json();
      const b = (await add('elsewhere', elsewhere.url, 'model-elsewhere')).json();
      const v = (await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/versions`, payload: { template: TEMPLATE, model: 'model-v1', profile: 'home' } })).json();
      expect(v.profileId).toBe(a.id);

      const started = await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: v.number, split: 'all', profile: 'elsewhere' } });
      expect(started.statusCode).toBe(202);
      expect(started.json()).toMatchObject({ profileId: b.id, profileName: 'elsewhere' });
      const run = await until(ws, started.json().id);
      expect(run).toMatchObject({ status: 'done', done: 3, errors: 0, baseUrl: elsewhere.url, model: 'model-elsewhere', profileName: 'elsewhere' });
      expect(home.count()).toBe(0);
      expect(elsewhere.requests.map((r) => r.model)).toEqual(['model-elsewhere', 'model-elsewhere', 'model-elsewhere']);

      // the version's own profile: its own model, and a reply cached from the other endpoint is never served
      const own = await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: v.number, split: 'all' } });
      const ownRun = await until(ws, own.json().id);
      expect(ownRun).toMatchObject({ status: 'done', cached: 0, baseUrl: home.url, model: 'model-v1', profileName: 'home' });
      expect(home.count()).toBe(3);
      // same model on both endpoints: still no reply crosses from one to the other
      await app.inject({ method: 'PUT', url: `/api/profiles/${b.id}`, payload: { model: 'model-v1' } });
      const again = await until(ws, (await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: v.number, split: 'all', profile: 'elsewhere' } })).json().id);
      expect(again).toMatchObject({ cached: 0, baseUrl: elsewhere.url, model: 'model-v1' });
      expect(elsewhere.count()).toBe(6);

      // editing the profile: new runs go to the new URL, the old run keeps what it used
      const edited = await app.inject({ method: 'PUT', url: `/api/profiles/${b.id}`, payload: { baseUrl: home.url, name: 'renamed' } });
      expect(edited.statusCode).toBe(200);
      const old = (await app.inject({ method: 'GET', url: `/api/runs/${run.id}` })).json();
      expect(old).toMatchObject({ baseUrl: elsewhere.url, model: 'model-elsewhere', profileName: 'elsewhere' });
      expect(ws.repos.versions.get(v.id)!.profileId).toBe(a.id);

      const unknown = await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/runs`, payload: { version: v.number, split: 'all', profile: 'nope' } });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error).toContain('no endpoint profile named "nope"');
    } finally {
      await app.close();
    }
  });

  it("a profile's rpm and reply cap are defaults that the run's own options override", async () => {
    const fake = await standIn({ respond: () => JSON.stringify({ critique: 'x'.repeat(3000), verdict: 'pass' }) });
    const { ws, criterion } = setup();
    const p = ws.repos.profiles.create({ name: 'capped', baseUrl: fake.url, apiKeyEnv: '', model: 'm', rpm: null, tpm: null, maxReplyBytes: 1000 });
    const v = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', profile: p.name });
    const capped = await ws.engine.execute(ws.engine.plan({ criterion, version: ws.engine.resolveVersion(v).version, split: 'all', noCache: true }).id);
    expect(capped.errors).toBe(3);
    const lifted = await ws.engine.execute(ws.engine.plan({ criterion, version: ws.engine.resolveVersion(v).version, split: 'all', noCache: true, maxReplyBytes: 100_000 }).id);
    expect(lifted).toMatchObject({ status: 'done', errors: 0 });
  });
});

describe('test connection', () => {
  it('makes one real call through the profile, shows the reply and records it in model_calls', async () => {
    const fake = await standIn();
    const { ws } = setup();
    const app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    try {
      const p = (await app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'local', baseUrl: fake.url, apiKeyEnv: 'none', model: 'judge-1' } })).json();
      const r = await app.inject({ method: 'POST', url: `/api/profiles/${p.id}/test`, payload: {} });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ ok: true, reply: CONNECTION_REPLY, model: 'judge-1', baseUrl: fake.url, error: null });
      expect(fake.count()).toBe(1);
      expect(fake.headers[0]!.authorization).toBeUndefined();
      const calls = ws.repos.db.prepare(`SELECT task_kind, base_url, model, reply, run_id, task_id FROM model_calls`).all();
      expect(calls).toEqual([{ task_kind: 'connection-test', base_url: fake.url, model: 'judge-1', reply: CONNECTION_REPLY, run_id: null, task_id: null }]);
      // another model for the test only
      const other = await app.inject({ method: 'POST', url: `/api/profiles/${p.id}/test`, payload: { model: 'judge-9' } });
      expect(other.json()).toMatchObject({ ok: true, model: 'judge-9' });
      expect(fake.requests[1]!.model).toBe('judge-9');
    } finally {
      await app.close();
    }
  });

  it('shows the error of an unreachable URL, and of a rejected key with a hint naming the variable', async () => {
    const gone = await standIn();
    const url = gone.url;
    await gone.close();
    const guarded = await standIn({ apiKey: 'right-key' });
    const { ws } = setup({ JUDGE_KEY: 'wrong-key', CONCUR_KEYS: `JUDGE_KEY=${guarded.url}` });
    const app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
    try {
      const down = (await app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'down', baseUrl: url, apiKeyEnv: 'none', model: 'm' } })).json();
      const r = (await app.inject({ method: 'POST', url: `/api/profiles/${down.id}/test`, payload: {} })).json();
      expect(r).toMatchObject({ ok: false, reply: null, status: null });
      expect(r.error).toMatch(/connection failed/);
      expect(r.hint).toBe(`is the endpoint ${url} reachable?`);

      const keyed = (await app.inject({ method: 'POST', url: '/api/profiles', payload: { name: 'keyed', baseUrl: guarded.url, apiKeyEnv: 'JUDGE_KEY', model: 'm' } })).json();
      const k = (await app.inject({ method: 'POST', url: `/api/profiles/${keyed.id}/test`, payload: {} })).json();
      expect(k).toMatchObject({ ok: false, status: 401, hint: 'check the API key in $JUDGE_KEY' });
      expect(JSON.stringify(k)).not.toContain('wrong-key');
      const errors = ws.repos.db.prepare(`SELECT task_kind, error IS NOT NULL AS failed FROM model_calls ORDER BY id`).all();
      expect(errors).toEqual([{ task_kind: 'connection-test', failed: 1 }, { task_kind: 'connection-test', failed: 1 }]);
    } finally {
      await app.close();
    }
  });
});

describe('migration: versions with base_url/api_key_env become profiles', () => {
  it('finds or creates one profile per (base URL, key variable), named "openai" or host:port, and links every version to it', () => {
    dir = mkdtempSync(join(tmpdir(), 'concur-profiles-'));
    const path = join(dir, 'old.sqlite');
    // the schema just before this migration (found by what it creates: later migrations follow it)
    expect(migrations.findIndex((m) => m.includes('CREATE TABLE endpoint_profiles'))).toBeGreaterThan(0);
    const db = databaseBeforeMigration(path, 'CREATE TABLE endpoint_profiles');
    db.exec(`INSERT INTO datasets (id, name) VALUES (1, 'ds'); INSERT INTO criteria (id, dataset_id, name) VALUES (1, 1, 'c');`);
    const insert = db.prepare(`INSERT INTO prompt_versions (criterion_id, number, template, model, base_url, api_key_env) VALUES (1, ?, 't', ?, ?, ?)`);
    insert.run(1, 'gpt-4o-mini', null, 'OPENAI_API_KEY');
    insert.run(2, 'llama', 'http://127.0.0.1:8000/v1', '');
    insert.run(3, 'llama', 'http://127.0.0.1:8000/v1', '');
    insert.run(4, 'llama', 'http://127.0.0.1:8000/v1', 'VLLM_API_KEY');
    insert.run(5, 'or', 'https://user:pw@openrouter.ai/api/v1', 'OPENROUTER_API_KEY');
    migrate(db);
    const profiles = db.prepare(`SELECT name, base_url, api_key_env, model FROM endpoint_profiles ORDER BY id`).all();
    expect(profiles).toEqual([
      { name: 'openai', base_url: null, api_key_env: 'OPENAI_API_KEY', model: 'gpt-4o-mini' },
      { name: '127.0.0.1:8000', base_url: 'http://127.0.0.1:8000/v1', api_key_env: '', model: 'llama' },
      { name: '127.0.0.1:8000-2', base_url: 'http://127.0.0.1:8000/v1', api_key_env: 'VLLM_API_KEY', model: 'llama' },
      { name: 'openrouter.ai', base_url: 'https://user:pw@openrouter.ai/api/v1', api_key_env: 'OPENROUTER_API_KEY', model: 'or' },
    ]);
    const links = db.prepare(`SELECT v.number, p.name FROM prompt_versions v JOIN endpoint_profiles p ON p.id = v.profile_id ORDER BY v.number`).all();
    expect(links).toEqual([
      { number: 1, name: 'openai' }, { number: 2, name: '127.0.0.1:8000' }, { number: 3, name: '127.0.0.1:8000' },
      { number: 4, name: '127.0.0.1:8000-2' }, { number: 5, name: 'openrouter.ai' },
    ]);
    // versions stay immutable after the migration
    expect(() => db.prepare(`UPDATE prompt_versions SET profile_id = NULL`).run()).toThrow(/immutable/);
    db.close();
  });

  it('prompt add --base-url finds the profile with that URL and key variable, or creates one', () => {
    const { ws, criterion } = setup();
    const v1 = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'none' });
    const v2 = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'none' });
    expect(v2.profileId).toBe(v1.profileId);
    expect(ws.repos.profiles.get(v1.profileId!)).toMatchObject({ name: '127.0.0.1:9', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: '' });
    const v3 = ws.addVersion(criterion, { template: TEMPLATE, model: 'm' });
    expect(ws.repos.profiles.get(v3.profileId!)).toMatchObject({ name: 'openai', baseUrl: null, apiKeyEnv: 'OPENAI_API_KEY' });
    // a refused shorthand creates nothing
    expect(() => ws.addVersion(criterion, { template: TEMPLATE, model: 'm', baseUrl: 'http://127.0.0.1:10/v1', apiKeyEnv: 'HOME' })).toThrow(/HOME may only be sent/);
    expect(ws.repos.profiles.list().map((p) => p.name)).toEqual(['127.0.0.1:9', 'openai']);
  });
});

describe('concur profiles', () => {
  it('add, list (key presence for bound names only, never the key), test, remove; an unbound key exits 2 naming the rule', async () => {
    const fake = await standIn();
    const { ws } = setup();
    ws.repos.db.close();
    const db = t!.path;
    const env = { JUDGE_KEY: 'the-secret', CONCUR_KEYS: `JUDGE_KEY=${fake.url}`, OTHER_KEY: 'other-secret' };

    const refused = await concur(['profiles', 'add', '--db', db, '--name', 'leaky', '--base-url', fake.url, '--api-key-env', 'OTHER_KEY'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('OTHER_KEY may only be sent to URLs bound to it in CONCUR_KEYS');

    const add = await concur(['profiles', 'add', '--db', db, '--name', 'local', '--base-url', fake.url, '--api-key-env', 'JUDGE_KEY', '--model', 'judge-1', '--rpm', '60'], env);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const list = await concur(['profiles', 'list', '--db', db, '--format', 'json'], env);
    const rows = JSON.parse(list.stdout);
    expect(rows).toEqual([expect.objectContaining({ name: 'local', apiKeyEnv: 'JUDGE_KEY', keyPresent: true, model: 'judge-1', rpm: 60 })]);
    expect(list.stdout).not.toContain('the-secret');

    const test = await concur(['profiles', 'test', 'local', '--db', db], env);
    expect(test.code).toBe(0);
    expect(test.stdout).toContain(`replied`);
    expect(test.stdout).toContain(JSON.stringify(CONNECTION_REPLY));
    expect(fake.headers.at(-1)!.authorization).toBe('Bearer the-secret');

    const edit = await concur(['profiles', 'edit', 'local', '--db', db, '--model', 'judge-2'], env);
    expect(edit.code).toBe(0);
    dir = mkdtempSync(join(tmpdir(), 'concur-profiles-cli-'));
    const tpl = join(dir, 'judge.txt');
    writeFileSync(tpl, TEMPLATE);
    const prompt = await concur(['prompt', 'add', '--db', db, '--dataset', 'ds', '--criterion', 'correct', '--template', tpl, '--profile', 'local'], env);
    expect(prompt.stderr).toBe('');
    expect(prompt.stdout).toContain('model judge-2');
    const listed = JSON.parse((await concur(['prompt', 'list', '--db', db, '--dataset', 'ds', '--criterion', 'correct', '--format', 'json'], env)).stdout);
    expect(listed).toEqual([expect.objectContaining({ number: 1, model: 'judge-2', baseUrl: fake.url, apiKeyEnv: 'JUDGE_KEY' })]);
    const remove = await concur(['profiles', 'remove', 'local', '--db', db], env);
    expect(remove.code).toBe(2);
    expect(remove.stderr).toContain('named by 1 version');
  });
});

async function until(ws: NonNullable<typeof t>['ws'], runId: number) {
  for (;;) {
    const r = ws.run(runId);
    if (!['queued', 'running'].includes(r.status) && !ws.engine.isActive(runId)) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
}
