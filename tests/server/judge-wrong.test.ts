import { afterEach, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { jsonl, rowCounts, seed, source } from '../support/seed.ts';
import { buildTestApp } from '../support/app.ts';

let t: ReturnType<typeof tempWorkspace>;
afterEach(() => t?.cleanup());

/** "Keep label — judge wrong" is a decision stored in the workspace, not in one browser. */
describe('judge-wrong decisions', () => {
  function setup() {
    t = tempWorkspace();
    const s = seed(t.ws, [{ id: 'a', verdict: 'fail' }, { id: 'b', verdict: 'pass' }, { id: 'c', verdict: 'fail' }, { id: 'd' }], { principal: 'maria' });
    const run = t.ws.importRun(s.criterion, source('v.jsonl', jsonl([{ id: 'a', verdict: 'pass' }, { id: 'b', verdict: 'pass' }, { id: 'c', verdict: 'pass' }])), 'external');
    const other = t.ws.importRun(s.criterion, source('w.jsonl', jsonl([{ id: 'a', verdict: 'pass' }])), 'other');
    return { ...s, run, other, id: (x: string) => s.byId.get(x)!.id };
  }

  it('records who kept which label against which run, once, for every reader, and counts it in the error analysis', async () => {
    const { criterion, run, other, id } = setup();
    const app = await buildTestApp({ workspace: t.ws });
    try {
      const post = (body: object) => app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/judge-wrong`, payload: body });
      const first = await post({ runId: run.id, itemId: id('a') });
      expect(first.statusCode).toBe(201);
      const d = first.json();
      expect(d).toMatchObject({ runId: run.id, itemId: id('a'), criterionId: criterion.id, annotator: 'maria', labelId: t.ws.repos.labels.latest(criterion.id, id('a'), 'maria')!.id });
      expect(Date.parse(d.decidedAt)).not.toBeNaN();
      // the first decision stands: a second click (another tab, another name) returns it unchanged
      const again = await post({ runId: run.id, itemId: id('a'), annotator: 'maria' });
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual(d);
      expect((await post({ runId: run.id, itemId: id('c') })).statusCode).toBe(201);
      expect((await post({ runId: other.id, itemId: id('a') })).statusCode).toBe(201);

      const list = await app.inject(`/api/criteria/${criterion.id}/judge-wrong?run=${run.id}`);
      expect(list.statusCode).toBe(200);
      expect(list.json().map((r: { itemId: number }) => r.itemId).sort()).toEqual([id('a'), id('c')].sort());

      const ea = await app.inject(`/api/criteria/${criterion.id}/error-analysis`);
      expect(ea.statusCode).toBe(200);
      // items a and c; three decisions (a twice: two runs); two runs
      expect(ea.json().judgeWrong).toEqual({ items: 2, decisions: 3, runs: 2 });
    } finally { await app.close(); }
  });

  it('refuses, changing nothing, an item the run never judged, an unlabelled item, and another criterion\'s run', async () => {
    const { criterion, run, id } = setup();
    const app = await buildTestApp({ workspace: t.ws });
    try {
      const c2 = t.ws.addCriterion('ds', { name: 'other', principalAnnotator: 'maria' });
      const before = rowCounts(t.ws.repos.db);
      const post = (body: object, cid = criterion.id) => app.inject({ method: 'POST', url: `/api/criteria/${cid}/judge-wrong`, payload: body });
      const notJudged = await post({ runId: run.id, itemId: id('d') });
      expect(notJudged.statusCode).toBe(400);
      expect(notJudged.json().error).toMatch(/did not judge item "d"/);
      const nobody = await post({ runId: run.id, itemId: id('a'), annotator: 'joe' });
      expect(nobody.statusCode).toBe(400);
      expect(nobody.json().error).toMatch(/joe has no label on item "a"/);
      expect((await post({ runId: run.id, itemId: id('a') }, c2.id)).statusCode).toBe(404);
      expect((await post({ runId: run.id, itemId: id('a'), extra: 1 })).statusCode).toBe(400);
      expect(rowCounts(t.ws.repos.db)).toEqual(before);
    } finally { await app.close(); }
  });
});
