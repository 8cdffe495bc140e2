import { describe, expect, it } from 'vitest';
import { cohenKappa } from '../../../shared/stats/cohen-kappa.ts';

const NULL_KAPPA = { value: null, se: null, low: null, high: null };

describe('cohenKappa', () => {
  it.each([
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import cohens_kappa as ck; r=ck([[20,5],[10,15]]); print(r.kappa, r.std_kappa, r.kappa_low, r.kappa_upp)"
    //   -> 0.3999999999999999 0.12699606293110033 0.151092290476661 0.6489077095233389
    [[[20, 5], [10, 15]], 0.3999999999999999, 0.12699606293110033, 0.151092290476661, 0.6489077095233389],
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import cohens_kappa as ck; r=ck([[10,2,3],[4,12,1],[2,3,8]]); print(r.kappa, r.std_kappa, r.kappa_low, r.kappa_upp)"
    //   -> 0.4962686567164179 0.10594097807656865 0.2886281551993959 0.7039091582334399
    [[[10, 2, 3], [4, 12, 1], [2, 3, 8]], 0.4962686567164179, 0.10594097807656865, 0.2886281551993959, 0.7039091582334399],
    // An unused third category:
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import cohens_kappa as ck; r=ck([[5,1,0],[2,4,0],[0,0,0]]); print(r.kappa, r.std_kappa, r.kappa_low, r.kappa_upp)"
    //   -> 0.5 0.2465033242958173 0.016862362310800683 0.9831376376891994
    [[[5, 1, 0], [2, 4, 0], [0, 0, 0]], 0.5, 0.2465033242958173, 0.016862362310800683, 0.9831376376891994],
    // High prevalence, slightly negative kappa:
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import cohens_kappa as ck; r=ck([[45,3],[2,0]]); print(r.kappa, r.std_kappa, r.kappa_low, r.kappa_upp)"
    //   -> -0.05042016806722475 0.024462266895987794 -0.09836533016356726 -0.002475005970882238
    [[[45, 3], [2, 0]], -0.05042016806722475, 0.024462266895987794, -0.09836533016356726, -0.002475005970882238],
    // The interval is not clipped to [−1, 1], as in statsmodels:
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import cohens_kappa as ck; r=ck([[2,1],[0,1]]); print(r.kappa, r.std_kappa, r.kappa_low, r.kappa_upp)"
    //   -> 0.5 0.375 -0.23498649420252038 1.2349864942025204
    [[[2, 1], [0, 1]], 0.5, 0.375, -0.23498649420252038, 1.2349864942025204],
  ])('matches statsmodels cohens_kappa on %j', (m, kappa, se, low, high) => {
    const result = cohenKappa(m);
    expect(result.value).toBeCloseTo(kappa, 12);
    expect(result.se).toBeCloseTo(se, 12);
    expect(result.low).toBeCloseTo(low, 12);
    expect(result.high).toBeCloseTo(high, 12);
  });

  it('agrees with sklearn on the labels behind a matrix', () => {
    // /usr/bin/python3 -c "from sklearn.metrics import cohen_kappa_score as k; print(k([1]*25+[0]*25, [1]*20+[0]*5+[1]*10+[0]*15))" -> 0.4
    expect(cohenKappa([[20, 5], [10, 15]]).value).toBeCloseTo(0.4, 12);
  });

  it('gives 1 with se 0 for perfect agreement over two classes', () => {
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import cohens_kappa as ck; r=ck([[5,0],[0,3]]); print(r.kappa, r.std_kappa, r.kappa_low, r.kappa_upp)" -> 1.0 0.0 1.0 1.0
    expect(cohenKappa([[5, 0], [0, 3]])).toEqual({ value: 1, se: 0, low: 1, high: 1 });
  });

  it('gives −1 with se 0 for perfect disagreement with balanced marginals', () => {
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import cohens_kappa as ck; r=ck([[0,5],[5,0]]); print(r.kappa, r.std_kappa, r.kappa_low, r.kappa_upp)" -> -1.0 0.0 -1.0 -1.0
    expect(cohenKappa([[0, 5], [5, 0]])).toEqual({ value: -1, se: 0, low: -1, high: -1 });
  });

  it('is null when expected agreement is 1 (both raters use one identical class)', () => {
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import cohens_kappa as ck; r=ck([[7,0],[0,0]]); print(r.kappa, r.std_kappa)" -> nan nan
    expect(cohenKappa([[7, 0], [0, 0]])).toEqual(NULL_KAPPA);
    expect(cohenKappa([[0, 0], [0, 4]])).toEqual(NULL_KAPPA);
    expect(cohenKappa([[4]])).toEqual(NULL_KAPPA);
  });

  it('is null when n = 0', () => {
    expect(cohenKappa([[0, 0], [0, 0]])).toEqual(NULL_KAPPA);
    expect(cohenKappa([])).toEqual(NULL_KAPPA);
  });

  it('widens with z', () => {
    const narrow = cohenKappa([[20, 5], [10, 15]], 1);
    expect(narrow.low).toBeCloseTo(0.4 - 0.12699606293110033, 12);
  });

  it('throws on an invalid matrix or z, naming itself', () => {
    expect(() => cohenKappa([[1, 2, 3], [4, 5, 6]])).toThrow(/^cohenKappa: /);
    expect(() => cohenKappa([[1, -1], [0, 1]])).toThrow(/^cohenKappa: /);
    expect(() => cohenKappa([[1, 0], [0, 1]], -1)).toThrow(/^cohenKappa: /);
  });
});
