import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { tempWorkspace } from '../support/workspace.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { TEMPLATE, rowCounts, seed } from '../support/seed.ts';
import { ValidationError } from '../../server/services/errors.ts';
import { buildTestApp } from '../support/app.ts';

let t: ReturnType<typeof tempWorkspace> | undefined;
let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  t?.cleanup();
  t = undefined;
});

function setup(engine: Parameters<typeof tempWorkspace>[0] = {}) {
  t = tempWorkspace(engine);
  const s = seed(t.ws, [
    { id: 'ex-pass', verdict: 'pass', critique: 'Quotes the refund window from the policy.' },
    { id: 'ex-fail', verdict: 'fail', critique: 'Promises a discount that does not exist.' },
    { id: 'amb', verdict: null, ambiguous: true },
    { id: 'todo' },
    { id: 'ctx', verdict: 'pass', context: { plan: 'pro', account: { region: 'eu' } }, dimensions: { persona: 'admin' } },
  ]);
  return { ws: t.ws, ...s, item: (id: string) => s.byId.get(id)!.id };
}

function validationError(fn: () => unknown): ValidationError {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(ValidationError); return e as ValidationError; }
  throw new Error('expected a ValidationError');
}

describe('prompt versions: numbering, parents, immutability', () => {
  it('numbers versions per criterion and links each to the previous one', () => {
    const { ws, criterion } = setup();
    const other = ws.addCriterion('ds', { name: 'polite' });
    const v1 = ws.addVersion(criterion, { template: TEMPLATE, model: 'gpt-4o-mini' });
    const o1 = ws.addVersion(other, { template: TEMPLATE, model: 'gpt-4o-mini' });
    const v2 = ws.addVersion(criterion, { template: TEMPLATE + '\nBe strict.', model: 'gpt-4o', note: 'stricter' });
    const v3 = ws.addVersion(criterion, { template: TEMPLATE, model: 'gpt-4o', temperature: 0, seed: 7, maxTokens: 300 });
    expect([v1.number, v2.number, v3.number, o1.number]).toEqual([1, 2, 3, 1]);
    expect([v1.parentId, v2.parentId, v3.parentId, o1.parentId]).toEqual([null, v1.id, v2.id, null]);
    expect(v2).toMatchObject({ note: 'stricter', model: 'gpt-4o', apiKeyEnv: 'OPENAI_API_KEY', baseUrl: null });
    expect(v3).toMatchObject({ temperature: 0, seed: 7, maxTokens: 300 });
    expect(ws.repos.versions.list(criterion.id).map((v) => v.number)).toEqual([1, 2, 3]);
    expect(ws.version(criterion, 'latest').id).toBe(v3.id);
  });

  it('refuses UPDATE on prompt_versions at the SQL level', () => {
    const { ws, criterion } = setup();
    const v1 = ws.addVersion(criterion, { template: TEMPLATE, model: 'm' });
    expect(() => ws.repos.db.prepare(`UPDATE prompt_versions SET template = 'x' WHERE id = ?`).run(v1.id)).toThrow(/immutable/);
    expect(() => ws.repos.db.prepare(`UPDATE prompt_versions SET note = 'x'`).run()).toThrow(/immutable/);
    expect(ws.repos.versions.get(v1.id)!.template).toBe(TEMPLATE);
  });

  it('validates model settings naming the field', () => {
    const { ws, criterion } = setup();
    expect(validationError(() => ws.addVersion(criterion, { template: TEMPLATE, model: '  ' })).field).toBe('model');
    expect(validationError(() => ws.addVersion(criterion, { template: TEMPLATE, model: 'm', temperature: 3 })).field).toBe('temperature');
    expect(validationError(() => ws.addVersion(criterion, { template: TEMPLATE, model: 'm', maxTokens: 0 })).field).toBe('maxTokens');
    expect(ws.repos.versions.list(criterion.id)).toEqual([]);
  });
});

describe('prompt versions: template validation at save time', () => {
  it('rejects an unknown variable naming it and its line, and saves nothing', () => {
    const { ws, criterion } = setup();
    const before = rowCounts(ws.repos.db);
    const template = 'Judge this.\n\nInput: {{input}}\nAnswer: {{ answer }}\nOutput: {{output}}\n';
    const err = validationError(() => ws.addVersion(criterion, { template, model: 'm' }));
    expect(err.field).toBe('template');
    expect(err.message).toContain('line 4');
    expect(err.message).toContain('{{answer}}');
    expect(rowCounts(ws.repos.db)).toEqual(before);
  });

  it('names every unknown variable with its own line', () => {
    const { ws, criterion } = setup();
    const err = validationError(() => ws.addVersion(criterion, { template: '{{inputs}}\n{{output}}\n\n{{dimensions}}', model: 'm' }));
    expect(err.message).toMatch(/line 1: unknown variable \{\{inputs\}\}/);
    expect(err.message).toMatch(/line 4: unknown variable \{\{dimensions\}\}/);
  });

  it('accepts {{context.x}} and {{dimensions.x}} (and renders them from the item)', () => {
    const { ws, criterion, item } = setup();
    const template = 'Plan: {{context.plan}}\nRegion: {{context.account.region}}\nPersona: {{dimensions.persona}}\nMissing: [{{dimensions.nope}}]\n{{output}}';
    const v = ws.addVersion(criterion, { template, model: 'm' });
    expect(v.number).toBe(1);
    const { problems, messages } = ws.preview(criterion, template, item('ctx'));
    expect(problems).toEqual([]);
    expect(messages[1]!.content).toBe('Plan: pro\nRegion: eu\nPersona: admin\nMissing: []\nanswer to ctx');
  });

  it('rejects {{output_b}} on a binary criterion', () => {
    const { ws, criterion } = setup();
    const err = validationError(() => ws.addVersion(criterion, { template: '{{output}} vs {{output_b}}', model: 'm' }));
    expect(err.message).toMatch(/line 1: output_b exists only for pairwise/);
  });
});

describe('prompt versions: few-shot examples', () => {
  it('must be items with a usable expert label', () => {
    const { ws, criterion, item } = setup();
    expect(validationError(() => ws.addVersion(criterion, { template: TEMPLATE, model: 'm', examples: ['todo'] })).message).toMatch(/examples: item "todo" has no usable expert label/);
    expect(validationError(() => ws.addVersion(criterion, { template: TEMPLATE, model: 'm', examples: ['amb'] })).field).toBe('examples');
    expect(validationError(() => ws.addVersion(criterion, { template: TEMPLATE, model: 'm', examples: ['ex-pass', 'ghost'] })).message).toMatch(/no item "ghost"/);
    expect(ws.repos.versions.list(criterion.id)).toEqual([]);
    const v = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', examples: ['ex-pass', 'ex-fail'] });
    expect(v.examples).toEqual([item('ex-pass'), item('ex-fail')]);
  });

  it('renders {{examples}} with each example\'s input, output, expert critique and verdict', () => {
    const { ws, criterion, item } = setup();
    const template = 'Examples:\n{{examples}}\n\nNow judge:\n{{input}}\n{{output}}';
    const { messages } = ws.preview(criterion, template, item('todo'), [item('ex-pass'), item('ex-fail')]);
    const user = messages[1]!.content;
    expect(user).toContain('### Example 1\nInput:\n[item:ex-pass] question ex-pass\n\nOutput:\nanswer to ex-pass\n\nExpert critique: Quotes the refund window from the policy.\nExpert verdict: pass');
    expect(user).toContain('### Example 2\nInput:\n[item:ex-fail] question ex-fail\n\nOutput:\nanswer to ex-fail\n\nExpert critique: Promises a discount that does not exist.\nExpert verdict: fail');
    expect(user.indexOf('Example 1')).toBeLessThan(user.indexOf('Example 2'));
    expect(messages[0]).toMatchObject({ role: 'system' });
    expect(messages[0]!.content).toContain('"pass" | "fail"');
  });
});

describe('prompt versions: API keys never enter the workspace', () => {
  const SECRET = 'sk-test-9f8e7d6c5b4a-never-store-me';

  it('stores only the env var name; a run that uses the key leaves no trace of it in any column or in the file', async () => {
    server = await startFakeOpenAI({ apiKey: SECRET });
    const { ws, criterion, path, dir } = { ...setup({ env: { CONCUR_JUDGE_KEY: SECRET, CONCUR_KEYS: `CONCUR_JUDGE_KEY=${server.url}` } }), path: t!.path, dir: t!.dir };
    const v = ws.addVersion(criterion, { template: TEMPLATE, model: 'gpt-4o-mini', baseUrl: server.url, apiKeyEnv: 'CONCUR_JUDGE_KEY' });
    expect(v.apiKeyEnv).toBe('CONCUR_JUDGE_KEY');
    const run = await ws.engine.execute(ws.engine.plan({ criterion, version: v, split: 'all' }).id);
    expect(run.status).toBe('done');
    expect(run.errors).toBe(0); // the key really was sent (the fake server answers 401 otherwise)
    expect(server.count()).toBe(run.total);

    // every text or blob column of every table
    const db = ws.repos.db;
    const tables = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all();
    let cells = 0;
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>) {
        for (const value of Object.values(row)) {
          cells++;
          expect(String(value)).not.toContain(SECRET);
        }
      }
    }
    expect(cells).toBeGreaterThan(50);
    expect(db.prepare('SELECT api_key_env FROM prompt_versions').all()).toEqual([{ api_key_env: 'CONCUR_JUDGE_KEY' }]);
    // nor in the bytes of the file (database and write-ahead log)
    db.pragma('wal_checkpoint(FULL)');
    for (const f of [path, `${path}-wal`]) if (existsSync(f)) expect(readFileSync(f).includes(SECRET)).toBe(false);
    expect(dir).toBeTruthy();
  });

  it('rejects an API key pasted where the env var name belongs', () => {
    const { ws, criterion } = setup();
    const err = validationError(() => ws.addVersion(criterion, { template: TEMPLATE, model: 'm', apiKeyEnv: SECRET }));
    expect(err.field).toBe('apiKeyEnv');
    expect(ws.repos.versions.list(criterion.id)).toEqual([]);
  });

  it('the API shows where calls go and whether the key is present, never the key', async () => {
    // the key is bound to the version's URL (the secrets rule), as whoever starts Concur would do
    const { ws, criterion } = setup({ env: { CONCUR_KEYS: 'CONCUR_TEST_PRESENT_KEY=http://127.0.0.1:9/v1', CONCUR_TEST_PRESENT_KEY: SECRET } });
    const v = ws.addVersion(criterion, { template: TEMPLATE, model: 'm', apiKeyEnv: 'CONCUR_TEST_PRESENT_KEY', baseUrl: 'http://127.0.0.1:9/v1' });
    {
      const app = await buildTestApp({ workspace: ws, webRoot: '/nonexistent' });
      const r = await app.inject({ method: 'GET', url: `/api/versions/${v.id}` });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ apiKeyEnv: 'CONCUR_TEST_PRESENT_KEY', endpoint: { keyPresent: true, baseUrl: 'http://127.0.0.1:9/v1' } });
      expect(r.body).not.toContain(SECRET);
      const list = await app.inject({ method: 'GET', url: `/api/criteria/${criterion.id}/versions` });
      expect(list.body).not.toContain(SECRET);
      await app.close();
    }
  });
});
