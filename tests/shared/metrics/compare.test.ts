import { describe, expect, it } from 'vitest';
import { compareOutcomes } from '../../../shared/metrics/compare.ts';
import { compared, confusionFromOutcomes, type Exclusion, type Outcome } from '../../../shared/metrics/outcomes.ts';

/**
 * One comparison function for both outcome shapes: the server's Outcome (item nested) and the
 * rows the API sends the browser (item fields flattened). 14 items, expert / run A / run B:
 *   i0–i6 A wrong, B right (fixed, 7) · i7–i8 A right, B wrong (regressed, 2) · i9–i10 right in both
 *   i11 wrong in both · i12 a judge error in B · i13 ambiguous (excluded in both)
 */
const flip = (v: string) => (v === 'pass' ? 'fail' : 'pass');
const expert = Array.from({ length: 14 }, (_, i) => (i % 3 === 0 ? 'fail' : 'pass'));
const judgeA = expert.map((v, i) => (i <= 6 || i === 11 ? flip(v) : v));
const judgeB = expert.map((v, i) => ((i >= 7 && i <= 8) || i === 11 ? flip(v) : v));
const excludedA = (i: number): Exclusion | null => (i === 13 ? 'ambiguous' : null);
const excludedB = (i: number): Exclusion | null => (i === 13 ? 'ambiguous' : i === 12 ? 'errors' : null);

function serverShape(judge: string[], excluded: (i: number) => Exclusion | null): Outcome[] {
  return expert.map((e, i) => ({
    item: { id: 100 + i, externalId: `i${i}`, split: 'dev' as const, dimensions: { topic: i % 2 ? 'odd' : 'even' } },
    expert: excluded(i) === 'ambiguous' ? null : e, judge: excluded(i) === 'errors' ? null : judge[i]!, excluded: excluded(i), samples: [judge[i]!],
  }));
}
function browserShape(judge: string[], excluded: (i: number) => Exclusion | null) {
  return serverShape(judge, excluded).map((o) => ({
    itemId: o.item.id, externalId: o.item.externalId, split: o.item.split, dimensions: o.item.dimensions,
    expert: o.expert, judge: o.judge, excluded: o.excluded, samples: o.samples, expertCritique: '', judgeCritique: '', rootCauses: [],
  }));
}

describe('compareOutcomes', () => {
  // McNemar's exact test on b = 2 regressed, c = 7 fixed:
  // /usr/bin/python3 -c "from scipy.stats import binomtest; print(binomtest(2, 9, 0.5).pvalue)"  -> 0.1796875
  const expected = {
    n: 12, correctA: 4, correctB: 9, bothRight: 2, bothWrong: 1,
    fixed: ['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6'], regressed: ['i7', 'i8'],
    mcnemar: { b: 2, c: 7, p: expect.closeTo(0.1796875, 12) },
  };

  it('gives fixed, regressed and McNemar on the server\'s outcomes', () => {
    expect(compareOutcomes(serverShape(judgeA, excludedA), serverShape(judgeB, excludedB))).toMatchObject(expected);
  });

  it('gives the same on the browser\'s outcome rows, with each item\'s verdicts before and after', () => {
    const r = compareOutcomes(browserShape(judgeA, excludedA), browserShape(judgeB, excludedB));
    expect(r).toMatchObject(expected);
    expect(r.changes).toHaveLength(9);
    // i0: expert fail, A said pass, B says fail
    expect(r.changes[0]).toEqual({ kind: 'fixed', itemId: 100, externalId: 'i0', dimensions: { topic: 'even' }, expert: 'fail', before: 'pass', after: 'fail' });
    expect(r.changes.find((c) => c.externalId === 'i7')).toEqual({ kind: 'regressed', itemId: 107, externalId: 'i7', dimensions: { topic: 'odd' }, expert: 'pass', before: 'pass', after: 'fail' });
    // the same answer whichever shape each side comes in, and whatever order the second run lists its items
    expect(compareOutcomes(serverShape(judgeA, excludedA), browserShape(judgeB, excludedB).reverse())).toEqual(r);
  });

  it('swapping the runs swaps fixed and regressed and keeps the p-value', () => {
    const r = compareOutcomes(browserShape(judgeB, excludedB), serverShape(judgeA, excludedA));
    expect(r).toMatchObject({ n: 12, fixed: ['i7', 'i8'], regressed: expected.fixed, mcnemar: { b: 7, c: 2, p: expect.closeTo(0.1796875, 12) } });
  });

  it('compares nothing when the runs share no compared item', () => {
    expect(compareOutcomes(serverShape(judgeA, () => 'errors'), serverShape(judgeB, excludedB))).toMatchObject({ n: 0, fixed: [], regressed: [], changes: [], mcnemar: { b: 0, c: 0, p: 1 } });
  });
});

describe('confusionFromOutcomes', () => {
  it('counts the compared outcomes of either shape, rows expert, columns judge', () => {
    // run B: compared i0–i11; expert fail on i0, i3, i6, i9; B wrong on i7, i8 (expert pass → fail) and i11 (pass → fail)
    // /usr/bin/python3 -c "from sklearn.metrics import confusion_matrix; E=['fail' if i%3==0 else 'pass' for i in range(12)]; J=[('fail' if e=='pass' else 'pass') if i in (7,8,11) else e for i,e in enumerate(E)]; print(confusion_matrix(E, J, labels=['pass','fail']))"  -> [[5 3] [0 4]]
    const criterion = { scale: 'binary' as const, levels: null, passAt: null };
    const want = { labels: ['pass', 'fail'], matrix: [[5, 3], [0, 4]] };
    expect(confusionFromOutcomes(criterion, serverShape(judgeB, excludedB))).toEqual(want);
    expect(confusionFromOutcomes(criterion, browserShape(judgeB, excludedB))).toEqual(want);
    expect(compared(browserShape(judgeB, excludedB))).toHaveLength(12);
  });
});
