/**
 * Engine tasks that are not judge runs — the optimizer's proposer and model-backed failure-mode
 * grouping — against the rubric stand-in (tests/support/rubric-model.ts, docs/stand-in.md), and
 * the record of every model call (model_calls) for tasks and judge runs alike.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI } from '../support/openai-server.ts';
import { FAILURE_MODES_SCHEMA, PROPOSAL_SCHEMA, rubricRespond, LEARNED_RULES_HEADING, schemaName } from '../support/rubric-model.ts';
import { ruleDataset, RULE_DATASET_ANNOTATOR } from '../support/rule-dataset.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { source } from '../support/seed.ts';
import { buildTestApp } from '../support/app.ts';
import { concur } from '../support/cli.ts';
import { FAST_PROVIDER, judgeWorkspace, testEnv, waitFor } from './helpers.ts';
import { Workspace } from '../../server/services/workspace.ts';
import { openWorkspace } from '../../server/db/index.ts';
import { ValidationError } from '../../server/errors.ts';
import { TaskFailedError } from '../../server/judge/engine.ts';
import type { Criterion, Item } from '../../shared/types.ts';

const BIN = fileURLToPath(new URL('../../bin/concur.js', import.meta.url));
const STAND_IN = { model: 'stand-in', apiKeyEnv: 'none' } as const;

let fake: FakeOpenAI | undefined;
const cleanups: Array<() => void | Promise<void>> = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
  await fake?.close();
  fake = undefined;
});

const schemaOf = schemaName;
const userText = (r: ChatRequest) => r.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n\n');

/** A release valve for the stand-in: requests wait until `open()` (or answer at once when open). */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((r) => { release = r; });
  return { opened, open: () => release() };
}

function ruleWorkspace(url: string) {
  const t = tempWorkspace({ env: testEnv(url), provider: FAST_PROVIDER });
  const data = ruleDataset();
  t.ws.importItems('rules', source('items.jsonl', data.itemsJsonl));
  const criterion: Criterion = t.ws.addCriterion('rules', { name: 'policy', description: 'The reply follows the billing policy', principalAnnotator: RULE_DATASET_ANNOTATOR });
  t.ws.importLabels(criterion, source('labels.jsonl', data.labelsJsonl));
  cleanups.push(t.cleanup);
  const labels = t.ws.repos.labels.currentByItem(criterion.id, RULE_DATASET_ANNOTATOR);
  const items = t.ws.repos.items.all(criterion.datasetId);
  const failing = (split: Item['split']) => items.filter((i) => i.split === split && labels.get(i.id)?.verdict === 'fail');
  /** The naive judge passes everything: every failing item is a disagreement. */
  const disagreements = (split: Item['split']) => failing(split).map((i) => ({
    itemId: i.id, expertVerdict: 'fail', judgeVerdict: 'pass', expertCritique: labels.get(i.id)!.critique, judgeCritique: 'Looks fine.',
  }));
  return { ...t, criterion, data, items, failing, disagreements };
}

describe('the proposer task', () => {
  it('sends the stand-in layout, returns the parsed proposal, records the call, and a second identical call is cached', async () => {
    fake = await startFakeOpenAI({ respond: rubricRespond });
    const s = ruleWorkspace(fake.url);
    const inputs = { criterionId: s.criterion.id, criterion: { name: 'policy' }, version: { template: s.data.naiveTemplate }, trainDisagreements: s.disagreements('train') };
    expect(inputs.trainDisagreements.length).toBeGreaterThan(2);

    const p = await s.ws.engine.propose(inputs, { ...STAND_IN, baseUrl: fake.url });
    expect(p.template).toContain(LEARNED_RULES_HEADING);
    expect(p.template.startsWith(s.data.naiveTemplate.trimEnd())).toBe(true);
    expect(p.changes.length).toBeGreaterThan(0);
    expect(p.rationale).toMatch(/^Learned \d+ rules?/);
    expect(fake.count()).toBe(1);
    const req = fake.requests[0]!;
    expect(schemaOf(req)).toBe(PROPOSAL_SCHEMA);
    const text = userText(req);
    expect(text).toMatch(/^## Current template\n(`{3,})\n[\s\S]*\n\1$/m);
    const first = s.ws.repos.items.get(inputs.trainDisagreements[0]!.itemId)!;
    expect(text).toContain(`## Disagreements\nItem: ${first.externalId}\nExpert verdict: fail\nJudge verdict: pass\nExpert critique: `);

    const calls = s.ws.repos.tasks.calls(p.taskId);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ taskKind: 'propose', baseUrl: fake.url, model: 'stand-in', cached: false, error: null, attempts: 1 });
    expect(calls[0]!.requestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(calls[0]!.promptTokens).toBeGreaterThan(0);
    expect(calls[0]!.completionTokens).toBeGreaterThan(0);
    expect(JSON.parse(calls[0]!.reply!).template).toBe(p.template);
    expect(s.ws.engine.tasks.get(p.taskId)).toMatchObject({ status: 'done', kind: 'propose', baseUrl: fake.url, model: 'stand-in' });

    const again = await s.ws.engine.propose(inputs, { ...STAND_IN, baseUrl: fake.url });
    expect(again.template).toBe(p.template);
    expect(fake.count()).toBe(1); // not asked again
    expect(again.taskId).not.toBe(p.taskId);
    expect(s.ws.repos.tasks.calls(again.taskId)).toMatchObject([{ cached: true, requestHash: calls[0]!.requestHash, promptTokens: 0, cost: 0 }]);
  });

  it('refuses any dev or test item before anything is stored or sent (the split is read from the workspace)', async () => {
    fake = await startFakeOpenAI({ respond: rubricRespond });
    const s = ruleWorkspace(fake.url);
    const tasksBefore = s.ws.repos.db.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number };
    for (const split of ['dev', 'test'] as const) {
      const leak = s.disagreements(split)[0]!;
      const inputs = { criterion: { name: 'policy' }, version: { template: s.data.naiveTemplate }, trainDisagreements: [...s.disagreements('train'), leak] };
      const err = await s.ws.engine.propose(inputs, { ...STAND_IN, baseUrl: fake.url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toContain(`is in the ${split} split: the proposer reads train items only`);
      // a failure mode built from a non-train item is refused too
      const viaMode = { criterion: { name: 'policy' }, version: { template: s.data.naiveTemplate }, trainDisagreements: s.disagreements('train'),
        failureModes: [{ name: 'x', definition: 'y', items: [leak.itemId] }] };
      await expect(s.ws.engine.propose(viaMode, { ...STAND_IN, baseUrl: fake.url })).rejects.toThrow(/failure modes built from train items only/);
    }
    expect(fake.count()).toBe(0);
    expect(s.ws.repos.db.prepare('SELECT count(*) AS n FROM tasks').get()).toEqual(tasksBefore);
  });

  it('is cancellable while its call is in flight: the task ends cancelled and records no call', async () => {
    const g = gate();
    fake = await startFakeOpenAI({ respond: async (req) => { await g.opened; return rubricRespond(req); } });
    const s = ruleWorkspace(fake.url);
    const pending = s.ws.engine.propose({ criterion: { name: 'policy' }, version: { template: s.data.naiveTemplate }, trainDisagreements: s.disagreements('train') },
      { ...STAND_IN, baseUrl: fake.url }).catch((e: unknown) => e);
    await waitFor(() => fake!.count() === 1, 'the proposer request');
    const task = s.ws.repos.tasks.unfinished()[0]!;
    expect(s.ws.engine.tasks.cancel(task.id)).toBe(true);
    const err = await pending;
    g.open();
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(s.ws.engine.tasks.get(task.id)).toMatchObject({ status: 'cancelled', message: 'cancelled by the user', result: null });
    expect(s.ws.repos.tasks.calls(task.id)).toEqual([]);
  });

  it('a reply that is not a proposal fails the task with the reply kept in its call record', async () => {
    fake = await startFakeOpenAI({ respond: () => JSON.stringify({ error: 'no fenced template' }) });
    const s = ruleWorkspace(fake.url);
    const err = await s.ws.engine.propose({ criterion: { name: 'policy' }, version: { template: 'x' }, trainDisagreements: [] }, { ...STAND_IN, baseUrl: fake.url })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    const task = (err as TaskFailedError).task;
    expect(task).toMatchObject({ status: 'failed', message: 'unusable reply: the model answered with an error: no fenced template' });
    expect(s.ws.repos.tasks.calls(task.id)).toMatchObject([{ reply: '{"error":"no fenced template"}', error: task.message }]);
  });

  it('refuses a key that the secrets rule does not bind to the URL, before anything is stored or sent', async () => {
    fake = await startFakeOpenAI({ respond: rubricRespond });
    const s = ruleWorkspace(fake.url);
    await expect(s.ws.engine.propose({ criterion: { name: 'policy' }, version: { template: 'x' }, trainDisagreements: [] },
      { model: 'm', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'TEST_KEY' })).rejects.toThrow(/TEST_KEY/);
    expect(fake.count()).toBe(0);
    expect(s.ws.repos.tasks.unfinished()).toEqual([]);
  });
});

describe('the failure-mode grouping task', () => {
  it('groups failing train+dev critiques with the model, maps items back, records and caches the call; refuses test items', async () => {
    fake = await startFakeOpenAI({ respond: rubricRespond });
    const s = ruleWorkspace(fake.url);
    const critiques = [...s.failing('train'), ...s.failing('dev')].map((i) => ({ itemId: i.id, critique: s.ws.repos.labels.currentByItem(s.criterion.id, RULE_DATASET_ANNOTATOR).get(i.id)!.critique }));
    const g = await s.ws.engine.groupCritiques({ criterion: { name: 'policy' }, critiques }, { ...STAND_IN, baseUrl: fake.url });
    expect(schemaOf(fake.requests[0]!)).toBe(FAILURE_MODES_SCHEMA);
    expect(userText(fake.requests[0]!)).toContain(`## Critiques\nItem: ${s.ws.repos.items.get(critiques[0]!.itemId)!.externalId}\nCritique: `);
    const names = g.modes.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['refund-guaranteed', 'effective-today']));
    const assigned = new Set(g.modes.flatMap((m) => m.items));
    expect([...assigned].every((id) => critiques.some((c) => c.itemId === id))).toBe(true); // internal ids of the items sent
    expect(assigned.size).toBe(critiques.length);
    expect(s.ws.repos.tasks.calls(g.taskId)).toMatchObject([{ taskKind: 'group-critiques', baseUrl: fake.url, model: 'stand-in', cached: false }]);

    await s.ws.engine.groupCritiques({ criterion: { name: 'policy' }, critiques }, { ...STAND_IN, baseUrl: fake.url });
    expect(fake.count()).toBe(1);

    const test = s.failing('test')[0]!;
    await expect(s.ws.engine.groupCritiques({ criterion: { name: 'policy' }, critiques: [...critiques, { itemId: test.id, critique: 'x' }] },
      { ...STAND_IN, baseUrl: fake.url })).rejects.toThrow(/is in the test split: grouping reads train and dev items only/);
    expect(fake.count()).toBe(1);
  });

  it('POST /api/criteria/:id/failure-modes/group with a model groups with it; without one it groups by tags; an unbound key is a 400', async () => {
    fake = await startFakeOpenAI({ respond: rubricRespond });
    const s = ruleWorkspace(fake.url);
    const app = await buildTestApp({ workspace: s.ws });
    cleanups.push(() => app.close());
    const url = `/api/criteria/${s.criterion.id}/failure-modes/group`;
    const byModel = await app.inject({ method: 'POST', url, payload: { by: 'ann', model: 'stand-in', baseUrl: fake.url, apiKeyEnv: 'none' } });
    expect(byModel.statusCode).toBe(200);
    expect(byModel.json().source).toBe('model');
    expect(byModel.json().modes.length).toBeGreaterThan(0);
    expect(fake.count()).toBe(1);
    const byTags = await app.inject({ method: 'POST', url, payload: { by: 'ann' } });
    expect(byTags.statusCode).toBe(200);
    expect(byTags.json().source).toBe('tags');
    const unbound = await app.inject({ method: 'POST', url, payload: { by: 'ann', model: 'm', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'TEST_KEY' } });
    expect(unbound.statusCode).toBe(400);
    const noModel = await app.inject({ method: 'POST', url, payload: { by: 'ann', baseUrl: fake.url } });
    expect(noModel.statusCode).toBe(400);
    expect(fake.count()).toBe(1);
  });

  it('kill -9 during `concur failure-modes group --model`: the watcher resumes the task; the finished proposer task is not asked again', async () => {
    const g = gate();
    let firstGroup = true;
    fake = await startFakeOpenAI({
      respond: async (req) => {
        if (schemaOf(req) === FAILURE_MODES_SCHEMA && firstGroup) { firstGroup = false; await g.opened; }
        return rubricRespond(req);
      },
    });
    const s = ruleWorkspace(fake.url);
    const done = await s.ws.engine.propose({ criterion: { name: 'policy' }, version: { template: s.data.naiveTemplate }, trainDisagreements: s.disagreements('train') },
      { ...STAND_IN, baseUrl: fake.url });
    s.ws.repos.db.close();

    const child = spawn(process.execPath, [BIN, 'failure-modes', 'group', '--db', s.path, '--dataset', 'rules', '--criterion', 'policy', '--by', 'ann',
      '--model', 'stand-in', '--base-url', fake.url, '--api-key-env', 'none'], { env: { ...process.env, ...testEnv(fake.url), CONCUR_LOG: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    const exited = new Promise((r) => child.on('exit', r));
    await waitFor(() => fake!.requests.some((r) => schemaOf(r) === FAILURE_MODES_SCHEMA), `the grouping request (stderr: ${stderr})`);
    child.kill('SIGKILL');
    await exited;
    g.open();

    const ws = new Workspace(openWorkspace(s.path), { env: testEnv(fake.url), provider: FAST_PROVIDER });
    cleanups.push(() => { ws.repos.db.close(); });
    const left = ws.repos.tasks.unfinished();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ kind: 'group-critiques', status: 'running' });
    const countAfterKill = fake.count();
    const logs: string[] = [];
    const stop = ws.engine.watchForAbandonedRuns((l) => logs.push(l), 50);
    cleanups.push(stop);
    await waitFor(() => ws.repos.tasks.get(left[0]!.id)!.status === 'done', 'the resumed task');
    expect(logs).toContain(`resuming task ${left[0]!.id} (group-critiques)`);
    const after = fake.requests.slice(countAfterKill);
    expect(after.map(schemaOf)).toEqual([FAILURE_MODES_SCHEMA]); // the interrupted call once more; the proposer never again
    expect(ws.repos.tasks.get(done.taskId)!.status).toBe('done');
    expect(ws.repos.tasks.calls(left[0]!.id)).toHaveLength(1);
    expect((ws.repos.tasks.get(left[0]!.id)!.result as { modes: unknown[] }).modes.length).toBeGreaterThan(0);
  });
});

describe('the same task call is never sent twice', () => {
  const inputsOf = (s: ReturnType<typeof ruleWorkspace>) => ({ criterionId: s.criterion.id, criterion: { name: 'policy' }, version: { template: s.data.naiveTemplate }, trainDisagreements: s.disagreements('train') });

  it('a second identical propose while the first is in flight joins it: one task, one request', async () => {
    const g = gate();
    fake = await startFakeOpenAI({ respond: async (req) => { await g.opened; return rubricRespond(req); } });
    const s = ruleWorkspace(fake.url);
    const first = s.ws.engine.propose(inputsOf(s), { ...STAND_IN, baseUrl: fake.url });
    await waitFor(() => fake!.count() === 1, 'the proposer request');
    const second = s.ws.engine.propose(inputsOf(s), { ...STAND_IN, baseUrl: fake.url });
    g.open();
    const [a, b] = await Promise.all([first, second]);
    expect(b.taskId).toBe(a.taskId);
    expect(b.template).toBe(a.template);
    expect(s.ws.repos.db.prepare(`SELECT count(*) AS n FROM tasks WHERE kind = 'propose'`).get()).toEqual({ n: 1 });
    expect(fake.count()).toBe(1);
  });

  it('a call left unfinished by a killed process is reused by the replay (the resumed optimization), so the watcher has nothing left to send', async () => {
    fake = await startFakeOpenAI({ respond: rubricRespond });
    const s = ruleWorkspace(fake.url);
    // what kill -9 leaves: the task stored, its lease held by a process that no longer exists
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.on('exit', r));
    const other = new Workspace(openWorkspace(s.path), { env: testEnv(fake.url), provider: FAST_PROVIDER, owner: `${(await import('node:os')).hostname()}:${dead.pid}` });
    cleanups.push(() => { other.repos.db.close(); });
    const { proposeKind } = await import('../../server/judge/tasks/propose.ts');
    const orphan = other.engine.tasks.create(proposeKind, inputsOf(s), { ...STAND_IN, baseUrl: fake.url }, s.criterion.id);
    other.repos.tasks.setStatus(orphan.id, 'running');
    const p = await s.ws.engine.propose(inputsOf(s), { ...STAND_IN, baseUrl: fake.url });
    expect(p.taskId).toBe(orphan.id);
    expect(s.ws.engine.tasks.resumable()).toEqual([]);
    expect(s.ws.repos.db.prepare(`SELECT count(*) AS n FROM tasks WHERE kind = 'propose'`).get()).toEqual({ n: 1 });
    expect(fake.count()).toBe(1);
  });

  it('while another live process executes the same call, the replay waits for its result instead of sending it again', async () => {
    const g = gate();
    fake = await startFakeOpenAI({ respond: async (req) => { await g.opened; return rubricRespond(req); } });
    const s = ruleWorkspace(fake.url);
    const other = new Workspace(openWorkspace(s.path), { env: testEnv(fake.url), provider: FAST_PROVIDER, owner: 'elsewhere:watcher' });
    cleanups.push(() => { other.repos.db.close(); });
    const theirs = other.engine.propose(inputsOf(s), { ...STAND_IN, baseUrl: fake.url });
    await waitFor(() => fake!.count() === 1, 'the other process\'s proposer request');
    const mine = s.ws.engine.propose(inputsOf(s), { ...STAND_IN, baseUrl: fake.url });
    g.open();
    const [a, b] = await Promise.all([theirs, mine]);
    expect(b.taskId).toBe(a.taskId);
    expect(fake.count()).toBe(1);
  });
});

describe('the call record of judge runs', () => {
  let s: ReturnType<typeof judgeWorkspace>;
  beforeEach(async () => {
    fake = await startFakeOpenAI();
    s = judgeWorkspace({ baseUrl: fake.url, items: 12 });
    cleanups.push(s.cleanup);
  });

  it('writes one model_calls row per request with the run\'s base URL and model, and a cached rerun records cached calls', async () => {
    const run = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', samples: 2 }).id);
    expect(run.status).toBe('done');
    const calls = s.ws.repos.tasks.callsOfRun(run.id);
    expect(calls).toHaveLength(fake!.count());
    expect(calls).toHaveLength(24);
    expect(new Set(calls.map((c) => `${c.itemId}:${c.sample}`)).size).toBe(24);
    for (const c of calls) {
      expect(c).toMatchObject({ taskKind: 'judge', runId: run.id, taskId: null, baseUrl: fake!.url, model: 'gpt-4o-mini', cached: false, error: null });
      expect(c.requestHash).toMatch(/^[0-9a-f]{64}$/);
    }
    const j = s.ws.repos.runs.judgments(run.id);
    expect(calls.map((c) => c.promptTokens).reduce((a, b) => a + b)).toBe(j.map((x) => x.promptTokens).reduce((a, b) => a + b));

    const rerun = await s.ws.engine.execute(s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', samples: 2 }).id);
    expect(fake!.count()).toBe(24);
    const cachedCalls = s.ws.repos.tasks.callsOfRun(rerun.id);
    expect(cachedCalls).toHaveLength(24);
    expect(cachedCalls.every((c) => c.cached)).toBe(true);
    expect(new Set(cachedCalls.map((c) => c.requestHash))).toEqual(new Set(calls.map((c) => c.requestHash)));
  });

  it('runs record the base URL, model and settings they used, resolved at execute time, in GET /api/runs/:id and `runs list`', async () => {
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all' });
    expect(planned).toMatchObject({ baseUrl: null, model: null, settings: null });
    await s.ws.engine.execute(planned.id);
    const expected = { baseUrl: fake!.url, model: 'gpt-4o-mini', settings: { apiKeyEnv: 'TEST_KEY', temperature: s.version.temperature, maxTokens: 200, seed: s.version.seed } };
    expect(s.ws.run(planned.id)).toMatchObject(expected);
    const app = await buildTestApp({ workspace: s.ws });
    cleanups.push(() => app.close());
    const res = await app.inject({ method: 'GET', url: `/api/runs/${planned.id}` });
    expect(res.json()).toMatchObject(expected);
    s.ws.repos.db.close();
    const out = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'runs', 'list', '--db', s.path, '--dataset', 'ds', '--criterion', 'ok', '--format', 'json'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let o = ''; c.stdout!.on('data', (d) => { o += d; }); c.on('exit', () => resolve(o));
    });
    expect(JSON.parse(out)[0]).toMatchObject(expected);
  });
});

describe('tasks and the call record over HTTP and the CLI', () => {
  const events = (body: string) => [...body.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]!) }));

  it('lists a task, shows it with its recorded call, follows it to its end over SSE and cancels it', async () => {
    const g = gate();
    fake = await startFakeOpenAI({ respond: async (req) => { await g.opened; return rubricRespond(req); } });
    const s = ruleWorkspace(fake.url);
    const app = await buildTestApp({ workspace: s.ws });
    cleanups.push(() => app.close());
    const inputs = { criterion: { name: 'policy' }, version: { template: s.data.naiveTemplate }, trainDisagreements: s.disagreements('train') };
    // a task in flight: its events stream until the cancel ends it
    const pending = s.ws.engine.propose(inputs, { ...STAND_IN, baseUrl: fake.url }).catch((e: unknown) => e);
    await waitFor(() => fake!.count() === 1, 'the proposer request');
    const running = s.ws.repos.tasks.unfinished()[0]!;
    const stream = app.inject({ method: 'GET', url: `/api/tasks/${running.id}/events` });
    const cancelled = await app.inject({ method: 'POST', url: `/api/tasks/${running.id}/cancel` });
    expect(cancelled.statusCode).toBe(200);
    expect(await pending).toBeInstanceOf(TaskFailedError);
    const got = events((await stream).body);
    expect(got[0]).toMatchObject({ event: 'task', data: { id: running.id, kind: 'propose', status: 'running' } });
    expect(got.at(-1)).toMatchObject({ event: 'end', data: { id: running.id, status: 'cancelled', message: 'cancelled by the user' } });
    g.open();
    // a task that ends: listed newest first, shown with its one recorded call
    const p = await s.ws.engine.propose(inputs, { ...STAND_IN, baseUrl: fake.url });
    // (these proposer calls name no criterion: every task is listed; the criterion's own list has none)
    const list = await app.inject({ url: '/api/tasks' });
    expect(list.json().map((t: { id: number; status: string }) => [t.id, t.status])).toEqual([[p.taskId, 'done'], [running.id, 'cancelled']]);
    expect((await app.inject({ url: `/api/tasks?criterion=${s.criterion.id}` })).json()).toEqual([]);
    const shown = (await app.inject({ url: `/api/tasks/${p.taskId}` })).json();
    expect(shown).toMatchObject({ id: p.taskId, kind: 'propose', status: 'done', baseUrl: fake.url, model: 'stand-in', settings: { apiKeyEnv: '' } });
    expect(shown.result).toMatchObject({ template: p.template });
    const calls = (await app.inject({ url: `/api/tasks/${p.taskId}/calls` })).json();
    expect(calls.total).toBe(1);
    expect(calls.calls[0]).toMatchObject({ taskKind: 'propose', taskId: p.taskId, runId: null, baseUrl: fake.url, model: 'stand-in', cached: false, error: null });
    expect(calls.calls[0].requestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(calls.calls[0].promptTokens).toBeGreaterThan(0);
    // an ended task streams itself and its end at once; cancelling it changes nothing
    expect(events((await app.inject({ url: `/api/tasks/${p.taskId}/events` })).body).map((e) => e.event)).toEqual(['task', 'end']);
    expect((await app.inject({ method: 'POST', url: `/api/tasks/${p.taskId}/cancel` })).json()).toMatchObject({ status: 'done' });
    // unknown ids and bad pages say why
    expect((await app.inject({ url: '/api/tasks/999' })).json()).toMatchObject({ error: 'no task #999' });
    expect((await app.inject({ url: '/api/tasks/999' })).statusCode).toBe(404);
    const bad = await app.inject({ url: '/api/tasks?limit=0' });
    expect([bad.statusCode, bad.json().error]).toEqual([400, 'limit: a whole number from 1 to 1000']);
    expect((await app.inject({ url: `/api/tasks?criterion=999` })).statusCode).toBe(404);
    // the CLI lists and shows the same records
    s.ws.repos.db.close();
    const listed = await concur(['tasks', 'list', '--db', s.path, '--format', 'json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((t: { id: number }) => t.id)).toEqual([p.taskId, running.id]);
    const show = await concur(['tasks', 'show', String(p.taskId), '--db', s.path, '--format', 'json']);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: p.taskId, status: 'done', calls: [{ taskKind: 'propose', requestHash: calls.calls[0].requestHash }] });
    const table = await concur(['tasks', 'show', String(p.taskId), '--db', s.path]);
    expect(table.stdout).toContain(`task ${p.taskId} (propose): done; stand-in at ${fake.url}`);
    const missing = await concur(['tasks', 'cancel', '999', '--db', s.path]);
    expect([missing.code, missing.stderr.trim()]).toEqual([2, 'concur: no task #999']);
  });

  it("pages a judge run's recorded calls (one per item × sample) over HTTP and the CLI", async () => {
    fake = await startFakeOpenAI({});
    const s = judgeWorkspace({ baseUrl: fake.url, items: 6 });
    cleanups.push(s.cleanup);
    const run = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', samples: 2 });
    await s.ws.engine.execute(run.id);
    const app = await buildTestApp({ workspace: s.ws });
    cleanups.push(() => app.close());
    const all = (await app.inject({ url: `/api/runs/${run.id}/calls?limit=1000` })).json();
    expect(all.total).toBe(12);
    expect(new Set(all.calls.map((c: { itemId: number; sample: number }) => `${c.itemId}:${c.sample}`)).size).toBe(12);
    expect(all.calls.every((c: { taskKind: string; runId: number; model: string }) => c.taskKind === 'judge' && c.runId === run.id && c.model === 'gpt-4o-mini')).toBe(true);
    const page = (await app.inject({ url: `/api/runs/${run.id}/calls?limit=5&offset=10` })).json();
    expect([page.total, page.calls.map((c: { id: number }) => c.id)]).toEqual([12, all.calls.slice(10).map((c: { id: number }) => c.id)]);
    expect((await app.inject({ url: `/api/runs/${run.id}/calls?offset=-1` })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/runs/999/calls' })).statusCode).toBe(404);
    s.ws.repos.db.close();
    const cli = await concur(['tasks', 'calls', String(run.id), '--db', s.path, '--limit', '3']);
    expect(cli.code).toBe(0);
    expect(cli.stdout.trim().split('\n').at(-1)).toBe('3 of 12 calls');
    // no task in this workspace: the empty list says why in words
    const none = await concur(['tasks', 'list', '--db', s.path]);
    expect(none.stdout.trim()).toBe("no engine tasks yet: the optimizer's proposer and failure-mode grouping with a model create them (judge runs: concur runs list)");
  });
});
