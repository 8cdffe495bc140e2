import { describe, expect, it } from 'vitest';
import { MIN_DEV_LABELS, nextStep, type NextStepFacts } from '../../shared/next-step.ts';

const run = (id: number, versionId: number | null, split: 'dev' | 'test' | 'all', devN: number, devAgreement: number | null, status: 'done' | 'failed' = 'done', datasetId = 1) =>
  ({ id, datasetId, versionId, status, done: 10, split, variant: {}, devN, devAgreement });
const facts = (over: Partial<NextStepFacts>): NextStepFacts => ({
  datasetId: 1, targetAgreement: 0.8, dev: { labelled: 40, total: 60 }, versions: [], runs: [], ...over,
});

describe('the next step of a criterion (home screen)', () => {
  it('asks for dev labels first, counting what is missing up to the minimum (or the whole split when smaller)', () => {
    expect(nextStep(facts({ dev: { labelled: 18, total: 60 } }))).toEqual({ kind: 'label', text: `label ${MIN_DEV_LABELS - 18} more dev items`, screen: 'review' });
    expect(nextStep(facts({ dev: { labelled: 9, total: 10 } })).text).toBe('label 1 more dev item');
    expect(nextStep(facts({ dev: { labelled: 10, total: 10 } })).kind).toBe('write-first');
  });

  it('then asks for v1, then to run the newest version on dev', () => {
    expect(nextStep(facts({})).text).toBe('write v1');
    const versions = [{ id: 7, number: 1 }, { id: 9, number: 3 }];
    // v1's dev run does not measure v3; a run on another dataset does not either
    expect(nextStep(facts({ versions, runs: [run(1, 7, 'dev', 30, 0.9), run(2, 9, 'dev', 30, 0.9, 'done', 2)] })).text).toBe('run v3 on dev');
    // a test run has no dev item
    expect(nextStep(facts({ versions, runs: [run(3, 9, 'test', 0, null)] })).text).toBe('run v3 on dev');
  });

  it('says when the dev run compared nothing, when to improve, when to go to test, and then the trust report', () => {
    const versions = [{ id: 9, number: 3 }];
    expect(nextStep(facts({ versions, runs: [run(1, 9, 'dev', 0, null, 'failed')] })).kind).toBe('fix-run');
    expect(nextStep(facts({ versions, runs: [run(1, 9, 'dev', 30, 0.7)] })).text).toBe('write v4: v3 is below the target on dev');
    expect(nextStep(facts({ versions, runs: [run(1, 9, 'dev', 30, 0.85)] })).text).toBe('run v3 on test');
    expect(nextStep(facts({ versions, runs: [run(1, 9, 'dev', 30, 0.85), run(2, 9, 'test', 0, null)] })).kind).toBe('trust');
    // a run on all splits covers both
    expect(nextStep(facts({ versions, runs: [run(1, 9, 'all', 30, 0.85)] })).kind).toBe('trust');
  });
});
