import { describe, expect, it } from 'vitest';
import { weightedKappaInterval } from '../../../shared/stats/weighted-kappa-interval.ts';

const A = [0, 1, 2, 3, 3, 2, 1, 0, 2, 3, 1, 1, 0, 2, 3, 3, 2, 1, 0, 0];
const B = [0, 1, 1, 3, 2, 2, 2, 0, 3, 3, 1, 0, 1, 2, 3, 2, 2, 1, 0, 1];
const PAIRS = A.map((a, i) => [a, B[i]] as [number, number]);

describe('weightedKappaInterval', () => {
  it('matches sklearn for the value and the reference bootstrap for the interval', () => {
    // value: /usr/bin/python3 -c "from sklearn.metrics import cohen_kappa_score as k; a=[0,1,2,3,3,2,1,0,2,3,1,1,0,2,3,3,2,1,0,0]; b=[0,1,1,3,2,2,2,0,3,3,1,0,1,2,3,2,2,1,0,1]; print(k(a, b, weights='linear', labels=range(4)), k(a, b, weights='quadratic', labels=range(4)))"
    //   -> 0.6666666666666667 0.8260869565217391
    // interval: bootstrap_reference.py in bootstrap.test.ts (sklearn kappa on each resample, numpy percentiles)
    //   -> wk linear 500 [0.4371570790203066, 0.8287588183421514]
    //   -> wk quadratic 500 [0.6707172075601883, 0.9155352363960749]
    const linear = weightedKappaInterval(PAIRS, 4, 'linear', { seed: 5, iterations: 500 });
    expect(linear.value).toBeCloseTo(0.6666666666666667, 12);
    expect(linear.low).toBeCloseTo(0.4371570790203066, 10);
    expect(linear.high).toBeCloseTo(0.8287588183421514, 10);
    const quadratic = weightedKappaInterval(PAIRS, 4, 'quadratic', { seed: 5, iterations: 500 });
    expect(quadratic.value).toBeCloseTo(0.8260869565217391, 12);
    expect(quadratic.low).toBeCloseTo(0.6707172075601883, 10);
    expect(quadratic.high).toBeCloseTo(0.9155352363960749, 10);
  });

  it('gives nulls when there are no pairs or every item is in one category', () => {
    expect(weightedKappaInterval([], 3, 'linear')).toEqual({ value: null, low: null, high: null });
    expect(weightedKappaInterval([[1, 1], [1, 1]], 3, 'quadratic', { iterations: 50 })).toEqual({
      value: null,
      low: null,
      high: null,
    });
  });

  it('gives a point interval at 1 for perfect agreement', () => {
    const pairs: Array<[number, number]> = [[0, 0], [1, 1], [2, 2], [2, 2], [0, 0]];
    const result = weightedKappaInterval(pairs, 3, 'linear', { iterations: 200 });
    expect(result).toEqual({ value: 1, low: 1, high: 1 });
  });

  it('throws on an index outside [0, k), unknown weights or a bad option, naming itself', () => {
    expect(() => weightedKappaInterval([[0, 4]], 4, 'linear')).toThrow(/^weightedKappaInterval: /);
    expect(() => weightedKappaInterval([[0, 1]], 4, 'cubic' as 'linear')).toThrow(/^weightedKappaInterval: /);
    expect(() => weightedKappaInterval([[0, 1]], 4, 'linear', { iterations: -3 })).toThrow(/^weightedKappaInterval: /);
  });
});
