import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../../shared/stats/wilson.ts';

describe('wilsonInterval', () => {
  it.each([
    // /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci; print(ci(8, 10, method='wilson'))" -> (0.49016247153664183, 0.9433178485456247)
    [8, 10, 0.49016247153664183, 0.9433178485456247],
    // /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci; print(ci(0, 10, method='wilson'))" -> (0.0, 0.27753279986288926)
    [0, 10, 0, 0.27753279986288926],
    // /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci; print(ci(10, 10, method='wilson'))" -> (0.7224672001371106, 1.0)
    [10, 10, 0.7224672001371106, 1],
    // /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci; print(ci(37, 120, method='wilson'))" -> (0.23272736988916298, 0.39582997723800684)
    [37, 120, 0.23272736988916298, 0.39582997723800684],
    // /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci; print(ci(1, 1, method='wilson'))" -> (0.2065493143772374, 1.0)
    [1, 1, 0.2065493143772374, 1],
  ])('matches statsmodels proportion_confint(method="wilson") for %i of %i', (successes, n, low, high) => {
    const interval = wilsonInterval(successes, n);
    expect(interval.value).toBeCloseTo(successes / n, 12);
    expect(interval.low).toBeCloseTo(low, 12);
    expect(interval.high).toBeCloseTo(high, 12);
  });

  it('accepts another z', () => {
    // /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci; from scipy.stats import norm; print(norm.isf(0.005), ci(5, 20, alpha=0.01, method='wilson'))"
    //   -> 2.575829303548901 (0.08736390840107403, 0.5371887921483027)
    const interval = wilsonInterval(5, 20, 2.575829303548901);
    expect(interval.low).toBeCloseTo(0.08736390840107403, 12);
    expect(interval.high).toBeCloseTo(0.5371887921483027, 12);
  });

  it('pins the bounds at 0 and 1 exactly so the interval always contains the estimate', () => {
    expect(wilsonInterval(0, 7).low).toBe(0);
    expect(wilsonInterval(7, 7).high).toBe(1);
  });

  it('gives nulls for n = 0', () => {
    expect(wilsonInterval(0, 0)).toEqual({ value: null, low: null, high: null });
  });

  it('throws on invalid input, naming itself', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(/^wilsonInterval: /);
    expect(() => wilsonInterval(-1, 2)).toThrow(/^wilsonInterval: /);
    expect(() => wilsonInterval(1, -2)).toThrow(/^wilsonInterval: /);
    expect(() => wilsonInterval(Number.NaN, 2)).toThrow(/^wilsonInterval: /);
    expect(() => wilsonInterval(1, 2, 0)).toThrow(/^wilsonInterval: /);
  });
});
