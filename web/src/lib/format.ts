import { interval } from '../../../shared/format.ts';
import type { Interval } from './types.ts';

/**
 * Dates for people, in the browser's own locale. Numbers (rates, coefficients, intervals,
 * counts) are formatted by shared/format.ts, the same functions the reports use.
 */

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "Nov 23, 09:36": for narrow lists. */
export function shortWhen(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/**
 * A value with its 95% interval for the screens: as shared/format.ts `interval`, but "—" (never
 * the word "undefined") when the metric has no value; say why beside it with {@link noValueReason}.
 */
export function shownInterval(iv: Interval | undefined, kind: 'pct' | 'num' = 'pct'): string {
  return !iv || iv.value === null ? '—' : interval(iv, kind);
}

/** Why a report has no figure: nothing compared (with the judge errors behind it), or a class missing. */
export function noValueReason(r: { n: number; excluded: { errors: number } }, split: string): string {
  if (r.n > 0) return 'not defined on these items: a class has too few items';
  if (r.excluded.errors > 0) return `all ${r.excluded.errors} judgment${r.excluded.errors === 1 ? '' : 's'} of ${split} items failed: see the errors`;
  return `no labelled item of the ${split} split was judged`;
}
