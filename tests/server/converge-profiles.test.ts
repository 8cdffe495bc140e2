/**
 * Endpoint profiles in the Converge loop (issue 12): the optimizer's proposer and the failure-mode
 * grouper resolve a profile by name (URL, key variable under the secrets rule, default model),
 * through the API and the CLI, against the rubric stand-in (tests/support/rubric-model.ts) with a
 * profile whose key is 'none'. Every figure here is the stand-in's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI } from '../support/openai-server.ts';
import { FAILURE_MODES_SCHEMA, JUDGE_SCHEMA, PROPOSAL_SCHEMA, rubricRespond, schemaName } from '../support/rubric-model.ts';
import { ruleDataset, RULE_DATASET_ANNOTATOR } from '../support/rule-dataset.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { source } from '../support/seed.ts';
import { buildTestApp } from '../support/app.ts';
import { concur } from '../support/cli.ts';
import { FAST_PROVIDER } from '../judge/helpers.ts';
import { openWorkspace } from '../../server/db/index.ts';
import { Workspace } from '../../server/services/workspace.ts';
import type { Optimization } from '../../shared/optimizer-schemas.ts';

let fake: FakeOpenAI | undefined;
let app: FastifyInstance | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await app?.close(); app = undefined;
  for (const c of cleanups.splice(0)) c();
  await fake?.close(); fake = undefined;
});

const schemaOf = schemaName;

async function setup() {
  fake = await startFakeOpenAI({ respond: rubricRespond });
  const t = tempWorkspace({ provider: FAST_PROVIDER });
  cleanups.push(t.cleanup);
  const data = ruleDataset();
  t.ws.importItems('billing', source('items.jsonl', data.itemsJsonl));
  const criterion = t.ws.addCriterion('billing', { name: 'policy', description: 'The reply follows the billing policy', principalAnnotator: RULE_DATASET_ANNOTATOR, targetAgreement: 0.9 });
  t.ws.importLabels(criterion, source('labels.jsonl', data.labelsJsonl));
  // the judge goes straight to the stand-in; the proposer and grouper go through a profile with key 'none'
  const v1 = t.ws.addVersion(criterion, { template: data.naiveTemplate, model: 'judge-model', baseUrl: fake.url, apiKeyEnv: 'none', temperature: 0 });
  t.ws.repos.profiles.create({ name: 'standin', baseUrl: fake.url, apiKeyEnv: '', model: 'proposer-model', rpm: null, tpm: null, maxReplyBytes: null });
  return { ...t, criterion, v1 };
}

describe('the proposer through an endpoint profile', () => {
  it('API: proposerProfile sends the proposer calls to the profile with its model, records it, and refuses an unknown profile or a key the URL may not get', async () => {
    const s = await setup();
    app = await buildTestApp({ workspace: s.ws });
    const post = async (url: string, payload: object) => { const r = await app!.inject({ method: 'POST', url: `/api${url}`, payload }); return { status: r.statusCode, body: r.json() }; };

    const preview = await post(`/criteria/${s.criterion.id}/optimizations/cost-preview`, { strategies: ['rewrite'], candidates: 1, proposerProfile: 'standin' });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ judgeModel: 'judge-model', proposerModel: 'proposer-model' });

    const unknown = await post(`/criteria/${s.criterion.id}/optimizations`, { strategies: ['rewrite'], proposerProfile: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no endpoint profile named "nope"/);
    const both = await post(`/criteria/${s.criterion.id}/optimizations`, { strategies: ['rewrite'], proposerProfile: 'standin', proposer: { baseUrl: fake!.url } });
    expect(both.status).toBe(400);
    expect(both.body.error).toMatch(/proposerProfile/);
    // a profile saved before the rule changed (or written directly): a cloud key bound to another URL is refused before anything is sent
    s.ws.repos.profiles.create({ name: 'leaky', baseUrl: fake!.url, apiKeyEnv: 'OPENAI_API_KEY', model: 'm', rpm: null, tpm: null, maxReplyBytes: null });
    const leaky = await post(`/criteria/${s.criterion.id}/optimizations`, { strategies: ['rewrite'], proposerProfile: 'leaky' });
    expect(leaky.status).toBe(400);
    expect(leaky.body.error).toMatch(/OPENAI_API_KEY/);
    expect(fake!.count()).toBe(0);
    expect(s.ws.repos.optimizations.list(s.criterion.id)).toEqual([]);

    const started = await post(`/criteria/${s.criterion.id}/optimizations`, { strategies: ['rewrite'], candidates: 1, proposerProfile: 'standin' });
    expect(started.status).toBe(202);
    let o: Optimization = started.body;
    while (['queued', 'running'].includes(o.status)) { await new Promise((r) => setTimeout(r, 50)); o = (await app.inject({ method: 'GET', url: `/api/optimizations/${o.id}` })).json(); }
    expect(o.status, o.message).toBe('done');
    expect(o.proposer).toEqual({ model: 'proposer-model', baseUrl: fake!.url, apiKeyEnv: 'none', profile: 'standin' });
    const proposer = fake!.requests.filter((r) => schemaOf(r) === PROPOSAL_SCHEMA);
    expect(proposer.length).toBe(1);
    expect(proposer[0]!.model).toBe('proposer-model');
    for (const r of fake!.requests.filter((x) => schemaOf(x) === JUDGE_SCHEMA)) expect(r.model).toBe('judge-model');
    expect(o.proposerCalls).toBe(1);
  });

  it('CLI: --proposer-profile (and --proposer-model over its default) reaches the proposer; an unknown profile exits non-zero naming it', async () => {
    const s = await setup();
    s.ws.repos.db.close();
    const bad = await concur(['optimize', '--db', s.path, '--dataset', 'billing', '--criterion', 'policy', '--strategy', 'rewrite', '--proposer-profile', 'nope']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/no endpoint profile named "nope"/);
    expect(fake!.count()).toBe(0);
    const r = await concur(['optimize', '--db', s.path, '--dataset', 'billing', '--criterion', 'policy', '--strategy', 'rewrite', '--candidates', '1',
      '--proposer-profile', 'standin', '--proposer-model', 'bigger-model', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 proposer calls \(bigger-model\)/);
    const o = JSON.parse(r.stdout) as Optimization;
    expect(o.status).toBe('done');
    expect(o.proposer).toMatchObject({ model: 'bigger-model', profile: 'standin', baseUrl: fake!.url });
    expect(fake!.requests.filter((x) => schemaOf(x) === PROPOSAL_SCHEMA).map((x) => x.model)).toEqual(['bigger-model']);
  });
});

describe('failure-mode grouping through an endpoint profile', () => {
  it('CLI: concur failure-modes group --profile P groups with its default model (or --model), train and dev critiques only', async () => {
    const s = await setup();
    const items = s.ws.repos.items.all(s.criterion.datasetId);
    const testInputs = items.filter((i) => i.split === 'test').map((i) => i.input);
    s.ws.repos.db.close();
    const base = ['failure-modes', 'group', '--db', s.path, '--dataset', 'billing', '--criterion', 'policy', '--by', 'maria'];
    const unknown = await concur([...base, '--profile', 'nope']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no endpoint profile named "nope"/);
    const both = await concur([...base, '--profile', 'standin', '--base-url', fake!.url]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--profile P\) or --base-url/);
    expect(fake!.count()).toBe(0);

    const r = await concur([...base, '--profile', 'standin']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^proposed [1-9]\d* failure mode\(s\) with proposer-model \(profile standin\) from the critiques of \d+ failing train\+dev items/);
    const grouping = fake!.requests.filter((x) => schemaOf(x) === FAILURE_MODES_SCHEMA);
    expect(grouping.map((x) => x.model)).toEqual(['proposer-model']);
    const text = grouping[0]!.messages.map((m) => m.content).join('\n');
    for (const input of testInputs) expect(text).not.toContain(input);

    const j = await concur([...base, '--profile', 'standin', '--model', 'other-model', '--format', 'json']);
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout).source).toBe('model');
    expect(fake!.requests.filter((x) => schemaOf(x) === FAILURE_MODES_SCHEMA).map((x) => x.model)).toEqual(['proposer-model', 'other-model']);
    const ws = new Workspace(openWorkspace(s.path));
    cleanups.push(() => ws.repos.db.close());
    expect(ws.repos.failureModes.pending(ws.criterion('billing', 'policy').id).length).toBeGreaterThan(0);
  });

  it('API: POST …/failure-modes/group with a profile groups with its model; an unknown profile is 404 and sends nothing', async () => {
    const s = await setup();
    app = await buildTestApp({ workspace: s.ws });
    const url = `/api/criteria/${s.criterion.id}/failure-modes/group`;
    const unknown = await app.inject({ method: 'POST', url, payload: { by: 'maria', profile: 'nope' } });
    expect(unknown.statusCode).toBe(404);
    const both = await app.inject({ method: 'POST', url, payload: { by: 'maria', profile: 'standin', apiKeyEnv: 'none' } });
    expect(both.statusCode).toBe(400);
    expect(fake!.count()).toBe(0);
    const r = await app.inject({ method: 'POST', url, payload: { by: 'maria', profile: 'standin' } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().source).toBe('model');
    expect(r.json().modes.length).toBeGreaterThan(0);
    expect(fake!.requests.map((x) => x.model)).toEqual(['proposer-model']);
  });
});
