import { describe, expect, it } from 'vitest';
import { mcnemarExact } from '../../../shared/stats/mcnemar.ts';

describe('mcnemarExact', () => {
  // /usr/bin/python3 -c "from statsmodels.stats.contingency_tables import mcnemar; print([mcnemar([[0,b],[c,0]], exact=True).pvalue for b, c in [(1,9),(0,0),(5,5),(0,7),(3,0),(30,45),(400,520),(2000,2100)]])"
  //   -> [0.021484375, 1.0, 1.0, 0.015625, 0.25, 0.10534226887460482, 8.54917092388378e-05, 0.12206497999113655]
  it.each([
    [1, 9, 0.021484375],
    [0, 0, 1],
    [5, 5, 1],
    [0, 7, 0.015625],
    [3, 0, 0.25],
    [30, 45, 0.10534226887460482],
    [2000, 2100, 0.12206497999113655],
  ])('matches statsmodels mcnemar(exact=True) for b = %i, c = %i', (b, c, expected) => {
    expect(mcnemarExact(b, c)).toBeCloseTo(expected, 10);
  });

  it('keeps relative precision for small p-values', () => {
    const p = mcnemarExact(400, 520);
    expect(Math.abs(p - 8.54917092388378e-5) / 8.54917092388378e-5).toBeLessThan(1e-9);
  });

  // Large inputs must not crash (the log terms were once spread into Math.max, overflowing the stack past ~125k).
  // /usr/bin/python3 -c "from statsmodels.stats.contingency_tables import mcnemar; print([mcnemar([[0,b],[c,0]], exact=True).pvalue for b, c in [(150000,151500),(500000,499000)]])"
  // -> [0.006333903293618137, 0.3175525996737472]
  it.each([
    [150_000, 151_500, 0.006333903293618137],
    [500_000, 499_000, 0.3175525996737472],
  ])('handles min(b, c) past 125k: b = %i, c = %i (1M discordant pairs)', (b, c, expected) => {
    expect(Math.abs(mcnemarExact(b, c) - expected) / expected).toBeLessThan(1e-6);
  });

  it('is symmetric in b and c', () => {
    expect(mcnemarExact(12, 4)).toBe(mcnemarExact(4, 12));
  });

  it('throws on a negative or fractional count, naming itself', () => {
    expect(() => mcnemarExact(-1, 2)).toThrow(/^mcnemarExact: /);
    expect(() => mcnemarExact(1, 2.5)).toThrow(/^mcnemarExact: /);
  });
});
