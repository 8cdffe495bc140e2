import { quantileSorted } from 'simple-statistics';
import { createRng } from './rng.ts';

/** Options shared by every bootstrap in this library. */
export interface BootstrapOptions {
  /** Number of resamples drawn, default 2000. */
  iterations?: number;
  /** Seed for {@link createRng}, default 1. */
  seed?: number;
  /** Two-sided confidence level in (0, 1), default 0.95. */
  level?: number;
}

/** A percentile bootstrap interval and how many resamples it rests on. */
export interface BootstrapResult {
  low: number | null;
  high: number | null;
  /** Resamples whose statistic was defined (not null) and so entered the percentiles. */
  iterations: number;
}

/**
 * Fills in bootstrap defaults and validates them.
 *
 * @throws {Error} "<caller>: ..." when iterations is not an integer ≥ 1, the seed is not
 *   finite, or level is not in (0, 1).
 */
export function resolveBootstrapOptions(opts: BootstrapOptions, caller: string): Required<BootstrapOptions> {
  const { iterations = 2000, seed = 1, level = 0.95 } = opts;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Error(`${caller}: iterations must be an integer ≥ 1, got ${iterations}`);
  }
  if (!Number.isFinite(seed)) throw new Error(`${caller}: seed must be a finite number, got ${seed}`);
  if (!(level > 0 && level < 1)) throw new Error(`${caller}: level must be in (0, 1), got ${level}`);
  return { iterations, seed, level };
}

/**
 * Draws n indices from 0..n−1 uniformly with replacement.
 *
 * Complexity: O(n).
 *
 * @example
 * resampleIndices(3, createRng(1)); // => three indices in 0..2, e.g. [1, 0, 1]
 */
export function resampleIndices(n: number, rng: () => number): number[] {
  const indices = new Array<number>(n);
  for (let i = 0; i < n; i++) indices[i] = Math.floor(rng() * n);
  return indices;
}

/**
 * The equal-tailed percentile interval of a sample: its (1 − level)/2 and
 * (1 + level)/2 quantiles by linear interpolation (type 7, numpy.quantile's default),
 * via simple-statistics' quantileSorted.
 *
 * Complexity: O(m log m) for m values (one sort).
 *
 * @returns nulls for an empty sample.
 * @example
 * percentileInterval([1, 2, 3, 4, 5], 0.5); // => { low: 2, high: 4 }
 */
export function percentileInterval(values: number[], level: number): { low: number | null; high: number | null } {
  if (values.length === 0) return { low: null, high: null };
  const sorted = [...values].sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { low: quantileSorted(sorted, tail), high: quantileSorted(sorted, 1 - tail) };
}

/**
 * Percentile bootstrap interval (Efron & Tibshirani 1993, "An Introduction to the
 * Bootstrap", ch. 13) for a statistic of n items.
 *
 * Each iteration draws n indices from 0..n−1 with replacement using a seeded
 * {@link createRng}, and calls `statistic(indices)`. Iterations where the statistic is
 * null (undefined on that resample, e.g. kappa when every resampled item fell in one
 * class) are skipped; `iterations` reports how many were used. The interval is the
 * (1 − level)/2 and (1 + level)/2 type-7 quantiles of the defined values. A percentile
 * interval need not contain the full-sample estimate when the statistic is skewed.
 *
 * Complexity: O(iterations · (n + cost of statistic)).
 *
 * @param n number of items; n = 0 gives `{ low: null, high: null, iterations: 0 }`.
 * @param statistic computes the statistic on a resample given as item indices.
 * @param opts iterations (default 2000), seed (default 1), level (default 0.95).
 * @throws {Error} "bootstrapInterval: ..." on an invalid n or option, or when the statistic
 *   returns NaN or ±Infinity.
 * @example
 * const xs = [1, 2, 3, 4, 10];
 * bootstrapInterval(xs.length, (idx) => idx.reduce((s, i) => s + xs[i], 0) / idx.length, { seed: 7 });
 * // => { low: 1.8, high: 7, iterations: 2000 }
 */
export function bootstrapInterval(
  n: number,
  statistic: (indices: number[]) => number | null,
  opts: BootstrapOptions = {},
): BootstrapResult {
  if (!Number.isInteger(n) || n < 0) throw new Error(`bootstrapInterval: n must be an integer ≥ 0, got ${n}`);
  const { iterations, seed, level } = resolveBootstrapOptions(opts, 'bootstrapInterval');
  if (n === 0) return { low: null, high: null, iterations: 0 };
  const rng = createRng(seed);
  const values: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const value = statistic(resampleIndices(n, rng));
    if (value === null) continue;
    if (!Number.isFinite(value)) {
      throw new Error(`bootstrapInterval: statistic returned ${value}; return null for an undefined value`);
    }
    values.push(value);
  }
  return { ...percentileInterval(values, level), iterations: values.length };
}
