import { describe, expect, it } from 'vitest';
import {
  binaryAgreement,
  categoricalAgreement,
  cohenKappa,
  correctedPassRate,
  createRng,
  gwetAC1,
  mcnemarExact,
  ordinalAgreement,
  pabak,
  selfAgreement,
  weightedKappa,
  wilsonInterval,
  type Interval,
  type Matrix,
} from '../../../shared/stats/index.ts';

// Property checks over many random inputs drawn from the library's own seeded generator.
const rng = createRng(20240611);
const randomInt = (max: number) => Math.floor(rng() * (max + 1));

/** A random k×k count matrix; about a third of the cells are empty so edge cases turn up. */
function randomMatrix(k: number): Matrix {
  return Array.from({ length: k }, () => Array.from({ length: k }, () => (rng() < 0.35 ? 0 : randomInt(12))));
}

function randomBinaryPairs(): Array<[boolean, boolean]> {
  const bias = rng();
  return Array.from({ length: randomInt(40) }, () => [rng() < 0.6, rng() < bias] as [boolean, boolean]);
}

const transpose = (m: Matrix): Matrix => m.map((row, i) => row.map((_, j) => m[j][i]));

function expectContains(interval: Interval, label: string) {
  if (interval.value === null) {
    expect(interval, label).toEqual({ ...interval, low: null, high: null });
    return;
  }
  // a defined kappa whose interval is undefined must say why (one rater used a single category)
  if (interval.low === null && interval.high === null && typeof (interval as { reason?: unknown }).reason === 'string') return;
  expect(interval.low!, label).toBeLessThanOrEqual(interval.value + 1e-12);
  expect(interval.value, label).toBeLessThanOrEqual(interval.high! + 1e-12);
}

/** No NaN or infinity anywhere in a result: undefined values must be null. */
function expectNoNaN(value: unknown, path = 'result') {
  if (typeof value === 'number') expect(Number.isFinite(value), path).toBe(true);
  else if (Array.isArray(value)) value.forEach((v, i) => expectNoNaN(v, `${path}[${i}]`));
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) expectNoNaN(v, `${path}.${key}`);
  }
}

describe('agreement statistics on random matrices', () => {
  it('keep kappa in [−1, 1], contain their estimates and do not depend on which rater is which', () => {
    for (let trial = 0; trial < 500; trial++) {
      const m = randomMatrix(2 + randomInt(3));
      const kappa = cohenKappa(m);
      expectNoNaN(kappa);
      expectContains(kappa, `kappa ${JSON.stringify(m)}`);
      if (kappa.value !== null) {
        expect(kappa.value).toBeLessThanOrEqual(1 + 1e-12);
        expect(kappa.value).toBeGreaterThanOrEqual(-1 - 1e-12);
        expect(kappa.se!).toBeGreaterThanOrEqual(0);
      }

      const swapped = cohenKappa(transpose(m));
      if (kappa.value === null) expect(swapped.value).toBeNull();
      else {
        expect(swapped.value!).toBeCloseTo(kappa.value, 10);
        expect(swapped.se!).toBeCloseTo(kappa.se!, 10);
      }
      for (const weights of ['linear', 'quadratic'] as const) {
        const wk = weightedKappa(m, weights);
        const wkSwapped = weightedKappa(transpose(m), weights);
        if (wk === null) expect(wkSwapped).toBeNull();
        else {
          expect(wk).toBeLessThanOrEqual(1 + 1e-12);
          expect(wkSwapped!).toBeCloseTo(wk, 10);
        }
      }
      for (const statistic of [pabak, gwetAC1]) {
        const value = statistic(m);
        const valueSwapped = statistic(transpose(m));
        if (value === null) expect(valueSwapped).toBeNull();
        else {
          expect(value).toBeLessThanOrEqual(1 + 1e-12);
          expect(value).toBeGreaterThanOrEqual(-1 - 1e-12);
          expect(valueSwapped!).toBeCloseTo(value, 10);
        }
      }
    }
  });

  it('keeps Wilson intervals inside [0, 1] around the estimate', () => {
    for (let trial = 0; trial < 500; trial++) {
      const n = randomInt(60);
      const interval = wilsonInterval(randomInt(n), n);
      expectNoNaN(interval);
      expectContains(interval, 'wilson');
      if (interval.value !== null) {
        expect(interval.low!).toBeGreaterThanOrEqual(0);
        expect(interval.high!).toBeLessThanOrEqual(1);
      }
    }
  });

  it('gives McNemar p-values in (0, 1]', () => {
    for (let trial = 0; trial < 200; trial++) {
      const p = mcnemarExact(randomInt(80), randomInt(80));
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThanOrEqual(1);
    }
  });
});

describe('binaryAgreement on random pairs', () => {
  it('never yields NaN and its intervals contain their estimates', () => {
    for (let trial = 0; trial < 300; trial++) {
      const metrics = binaryAgreement(randomBinaryPairs());
      expectNoNaN(metrics);
      for (const field of ['agreement', 'kappa', 'tpr', 'tnr', 'prevalence', 'judgePassRate'] as const) {
        expectContains(metrics[field], field);
      }
    }
  });

  it('agrees with itself under swapping raters, under swapping pass and fail, and with categoricalAgreement', () => {
    for (let trial = 0; trial < 300; trial++) {
      const pairs = randomBinaryPairs();
      const base = binaryAgreement(pairs);
      const swapped = binaryAgreement(pairs.map(([e, j]) => [j, e]));
      const flipped = binaryAgreement(pairs.map(([e, j]) => [!e, !j]));
      const categorical = categoricalAgreement(
        pairs.map(([e, j]) => [e ? 0 : 1, j ? 0 : 1]),
        ['pass', 'fail'],
      );
      for (const other of [swapped, flipped, categorical]) {
        expect(other.agreement).toEqual(base.agreement);
        if (base.kappa.value === null) expect(other.kappa.value).toBeNull();
        else {
          expect(other.kappa.value!).toBeCloseTo(base.kappa.value, 10);
          expect(other.kappa.se!).toBeCloseTo(base.kappa.se!, 10);
        }
        expect(other.pabak).toBe(base.pabak);
        if (base.ac1 === null) expect(other.ac1).toBeNull();
        else expect(other.ac1!).toBeCloseTo(base.ac1, 10);
      }
      expect(categorical.confusion.matrix).toEqual(base.confusion.matrix);
      // Swapping raters swaps the two pass rates; swapping pass and fail swaps TPR and TNR.
      expect(swapped.prevalence).toEqual(base.judgePassRate);
      expect(flipped.tpr).toEqual(base.tnr);
      expect(flipped.tnr).toEqual(base.tpr);
      if (base.bias !== null) {
        expect(swapped.bias!).toBeCloseTo(-base.bias, 12);
        expect(flipped.bias!).toBeCloseTo(-base.bias, 12);
        expect(base.bias).toBeCloseTo(base.judgePassRate.value! - base.prevalence.value!, 12);
      }
    }
  });
});

describe('bootstrap-based statistics on random inputs', () => {
  it('give low ≤ high and estimates inside the possible range', () => {
    for (let trial = 0; trial < 25; trial++) {
      const k = 2 + randomInt(3);
      const pairs = Array.from({ length: randomInt(30) }, () => [randomInt(k - 1), randomInt(k - 1)] as [number, number]);
      const ordinal = ordinalAgreement(pairs, k, { seed: trial, iterations: 200 });
      expectNoNaN(ordinal);
      for (const interval of [ordinal.weightedKappa.linear, ordinal.weightedKappa.quadratic]) {
        if (interval.low !== null) expect(interval.low).toBeLessThanOrEqual(interval.high!);
        if (interval.value !== null) expect(interval.value).toBeLessThanOrEqual(1 + 1e-12);
      }

      const labelled = Array.from({ length: randomInt(40) }, () => ({ expertPass: rng() < 0.5, judgePass: rng() < 0.5 }));
      const unlabelledJudgePass = Array.from({ length: randomInt(40) }, () => rng() < 0.5);
      const corrected = correctedPassRate({ labelled, unlabelledJudgePass }, { seed: trial, iterations: 200 });
      expectNoNaN(corrected);
      expect(corrected.refused === null).toBe(corrected.estimate !== null);
      if (corrected.estimate !== null) {
        expect(corrected.estimate).toBeGreaterThanOrEqual(0);
        expect(corrected.estimate).toBeLessThanOrEqual(1);
      }
      if (corrected.low !== null) {
        expect(corrected.low).toBeGreaterThanOrEqual(0);
        expect(corrected.low).toBeLessThanOrEqual(corrected.high!);
        expect(corrected.high!).toBeLessThanOrEqual(1);
      }
      expect(corrected.iterations).toBeLessThanOrEqual(200);
    }
  });
});

describe('selfAgreement on random samples', () => {
  it('stays in [0, 1] and is 1 exactly when nothing flips', () => {
    for (let trial = 0; trial < 200; trial++) {
      const samples = Array.from({ length: randomInt(8) }, () =>
        Array.from({ length: randomInt(5) }, () => ['pass', 'fail', 'unsure'][randomInt(2)]),
      );
      const result = selfAgreement(samples);
      expectNoNaN(result);
      expect(result.majority).toHaveLength(samples.length);
      if (result.selfAgreement !== null) {
        expect(result.selfAgreement).toBeGreaterThanOrEqual(0);
        expect(result.selfAgreement).toBeLessThanOrEqual(1);
        expect(result.selfAgreement === 1).toBe(result.flipRate === 0);
      }
    }
  });
});
