import type { Matrix } from './matrix.ts';

/**
 * Confusion matrix of two raters over named labels.
 *
 * Definition: m[i][j] = number of pairs whose expert label is labels[i] and whose
 * judge label is labels[j] (rows expert, columns judge), the layout of
 * sklearn.metrics.confusion_matrix(expert, judge, labels=labels).
 *
 * Complexity: O(n + k²) for n pairs and k labels.
 *
 * @param pairs [expert, judge] label pairs.
 * @param labels the categories, in matrix order; every label must be distinct.
 * @throws {Error} "confusionMatrix: ..." on a duplicate label or a pair using a label not in `labels`.
 * @example
 * confusionMatrix([['a', 'a'], ['a', 'b'], ['b', 'b']], ['a', 'b']); // => [[1, 1], [0, 1]]
 */
export function confusionMatrix<T extends string>(pairs: Array<[T, T]>, labels: readonly T[]): Matrix {
  const index = new Map<T, number>();
  labels.forEach((label, i) => {
    if (index.has(label)) throw new Error(`confusionMatrix: duplicate label "${label}"`);
    index.set(label, i);
  });
  const m = emptyMatrix(labels.length);
  for (const [expert, judge] of pairs) {
    const i = index.get(expert);
    const j = index.get(judge);
    if (i === undefined) throw new Error(`confusionMatrix: label "${expert}" is not one of the labels`);
    if (j === undefined) throw new Error(`confusionMatrix: label "${judge}" is not one of the labels`);
    m[i][j] += 1;
  }
  return m;
}

/**
 * Confusion matrix of two raters over 0-based category indices 0..k−1
 * (rows expert, columns judge). The index form of {@link confusionMatrix}.
 *
 * Complexity: O(n + k²).
 *
 * @param pairs [expert, judge] category indices.
 * @param k number of categories.
 * @param caller name used to prefix error messages, for callers that validate through this.
 * @throws {Error} "confusionMatrixFromIndices: ..." (or "<caller>: ...") when k is not an
 *   integer ≥ 0 or an index is not an integer in [0, k).
 * @example
 * confusionMatrixFromIndices([[0, 0], [0, 2], [2, 2]], 3); // => [[1, 0, 1], [0, 0, 0], [0, 0, 1]]
 */
export function confusionMatrixFromIndices(
  pairs: Array<[number, number]>,
  k: number,
  caller = 'confusionMatrixFromIndices',
): Matrix {
  if (!Number.isInteger(k) || k < 0) {
    throw new Error(`${caller}: k must be an integer ≥ 0, got ${k}`);
  }
  const m = emptyMatrix(k);
  for (const [expert, judge] of pairs) {
    for (const index of [expert, judge]) {
      if (!Number.isInteger(index) || index < 0 || index >= k) {
        throw new Error(`${caller}: category index must be an integer in [0, ${k}), got ${index}`);
      }
    }
    m[expert][judge] += 1;
  }
  return m;
}

function emptyMatrix(k: number): Matrix {
  return Array.from({ length: k }, () => new Array<number>(k).fill(0));
}
