import { afterEach, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { jsonl, rowCounts, seed, source } from '../support/seed.ts';
import { buildTestApp } from '../support/app.ts';
import { LabelConflictError } from '../../server/db/index.ts';
import { InputError } from '../../server/services/records.ts';
import { ValidationError } from '../../server/services/errors.ts';
import type { Label } from '../../shared/types.ts';

let t: ReturnType<typeof tempWorkspace>;
afterEach(() => t?.cleanup());

/** A dataset of four unlabelled items and a criterion whose principal expert is "maria". */
function setup() {
  t = tempWorkspace();
  const s = seed(t.ws, ['i1', 'i2', 'i3', 'i4'].map((id) => ({ id })), { principal: 'maria' });
  const item = (id: string) => s.byId.get(id)!.id;
  return { ws: t.ws, ...s, item };
}

describe('labels: append-only history', () => {
  it('keeps every change as a new row, oldest first, with annotator and time', () => {
    const { ws, criterion, item } = setup();
    const a = ws.saveLabel(criterion, { itemId: item('i1'), verdict: 'pass', critique: 'looks right', ambiguous: false, expectedId: null });
    const b = ws.saveLabel(criterion, { itemId: item('i1'), verdict: 'fail', critique: 'missed the refund rule', ambiguous: false, expectedId: a.id });
    const history = ws.repos.labels.history(criterion.id, item('i1'));
    expect(history.map((l) => [l.id, l.annotator, l.verdict, l.critique])).toEqual([
      [a.id, 'maria', 'pass', 'looks right'],
      [b.id, 'maria', 'fail', 'missed the refund rule'],
    ]);
    for (const l of history) expect(Date.parse(l.createdAt)).not.toBeNaN();
    expect(ws.repos.labels.currentByItem(criterion.id, 'maria').get(item('i1'))!.id).toBe(b.id);
  });

  it('refuses UPDATE on the labels table at the SQL level', () => {
    const { ws, criterion, item } = setup();
    const l = ws.saveLabel(criterion, { itemId: item('i1'), verdict: 'pass', critique: 'ok', ambiguous: false, expectedId: null });
    expect(() => ws.repos.db.prepare(`UPDATE labels SET verdict = 'fail' WHERE id = ?`).run(l.id)).toThrow(/labels are append-only/);
    expect(() => ws.repos.db.prepare(`UPDATE labels SET critique = 'rewritten'`).run()).toThrow(/append-only/);
    expect(ws.repos.labels.get(l.id)).toMatchObject({ verdict: 'pass', critique: 'ok' });
  });

  it('a label re-import equal to the current label adds nothing to the history', () => {
    const { ws, criterion } = setup();
    const file = jsonl([{ id: 'i1', verdict: 'pass', critique: 'fine' }, { id: 'i2', verdict: 'fail', critique: 'wrong' }]);
    expect(ws.importLabels(criterion, source('l.jsonl', file))).toEqual({ added: 2, unchanged: 0, total: 2, warnings: [], moreWarnings: 0 });
    expect(ws.importLabels(criterion, source('l.jsonl', file))).toEqual({ added: 0, unchanged: 2, total: 2, warnings: [], moreWarnings: 0 });
    const changed = jsonl([{ id: 'i1', verdict: 'pass', critique: 'fine' }, { id: 'i2', verdict: 'pass', critique: 'on reflection, fine' }]);
    expect(ws.importLabels(criterion, source('l2.jsonl', changed))).toEqual({ added: 1, unchanged: 1, total: 2, warnings: [], moreWarnings: 0 });
    expect(ws.repos.db.prepare('SELECT count(*) AS n FROM labels').get()).toEqual({ n: 3 });
  });
});

describe('labels: the current label is the principal expert\'s latest', () => {
  it('ignores other annotators when deciding the current label', () => {
    const { ws, criterion, item } = setup();
    ws.importLabels(criterion, source('maria.jsonl', jsonl([{ id: 'i1', verdict: 'pass', critique: 'm1' }, { id: 'i2', verdict: 'fail', critique: 'm2' }])));
    // a second annotator labels afterwards, disagreeing, and labels an item maria has not
    ws.importLabels(criterion, source('sam.jsonl', jsonl([{ id: 'i1', verdict: 'fail', critique: 's1' }, { id: 'i3', verdict: 'pass', critique: 's3' }])), 'sam');
    ws.saveLabel(criterion, { itemId: item('i2'), annotator: 'sam', verdict: 'pass', critique: 's2', ambiguous: false, expectedId: null });

    const current = ws.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
    expect([...current.values()].map((l) => [l.itemId, l.annotator, l.verdict])).toEqual(
      expect.arrayContaining([[item('i1'), 'maria', 'pass'], [item('i2'), 'maria', 'fail']]));
    expect(current.size).toBe(2);
    expect(current.has(item('i3'))).toBe(false);
    // the other annotator's labels are kept (human–human agreement)
    expect(ws.repos.labels.currentByItem(criterion.id, 'sam').get(item('i1'))!.verdict).toBe('fail');
    expect(ws.repos.labels.annotators(criterion.id)).toEqual([{ annotator: 'sam', n: 3 }, { annotator: 'maria', n: 2 }]);
    // export (the principal by default) shows maria's labels only
    expect(ws.exportLabels(criterion).map((r) => [r.id, r.verdict, r.annotator])).toEqual([['i1', 'pass', 'maria'], ['i2', 'fail', 'maria']]);
  });

  it('an annotator column in the file records who labelled', () => {
    const { ws, criterion, item } = setup();
    ws.importLabels(criterion, source('mixed.jsonl', jsonl([{ id: 'i1', verdict: 'pass', annotator: 'sam' }, { id: 'i2', verdict: 'fail' }])));
    expect(ws.repos.labels.latest(criterion.id, item('i1'), 'sam')!.verdict).toBe('pass');
    expect(ws.repos.labels.latest(criterion.id, item('i2'), 'maria')!.verdict).toBe('fail');
  });
});

describe('labels: ambiguous flag', () => {
  it('keeps an ambiguous label with or without a verdict', () => {
    const { ws, criterion, item } = setup();
    ws.importLabels(criterion, source('amb.jsonl', jsonl([
      { id: 'i1', verdict: '', ambiguous: true, critique: 'policy is unclear' },
      { id: 'i2', verdict: 'fail', ambiguous: 'yes', critique: 'probably wrong' },
      { id: 'i3', verdict: 'pass', ambiguous: 'false' },
    ])));
    const cur = ws.repos.labels.currentByItem(criterion.id, 'maria');
    expect(cur.get(item('i1'))).toMatchObject({ verdict: null, ambiguous: true, critique: 'policy is unclear' });
    expect(cur.get(item('i2'))).toMatchObject({ verdict: 'fail', ambiguous: true });
    expect(cur.get(item('i3'))).toMatchObject({ verdict: 'pass', ambiguous: false });
    const saved = ws.saveLabel(criterion, { itemId: item('i4'), verdict: null, critique: 'cannot tell', ambiguous: true, expectedId: null });
    expect(saved).toMatchObject({ verdict: null, ambiguous: true });
  });

  it('requires a verdict unless the label is ambiguous', () => {
    const { ws, criterion, item } = setup();
    expect(() => ws.saveLabel(criterion, { itemId: item('i1'), verdict: null, critique: '', ambiguous: false, expectedId: null }))
      .toThrow(ValidationError);
    const err = (() => { try { ws.importLabels(criterion, source('l.jsonl', jsonl([{ id: 'i1', critique: 'no verdict' }]))); } catch (e) { return e as InputError; } })();
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ file: 'l.jsonl', line: 1, field: 'verdict' });
  });
});

describe('labels: verdict synonyms', () => {
  it('accepts 1/0, true/false and PASS/FAIL in JSONL (as numbers, booleans and text)', () => {
    const { ws, criterion, item } = setup();
    ws.importLabels(criterion, source('syn.jsonl', jsonl([
      { id: 'i1', verdict: 1 }, { id: 'i2', verdict: 0 }, { id: 'i3', verdict: true }, { id: 'i4', verdict: false },
    ])));
    const cur = ws.repos.labels.currentByItem(criterion.id, 'maria');
    expect(['i1', 'i2', 'i3', 'i4'].map((id) => cur.get(item(id))!.verdict)).toEqual(['pass', 'fail', 'pass', 'fail']);
  });

  it('accepts them as CSV text, any case, with surrounding spaces', () => {
    const { ws, criterion, item } = setup();
    ws.importLabels(criterion, source('syn.csv', 'id,verdict,critique\ni1,PASS,a\ni2, FAIL ,b\ni3,True,c\ni4,0,d\n'));
    const cur = ws.repos.labels.currentByItem(criterion.id, 'maria');
    expect(['i1', 'i2', 'i3', 'i4'].map((id) => cur.get(item(id))!.verdict)).toEqual(['pass', 'fail', 'pass', 'fail']);
  });

  it('rejects a bad verdict naming the file, line and field, and imports nothing', () => {
    const { ws, criterion } = setup();
    ws.importLabels(criterion, source('first.jsonl', jsonl([{ id: 'i4', verdict: 'pass' }])));
    const before = rowCounts(ws.repos.db);
    const text = jsonl([{ id: 'i1', verdict: 'pass' }, { id: 'i2', verdict: 'fail' }, { id: 'i3', verdict: 'maybe' }]);
    let err: unknown;
    try { ws.importLabels(criterion, source('bad.jsonl', text)); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ file: 'bad.jsonl', line: 3, field: 'verdict' });
    expect((err as Error).message).toMatch(/^bad\.jsonl:3: field "verdict": "maybe" is not a verdict/);
    expect(rowCounts(ws.repos.db)).toEqual(before);
  });

  it('rejects a label for an unknown item naming the line and the id field', () => {
    const { ws, criterion } = setup();
    const before = rowCounts(ws.repos.db);
    expect(() => ws.importLabels(criterion, source('x.csv', 'id,verdict\ni1,pass\nnope,fail\n'))).toThrow(/^x\.csv:3: field "id": no item "nope"/);
    expect(rowCounts(ws.repos.db)).toEqual(before);
  });
});

describe('labels: optimistic concurrency', () => {
  it('saveLabel with a stale expectedId throws LabelConflictError carrying the current label, and writes nothing', () => {
    const { ws, criterion, item } = setup();
    const first = ws.saveLabel(criterion, { itemId: item('i1'), verdict: 'pass', critique: 'v1', ambiguous: false, expectedId: null });
    const second = ws.saveLabel(criterion, { itemId: item('i1'), verdict: 'fail', critique: 'v2 by another tab', ambiguous: false, expectedId: first.id });
    const before = rowCounts(ws.repos.db);
    let err: unknown;
    try {
      ws.saveLabel(criterion, { itemId: item('i1'), verdict: 'pass', critique: 'v3 from a stale screen', ambiguous: false, expectedId: first.id });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LabelConflictError);
    expect((err as LabelConflictError).current).toMatchObject({ id: second.id, verdict: 'fail', critique: 'v2 by another tab' });
    expect(rowCounts(ws.repos.db)).toEqual(before);
  });

  it('expectedId null conflicts when a label already exists', () => {
    const { ws, criterion, item } = setup();
    ws.saveLabel(criterion, { itemId: item('i2'), verdict: 'pass', critique: '', ambiguous: false, expectedId: null });
    expect(() => ws.saveLabel(criterion, { itemId: item('i2'), verdict: 'fail', critique: '', ambiguous: false, expectedId: null })).toThrow(LabelConflictError);
  });

  it('another annotator\'s label does not make the principal\'s save stale', () => {
    const { ws, criterion, item } = setup();
    const mine = ws.saveLabel(criterion, { itemId: item('i3'), verdict: 'pass', critique: '', ambiguous: false, expectedId: null });
    ws.saveLabel(criterion, { itemId: item('i3'), annotator: 'sam', verdict: 'fail', critique: '', ambiguous: false, expectedId: null });
    expect(ws.saveLabel(criterion, { itemId: item('i3'), verdict: 'fail', critique: 'changed', ambiguous: false, expectedId: mine.id }).verdict).toBe('fail');
  });
});

describe('POST /api/criteria/:id/labels', () => {
  async function app() {
    const s = setup();
    return { ...s, app: await buildTestApp({ workspace: s.ws, webRoot: '/nonexistent' }) };
  }

  it('saves a label (201) and answers 409 with the current label when expectedId is stale', async () => {
    const { app: a, criterion, item, ws } = await app();
    const url = `/api/criteria/${criterion.id}/labels`;
    const r1 = await a.inject({ method: 'POST', url, payload: { itemId: item('i1'), verdict: 'pass', critique: 'fine', expectedId: null } });
    expect(r1.statusCode).toBe(201);
    const l1 = r1.json() as Label;
    expect(l1).toMatchObject({ itemId: item('i1'), annotator: 'maria', verdict: 'pass', critique: 'fine', ambiguous: false });

    const r2 = await a.inject({ method: 'POST', url, payload: { itemId: item('i1'), verdict: 'FAIL', critique: 'no', expectedId: l1.id } });
    expect(r2.statusCode).toBe(201);
    const l2 = r2.json() as Label;
    expect(l2.verdict).toBe('fail');

    const before = rowCounts(ws.repos.db);
    const r3 = await a.inject({ method: 'POST', url, payload: { itemId: item('i1'), verdict: 'pass', critique: 'stale', expectedId: l1.id } });
    expect(r3.statusCode).toBe(409);
    const body = r3.json() as { error: string; current: Label };
    expect(body.error).toMatch(/changed by someone else/);
    expect(body.current).toMatchObject({ id: l2.id, verdict: 'fail', critique: 'no' });
    expect(rowCounts(ws.repos.db)).toEqual(before);

    const hist = await a.inject({ method: 'GET', url: `/api/criteria/${criterion.id}/items/${item('i1')}/labels` });
    expect((hist.json() as Label[]).map((l) => l.verdict)).toEqual(['pass', 'fail']);
    await a.close();
  });

  it('of two concurrent saves from the same starting point, one wins and the other gets 409', async () => {
    const { app: a, criterion, item, ws } = await app();
    const url = `/api/criteria/${criterion.id}/labels`;
    const base = (await a.inject({ method: 'POST', url, payload: { itemId: item('i2'), verdict: 'pass', critique: 'v1', expectedId: null } })).json() as Label;
    const [r1, r2] = await Promise.all([
      a.inject({ method: 'POST', url, payload: { itemId: item('i2'), verdict: 'fail', critique: 'tab A', expectedId: base.id } }),
      a.inject({ method: 'POST', url, payload: { itemId: item('i2'), verdict: 'pass', critique: 'tab B', expectedId: base.id } }),
    ]);
    expect([r1.statusCode, r2.statusCode].sort()).toEqual([201, 409]);
    const winner = (r1.statusCode === 201 ? r1 : r2).json() as Label;
    const loser = (r1.statusCode === 409 ? r1 : r2).json() as { current: Label };
    expect(loser.current.id).toBe(winner.id);
    expect(ws.repos.labels.history(criterion.id, item('i2'))).toHaveLength(2);
    await a.close();
  });

  it('answers 400 naming the verdict field for a value that is not a verdict', async () => {
    const { app: a, criterion, item } = await app();
    const r = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/labels`, payload: { itemId: item('i1'), verdict: 'meh', critique: '', expectedId: null } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ field: 'verdict' });
    await a.close();
  });

  it('answers 400 for an item of another dataset', async () => {
    const { app: a, criterion, ws } = await app();
    ws.importItems('other', source('o.jsonl', jsonl([{ id: 'o1', input: 'i', output: 'o' }])));
    const other = ws.repos.items.byExternalId(ws.dataset('other').id, 'o1')!;
    const r = await a.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/labels`, payload: { itemId: other.id, verdict: 'pass', critique: '', expectedId: null } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ field: 'itemId' });
    await a.close();
  });
});
