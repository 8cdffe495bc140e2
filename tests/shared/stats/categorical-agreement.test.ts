import { describe, expect, it } from 'vitest';
import { categoricalAgreement } from '../../../shared/stats/categorical-agreement.ts';
import { ordinalAgreement } from '../../../shared/stats/ordinal-agreement.ts';
import { weightedKappaInterval } from '../../../shared/stats/weighted-kappa-interval.ts';

const E = [0, 0, 1, 2, 2, 2, 1, 0, 1, 2];
const J = [0, 1, 1, 2, 2, 0, 1, 0, 2, 2];
const PAIRS = E.map((e, i) => [e, J[i]] as [number, number]);

describe('categoricalAgreement', () => {
  it('matches sklearn and statsmodels on three categories', () => {
    const m = categoricalAgreement(PAIRS, ['low', 'mid', 'high']);
    // /usr/bin/python3 -c "from sklearn import metrics as M; from statsmodels.stats.inter_rater import cohens_kappa as ck; e=[0,0,1,2,2,2,1,0,1,2]; j=[0,1,1,2,2,0,1,0,2,2]; r=ck(M.confusion_matrix(e,j,labels=[0,1,2])); print(M.confusion_matrix(e,j,labels=[0,1,2]).tolist(), M.accuracy_score(e,j), M.cohen_kappa_score(e,j), r.std_kappa, r.kappa_low, r.kappa_upp)"
    //   -> [[2, 1, 0], [0, 2, 1], [1, 0, 3]] 0.7 0.5454545454545454 0.2184835268198166 0.11723470167241384 0.973674389236677
    expect(m.n).toBe(10);
    expect(m.confusion).toEqual({ labels: ['low', 'mid', 'high'], matrix: [[2, 1, 0], [0, 2, 1], [1, 0, 3]] });
    expect(m.agreement.value).toBeCloseTo(0.7, 12);
    expect(m.kappa.value).toBeCloseTo(0.5454545454545454, 12);
    expect(m.kappa.se).toBeCloseTo(0.2184835268198166, 12);
    expect(m.kappa.low).toBeCloseTo(0.11723470167241384, 12);
    expect(m.kappa.high).toBeCloseTo(0.973674389236677, 12);
    // /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci; print(ci(7, 10, method='wilson'))" -> (0.39677814746114537, 0.8922087325936989)
    expect(m.agreement.low).toBeCloseTo(0.39677814746114537, 12);
    expect(m.agreement.high).toBeCloseTo(0.8922087325936989, 12);
    // /usr/bin/python3 -c "import numpy as np; from statsmodels.stats.inter_rater import fleiss_kappa, aggregate_raters; e=[0,0,1,2,2,2,1,0,1,2]; j=[0,1,1,2,2,0,1,0,2,2]; print(fleiss_kappa(aggregate_raters(np.array([e,j]).T, n_cat=3)[0], method='randolph'))" -> 0.5499999999999999
    expect(m.pabak).toBeCloseTo(0.55, 12);
    // /usr/bin/python3 -c "import numpy as np; m=np.array([[2,1,0],[0,2,1],[1,0,3]]); n=m.sum(); pi=(m.sum(0)+m.sum(1))/(2*n); pe=(pi*(1-pi)).sum()/(len(m)-1); print((np.trace(m)/n-pe)/(1-pe))" -> 0.5522388059701492
    expect(m.ac1).toBeCloseTo(0.5522388059701492, 12);
  });

  it('gives nulls for n = 0 and a null kappa when both raters use one category', () => {
    const empty = categoricalAgreement([], ['a', 'b', 'c']);
    expect(empty.agreement).toEqual({ value: null, low: null, high: null });
    expect(empty.kappa.value).toBeNull();
    expect(empty.pabak).toBeNull();
    expect(empty.ac1).toBeNull();
    const single = categoricalAgreement([[1, 1], [1, 1]], ['a', 'b', 'c']);
    expect(single.kappa.value).toBeNull();
    expect(single.agreement.value).toBe(1);
    expect(single.ac1).toBe(1);
  });

  it('throws on an index outside the labels, naming itself', () => {
    expect(() => categoricalAgreement([[0, 3]], ['a', 'b', 'c'])).toThrow(/^categoricalAgreement: /);
  });
});

describe('ordinalAgreement', () => {
  const A = [0, 1, 2, 3, 3, 2, 1, 0, 2, 3, 1, 1, 0, 2, 3, 3, 2, 1, 0, 0];
  const B = [0, 1, 1, 3, 2, 2, 2, 0, 3, 3, 1, 0, 1, 2, 3, 2, 2, 1, 0, 1];
  const ORDINAL = A.map((a, i) => [a, B[i]] as [number, number]);

  it('adds linear and quadratic weighted kappa to the categorical fields', () => {
    const m = ordinalAgreement(ORDINAL, 4, { seed: 3, iterations: 400 });
    // /usr/bin/python3 -c "from sklearn.metrics import cohen_kappa_score as k; a=[0,1,2,3,3,2,1,0,2,3,1,1,0,2,3,3,2,1,0,0]; b=[0,1,1,3,2,2,2,0,3,3,1,0,1,2,3,2,2,1,0,1]; print(k(a, b, weights='linear', labels=range(4)), k(a, b, weights='quadratic', labels=range(4)), k(a, b))"
    //   -> 0.6666666666666667 0.8260869565217391 0.4666666666666667
    expect(m.kappa.value).toBeCloseTo(0.4666666666666667, 12);
    expect(m.weightedKappa.linear.value).toBeCloseTo(0.6666666666666667, 12);
    expect(m.weightedKappa.quadratic.value).toBeCloseTo(0.8260869565217391, 12);
    expect(m.confusion.labels).toEqual(['0', '1', '2', '3']);
    expect(m.weightedKappa.linear).toEqual(weightedKappaInterval(ORDINAL, 4, 'linear', { seed: 3, iterations: 400 }));
    expect(m.weightedKappa.quadratic).toEqual(weightedKappaInterval(ORDINAL, 4, 'quadratic', { seed: 3, iterations: 400 }));
    const { low, high } = m.weightedKappa.quadratic;
    expect(low).not.toBeNull();
    expect(low!).toBeLessThanOrEqual(high!);
  });

  it('gives nulls for n = 0', () => {
    const m = ordinalAgreement([], 5);
    expect(m.n).toBe(0);
    expect(m.weightedKappa.linear).toEqual({ value: null, low: null, high: null });
    expect(m.weightedKappa.quadratic).toEqual({ value: null, low: null, high: null });
  });

  it('throws on a bad k, score or option, naming itself', () => {
    expect(() => ordinalAgreement([[0, 1]], 0)).toThrow(/^ordinalAgreement: /);
    expect(() => ordinalAgreement([[0, 5]], 5)).toThrow(/^ordinalAgreement: /);
    expect(() => ordinalAgreement([[0, 1]], 5, { iterations: 0 })).toThrow(/^ordinalAgreement: /);
  });
});
