import { describe, expect, it } from 'vitest';
import { bootstrapInterval, percentileInterval, resampleIndices } from '../../../shared/stats/bootstrap.ts';
import { createRng } from '../../../shared/stats/rng.ts';

/*
 * Independent reference for the seeded bootstraps (here, in weighted-kappa-interval.test.ts
 * and corrected-pass-rate.test.ts). Only the generator is ported; resampling, sklearn's
 * weighted kappa and numpy's percentiles are independent of the TypeScript code.
 * Save as bootstrap_reference.py and run `/usr/bin/python3 bootstrap_reference.py`:
 *
 * import numpy as np, warnings
 * from sklearn.metrics import cohen_kappa_score
 * warnings.simplefilter('ignore')
 * M = 0xFFFFFFFF
 * def mulberry32(seed):  # port of createRng: https://gist.github.com/tommyettinger/46a874533244883189143505d203312c
 *     a = seed & M
 *     while True:
 *         a = (a + 0x6D2B79F5) & M
 *         t = ((a ^ (a >> 15)) * (a | 1)) & M
 *         t ^= (t + ((t ^ (t >> 7)) * (t | 61))) & M
 *         yield ((t ^ (t >> 14)) & M) / 2**32
 * def resample(g, n): return [int(next(g) * n) for _ in range(n)]
 * g = mulberry32(42); print('rng42', [next(g) for _ in range(3)])
 * g = mulberry32(1); print('rng1', [next(g) for _ in range(3)])
 * xs = [1, 2, 3, 4, 10]; g = mulberry32(7)
 * v = [np.mean([xs[i] for i in resample(g, 5)]) for _ in range(2000)]
 * print('mean', np.quantile(v, [0.025, 0.975]).tolist())
 * g = mulberry32(3); v = []
 * for _ in range(1000):
 *     idx = resample(g, 5)
 *     if idx[0] != 0: v.append(np.mean([xs[i] for i in idx]))
 * print('skip', len(v), np.quantile(v, [0.05, 0.95]).tolist())
 * a = [0,1,2,3,3,2,1,0,2,3,1,1,0,2,3,3,2,1,0,0]; b = [0,1,1,3,2,2,2,0,3,3,1,0,1,2,3,2,2,1,0,1]
 * for w in ['linear', 'quadratic']:
 *     g = mulberry32(5); v = []
 *     for _ in range(500):
 *         idx = resample(g, 20)
 *         k = cohen_kappa_score([a[i] for i in idx], [b[i] for i in idx], weights=w, labels=range(4))
 *         if not np.isnan(k): v.append(k)
 *     print('wk', w, len(v), np.quantile(v, [0.025, 0.975]).tolist())
 * # correctedPassRate: labelled = (expert, judge) pairs, unlabelled judge verdicts
 * lab = [(1,1)]*30 + [(1,0)]*5 + [(0,1)]*4 + [(0,0)]*11
 * unl = [1]*42 + [0]*28
 * def rg(o, tpr, tnr): return None if tpr + tnr <= 1 else min(1, max(0, (o + tnr - 1) / (tpr + tnr - 1)))
 * def rates(rows):
 *     p = [j for e, j in rows if e]; f = [j for e, j in rows if not e]
 *     return (np.mean(p) if p else None, 1 - np.mean(f) if f else None)
 * tpr, tnr = rates(lab); print('cpr point', np.mean(unl), tpr, tnr, rg(np.mean(unl), tpr, tnr))
 * g = mulberry32(11); v = []
 * for _ in range(1000):
 *     L = [lab[i] for i in resample(g, len(lab))]; U = [unl[i] for i in resample(g, len(unl))]
 *     t, s = rates(L)
 *     if t is None or s is None: continue
 *     e = rg(np.mean(U), t, s)
 *     if e is not None: v.append(e)
 * print('cpr boot', len(v), np.quantile(v, [0.025, 0.975]).tolist())
 * # a weak judge: many bootstrap resamples have TPR + TNR <= 1 and are skipped
 * lab = [(1,1)]*6 + [(1,0)]*2 + [(0,1)]*3 + [(0,0)]*3
 * unl = [1]*7 + [0]*5
 * tpr, tnr = rates(lab); print('weak point', np.mean(unl), tpr, tnr, rg(np.mean(unl), tpr, tnr))
 * g = mulberry32(2); v = []
 * for _ in range(400):
 *     L = [lab[i] for i in resample(g, len(lab))]; U = [unl[i] for i in resample(g, len(unl))]
 *     t, s = rates(L)
 *     if t is None or s is None: continue
 *     e = rg(np.mean(U), t, s)
 *     if e is not None: v.append(e)
 * print('weak boot', len(v), np.quantile(v, [0.025, 0.975]).tolist())
 *
 * Output:
 *   rng42 [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]
 *   rng1 [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]
 *   mean [1.8, 7.0]
 *   skip 798 [2.2, 6.6299999999999955]
 *   wk linear 500 [0.4371570790203066, 0.8287588183421514]
 *   wk quadratic 500 [0.6707172075601883, 0.9155352363960749]
 *   cpr point 0.6 0.8571428571428571 0.7333333333333334 0.5645161290322582
 *   cpr boot 999 [0.18137220580678298, 0.8255878378378373]
 *   weak point 0.5833333333333334 0.75 0.5 0.3333333333333339
 *   weak boot 324 [0.0, 1.0]
 */

const XS = [1, 2, 3, 4, 10];
const mean = (indices: number[]) => indices.reduce((sum, i) => sum + XS[i], 0) / indices.length;

describe('percentileInterval', () => {
  it('uses numpy.quantile\'s default linear interpolation', () => {
    // /usr/bin/python3 -c "import numpy as np; print(np.quantile([0.3, 0.1, 0.9, 0.5, 0.7, 0.2], [0.025, 0.975]), np.quantile([5.0, 1.0, 3.0, 2.0, 4.0], [0.05, 0.95]))"
    //   -> [0.1125 0.875 ] [1.2 4.8]
    const a = percentileInterval([0.3, 0.1, 0.9, 0.5, 0.7, 0.2], 0.95);
    expect(a.low).toBeCloseTo(0.1125, 12);
    expect(a.high).toBeCloseTo(0.875, 12);
    const b = percentileInterval([5, 1, 3, 2, 4], 0.9);
    expect(b.low).toBeCloseTo(1.2, 12);
    expect(b.high).toBeCloseTo(4.8, 12);
  });

  it('gives nulls for no values', () => {
    expect(percentileInterval([], 0.95)).toEqual({ low: null, high: null });
  });
});

describe('resampleIndices', () => {
  it('draws n indices in 0..n−1', () => {
    const indices = resampleIndices(50, createRng(9));
    expect(indices).toHaveLength(50);
    for (const i of indices) expect(Number.isInteger(i) && i >= 0 && i < 50).toBe(true);
  });
});

describe('bootstrapInterval', () => {
  it('matches the reference percentile bootstrap of a mean', () => {
    // bootstrap_reference.py (above) -> mean [1.8, 7.0]
    const result = bootstrapInterval(XS.length, mean, { seed: 7 });
    expect(result.iterations).toBe(2000);
    expect(result.low).toBeCloseTo(1.8, 12);
    expect(result.high).toBeCloseTo(7, 12);
  });

  it('skips iterations where the statistic is null and reports how many were used', () => {
    // bootstrap_reference.py (above) -> skip 798 [2.2, 6.6299999999999955]
    const result = bootstrapInterval(XS.length, (idx) => (idx[0] === 0 ? null : mean(idx)), {
      seed: 3,
      iterations: 1000,
      level: 0.9,
    });
    expect(result.iterations).toBe(798);
    expect(result.low).toBeCloseTo(2.2, 12);
    expect(result.high).toBeCloseTo(6.6299999999999955, 12);
  });

  it('is reproducible for a seed and varies with it', () => {
    const a = bootstrapInterval(XS.length, mean, { seed: 5, iterations: 300 });
    const b = bootstrapInterval(XS.length, mean, { seed: 5, iterations: 300 });
    const c = bootstrapInterval(XS.length, mean, { seed: 6, iterations: 300 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('gives a point interval for a constant statistic and nulls when nothing is defined', () => {
    expect(bootstrapInterval(4, () => 0.25, { iterations: 50 })).toEqual({ low: 0.25, high: 0.25, iterations: 50 });
    expect(bootstrapInterval(4, () => null, { iterations: 50 })).toEqual({ low: null, high: null, iterations: 0 });
    expect(bootstrapInterval(0, mean)).toEqual({ low: null, high: null, iterations: 0 });
  });

  it('throws on invalid options or a NaN statistic, naming itself', () => {
    expect(() => bootstrapInterval(-1, mean)).toThrow(/^bootstrapInterval: /);
    expect(() => bootstrapInterval(3, mean, { iterations: 0 })).toThrow(/^bootstrapInterval: /);
    expect(() => bootstrapInterval(3, mean, { level: 1 })).toThrow(/^bootstrapInterval: /);
    expect(() => bootstrapInterval(3, mean, { seed: Number.NaN })).toThrow(/^bootstrapInterval: /);
    expect(() => bootstrapInterval(3, () => Number.NaN, { iterations: 5 })).toThrow(/^bootstrapInterval: /);
  });
});
