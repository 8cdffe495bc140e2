/**
 * How numbers are written for people: one definition used by the Markdown/HTML report (CLI and
 * API) and by the web UI, so the same figure reads the same everywhere. Pure functions, no
 * locale: counts use en-US grouping so the server and every browser print the same text.
 */
import type { Interval } from './stats/index.ts';
import type { ErrorRate } from './metrics/report.ts';

/** A rate in [0, 1] as a percentage: `pct(0.8234)` → "82.3%"; "—" when there is no value. */
export const pct = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`);

/** A coefficient (kappa, PABAK, AC1, balanced accuracy…): `num(0.61234)` → "0.612"; "—" when there is no value. */
export const num = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined ? '—' : x.toFixed(digits));

/** US dollars to the hundredth of a cent, as costs and cost previews are shown: `usd(0.05171)` → "$0.0517". */
export const usd = (x: number): string => `$${x.toFixed(4)}`;

/** A count with thousands separators: `count(12345)` → "12,345". */
export const count = (n: number): string => n.toLocaleString('en-US');

/** A chance-corrected coefficient lies in [−1, 1]; its asymptotic (Wald) bounds can pass 1 and are shown within that range. */
const clipCoefficient = (x: number | null): number | null => (x === null ? null : Math.max(-1, Math.min(1, x)));

/**
 * A value with its 95% interval: "82.0% (95% CI 71.3%–89.4%)" for a rate, "0.612 (95% CI
 * 0.420–0.803)" for a coefficient (bounds clipped to [−1, 1]); "undefined" when the metric has
 * no value (e.g. kappa when expected agreement is 1).
 */
export function interval(iv: Interval | undefined, kind: 'pct' | 'num' = 'pct'): string {
  if (!iv || iv.value === null) return 'undefined';
  const f = kind === 'pct' ? (x: number | null) => pct(x) : (x: number | null) => num(clipCoefficient(x));
  // a defined value whose interval is not (e.g. kappa when one rater gave one category): "—", with the reason
  if (iv.low === null || iv.high === null) {
    const reason = (iv as { reason?: string }).reason;
    return `${f(iv.value)} (95% CI —${reason ? `: ${reason}` : ''})`;
  }
  return `${f(iv.value)} (95% CI ${f(iv.low)}–${f(iv.high)})`;
}

/** "3 errors + 2 not judged of 240 labelled": the parts of an error rate (shared/metrics/report.ts ErrorRate). */
export function errorRateParts(e: ErrorRate): string {
  return `${plural(e.errors, 'error')} + ${count(e.notJudged)} not judged of ${count(e.labelled)} labelled`;
}

/** "error rate 2.1% (3 errors + 2 not judged of 240 labelled)", with "no majority" items when there are any. */
export function errorRateText(e: ErrorRate): string {
  return `error rate ${pct(e.value)} (${errorRateParts(e)}${e.noMajority ? `; ${count(e.noMajority)} with no majority among samples` : ''})`;
}

/** A difference of two rates in percentage points: "+4.2 pts", "−1.0 pts", "±0.0 pts"; "—" when there is none. */
export function signedPts(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  return `${sign(x)}${Math.abs(x * 100).toFixed(1)} pts`;
}

/** The change from `a` to `b`: "+4.2 pts" for rates, "+0.080" for coefficients; "—" when either is missing. */
export function delta(a: number | null, b: number | null, kind: 'pct' | 'num' = 'pct'): string {
  if (a === null || b === null) return '—';
  const d = b - a;
  return kind === 'pct' ? signedPts(d) : `${sign(d)}${num(Math.abs(d))}`;
}

const sign = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '±');

/** "1 item", "1,204 items". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

/** The first `max` characters of a text on one line, for tables. */
export function snippet(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
