import { describe, expect, it } from 'vitest';
import { roganGladen } from '../../../shared/stats/rogan-gladen.ts';

describe('roganGladen', () => {
  // /usr/bin/python3 -c "print((0.6 + 0.8 - 1) / (0.9 + 0.8 - 1), (0.05 + 0.9 - 1) / (0.95 + 0.9 - 1), (0.99 + 0.7 - 1) / (0.8 + 0.7 - 1))"
  //   -> 0.5714285714285712 -0.05882352941176462 1.38
  it('is (p_obs + TNR − 1)/(TPR + TNR − 1)', () => {
    expect(roganGladen(0.6, 0.9, 0.8)).toBeCloseTo(0.5714285714285712, 12);
  });

  it('clips to [0, 1]', () => {
    expect(roganGladen(0.05, 0.95, 0.9)).toBe(0);
    expect(roganGladen(0.99, 0.8, 0.7)).toBe(1);
  });

  it('returns the observed rate for a perfect judge', () => {
    expect(roganGladen(0.37, 1, 1)).toBeCloseTo(0.37, 12);
  });

  it('is null when TPR + TNR ≤ 1', () => {
    expect(roganGladen(0.5, 0.5, 0.5)).toBeNull();
    expect(roganGladen(0.5, 0.3, 0.4)).toBeNull();
  });

  it('throws on a rate outside [0, 1], naming itself', () => {
    expect(() => roganGladen(1.2, 0.9, 0.9)).toThrow(/^roganGladen: observed/);
    expect(() => roganGladen(0.5, -0.1, 0.9)).toThrow(/^roganGladen: tpr/);
    expect(() => roganGladen(0.5, 0.9, Number.NaN)).toThrow(/^roganGladen: tnr/);
  });
});
