import type { Interval } from './types.ts';

export const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`);
export const num = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '—' : x.toFixed(digits));

/** "82.0% (71.3–89.4)" or "0.61 (0.42–0.80)"; "undefined" when the metric has no value. */
export function interval(iv: Interval | undefined, kind: 'pct' | 'num' = 'pct'): string {
  if (!iv || iv.value === null) return 'undefined';
  // A Wald interval for kappa can pass 1; show it within kappa's range [−1, 1].
  const f = kind === 'pct' ? (x: number | null) => (x === null ? '—' : (x * 100).toFixed(1)) : (x: number | null) => num(x === null ? null : Math.max(-1, Math.min(1, x)));
  return `${kind === 'pct' ? pct(iv.value) : num(iv.value)} (${f(iv.low)}–${f(iv.high)})`;
}

/** A signed difference: "+4.2 pts" for rates, "+0.08" for kappa. */
export function delta(a: number | null, b: number | null, kind: 'pct' | 'num' = 'pct'): string {
  if (a === null || b === null) return '—';
  const d = b - a;
  const s = kind === 'pct' ? `${(Math.abs(d) * 100).toFixed(1)} pts` : Math.abs(d).toFixed(2);
  return `${d > 0 ? '+' : d < 0 ? '−' : '±'}${s}`;
}

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

export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** The first `max` characters of a text on one line, for tables. */
export function snippet(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
