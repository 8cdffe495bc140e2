import { describe, expect, it } from 'vitest';
import { confusionMatrix, confusionMatrixFromIndices } from '../../../shared/stats/confusion-matrix.ts';
import { summarizeMatrix } from '../../../shared/stats/matrix.ts';

describe('confusionMatrix', () => {
  it('counts [expert, judge] pairs with rows expert and columns judge, like sklearn', () => {
    // /usr/bin/python3 -c "from sklearn.metrics import confusion_matrix as c; print(c(['a','a','b','c','c'], ['a','b','b','c','a'], labels=['a','b','c']).tolist())"
    //   -> [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    const pairs: Array<['a' | 'b' | 'c', 'a' | 'b' | 'c']> = [['a', 'a'], ['a', 'b'], ['b', 'b'], ['c', 'c'], ['c', 'a']];
    expect(confusionMatrix(pairs, ['a', 'b', 'c'])).toEqual([[1, 1, 0], [0, 1, 0], [1, 0, 1]]);
  });

  it('keeps unused labels as empty rows and columns and handles no pairs', () => {
    expect(confusionMatrix([['x', 'x']], ['x', 'y'])).toEqual([[1, 0], [0, 0]]);
    expect(confusionMatrix([], ['x', 'y'])).toEqual([[0, 0], [0, 0]]);
  });

  it('throws on a label that is not in labels, or a duplicate label', () => {
    expect(() => confusionMatrix([['x', 'z' as 'x']], ['x', 'y'])).toThrow(/^confusionMatrix: label "z"/);
    expect(() => confusionMatrix([], ['x', 'x'])).toThrow(/^confusionMatrix: duplicate/);
  });
});

describe('confusionMatrixFromIndices', () => {
  it('counts index pairs', () => {
    expect(confusionMatrixFromIndices([[0, 0], [0, 2], [2, 2], [2, 2]], 3)).toEqual([[1, 0, 1], [0, 0, 0], [0, 0, 2]]);
  });

  it('throws on an index outside [0, k) or a bad k, naming the caller', () => {
    expect(() => confusionMatrixFromIndices([[0, 3]], 3)).toThrow(/^confusionMatrixFromIndices: /);
    expect(() => confusionMatrixFromIndices([[0.5, 0]], 3)).toThrow(/^confusionMatrixFromIndices: /);
    expect(() => confusionMatrixFromIndices([], -1)).toThrow(/^confusionMatrixFromIndices: /);
    expect(() => confusionMatrixFromIndices([[-1, 0]], 2, 'someCaller')).toThrow(/^someCaller: /);
  });
});

describe('summarizeMatrix', () => {
  it('returns the totals', () => {
    expect(summarizeMatrix([[3, 1], [0, 2]], 'test')).toEqual({ k: 2, n: 6, rows: [4, 2], cols: [3, 3], agree: 5 });
  });

  it('throws on a non-square matrix or a negative count', () => {
    expect(() => summarizeMatrix([[1, 2]], 'cohenKappa')).toThrow(/^cohenKappa: /);
    expect(() => summarizeMatrix([[1, -2], [0, 0]], 'cohenKappa')).toThrow(/^cohenKappa: /);
    expect(() => summarizeMatrix([[1, Number.NaN], [0, 0]], 'cohenKappa')).toThrow(/^cohenKappa: /);
  });
});
