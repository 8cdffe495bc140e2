import type { DimensionSummary, Item } from '../../shared/types.ts';

/**
 * An item's value for a dimension, or undefined: own keys only, so a dimension named
 * "constructor" or "__proto__" is data, never a member inherited from Object.prototype.
 */
export function dimensionValue(item: Pick<Item, 'dimensions'>, name: string): string | undefined {
  return Object.hasOwn(item.dimensions, name) ? item.dimensions[name] : undefined;
}

/** Every dimension of the items with each value's item count, names and values sorted. */
export function dimensionSummary(items: Iterable<Pick<Item, 'dimensions'>>): DimensionSummary[] {
  const counts = new Map<string, Map<string, number>>();
  for (const item of items) {
    for (const [name, value] of Object.entries(item.dimensions)) {
      let byValue = counts.get(name);
      if (!byValue) counts.set(name, (byValue = new Map()));
      byValue.set(value, (byValue.get(value) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, byValue]) => ({
    name, values: [...byValue.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([value, count]) => ({ value, count })),
  }));
}
