/**
 * A square k×k table of counts. Rows are rater A (the expert), columns are rater B
 * (the judge): m[i][j] counts items the expert put in category i and the judge in j.
 */
export type Matrix = number[][];

/** Totals of a count matrix, computed once and shared by the agreement statistics. */
export interface MatrixSummary {
  /** Number of categories (the matrix is k×k). */
  k: number;
  /** Total count. */
  n: number;
  /** Row sums (rater A's marginal counts). */
  rows: number[];
  /** Column sums (rater B's marginal counts). */
  cols: number[];
  /** Sum of the diagonal (items both raters put in the same category). */
  agree: number;
}

/**
 * Validates a square count matrix and returns its totals.
 *
 * Complexity: O(k²).
 *
 * @param caller the public function's name, used to prefix error messages.
 * @throws {Error} "<caller>: ..." when m is not square or holds a negative or non-finite entry.
 * @example
 * summarizeMatrix([[3, 1], [0, 2]], 'cohenKappa');
 * // => { k: 2, n: 6, rows: [4, 2], cols: [3, 3], agree: 5 }
 */
export function summarizeMatrix(m: Matrix, caller: string): MatrixSummary {
  if (!Array.isArray(m)) throw new Error(`${caller}: matrix must be an array of rows`);
  const k = m.length;
  const rows = new Array<number>(k).fill(0);
  const cols = new Array<number>(k).fill(0);
  let n = 0;
  let agree = 0;
  for (let i = 0; i < k; i++) {
    const row = m[i];
    if (!Array.isArray(row) || row.length !== k) {
      throw new Error(`${caller}: matrix must be square (k×k with k = ${k}); row ${i} is not`);
    }
    for (let j = 0; j < k; j++) {
      const count = row[j];
      if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) {
        throw new Error(`${caller}: matrix entries must be finite counts ≥ 0; m[${i}][${j}] = ${String(count)}`);
      }
      rows[i] += count;
      cols[j] += count;
      n += count;
      if (i === j) agree += count;
    }
  }
  return { k, n, rows, cols, agree };
}
