import { describe, expect, it } from 'vitest';
import { gwetAC1 } from '../../../shared/stats/gwet-ac1.ts';

// Independent formula (Gwet 2008, eq. 4–5) in numpy, one line per matrix:
// /usr/bin/python3 -c "import numpy as np; m=np.array(M); n=m.sum(); pi=(m.sum(0)+m.sum(1))/(2*n); pe=(pi*(1-pi)).sum()/(len(m)-1); print((np.trace(m)/n-pe)/(1-pe))"
describe('gwetAC1', () => {
  it('matches a hand computation', () => {
    // [[40,5],[5,50]]: p_o = 90/100; π_pass = (45 + 45)/200 = 0.45, π_fail = 0.55;
    // p_e = (0.45·0.55 + 0.55·0.45)/1 = 0.495; AC1 = (0.9 − 0.495)/(1 − 0.495) = 0.405/0.505 = 81/101
    // numpy formula above with M=[[40,5],[5,50]] -> 0.801980198019802
    expect(gwetAC1([[40, 5], [5, 50]])).toBeCloseTo(81 / 101, 12);
    expect(gwetAC1([[40, 5], [5, 50]])).toBeCloseTo(0.801980198019802, 12);
  });

  it.each([
    // /usr/bin/python3 -c "import numpy as np; m=np.array([[10,2,3],[4,12,1],[2,3,8]]); n=m.sum(); pi=(m.sum(0)+m.sum(1))/(2*n); pe=(pi*(1-pi)).sum()/(len(m)-1); print((np.trace(m)/n-pe)/(1-pe))" -> 0.5019369120088545
    [[[10, 2, 3], [4, 12, 1], [2, 3, 8]], 0.5019369120088545],
    // /usr/bin/python3 -c "import numpy as np; m=np.array([[45,3],[2,0]]); n=m.sum(); pi=(m.sum(0)+m.sum(1))/(2*n); pe=(pi*(1-pi)).sum()/(len(m)-1); print((np.trace(m)/n-pe)/(1-pe))" -> 0.8895027624309393
    [[[45, 3], [2, 0]], 0.8895027624309393],
    // /usr/bin/python3 -c "import numpy as np; m=np.array([[30,5],[8,17]]); n=m.sum(); pi=(m.sum(0)+m.sum(1))/(2*n); pe=(pi*(1-pi)).sum()/(len(m)-1); print((np.trace(m)/n-pe)/(1-pe))" -> 0.5860971079862033
    [[[30, 5], [8, 17]], 0.5860971079862033],
  ])('matches the numpy formula on %j', (m, expected) => {
    expect(gwetAC1(m)).toBeCloseTo(expected, 12);
  });

  it('stays defined where kappa is not: one shared class gives 1', () => {
    // /usr/bin/python3 -c "import numpy as np; m=np.array([[7,0],[0,0]]); n=m.sum(); pi=(m.sum(0)+m.sum(1))/(2*n); pe=(pi*(1-pi)).sum()/(len(m)-1); print((np.trace(m)/n-pe)/(1-pe))" -> 1.0
    expect(gwetAC1([[7, 0], [0, 0]])).toBe(1);
  });

  it('gives −1 for binary perfect disagreement with balanced marginals', () => {
    // /usr/bin/python3 -c "import numpy as np; m=np.array([[0,5],[5,0]]); n=m.sum(); pi=(m.sum(0)+m.sum(1))/(2*n); pe=(pi*(1-pi)).sum()/(len(m)-1); print((np.trace(m)/n-pe)/(1-pe))" -> -1.0
    expect(gwetAC1([[0, 5], [5, 0]])).toBe(-1);
  });

  it('is null for n = 0 or fewer than two categories', () => {
    expect(gwetAC1([[0, 0], [0, 0]])).toBeNull();
    expect(gwetAC1([[5]])).toBeNull();
  });

  it('throws on a bad matrix, naming itself', () => {
    expect(() => gwetAC1([[1, 2], [3]])).toThrow(/^gwetAC1: /);
  });
});
