import { afterEach, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { seed, type SeedItem } from '../support/seed.ts';
import { buildTestApp } from '../support/app.ts';
import { failureModesCommand } from '../../server/cli/converge-actions.ts';
import type { FastifyInstance } from 'fastify';

let t: ReturnType<typeof tempWorkspace> | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; t?.cleanup(); t = undefined; });

const FEATURES = ['billing', 'refunds', 'plans'];
/** 60 items f-00..f-59: every third fails, the rest pass; f-57..f-59 are unlabelled. Splits come from the ids' hash. */
const ITEMS: SeedItem[] = Array.from({ length: 60 }, (_, i) => {
  const id = `f-${String(i).padStart(2, '0')}`;
  const dimensions = { feature: FEATURES[i % 3]!, persona: i % 2 ? 'admin' : 'owner' };
  if (i >= 57) return { id, dimensions };
  return { id, dimensions, verdict: i % 3 === 0 ? 'fail' : 'pass', critique: i % 3 === 0 ? `fails: quotes "wrong amount ${i}"` : 'fine' };
});

async function setup() {
  t = tempWorkspace();
  const s = seed(t.ws, ITEMS);
  app = await buildTestApp({ workspace: t.ws });
  const items = t.ws.repos.items.all(s.dataset.id);
  const ext = (id: number) => items.find((i) => i.id === id)!.externalId;
  const byExt = (e: string) => s.byId.get(e)!;
  const failing = items.filter((i) => Number(i.externalId.slice(2)) % 3 === 0 && Number(i.externalId.slice(2)) < 57);
  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const r = await app!.inject({ method, url: `/api${url}`, payload });
    return { status: r.statusCode, body: r.json() };
  };
  return { ws: t.ws, ...s, items, ext, byExt, failing, api };
}

describe('failure-mode tags (open coding)', () => {
  it('tags failing items, normalises case and spaces in the vocabulary, and removes a tag', async () => {
    const { criterion, failing, api } = await setup();
    const [a, b] = failing;
    expect((await api('POST', `/criteria/${criterion.id}/items/${a!.id}/failure-tags`, { tag: '  Wrong   amount ' })).status).toBe(201);
    const r = await api('POST', `/criteria/${criterion.id}/items/${b!.id}/failure-tags`, { tag: 'wrong amount' });
    expect(r.body).toEqual([expect.objectContaining({ itemId: b!.id, tag: 'wrong amount', key: 'wrong amount', annotator: 'expert' })]);
    await api('POST', `/criteria/${criterion.id}/items/${b!.id}/failure-tags`, { tag: 'Tone' });
    // the same tag again on the same item, in another case, is not a second tag
    await api('POST', `/criteria/${criterion.id}/items/${b!.id}/failure-tags`, { tag: 'TONE' });
    const vocab = await api('GET', `/criteria/${criterion.id}/failure-tags`);
    expect(vocab.body).toEqual([{ tag: 'wrong amount', key: 'wrong amount', items: 2 }, { tag: 'Tone', key: 'tone', items: 1 }]);
    const after = await api('DELETE', `/criteria/${criterion.id}/items/${b!.id}/failure-tags`, { tag: 'tone' });
    expect(after.body.map((x: { tag: string }) => x.tag)).toEqual(['wrong amount']);
    expect((await api('GET', `/criteria/${criterion.id}/items/${b!.id}/failure-tags`)).body).toHaveLength(1);
  });

  it('refuses a tag on a passing or unlabelled item, and keeps tags apart from judge root causes', async () => {
    const { ws, criterion, byExt, api } = await setup();
    const pass = await api('POST', `/criteria/${criterion.id}/items/${byExt('f-01').id}/failure-tags`, { tag: 'x' });
    expect(pass.status).toBe(409);
    expect(pass.body.error).toMatch(/failing items: save a failing label for item "f-01" first/);
    expect((await api('POST', `/criteria/${criterion.id}/items/${byExt('f-57').id}/failure-tags`, { tag: 'x' })).status).toBe(409);
    expect((await api('POST', `/criteria/${criterion.id}/items/${byExt('f-00').id}/failure-tags`, { tag: '' })).status).toBe(400);
    await api('POST', `/criteria/${criterion.id}/items/${byExt('f-00').id}/failure-tags`, { tag: 'refund' });
    expect(ws.repos.rootCauses.byItem(criterion.id).size).toBe(0);
  });
});

describe('grouping critiques (axial coding) by the experts\' tags', () => {
  it('proposes one mode per distinct tag over failing train and dev items, never test items', async () => {
    const { ws, criterion, failing, api, ext } = await setup();
    // tag every failing item, test items included, half "Wrong amount", half "tone"
    for (const [n, i] of failing.entries()) ws.repos.failureModes.addTag(criterion.id, i.id, n % 2 ? 'tone' : (n % 4 ? 'Wrong amount' : 'wrong  AMOUNT'), 'expert');
    const testFailing = failing.filter((i) => i.split === 'test');
    expect(testFailing.length).toBeGreaterThan(0);
    const r = await api('POST', `/criteria/${criterion.id}/failure-modes/group`, { by: 'maria' });
    expect(r.status).toBe(200);
    const p = r.body as { modes: Array<{ name: string; items: number[] }>; critiques: Array<{ itemId: number; split: string }>; unassigned: number[]; splits: string[]; source: string };
    expect(p).toMatchObject({ source: 'tags', splits: ['train', 'dev'] });
    const every = [...p.modes.flatMap((m) => m.items), ...p.critiques.map((c) => c.itemId), ...p.unassigned];
    for (const id of every) expect(ws.item(id).split).not.toBe('test');
    const trainDev = failing.filter((i) => i.split !== 'test');
    expect(p.critiques.map((c) => ext(c.itemId)).sort()).toEqual(trainDev.map((i) => i.externalId).sort());
    // three spellings of one tag make one mode, named by the most used spelling
    expect(p.modes.map((m) => m.name).sort()).toEqual(['Wrong amount', 'tone']);
    expect(p.modes.reduce((s, m) => s + m.items.length, 0)).toBe(trainDev.length);
    // a test split cannot be asked for
    expect((await api('POST', `/criteria/${criterion.id}/failure-modes/group`, { by: 'maria', splits: ['test'] })).status).toBe(400);
  });

  it('accepts renamed and merged modes with their items and splits; refuses test items, duplicates and empty modes', async () => {
    const { ws, criterion, failing, api } = await setup();
    const trainDev = failing.filter((i) => i.split !== 'test');
    const test = failing.find((i) => i.split === 'test')!;
    const [one, two, ...rest] = trainDev;
    const bad = await api('POST', `/criteria/${criterion.id}/failure-modes`, { by: 'maria', modes: [{ name: 'wrong amount', definition: 'd', items: [one!.id, test.id] }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: 'modes[0].items' });
    expect(bad.body.error).toMatch(/is a test item: failure modes are built from train and dev items only/);
    const dup = await api('POST', `/criteria/${criterion.id}/failure-modes`, { by: 'maria', modes: [{ name: 'A', definition: '', items: [one!.id] }, { name: ' a ', definition: '', items: [two!.id] }] });
    expect(dup.status).toBe(400);
    expect(dup.body.field).toBe('modes[1].name');
    const pass = await api('POST', `/criteria/${criterion.id}/failure-modes`, { by: 'maria', modes: [{ name: 'A', definition: '', items: [ws.repos.items.byExternalId(criterion.datasetId, 'f-01')!.id] }] });
    expect(pass.body.error).toMatch(/no current failing expert label/);
    expect(ws.repos.failureModes.accepted(criterion.id)).toEqual([]);

    const ok = await api('POST', `/criteria/${criterion.id}/failure-modes`, {
      by: 'maria', modes: [{ name: 'Wrong amount', definition: 'The reply states an amount the account does not show.', items: [one!.id, two!.id] }, { name: 'other', definition: 'Anything else.', items: rest.map((i) => i.id) }],
    });
    expect(ok.status).toBe(201);
    const list = (await api('GET', `/criteria/${criterion.id}/failure-modes`)).body;
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ name: 'Wrong amount', builtFromSplits: ['train', 'dev'], source: 'tags', accepted: true, createdBy: 'maria', items: [one!.id, two!.id].sort((a, b) => a - b) });
    expect(list[0].itemDetails[0]).toMatchObject({ externalId: expect.stringMatching(/^f-/), critique: expect.stringContaining('wrong amount') });
    const again = await api('POST', `/criteria/${criterion.id}/failure-modes`, { by: 'maria', modes: [{ name: 'Wrong amount', definition: '', items: [one!.id] }] });
    expect(again.body.error).toMatch(/already accepted/);
  });

  it('groups and accepts through the CLI command functions', async () => {
    const { ws, criterion, failing } = await setup();
    for (const i of failing) ws.repos.failureModes.addTag(criterion.id, i.id, 'wrong amount', 'expert');
    expect(await failureModesCommand(ws, 'list', { dataset: 'ds', criterion: 'correct' })).toMatch(/no accepted failure modes yet/);
    expect(await failureModesCommand(ws, 'group', { dataset: 'ds', criterion: 'correct', by: 'maria' })).toMatch(/proposed 1 failure mode/);
    expect(await failureModesCommand(ws, 'accept', { dataset: 'ds', criterion: 'correct', by: 'maria' })).toBe('accepted 1 failure mode(s): wrong amount');
    expect(ws.repos.failureModes.pending(criterion.id)).toEqual([]);
    await expect(failureModesCommand(ws, 'accept', { dataset: 'ds', criterion: 'correct', by: 'maria' })).rejects.toThrow(/no pending proposal/);
    expect(await failureModesCommand(ws, 'rates', { dataset: 'ds', criterion: 'correct' })).toMatch(/^wrong amount: \d+\/\d+ = /);
  });
});

describe('failure-mode rates by slice', () => {
  it('gives each split and dimension value k/n with Wilson intervals, over labelled train+dev items, ranked by lower bound', async () => {
    const { ws, criterion, failing, items, api } = await setup();
    const trainDev = failing.filter((i) => i.split !== 'test');
    const mode = trainDev.filter((i) => i.dimensions.feature === 'billing');
    await api('POST', `/criteria/${criterion.id}/failure-modes`, { by: 'maria', modes: [{ name: 'billing errors', definition: 'd', items: mode.map((i) => i.id) }] });
    const [r] = (await api('GET', `/criteria/${criterion.id}/failure-modes/rates`)).body;
    // independent count of the population: labelled (f-00..f-56), train or dev
    const population = items.filter((i) => Number(i.externalId.slice(2)) < 57 && i.split !== 'test');
    expect(r.overall).toMatchObject({ n: population.length, k: mode.length });
    expect(r.population).toBe(`items with a current, non-ambiguous expert label in train+dev (n = ${population.length})`);
    const billing = r.slices.find((s: { dimension: string; value: string }) => s.dimension === 'feature' && s.value === 'billing');
    expect(billing).toMatchObject({ n: population.filter((i) => i.dimensions.feature === 'billing').length, k: mode.length });
    expect(r.slices.find((s: { dimension: string; value: string }) => s.dimension === 'feature' && s.value === 'plans')).toMatchObject({ k: 0, items: [] });
    expect(r.slices.some((s: { value: string }) => s.value === 'test')).toBe(false);
    // ranked by the lower bound of the interval
    const lows = r.slices.map((s: { rate: { low: number } }) => s.rate.low);
    expect([...lows].sort((a, b) => b - a)).toEqual(lows);
    expect(r.slices[0]).toMatchObject({ dimension: 'feature', value: 'billing' });
    // pinned figures for these counts; see the next test for the independent values
    expect(ws.repos.failureModes.accepted(criterion.id)[0]!.items).toEqual(mode.map((i) => i.id).sort((a, b) => a - b));
  });

  it('matches statsmodels proportion_confint(method="wilson")', async () => {
    const { failureModeRates } = await import('../../shared/metrics/failure-mode-rates.ts');
    // 13 items in a slice "feature=a", 4 of them assigned; 7 in "feature=b", 0 assigned
    const population = [
      ...Array.from({ length: 13 }, (_, i) => ({ id: i + 1, split: 'dev' as const, dimensions: { feature: 'a' } })),
      ...Array.from({ length: 7 }, (_, i) => ({ id: i + 100, split: 'train' as const, dimensions: { feature: 'b' } })),
    ];
    const [r] = failureModeRates(population, [{ id: 1, name: 'm', items: [1, 2, 3, 4, 999] }]);
    const a = r!.slices.find((s) => s.value === 'a')!;
    const overall = r!.overall;
    // python3 -c "from statsmodels.stats.proportion import proportion_confint as p; print(p(4,13,method='wilson'), p(4,20,method='wilson'), p(0,7,method='wilson'))"
    // -> (0.12680703655710507, 0.5763065681945096) (0.080657662579798, 0.4160174322518936) (2.7755575615628914e-17, 0.3543304350666875)
    expect(a).toMatchObject({ n: 13, k: 4, small: false, items: [1, 2, 3, 4] });
    expect(a.rate.low).toBeCloseTo(0.12680703655710507, 9);
    expect(a.rate.high).toBeCloseTo(0.5763065681945096, 9);
    expect(overall).toMatchObject({ n: 20, k: 4 });
    expect(overall.rate.low).toBeCloseTo(0.080657662579798, 9);
    expect(overall.rate.high).toBeCloseTo(0.4160174322518936, 9);
    const b = r!.slices.find((s) => s.value === 'b')!;
    expect(b).toMatchObject({ n: 7, k: 0, small: true });
    expect(b.rate.high).toBeCloseTo(0.3543304350666875, 9);
    expect(r!.slices.map((s) => `${s.dimension}=${s.value}`)).toEqual(['feature=a', 'split=dev', 'feature=b', 'split=train']);
  });
});

describe('specialised criterion from a failure mode', () => {
  it('makes a binary criterion whose suggested labels count in no metric until an expert confirms them', async () => {
    const { ws, criterion, failing, byExt, api } = await setup();
    const trainDev = failing.filter((i) => i.split !== 'test');
    const [inMode, ...others] = trainDev;
    await api('POST', `/criteria/${criterion.id}/failure-modes`, { by: 'maria', modes: [{ name: 'Wrong amount', definition: 'States an amount the account does not show.', items: [inMode!.id] }, { name: 'rest', definition: '', items: others.map((i) => i.id) }] });
    const mode = ws.repos.failureModes.accepted(criterion.id)[0]!;
    const made = await api('POST', `/failure-modes/${mode.id}/criterion`, {});
    expect(made.status).toBe(201);
    const specialised = made.body.criterion;
    expect(specialised).toMatchObject({ name: 'Wrong amount', scale: 'binary', datasetId: criterion.datasetId });
    const passed = 38; // f-00..f-56 with i % 3 !== 0
    const failingTest = failing.filter((i) => i.split === 'test').length;
    expect(made.body.suggested).toEqual({ fail: 1, pass: passed + others.length });
    expect((await api('POST', `/failure-modes/${mode.id}/criterion`, {})).status).toBe(409);

    const suggestions = (await api('GET', `/criteria/${specialised.id}/suggested-labels`)).body;
    const mine = suggestions.find((s: { itemId: number }) => s.itemId === inMode!.id);
    expect(mine).toMatchObject({ verdict: 'fail', pending: true, fromModeId: mode.id });
    expect(mine.critique).toBe(`States an amount the account does not show.\n\nfails: quotes "wrong amount ${Number(inMode!.externalId.slice(2))}"`);
    // failing test items were never looked at by the grouping: no suggestion for them
    expect(suggestions).toHaveLength(1 + passed + others.length);
    expect(failingTest).toBeGreaterThan(0);

    // no metric sees them: no labels, no progress, no report population
    const detail = (await api('GET', `/criteria/${specialised.id}`)).body;
    expect(detail.progress.train.labelled + detail.progress.dev.labelled + detail.progress.test.labelled).toBe(0);
    expect((await api('GET', `/criteria/${specialised.id}/labels`)).body).toEqual([]);

    const confirmed = await api('POST', `/criteria/${specialised.id}/items/${inMode!.id}/suggested-label/confirm`, { expectedId: null });
    expect(confirmed.status).toBe(201);
    expect(confirmed.body).toMatchObject({ verdict: 'fail', annotator: 'expert', itemId: inMode!.id });
    const after = (await api('GET', `/criteria/${specialised.id}`)).body;
    expect(after.progress[inMode!.split].labelled).toBe(1);
    expect((await api('GET', `/criteria/${specialised.id}/suggested-labels`)).body.find((s: { itemId: number }) => s.itemId === inMode!.id).pending).toBe(false);
    // confirming twice against a stale expectedId is a conflict, like any label save
    expect((await api('POST', `/criteria/${specialised.id}/items/${inMode!.id}/suggested-label/confirm`, { expectedId: null })).status).toBe(409);
    expect((await api('POST', `/criteria/${specialised.id}/items/${byExt('f-57').id}/suggested-label/confirm`, { expectedId: null })).status).toBe(404);
  });
});
