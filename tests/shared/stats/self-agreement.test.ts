import { describe, expect, it } from 'vitest';
import { selfAgreement } from '../../../shared/stats/self-agreement.ts';

describe('selfAgreement', () => {
  it('averages the per-item pairwise agreement, which is Fleiss\' P_i', () => {
    // /usr/bin/python3 -c "import numpy as np; from statsmodels.stats.inter_rater import aggregate_raters; s=np.array([['a','a','b'],['b','b','b'],['a','b','c'],['c','c','a']]); t,_=aggregate_raters(np.unique(s, return_inverse=True)[1].reshape(s.shape)); r=t.sum(1); print((((t*t).sum(1)-r)/(r*(r-1))).mean())"
    //   -> 0.41666666666666663  (= (1/3 + 1 + 0 + 1/3) / 4)
    const result = selfAgreement([['a', 'a', 'b'], ['b', 'b', 'b'], ['a', 'b', 'c'], ['c', 'c', 'a']]);
    expect(result.items).toBe(4);
    expect(result.selfAgreement).toBeCloseTo(0.41666666666666663, 12);
    expect(result.flipRate).toBe(0.75);
    expect(result.majority).toEqual(['a', 'b', null, 'c']);
  });

  it('counts only items with at least two samples, but gives every item a majority', () => {
    // /usr/bin/python3 -c "from collections import Counter; s=[['a','a','b'],['b','b','b'],['a','b','c'],['c','c','a'],['x'],[],['p','f','p','f']]; print([(lambda c: c[0][0] if len(c)==1 or c[0][1]>c[1][1] else None)(Counter(x).most_common()) if x else None for x in s])"
    //   -> ['a', 'b', None, 'c', 'x', None, None]
    const samples = [['a', 'a', 'b'], ['b', 'b', 'b'], ['a', 'b', 'c'], ['c', 'c', 'a'], ['x'], [], ['p', 'f', 'p', 'f']];
    const result = selfAgreement(samples);
    expect(result.majority).toEqual(['a', 'b', null, 'c', 'x', null, null]);
    // by hand: items with ≥ 2 samples: 5; the last has 2·(2·1)/(4·3) = 1/3 agreeing pairs
    expect(result.items).toBe(5);
    expect(result.selfAgreement).toBeCloseTo((1 / 3 + 1 + 0 + 1 / 3 + 1 / 3) / 5, 12);
    expect(result.flipRate).toBeCloseTo(4 / 5, 12);
  });

  it('gives 1 and no flips for a perfectly consistent judge', () => {
    expect(selfAgreement([['pass', 'pass'], ['fail', 'fail', 'fail']])).toEqual({
      items: 2,
      selfAgreement: 1,
      flipRate: 0,
      majority: ['pass', 'fail'],
    });
  });

  it('gives nulls when no item has two samples', () => {
    expect(selfAgreement([])).toEqual({ items: 0, selfAgreement: null, flipRate: null, majority: [] });
    expect(selfAgreement([['pass'], []])).toEqual({ items: 0, selfAgreement: null, flipRate: null, majority: ['pass', null] });
  });

  it('throws on a sample that is not a string, naming itself', () => {
    expect(() => selfAgreement([['pass', 3 as unknown as string]])).toThrow(/^selfAgreement: /);
  });
});
