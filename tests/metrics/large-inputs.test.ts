import { describe, expect, it } from 'vitest';
import { alignmentOutcomes, type OutcomeItem, type OutcomeJudgment, type OutcomeLabel } from '../../shared/metrics/outcomes.ts';
import { reportFromOutcomes } from '../../shared/metrics/report.ts';

describe('reports on large inputs', () => {
  // 150k items × 2 samples (300k judgments): past the ~125k items at which a spread into
  // Math.max overflowed the call stack. The figures follow from the construction:
  // every 10th item's two samples differ (flip rate 0.1, self-agreement over pairs 0.9).
  it('reports sample consistency for a k = 2 run with 150,000 items', () => {
    const N = 150_000;
    const items: OutcomeItem[] = new Array(N);
    const labels = new Map<number, OutcomeLabel>();
    const judgments: OutcomeJudgment[] = new Array(2 * N);
    for (let i = 0; i < N; i++) {
      items[i] = { id: i + 1, externalId: `i${i}`, split: 'dev', dimensions: {} };
      labels.set(i + 1, { verdict: 'pass', ambiguous: false });
      judgments[2 * i] = { itemId: i + 1, sample: 0, verdict: 'pass', error: null };
      judgments[2 * i + 1] = { itemId: i + 1, sample: 1, verdict: i % 10 === 0 ? 'fail' : 'pass', error: null };
    }
    const criterion = { scale: 'binary' as const, levels: null, passAt: null };
    const outcomes = alignmentOutcomes({ criterion, items, labels, judgments, fewShot: new Set(), split: 'all' });
    const r = reportFromOutcomes(outcomes, criterion, 'all', { slices: false });
    expect(r.consistency.samples).toEqual({ samplesPerItem: 2, items: N, selfAgreement: 0.9, flipRate: 0.1 });
  });
});
