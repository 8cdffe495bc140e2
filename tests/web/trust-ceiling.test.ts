import { describe, expect, it } from 'vitest';
import { humanCeiling } from '../../web/src/lib/trust.ts';

describe('humanCeiling', () => {
  it('gives the range of 200,000 annotator-pair kappas without spreading them into Math.min/max', () => {
    const n = 200_000;
    const pairwise = Array.from({ length: n }, (_, i) => ({ a: `a${i}`, b: `b${i}`, n: 10, agreement: 0.9, kappa: i === 7 ? -0.25 : i === 9 ? 0.95 : 0.5 }));
    const c = humanCeiling({ annotators: ['x', 'y', 'z'], pairwise, fleissKappa: 0.6, fleissItems: 40, judge: [] } as never);
    expect(c).toEqual({ kappa: 0.6, what: "Fleiss' kappa, 3 annotators, 40 items", range: [-0.25, 0.95] });
  });
});
