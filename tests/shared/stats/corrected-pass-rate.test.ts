import { describe, expect, it } from 'vitest';
import { correctedPassRate } from '../../../shared/stats/corrected-pass-rate.ts';

type Labelled = Array<{ expertPass: boolean; judgePass: boolean }>;

function labelled(pp: number, pf: number, fp: number, ff: number): Labelled {
  const rows = (count: number, expertPass: boolean, judgePass: boolean) =>
    Array.from({ length: count }, () => ({ expertPass, judgePass }));
  return [...rows(pp, true, true), ...rows(pf, true, false), ...rows(fp, false, true), ...rows(ff, false, false)];
}

function verdicts(passes: number, fails: number): boolean[] {
  return [...new Array<boolean>(passes).fill(true), ...new Array<boolean>(fails).fill(false)];
}

describe('correctedPassRate', () => {
  it('matches the reference Rogan–Gladen point estimate and two-sample bootstrap', () => {
    // bootstrap_reference.py in bootstrap.test.ts (lab = 30/5/4/11, unl = 42 passes + 28 fails, seed 11, 1000 iterations):
    //   -> cpr point 0.6 0.8571428571428571 0.7333333333333334 0.5645161290322582
    //   -> cpr boot 999 [0.18137220580678298, 0.8255878378378373]
    const result = correctedPassRate(
      { labelled: labelled(30, 5, 4, 11), unlabelledJudgePass: verdicts(42, 28) },
      { seed: 11, iterations: 1000 },
    );
    expect(result.observed).toBeCloseTo(0.6, 12);
    expect(result.tpr).toBeCloseTo(0.8571428571428571, 12);
    expect(result.tnr).toBeCloseTo(0.7333333333333334, 12);
    expect(result.estimate).toBeCloseTo(0.5645161290322582, 12);
    expect(result.iterations).toBe(999);
    expect(result.low).toBeCloseTo(0.18137220580678298, 10);
    expect(result.high).toBeCloseTo(0.8255878378378373, 10);
    expect(result.refused).toBeNull();
  });

  it('skips resamples where TPR + TNR ≤ 1 and reports how many were used', () => {
    // bootstrap_reference.py -> weak point 0.5833333333333334 0.75 0.5 0.3333333333333339; weak boot 324 [0.0, 1.0]
    const result = correctedPassRate(
      { labelled: labelled(6, 2, 3, 3), unlabelledJudgePass: verdicts(7, 5) },
      { seed: 2, iterations: 400 },
    );
    expect(result.estimate).toBeCloseTo(0.3333333333333339, 12);
    expect(result.iterations).toBe(324);
    expect(result.low).toBe(0);
    expect(result.high).toBe(1);
  });

  it('returns the observed rate with no width in the correction for a perfect judge', () => {
    const result = correctedPassRate({ labelled: labelled(10, 0, 0, 10), unlabelledJudgePass: verdicts(3, 1) });
    expect(result.estimate).toBe(0.75);
    expect(result.tpr).toBe(1);
    expect(result.tnr).toBe(1);
    expect(result.iterations).toBeGreaterThan(1990);
  });

  it('refuses when the judge is no better than chance', () => {
    // TPR = 5/10, TNR = 4/10: 0.5 + 0.4 = 0.9
    const result = correctedPassRate({ labelled: labelled(5, 5, 6, 4), unlabelledJudgePass: verdicts(5, 5) });
    expect(result).toMatchObject({ observed: 0.5, estimate: null, low: null, high: null, tpr: 0.5, tnr: 0.4, iterations: 0 });
    expect(result.refused).toBe(
      'TPR + TNR = 0.9 ≤ 1: the judge is no better than chance on the labelled set, so its pass rate cannot be corrected.',
    );
  });

  it('refuses when there are no labelled passes, no labelled fails, no labelled or no unlabelled items', () => {
    const noPasses = correctedPassRate({ labelled: labelled(0, 0, 2, 3), unlabelledJudgePass: verdicts(1, 1) });
    expect(noPasses).toMatchObject({ estimate: null, tpr: null, tnr: 0.6 });
    expect(noPasses.refused).toMatch(/no labelled item was passed by the expert/i);

    const noFails = correctedPassRate({ labelled: labelled(3, 1, 0, 0), unlabelledJudgePass: verdicts(1, 1) });
    expect(noFails).toMatchObject({ estimate: null, tpr: 0.75, tnr: null });
    expect(noFails.refused).toMatch(/no labelled item was failed by the expert/i);

    const none = correctedPassRate({ labelled: [], unlabelledJudgePass: [] });
    expect(none).toMatchObject({ observed: null, estimate: null, low: null, high: null, tpr: null, tnr: null });
    expect(none.refused).toMatch(/no labelled items/i);

    const noUnlabelled = correctedPassRate({ labelled: labelled(5, 1, 1, 5), unlabelledJudgePass: [] });
    expect(noUnlabelled).toMatchObject({ observed: null, estimate: null });
    expect(noUnlabelled.refused).toMatch(/no unlabelled items/i);
  });

  it('is reproducible for a seed', () => {
    const input = { labelled: labelled(20, 3, 4, 13), unlabelledJudgePass: verdicts(30, 20) };
    expect(correctedPassRate(input, { seed: 4, iterations: 300 })).toEqual(correctedPassRate(input, { seed: 4, iterations: 300 }));
  });

  it('throws on invalid options, naming itself', () => {
    const input = { labelled: labelled(2, 0, 0, 2), unlabelledJudgePass: verdicts(1, 1) };
    expect(() => correctedPassRate(input, { iterations: 0 })).toThrow(/^correctedPassRate: /);
    expect(() => correctedPassRate(input, { level: 95 })).toThrow(/^correctedPassRate: /);
  });
});
