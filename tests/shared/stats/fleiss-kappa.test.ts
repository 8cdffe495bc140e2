import { describe, expect, it } from 'vitest';
import { fleissKappa } from '../../../shared/stats/fleiss-kappa.ts';

describe('fleissKappa', () => {
  it.each([
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import fleiss_kappa as f; print(f([[3,0],[0,3],[2,1]]))" -> 0.55
    [[[3, 0], [0, 3], [2, 1]], 0.55],
    // Fleiss (1971) worked example, 10 subjects × 14 raters × 5 categories:
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import fleiss_kappa as f; print(f([[0,0,0,0,14],[0,2,6,4,2],[0,0,3,5,6],[0,3,9,2,0],[2,2,8,1,1],[7,7,0,0,0],[3,2,6,3,0],[2,5,3,2,2],[6,5,2,1,0],[0,2,2,3,7]]))" -> 0.20993070442195522
    [
      [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]],
      0.20993070442195522,
    ],
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import fleiss_kappa as f; print(f([[4,0,0],[0,4,0],[1,2,1],[0,1,3],[2,2,0]]))" -> 0.37007874015748027
    [[[4, 0, 0], [0, 4, 0], [1, 2, 1], [0, 1, 3], [2, 2, 0]], 0.37007874015748027],
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import fleiss_kappa as f; print(f([[0,3],[3,0]]))" -> 1.0
    [[[0, 3], [3, 0]], 1],
  ])('matches statsmodels fleiss_kappa on %j', (table, expected) => {
    expect(fleissKappa(table)).toBeCloseTo(expected, 12);
  });

  it('is null when every rating is in one category', () => {
    // /usr/bin/python3 -c "from statsmodels.stats.inter_rater import fleiss_kappa as f; print(f([[3,0],[3,0]]))" -> nan
    expect(fleissKappa([[3, 0], [3, 0]])).toBeNull();
  });

  it('is null with no subjects or fewer than two raters', () => {
    expect(fleissKappa([])).toBeNull();
    expect(fleissKappa([[1, 0], [0, 1]])).toBeNull();
    expect(fleissKappa([[0, 0]])).toBeNull();
  });

  it('throws on unequal rater counts, ragged rows or negative counts, naming itself', () => {
    expect(() => fleissKappa([[3, 0], [1, 1]])).toThrow(/^fleissKappa: /);
    expect(() => fleissKappa([[3, 0], [3]])).toThrow(/^fleissKappa: /);
    expect(() => fleissKappa([[3, -1], [1, 1]])).toThrow(/^fleissKappa: /);
  });
});
