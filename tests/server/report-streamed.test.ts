import { afterEach, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { buildSyntheticWorkspace, synthetic } from '../../server/db/synthetic.ts';
import { reportFromOutcomes } from '../../shared/metrics/report.ts';
import { compareOutcomes } from '../../shared/metrics/compare.ts';
import { annotatorAgreement } from '../../shared/metrics/annotators.ts';

let t: ReturnType<typeof tempWorkspace>;
afterEach(() => t?.cleanup());

describe('the streamed report of one-sample binary runs', () => {
  it('gives exactly the figures of the per-item path, also after labels change and across annotators', () => {
    t = tempWorkspace();
    const ws = t.ws;
    buildSyntheticWorkspace(ws.repos.db, 5000);
    const c = ws.criterion('big', 'correct');
    // labels change after judging: flip some, mark one ambiguous, clear one; the current label must follow
    for (const itemId of [10, 11, 12]) ws.repos.labels.append(c.id, { itemId, annotator: 'expert', verdict: synthetic.expertPass(itemId - 1) ? 'fail' : 'pass', critique: 'changed', ambiguous: false });
    ws.repos.labels.append(c.id, { itemId: 20, annotator: 'expert', verdict: null, critique: '', ambiguous: true });
    ws.repos.labels.append(c.id, { itemId: 50, annotator: 'expert', verdict: null, critique: '', ambiguous: false });
    // labelled items the run has no place for (as in an imported run that covers part of the set): notJudged on both paths
    ws.repos.db.prepare('DELETE FROM judgments WHERE run_id = 1 AND item_id BETWEEN 300 AND 360').run();
    ws.repos.db.prepare('DELETE FROM run_items WHERE run_id = 1 AND item_id BETWEEN 300 AND 360').run();
    expect(ws.report(c, { runId: 1, split: 'all' }).report.notJudged).toBeGreaterThan(40);
    for (const split of ['all', 'dev', 'test'] as const) {
      const streamed = ws.report(c, { runId: 1, split });
      const outcomes = ws.outcomes(c, ws.run(1), split, 'expert');
      const byItems = reportFromOutcomes(outcomes, c, split, { outputLength: (id) => ws.item(id).output.length });
      const { annotators, ...rest } = streamed.report;
      expect(rest).toEqual({ ...byItems, consistency: { ...byItems.consistency } });
      expect(streamed.outcomes).toEqual(outcomes);
      // human–human agreement and the judge against the second annotator, as over all current labels
      // (over the run's own items: the labelled items it has no place for are notJudged outcomes only)
      const planned = new Set(ws.repos.runs.itemIds(1));
      const ids = new Set(outcomes.map((o) => o.item.id).filter((id) => planned.has(id)));
      expect({ ...annotators, judge: undefined }).toEqual({ ...annotatorAgreement(ws.repos.labels.allCurrent(c.id), ['pass', 'fail'], ids), judge: undefined });
      const second = reportFromOutcomes(ws.outcomes(c, ws.run(1), split, 'second'), c, split, { slices: false });
      // ("second" labels every 50th item, all in train: listed on split all only)
      expect(annotators.annotators).toEqual(split === 'all' ? ['expert', 'second'] : ['expert']);
      if (split === 'all') expect(annotators.judge.find((j) => j.annotator === 'second')).toEqual({ annotator: 'second', n: second.n, agreement: second.agreement, kappa: second.kappa });
      expect(ws.compare(c, 1, 2, split)).toEqual({ a: 1, b: 2, split, ...compareOutcomes(outcomes, ws.outcomes(c, ws.run(2), split, 'expert')) });
    }
    expect(ws.report(c, { runId: 1 }).report.excluded).toMatchObject({ fewShot: 3, ambiguous: 6 });
    // another principal: the streamed figures (which read the principal's labels from the run's items) follow it
    ws.repos.criteria.setPrincipal(c.id, 'second');
    const c2 = ws.criterion('big', 'correct');
    expect(c2.principalAnnotator).toBe('second');
    const second = ws.outcomes(c2, ws.run(1), 'all', 'second');
    const { annotators: _a, ...streamed } = ws.report(c2, { runId: 1, split: 'all' }).report;
    expect(streamed).toEqual(reportFromOutcomes(second, c2, 'all', { outputLength: (id) => ws.item(id).output.length }));
    expect(streamed.n).toBeGreaterThan(90); // "second" labelled every 50th of 5,000 items
    expect(ws.headlineReport(c2, ws.run(1), 'all')).toEqual(reportFromOutcomes(second, c2, 'all', { slices: false }));
    expect(ws.compare(c2, 1, 2, 'all')).toEqual({ a: 1, b: 2, split: 'all', ...compareOutcomes(second, ws.outcomes(c2, ws.run(2), 'all', 'second')) });
  });

  it('counts the headline figures (dashboard, gate) in SQL exactly as the full report does', () => {
    t = tempWorkspace();
    const ws = t.ws;
    buildSyntheticWorkspace(ws.repos.db, 4000);
    const c = ws.criterion('big', 'correct');
    for (const itemId of [13, 14, 24]) ws.repos.labels.append(c.id, { itemId, annotator: 'expert', verdict: synthetic.expertPass(itemId - 1) ? 'fail' : 'pass', critique: 'changed', ambiguous: false });
    ws.repos.labels.append(c.id, { itemId: 15, annotator: 'expert', verdict: 'pass', critique: '', ambiguous: true });
    ws.repos.labels.append(c.id, { itemId: 16, annotator: 'expert', verdict: null, critique: '', ambiguous: false });
    // run 2 never reached some items (notJudged)
    ws.repos.db.prepare('DELETE FROM judgments WHERE run_id = 2 AND item_id BETWEEN 100 AND 140').run();
    // and has no place at all for others (labelled items missing from the run: notJudged too)
    ws.repos.db.prepare('DELETE FROM judgments WHERE run_id = 2 AND item_id BETWEEN 200 AND 209').run();
    ws.repos.db.prepare('DELETE FROM run_items WHERE run_id = 2 AND item_id BETWEEN 200 AND 209').run();
    for (const runId of [1, 2]) {
      const run = ws.run(runId);
      const splits = ['all', 'train', 'dev', 'test'] as const;
      const headlines = ws.headlineReports(c, run, [...splits]);
      splits.forEach((split, k) => {
        const { annotators: _a, slices: _s, consistency: _c, ...full } = ws.report(c, { runId, split }).report;
        const { slices, consistency, ...headline } = headlines[k]!;
        expect(headline).toEqual(full);
        expect(slices).toEqual([]);
        expect(ws.headlineReport(c, run, split)).toEqual(headlines[k]);
        expect(ws.gateReport(c, { runId, split }).report).toEqual(headlines[k]);
      });
    }
    const missing = [...ws.repos.labels.currentByItem(c.id, 'expert')].filter(([id, l]) => id >= 200 && id <= 209 && l.verdict !== null && !l.ambiguous).length;
    expect(ws.headlineReport(c, ws.run(2), 'all').notJudged).toBe(41 + missing);
    expect(ws.headlineReport(c, ws.run(2), 'all').errorRate.notJudged).toBe(41 + missing);
    expect(ws.headlineReport(c, ws.run(1), 'all').excluded).toMatchObject({ fewShot: 3, ambiguous: 5, unlabelled: 1 });
  });

  it('measures output length in UTF-16 code units as the per-item path does, for ASCII, accented and astral text', () => {
    t = tempWorkspace();
    const ws = t.ws;
    buildSyntheticWorkspace(ws.repos.db, 400);
    // 'é' is 2 bytes and 1 unit, '😀' 4 bytes and 2 units (1 code point): lengths that cross quartile cuts
    // (re-imported through the items repository, which stores each output's length as JavaScript counts it)
    const set = (id: number, output: string) => { const { id: _, datasetId: __, ...item } = ws.item(id); ws.repos.items.upsert(1, { ...item, output }); };
    for (let id = 1; id <= 400; id += 3) set(id, id % 2 ? 'é'.repeat(id % 50) + '😀'.repeat(id % 7) : 'a'.repeat(id % 60));
    const c = ws.criterion('big', 'correct');
    const streamed = ws.report(c, { runId: 1, split: 'all' }).report.consistency.verbosity;
    const outcomes = ws.outcomes(c, ws.run(1), 'all', 'expert');
    const byItems = reportFromOutcomes(outcomes, c, 'all', { outputLength: (id) => ws.item(id).output.length }).consistency.verbosity;
    expect(streamed).toEqual(byItems);
    expect(streamed.at(-1)!.maxChars).toBeGreaterThanOrEqual(49 + 2 * 6 - 12);
  });
});
