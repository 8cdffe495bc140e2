/**
 * Failure-mode rates by slice: for each failure mode, the share of labelled items in each slice
 * (each split, each dimension value) that are assigned to the mode, with a Wilson 95% interval.
 * Pure: the service feeds it the population and the assignments.
 */
import { wilsonInterval, type Interval } from '../stats/wilson.ts';
import type { Split } from '../types.ts';

export interface RateItem { id: number; split: Split; dimensions: Record<string, string> }
export interface RateMode { id: number; name: string; items: readonly number[] }

/** One slice of one mode: `k` of the `n` labelled items of the slice are assigned to the mode. */
export interface SliceRate {
  /** 'split' for a split slice, else the dimension name */
  dimension: string;
  value: string;
  n: number;
  k: number;
  rate: Interval;
  /** item ids of the slice assigned to the mode (to drill down) */
  items: number[];
  /** fewer than 10 labelled items: read the interval, not the point */
  small: boolean;
}

export interface ModeRates { modeId: number; name: string; overall: SliceRate; slices: SliceRate[] }

export const SMALL_SLICE = 10;

/**
 * Rates of every mode over a population, ranked.
 *
 * Population: the items passed in (the service passes items with a current, non-ambiguous expert
 * label in the splits the modes were built from). Rate of mode m in slice s = |items of s assigned
 * to m| / |items of s|, with a Wilson 95% interval (statsmodels `proportion_confint(k, n, method='wilson')`).
 * Assignments to items outside the population are ignored.
 * Slices: each split present, then each dimension value present; ranked by the interval's lower
 * bound (descending), then the point rate, then n (descending), then name — so a high rate on
 * two items does not outrank a solid one.
 *
 * Complexity: O(modes × items × dimensions).
 * @example
 * failureModeRates([{ id: 1, split: 'dev', dimensions: { feature: 'refunds' } }], [{ id: 7, name: 'x', items: [1] }])
 * // => [{ modeId: 7, name: 'x', overall: { n: 1, k: 1, … }, slices: [split=dev 1/1, feature=refunds 1/1] }]
 */
export function failureModeRates(population: readonly RateItem[], modes: readonly RateMode[]): ModeRates[] {
  // slice key → member item ids, built once for all modes (Maps: dimension values are user data)
  const slices = new Map<string, { dimension: string; value: string; members: number[] }>();
  const add = (dimension: string, value: string, id: number) => {
    const key = JSON.stringify([dimension, value]);
    let s = slices.get(key);
    if (!s) { s = { dimension, value, members: [] }; slices.set(key, s); }
    s.members.push(id);
  };
  for (const item of population) {
    add('split', item.split, item.id);
    for (const [d, v] of Object.entries(item.dimensions)) add(d, String(v), item.id);
  }
  const inPopulation = new Set(population.map((i) => i.id));
  return modes.map((m) => {
    const assigned = new Set(m.items.filter((id) => inPopulation.has(id)));
    const rateOf = (dimension: string, value: string, members: readonly number[]): SliceRate => {
      const hit = members.filter((id) => assigned.has(id));
      return { dimension, value, n: members.length, k: hit.length, rate: wilsonInterval(hit.length, members.length), items: hit, small: members.length < SMALL_SLICE };
    };
    const ranked = [...slices.values()].map((s) => rateOf(s.dimension, s.value, s.members)).sort(bySupportedRate);
    return { modeId: m.id, name: m.name, overall: rateOf('all', 'all', population.map((i) => i.id)), slices: ranked };
  });
}

function bySupportedRate(a: SliceRate, b: SliceRate): number {
  return (b.rate.low ?? -1) - (a.rate.low ?? -1) || (b.rate.value ?? -1) - (a.rate.value ?? -1) || b.n - a.n
    || a.dimension.localeCompare(b.dimension) || a.value.localeCompare(b.value);
}
