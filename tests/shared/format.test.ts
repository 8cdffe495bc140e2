import { describe, expect, it } from 'vitest';
import { count, delta, interval, num, pct, plural, signedPts, snippet, usd } from '../../shared/format.ts';

describe('shared number formatting (reports and screens)', () => {
  it('writes rates, coefficients and counts one way', () => {
    expect(pct(0.82345)).toBe('82.3%');
    expect(pct(null)).toBe('—');
    expect(num(0.61234)).toBe('0.612');
    expect(num(undefined)).toBe('—');
    expect(count(1234567)).toBe('1,234,567');
    expect(plural(1, 'item')).toBe('1 item');
    expect(plural(12345, 'item')).toBe('12,345 items');
    expect(usd(0.05171)).toBe('$0.0517');
    expect(usd(0)).toBe('$0.0000');
  });

  it('writes an interval with its level, clipping a coefficient\'s Wald bounds to [−1, 1]', () => {
    expect(interval({ value: 0.82, low: 0.713, high: 0.894 })).toBe('82.0% (95% CI 71.3%–89.4%)');
    expect(interval({ value: 0.95, low: 0.88, high: 1.02 }, 'num')).toBe('0.950 (95% CI 0.880–1.000)');
    expect(interval({ value: null, low: null, high: null }, 'num')).toBe('undefined');
    expect(interval(undefined)).toBe('undefined');
  });

  it('signs differences with a real minus and says when there is none', () => {
    expect(signedPts(0.042)).toBe('+4.2 pts');
    expect(signedPts(-0.01)).toBe('−1.0 pts');
    expect(signedPts(0)).toBe('±0.0 pts');
    expect(delta(0.5, 0.58, 'num')).toBe('+0.080');
    expect(delta(0.7, 0.65)).toBe('−5.0 pts');
    expect(delta(null, 0.5)).toBe('—');
  });

  it('cuts long text to one line', () => {
    expect(snippet('a\n  b   c')).toBe('a b c');
    expect(snippet('x'.repeat(10), 5)).toBe('xxxx…');
  });
});
