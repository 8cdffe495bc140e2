import { describe, expect, it } from 'vitest';
import { pabak } from '../../../shared/stats/pabak.ts';

// For two raters PABAK equals Randolph's free-marginal multirater kappa, which statsmodels implements.
describe('pabak', () => {
  it('is 2·p_o − 1 for two categories', () => {
    // /usr/bin/python3 -c "import numpy as np; from statsmodels.stats.inter_rater import fleiss_kappa, aggregate_raters; m=[[40,5],[5,50]]; d=[(i,j) for i in range(2) for j in range(2) for _ in range(m[i][j])]; print(fleiss_kappa(aggregate_raters(np.array(d), n_cat=2)[0], method='randolph'))" -> 0.8
    expect(pabak([[40, 5], [5, 50]])).toBeCloseTo(0.8, 12);
    // by hand: p_o = 47/60, 2·47/60 − 1 = 34/60
    // /usr/bin/python3 -c "import numpy as np; from statsmodels.stats.inter_rater import fleiss_kappa, aggregate_raters; d=[(1,1)]*30+[(1,0)]*5+[(0,1)]*8+[(0,0)]*17; print(fleiss_kappa(aggregate_raters(np.array(d), n_cat=2)[0], method='randolph'))" -> 0.5666666666666667
    expect(pabak([[30, 5], [8, 17]])).toBeCloseTo(34 / 60, 12);
  });

  it('is (k·p_o − 1)/(k − 1) for k categories, counting unused ones', () => {
    // /usr/bin/python3 -c "import numpy as np; from statsmodels.stats.inter_rater import fleiss_kappa, aggregate_raters; m=[[10,2,3],[4,12,1],[2,3,8]]; d=[(i,j) for i in range(3) for j in range(3) for _ in range(m[i][j])]; print(fleiss_kappa(aggregate_raters(np.array(d), n_cat=3)[0], method='randolph'))" -> 0.49999999999999994
    expect(pabak([[10, 2, 3], [4, 12, 1], [2, 3, 8]])).toBeCloseTo(0.5, 12);
    // /usr/bin/python3 -c "import numpy as np; from statsmodels.stats.inter_rater import fleiss_kappa, aggregate_raters; m=[[5,1,0],[2,4,0],[0,0,0]]; d=[(i,j) for i in range(3) for j in range(3) for _ in range(m[i][j])]; print(fleiss_kappa(aggregate_raters(np.array(d), n_cat=3)[0], method='randolph'))" -> 0.625
    expect(pabak([[5, 1, 0], [2, 4, 0], [0, 0, 0]])).toBeCloseTo(0.625, 12);
  });

  it('is 1 for perfect agreement (even on one class) and −1 for binary perfect disagreement', () => {
    expect(pabak([[7, 0], [0, 0]])).toBe(1);
    expect(pabak([[0, 5], [5, 0]])).toBe(-1);
  });

  it('is null for n = 0 or fewer than two categories', () => {
    expect(pabak([[0, 0], [0, 0]])).toBeNull();
    expect(pabak([[3]])).toBeNull();
  });

  it('throws on a bad matrix, naming itself', () => {
    expect(() => pabak([[1, 2]])).toThrow(/^pabak: /);
  });
});
