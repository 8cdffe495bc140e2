import { describe, expect, it } from 'vitest';
import { createRng } from '../../../shared/stats/rng.ts';

describe('createRng', () => {
  it('reproduces the mulberry32 reference stream', () => {
    // The Python port of mulberry32 at the top of bootstrap.test.ts:
    // g = mulberry32(42); [next(g) for _ in range(3)] -> [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]
    const rng = createRng(42);
    expect([rng(), rng(), rng()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    // g = mulberry32(1); [next(g) for _ in range(3)] -> [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]
    const one = createRng(1);
    expect([one(), one(), one()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });

  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = createRng(123);
    const b = createRng(123);
    const c = createRng(124);
    const draws = Array.from({ length: 5 }, () => [a(), b(), c()]);
    for (const [x, y] of draws) expect(x).toBe(y);
    expect(draws.map(([x]) => x)).not.toEqual(draws.map(([, , z]) => z));
  });

  it('draws uniformly from [0, 1)', () => {
    const rng = createRng(2024);
    const draws = Array.from({ length: 20000 }, rng);
    expect(draws.every((d) => d >= 0 && d < 1)).toBe(true);
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(mean).toBeCloseTo(0.5, 2);
    const deciles = new Array<number>(10).fill(0);
    for (const x of draws) deciles[Math.floor(x * 10)]++;
    for (const count of deciles) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });

  it('throws on a seed that is not a finite number', () => {
    expect(() => createRng(Number.NaN)).toThrow(/^createRng: /);
    expect(() => createRng(Infinity)).toThrow(/^createRng: /);
  });
});
