import { describe, expect, it } from 'vitest';
import { describeVerdicts, isPass, normaliseVerdict, verdictOptions } from '../../shared/verdicts.ts';

const binary = { scale: 'binary' as const, levels: null, passAt: null };
const ordinal = { scale: 'ordinal' as const, levels: 5, passAt: 4 };
const pairwise = { scale: 'pairwise' as const, levels: null, passAt: null };

describe('normaliseVerdict', () => {
  it.each([
    ['pass', 'pass'], ['PASS', 'pass'], [' Pass ', 'pass'], ['fail', 'fail'], ['FAIL', 'fail'],
    [1, 'pass'], [0, 'fail'], ['1', 'pass'], ['0', 'fail'], [true, 'pass'], [false, 'fail'], ['TRUE', 'pass'], ['false', 'fail'],
  ])('binary: %j → %s', (value, expected) => {
    expect(normaliseVerdict(value, binary)).toBe(expected);
  });

  it.each([['maybe'], [''], ['passed'], [2], [null], [undefined], ['p a s s']])('binary: %j is not a verdict', (value) => {
    expect(normaliseVerdict(value, binary)).toBeNull();
  });

  it('ordinal: integers 1..levels only', () => {
    expect(normaliseVerdict('4', ordinal)).toBe('4');
    expect(normaliseVerdict(5, ordinal)).toBe('5');
    expect(normaliseVerdict(' 2 ', ordinal)).toBe('2');
    for (const bad of [0, 6, '2.5', 'pass', '']) expect(normaliseVerdict(bad, ordinal)).toBeNull();
  });

  it('pairwise: A / B / tie, also 1 / 2 / 0', () => {
    expect(['a', 'B', 'Tie', 1, 2, 0].map((v) => normaliseVerdict(v, pairwise))).toEqual(['A', 'B', 'tie', 'A', 'B', 'tie']);
    expect(normaliseVerdict('C', pairwise)).toBeNull();
  });
});

describe('verdictOptions, isPass, describeVerdicts', () => {
  it('lists the canonical verdicts of each scale', () => {
    expect(verdictOptions(binary)).toEqual(['pass', 'fail']);
    expect(verdictOptions(ordinal)).toEqual(['1', '2', '3', '4', '5']);
    expect(verdictOptions(pairwise)).toEqual(['A', 'B', 'tie']);
  });

  it('maps verdicts to pass/fail (ordinal at its threshold; pairwise has none)', () => {
    expect([isPass('pass', binary), isPass('fail', binary)]).toEqual([true, false]);
    expect(['3', '4', '5'].map((v) => isPass(v, ordinal))).toEqual([false, true, true]);
    expect(isPass('A', pairwise)).toBeNull();
  });

  it('describes the accepted values for error messages', () => {
    expect(describeVerdicts(binary)).toContain('1/0, true/false');
    expect(describeVerdicts(ordinal)).toBe('an integer from 1 to 5');
  });
});
