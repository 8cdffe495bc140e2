import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../support/app.ts';
import { requireWebBuild } from '../../server/main.ts';
import { UserError } from '../../server/services/errors.ts';
import { judgeWorkspace } from '../judge/helpers.ts';
import { concur } from '../support/cli.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); vi.restoreAllMocks(); });

async function setup() {
  const s = judgeWorkspace({ baseUrl: 'http://127.0.0.1:9', items: 6 });
  const app: FastifyInstance = await buildTestApp({ workspace: s.ws });
  cleanups.push(s.cleanup, () => app.close());
  return { ...s, app };
}

describe('errors are typed and mapped once to HTTP', () => {
  it('a refused run plan answers 400 with a code (no message matching) and writes nothing', async () => {
    const s = await setup();
    const swap = await s.app.inject({ method: 'POST', url: `/api/criteria/${s.criterion.id}/runs`, payload: { version: 'latest', split: 'all', swap: true } });
    expect(swap.statusCode).toBe(400);
    expect(swap.json()).toEqual({ error: 'swap: a position swap applies only to pairwise criteria', code: 'swap_not_pairwise', field: 'swap' });

    const none = s.ws.addCriterion('ds', { name: 'unlabelled' });
    s.ws.addVersion(none, { template: 'Judge {{input}} {{output}}', model: 'm', baseUrl: 'http://127.0.0.1:9', apiKeyEnv: 'TEST_KEY' });
    for (const url of [`/api/criteria/${none.id}/runs`, `/api/criteria/${none.id}/runs/cost-preview`]) {
      const empty = await s.app.inject({ method: 'POST', url, payload: { version: 'latest', split: 'all' } });
      expect(empty.statusCode, url).toBe(400);
      expect(empty.json(), url).toMatchObject({ code: 'no_items', field: 'split', error: expect.stringMatching(/^split: no labelled items in the all split/) });
    }
    expect(s.ws.repos.runs.list(none.id)).toEqual([]);
    expect(s.ws.repos.runs.list(s.criterion.id)).toEqual([]);
  });

  it('a missing thing answers 404 with its code', async () => {
    const s = await setup();
    const missing = await s.app.inject({ method: 'GET', url: '/api/runs/999' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'no run #999', code: 'not_found' });
  });

  it('a defect answers 500 with a summary and an error id, never its details; stderr carries both', async () => {
    const s = await setup();
    s.app.get('/defect', async () => { throw new Error('secret internal detail'); });
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string) => { written.push(String(chunk)); return true; }) as typeof process.stderr.write);
    const res = await s.app.inject({ method: 'GET', url: '/defect?x=1' });
    vi.mocked(process.stderr.write).mockRestore();
    expect(res.statusCode).toBe(500);
    const body = res.json() as { error: string; code: string; errorId: string };
    expect(body.code).toBe('internal');
    expect(body.errorId).toMatch(/^[0-9a-f]{8}$/);
    expect(body.error).toBe(`internal error ${body.errorId} while handling GET /defect; the server's log (stderr) has the details under this id — retry, and if it fails again report those lines`);
    expect(res.body).not.toContain('secret');
    const log = written.join('');
    expect(log).toContain(`concur: error ${body.errorId} on GET /defect: Error: secret internal detail`);
    expect(log).toMatch(/\n\s+at /); // the stack
  });
});

describe('start-up and CLI errors: one line, exit 2', () => {
  let dir = '';
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'concur-errors-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file that is not a database, and a workspace from a newer Concur', async () => {
    const notDb = join(dir, 'notes.sqlite');
    writeFileSync(notDb, 'just some text, not SQLite\n'.repeat(200));
    const r = await concur(['datasets', 'list', '--db', notDb]);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `concur: cannot open workspace ${notDb}: the file is not a Concur workspace (not an SQLite database)\n` });

    const newer = join(dir, 'newer.sqlite');
    const db = new Database(newer);
    db.pragma('user_version = 999');
    db.close();
    const n = await concur(['report', '--db', newer, '--dataset', 'd', '--criterion', 'c']);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/^concur: cannot open workspace .*newer\.sqlite: workspace schema version 999 is newer than this Concur \(\d+\); upgrade Concur\n$/);
    const debug = await concur(['report', '--db', newer, '--dataset', 'd', '--criterion', 'c'], { CONCUR_DEBUG: '1' });
    expect(debug.code).toBe(2);
    expect(debug.stderr.split('\n').length).toBeGreaterThan(3);
    expect(debug.stderr).toMatch(/\n\s+at migrate /);
  });

  it('a run over a split with no labelled items', async () => {
    const db = join(dir, 'empty.sqlite');
    const items = join(dir, 'items.jsonl');
    writeFileSync(items, '{"id": "a", "input": "i", "output": "o"}\n');
    const template = join(dir, 't.md');
    writeFileSync(template, 'Judge {{input}} {{output}}');
    for (const args of [['import', items, '--dataset', 'd'], ['criteria', 'add', '--dataset', 'd', '--name', 'c'], ['prompt', 'add', '--dataset', 'd', '--criterion', 'c', '--template', template, '--model', 'm']]) {
      expect((await concur([...args, '--db', db])).code).toBe(0);
    }
    const r = await concur(['run', '--db', db, '--dataset', 'd', '--criterion', 'c', '--split', 'all'], { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:9' });
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'concur: split: no labelled items in the all split of this dataset to judge; label some items first (or choose another split)\n' });
  });

  it('serving without a built web app says how to build it', () => {
    expect(() => requireWebBuild(join(dir, 'no-web'))).toThrow(UserError);
    expect(() => requireWebBuild(join(dir, 'no-web'))).toThrow(`the web app is not built (${join(dir, 'no-web')} is missing): run npm install (or npm run build)`);
  });
});
