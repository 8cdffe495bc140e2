/**
 * Fleiss' kappa for many raters (Fleiss 1971, "Measuring nominal scale agreement
 * among many raters", Psychological Bulletin 76(5), 378–382). Here it measures how
 * consistently repeated judge samples (the "raters") label each item.
 *
 * Definition, for N subjects each rated by r raters, with n_ij the number of raters who
 * put subject i in category j:
 *   P_i = (Σ_j n_ij² − r) / (r(r − 1)),   P̄ = mean_i P_i
 *   p_j = Σ_i n_ij / (N r),               P_e = Σ_j p_j²
 *   κ = (P̄ − P_e) / (1 − P_e)
 * The same as statsmodels.stats.inter_rater.fleiss_kappa(table, method='fleiss').
 *
 * Complexity: O(N·k).
 *
 * @param table rows = subjects, columns = categories, entries = rater counts; every row
 *   must sum to the same number of raters.
 * @returns κ, or null when there are no subjects, fewer than 2 raters per subject, or
 *   every rating fell in one category (P_e = 1).
 * @throws {Error} "fleissKappa: ..." on ragged rows, a negative or non-finite count, or rows
 *   with different rater totals.
 * @example
 * fleissKappa([[3, 0], [0, 3], [2, 1]]); // => 0.55
 */
export function fleissKappa(table: number[][]): number | null {
  if (!Array.isArray(table)) throw new Error('fleissKappa: table must be an array of rows');
  const subjects = table.length;
  if (subjects === 0) return null;
  const categories = Array.isArray(table[0]) ? table[0].length : 0;
  const categoryTotals = new Array<number>(categories).fill(0);
  const raterTotals: number[] = [];
  const squareSums: number[] = [];
  table.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== categories) {
      throw new Error(`fleissKappa: every row must have ${categories} categories; row ${i} does not`);
    }
    let total = 0;
    let squares = 0;
    row.forEach((count, j) => {
      if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) {
        throw new Error(`fleissKappa: counts must be finite and ≥ 0; table[${i}][${j}] = ${String(count)}`);
      }
      total += count;
      squares += count * count;
      categoryTotals[j] += count;
    });
    if (i > 0 && total !== raterTotals[0]) {
      throw new Error(
        `fleissKappa: every subject needs the same number of raters; row 0 has ${raterTotals[0]}, row ${i} has ${total}`,
      );
    }
    raterTotals.push(total);
    squareSums.push(squares);
  });
  const r = raterTotals[0];
  if (r < 2) return null;
  const observed = squareSums.reduce((sum, squares) => sum + (squares - r) / (r * (r - 1)), 0) / subjects;
  const expected = categoryTotals.reduce((sum, total) => sum + (total / (subjects * r)) ** 2, 0);
  if (expected >= 1) return null;
  return (observed - expected) / (1 - expected);
}
