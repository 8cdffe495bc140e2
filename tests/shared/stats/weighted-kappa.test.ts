import { describe, expect, it } from 'vitest';
import { confusionMatrixFromIndices } from '../../../shared/stats/confusion-matrix.ts';
import { weightedKappa, type KappaWeights } from '../../../shared/stats/weighted-kappa.ts';

function matrixOf(expert: number[], judge: number[], k: number) {
  return confusionMatrixFromIndices(expert.map((e, i) => [e, judge[i]] as [number, number]), k);
}

const A = [0, 1, 2, 3, 3, 2, 1, 0, 2, 3, 1, 1, 0, 2, 3, 3, 2, 1, 0, 0];
const B = [0, 1, 1, 3, 2, 2, 2, 0, 3, 3, 1, 0, 1, 2, 3, 2, 2, 1, 0, 1];

describe('weightedKappa', () => {
  it.each<[KappaWeights, number]>([
    // /usr/bin/python3 -c "from sklearn.metrics import cohen_kappa_score as k; a=[0,1,2,3,3,2,1,0,2,3,1,1,0,2,3,3,2,1,0,0]; b=[0,1,1,3,2,2,2,0,3,3,1,0,1,2,3,2,2,1,0,1]; print(k(a, b, weights='linear', labels=range(4)), k(a, b, weights='quadratic', labels=range(4)), k(a, b))"
    //   -> 0.6666666666666667 0.8260869565217391 0.4666666666666667
    ['linear', 0.6666666666666667],
    ['quadratic', 0.8260869565217391],
  ])('matches sklearn cohen_kappa_score(weights=%s)', (weights, expected) => {
    expect(weightedKappa(matrixOf(A, B, 4), weights)).toBeCloseTo(expected, 12);
  });

  it('measures distance between category indices even when a middle category is unused', () => {
    // /usr/bin/python3 -c "from sklearn.metrics import cohen_kappa_score as k; a=[0,0,2,3,3,2]; b=[0,2,2,3,2,3]; print(k(a, b, weights='linear', labels=range(4)), k(a, b, weights='quadratic', labels=range(4)))"
    //   -> 0.4545454545454545 0.625
    const m = matrixOf([0, 0, 2, 3, 3, 2], [0, 2, 2, 3, 2, 3], 4);
    expect(weightedKappa(m, 'linear')).toBeCloseTo(0.4545454545454545, 12);
    expect(weightedKappa(m, 'quadratic')).toBeCloseTo(0.625, 12);
  });

  it('gives 1 for perfect agreement and −1 for perfect symmetric disagreement', () => {
    // /usr/bin/python3 -c "from sklearn.metrics import cohen_kappa_score as k; print(k([0,1,2,2], [0,1,2,2], weights='quadratic'), k([0,0,0], [2,2,2], weights='linear', labels=range(3)))" -> 1.0 0.0
    expect(weightedKappa(matrixOf([0, 1, 2, 2], [0, 1, 2, 2], 3), 'quadratic')).toBe(1);
    expect(weightedKappa(matrixOf([0, 0, 0], [2, 2, 2], 3), 'linear')).toBe(0);
    // /usr/bin/python3 -c "from sklearn.metrics import cohen_kappa_score as k; print(k([0,0,1,1], [1,1,0,0], weights='linear'), k([0,0,2,2], [2,2,0,0], weights='quadratic', labels=range(3)))" -> -1.0 -1.0
    expect(weightedKappa(matrixOf([0, 0, 1, 1], [1, 1, 0, 0], 2), 'linear')).toBe(-1);
    expect(weightedKappa(matrixOf([0, 0, 2, 2], [2, 2, 0, 0], 3), 'quadratic')).toBe(-1);
  });

  it('is null when both raters use one identical category, or n = 0', () => {
    // /usr/bin/python3 -c "from sklearn.metrics import cohen_kappa_score as k; print(k([1,1,1], [1,1,1]), k([2,2], [2,2], weights='linear', labels=range(3)))" -> nan nan
    expect(weightedKappa(matrixOf([2, 2], [2, 2], 3), 'linear')).toBeNull();
    expect(weightedKappa(matrixOf([], [], 3), 'quadratic')).toBeNull();
  });

  it('throws on unknown weights or a bad matrix, naming itself', () => {
    expect(() => weightedKappa([[1, 0], [0, 1]], 'cubic' as KappaWeights)).toThrow(/^weightedKappa: /);
    expect(() => weightedKappa([[1, 0]], 'linear')).toThrow(/^weightedKappa: /);
  });
});
