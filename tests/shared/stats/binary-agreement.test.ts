import { describe, expect, it } from 'vitest';
import { binaryAgreement } from '../../../shared/stats/binary-agreement.ts';

/** [expertPass, judgePass] pairs with the given confusion counts. */
function pairs(pp: number, pf: number, fp: number, ff: number): Array<[boolean, boolean]> {
  const rows = (count: number, e: boolean, j: boolean) => Array.from({ length: count }, () => [e, j] as [boolean, boolean]);
  return [...rows(pp, true, true), ...rows(pf, true, false), ...rows(fp, false, true), ...rows(ff, false, false)];
}

describe('binaryAgreement', () => {
  it('matches sklearn and statsmodels on a mixed case (pp 30, pf 5, fp 8, ff 17)', () => {
    const m = binaryAgreement(pairs(30, 5, 8, 17));
    expect(m.n).toBe(60);
    expect(m.confusion).toEqual({ labels: ['pass', 'fail'], matrix: [[30, 5], [8, 17]] });

    // pass = 1, fail = 0:
    // /usr/bin/python3 -c "import numpy as np; e=[1]*35+[0]*25; j=[1]*30+[0]*5+[1]*8+[0]*17; from sklearn import metrics as M; print(M.accuracy_score(e,j), M.cohen_kappa_score(e,j), M.recall_score(e,j,pos_label=1), M.recall_score(e,j,pos_label=0), M.precision_score(e,j,pos_label=0), M.f1_score(e,j,pos_label=0), M.balanced_accuracy_score(e,j))"
    //   -> 0.7833333333333333 0.5465116279069768 0.8571428571428571 0.68 0.7727272727272727 0.7234042553191491 0.7685714285714286
    expect(m.agreement.value).toBeCloseTo(0.7833333333333333, 12);
    expect(m.kappa.value).toBeCloseTo(0.5465116279069768, 12);
    expect(m.tpr.value).toBeCloseTo(0.8571428571428571, 12);
    expect(m.tnr.value).toBeCloseTo(0.68, 12);
    expect(m.failClass.precision).toBeCloseTo(0.7727272727272727, 12);
    expect(m.failClass.recall).toBeCloseTo(0.68, 12);
    expect(m.failClass.f1).toBeCloseTo(0.7234042553191491, 12);
    expect(m.balancedAccuracy).toBeCloseTo(0.7685714285714286, 12);

    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import cohens_kappa as ck; r=ck([[30,5],[8,17]]); print(r.kappa, r.std_kappa, r.kappa_low, r.kappa_upp)"
    //   -> 0.5465116279069767 0.11008737270478601 0.3307443422529583 0.7622789135609951
    expect(m.kappa.se).toBeCloseTo(0.11008737270478601, 12);
    expect(m.kappa.low).toBeCloseTo(0.3307443422529583, 12);
    expect(m.kappa.high).toBeCloseTo(0.7622789135609951, 12);

    // agreement 47/60, TPR 30/35, TNR 17/25, prevalence 35/60, judge pass rate 38/60:
    // /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci; print([ci(s, n, method='wilson') for s, n in [(47,60),(30,35),(17,25),(35,60),(38,60)]])"
    //   -> [(0.6637997242680521, 0.868769559518097), (0.7062444591340484, 0.9373976892056628), (0.4841026927310224, 0.8279480969309203),
    //       (0.4572808102264011, 0.6993572144165839), (0.5068300063010303, 0.7437908331277456)]
    const wilson: Array<[keyof typeof m, number, number, number]> = [
      ['agreement', 47 / 60, 0.6637997242680521, 0.868769559518097],
      ['tpr', 30 / 35, 0.7062444591340484, 0.9373976892056628],
      ['tnr', 17 / 25, 0.4841026927310224, 0.8279480969309203],
      ['prevalence', 35 / 60, 0.4572808102264011, 0.6993572144165839],
      ['judgePassRate', 38 / 60, 0.5068300063010303, 0.7437908331277456],
    ];
    for (const [field, value, low, high] of wilson) {
      const interval = m[field] as { value: number; low: number; high: number };
      expect(interval.value, field).toBeCloseTo(value, 12);
      expect(interval.low, field).toBeCloseTo(low, 12);
      expect(interval.high, field).toBeCloseTo(high, 12);
    }

    // bias = 38/60 − 35/60 = 0.05 (the judge passes 3 more items than the expert)
    expect(m.bias).toBeCloseTo(0.05, 12);
    // /usr/bin/python3 -c "import numpy as np; from statsmodels.stats.inter_rater import fleiss_kappa, aggregate_raters; d=[(1,1)]*30+[(1,0)]*5+[(0,1)]*8+[(0,0)]*17; print(fleiss_kappa(aggregate_raters(np.array(d), n_cat=2)[0], method='randolph'))" -> 0.5666666666666667
    expect(m.pabak).toBeCloseTo(0.5666666666666667, 12);
    // /usr/bin/python3 -c "import numpy as np; m=np.array([[30,5],[8,17]]); n=m.sum(); pi=(m.sum(0)+m.sum(1))/(2*n); pe=(pi*(1-pi)).sum()/(len(m)-1); print((np.trace(m)/n-pe)/(1-pe))" -> 0.5860971079862033
    expect(m.ac1).toBeCloseTo(0.5860971079862033, 12);
  });

  it('gives nulls everywhere, never NaN and no throw, for n = 0', () => {
    const m = binaryAgreement([]);
    const nullInterval = { value: null, low: null, high: null };
    expect(m).toEqual({
      n: 0,
      confusion: { labels: ['pass', 'fail'], matrix: [[0, 0], [0, 0]] },
      agreement: nullInterval,
      kappa: { ...nullInterval, se: null },
      tpr: nullInterval,
      tnr: nullInterval,
      failClass: { precision: null, recall: null, f1: null },
      balancedAccuracy: null,
      prevalence: nullInterval,
      judgePassRate: nullInterval,
      bias: null,
      pabak: null,
      ac1: null,
    });
  });

  it('handles one class only: kappa and everything about fails are null', () => {
    const m = binaryAgreement(pairs(6, 0, 0, 0));
    expect(m.agreement.value).toBe(1);
    expect(m.kappa.value).toBeNull();
    expect(m.tpr.value).toBe(1);
    expect(m.tnr.value).toBeNull();
    expect(m.failClass).toEqual({ precision: null, recall: null, f1: null });
    expect(m.balancedAccuracy).toBeNull();
    expect(m.bias).toBe(0);
    expect(m.pabak).toBe(1);
    expect(m.ac1).toBe(1);
  });

  it('gives kappa 1 for perfect agreement over both classes', () => {
    // /usr/bin/python3 -c "from sklearn import metrics as M; e=[1]*5+[0]*3; j=[1]*5+[0]*3; print(M.cohen_kappa_score(e,j), M.f1_score(e,j,pos_label=0), M.balanced_accuracy_score(e,j))" -> 1.0 1.0 1.0
    const m = binaryAgreement(pairs(5, 0, 0, 3));
    expect(m.kappa).toEqual({ value: 1, se: 0, low: 1, high: 1 });
    expect(m.failClass.f1).toBe(1);
    expect(m.balancedAccuracy).toBe(1);
  });

  it('gives kappa −1 and zero fail-class scores for perfect disagreement', () => {
    // /usr/bin/python3 -c "from sklearn import metrics as M; e=[1]*5+[0]*5; j=[0]*5+[1]*5; print(M.cohen_kappa_score(e,j), M.precision_score(e,j,pos_label=0), M.recall_score(e,j,pos_label=0), M.f1_score(e,j,pos_label=0), M.balanced_accuracy_score(e,j))"
    //   -> -1.0 0.0 0.0 0.0 0.0
    const m = binaryAgreement(pairs(0, 5, 5, 0));
    expect(m.kappa.value).toBe(-1);
    expect(m.failClass).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(m.balancedAccuracy).toBe(0);
    expect(m.pabak).toBe(-1);
  });

  it('reports a lenient judge as positive bias and a harsh one as negative', () => {
    expect(binaryAgreement(pairs(5, 0, 3, 2)).bias).toBeCloseTo(0.3, 12);
    expect(binaryAgreement(pairs(5, 3, 0, 2)).bias).toBeCloseTo(-0.3, 12);
  });
});
