import type { Criterion, Scale } from './types.ts';

type ScaleSpec = Pick<Criterion, 'scale' | 'levels' | 'passAt'>;

/** The verdict values a criterion accepts, in display order. */
export function verdictOptions(c: ScaleSpec): string[] {
  if (c.scale === 'binary') return ['pass', 'fail'];
  if (c.scale === 'pairwise') return ['A', 'B', 'tie'];
  return Array.from({ length: c.levels ?? 0 }, (_, i) => String(i + 1));
}

// Maps, so a verdict written "constructor" or "toString" is not a verdict rather than Object's member
const BINARY = new Map([['pass', 'pass'], ['fail', 'fail'], ['1', 'pass'], ['0', 'fail'], ['true', 'pass'], ['false', 'fail'], ['yes', 'pass'], ['no', 'fail']]);
const PAIRWISE = new Map([['a', 'A'], ['b', 'B'], ['tie', 'tie'], ['1', 'A'], ['2', 'B'], ['0', 'tie']]);

/**
 * Normalises a verdict as written in a file or a model reply to the criterion's canonical value
 * (binary: pass/fail, also 1/0, true/false, any case; pairwise: A/B/tie, also 1/2/0; ordinal: 1..levels).
 * Returns null when the value is not a verdict of this scale.
 */
export function normaliseVerdict(value: unknown, c: ScaleSpec): string | null {
  if (value === null || value === undefined) return null;
  const s = String(value).trim().toLowerCase();
  if (c.scale === 'binary') return BINARY.get(s) ?? null;
  if (c.scale === 'pairwise') return PAIRWISE.get(s) ?? null;
  const n = Number(s);
  return Number.isInteger(n) && n >= 1 && n <= (c.levels ?? 0) ? String(n) : null;
}

export function describeVerdicts(c: ScaleSpec): string {
  if (c.scale === 'binary') return 'pass or fail (also 1/0, true/false)';
  if (c.scale === 'pairwise') return 'A, B or tie (also 1, 2, 0)';
  return `an integer from 1 to ${c.levels}`;
}

/** Whether a canonical verdict counts as a pass (binary pass; ordinal at or above the threshold). Null for pairwise. */
export function isPass(verdict: string, c: ScaleSpec): boolean | null {
  if (c.scale === 'binary') return verdict === 'pass';
  if (c.scale === 'ordinal') return Number(verdict) >= (c.passAt ?? Infinity);
  return null;
}

export const SCALES: Scale[] = ['binary', 'ordinal', 'pairwise'];
