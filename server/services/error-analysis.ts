import { JudgeWrongReviews } from './judge-wrong.ts';
import type { Criterion } from '../../shared/types.ts';
import { isPass } from '../../shared/verdicts.ts';
import { wilsonInterval } from '../../shared/stats/index.ts';
import { SMALL_SLICE } from '../../shared/metrics/report.ts';
import type { Workspace } from './workspace.ts';

export interface FailureSlice {
  dimension: string; value: string;
  /** items of this slice with a usable pass/fail label of the principal expert */
  labelled: number;
  failed: number;
  failRate: ReturnType<typeof wilsonInterval>;
  /** fewer than SMALL_SLICE labelled items */
  small: boolean;
}

export interface ErrorAnalysis {
  scale: Criterion['scale'];
  /** items with a non-ambiguous pass/fail label of the principal expert (pairwise verdicts have none) */
  labelled: number;
  failed: number;
  byDimension: FailureSlice[];
  /** each tag's item count, share of tagged items, and share of failed items carrying it (null when none failed) */
  rootCauses: Array<{ tag: string; count: number; share: number; failedShare: number | null }>;
  taggedItems: number;
  /** disagreements reviewed as "keep label — judge wrong": decisions, distinct items and runs */
  judgeWrong: { decisions: number; items: number; runs: number };
}

/**
 * Error analysis from the principal expert's labels: the failure rate by split and by dimension
 * value (Wilson intervals; slices under SMALL_SLICE flagged), split first, then dimensions by
 * name, worst first; and root-cause tags with counts and shares, most used first.
 */
export function errorAnalysis(ws: Workspace, criterionId: number): ErrorAnalysis {
  const c = ws.criterionById(criterionId);
  const labels = ws.repos.labels.currentByItem(c.id, c.principalAnnotator);
  const groups = new Map<string, { dimension: string; value: string; labelled: number; failed: number }>();
  let labelled = 0, failed = 0;
  const failedIds = new Set<number>();
  for (const item of ws.repos.items.all(c.datasetId)) {
    const l = labels.get(item.id);
    if (!l?.verdict || l.ambiguous) continue;
    const pass = isPass(l.verdict, c);
    if (pass === null) continue; // pairwise verdicts have no pass/fail
    labelled++;
    if (!pass) { failed++; failedIds.add(item.id); }
    for (const [dimension, value] of [['split', item.split], ...Object.entries(item.dimensions)] as Array<[string, string]>) {
      const key = `${dimension}\u0000${value}`;
      const g = groups.get(key) ?? { dimension, value, labelled: 0, failed: 0 };
      g.labelled++;
      if (!pass) g.failed++;
      groups.set(key, g);
    }
  }
  const byDimension = [...groups.values()]
    .sort((a, b) => (a.dimension === 'split' ? -1 : 0) - (b.dimension === 'split' ? -1 : 0) || a.dimension.localeCompare(b.dimension) || b.failed / b.labelled - a.failed / a.labelled)
    .map((g) => ({ ...g, failRate: wilsonInterval(g.failed, g.labelled), small: g.labelled < SMALL_SLICE }));
  const tagsByItem = ws.repos.rootCauses.byItem(c.id);
  const counts = new Map<string, { count: number; failedCount: number }>();
  for (const [itemId, tags] of tagsByItem) {
    for (const tag of tags) {
      const t = counts.get(tag) ?? { count: 0, failedCount: 0 };
      t.count++;
      if (failedIds.has(itemId)) t.failedCount++;
      counts.set(tag, t);
    }
  }
  const taggedItems = tagsByItem.size;
  const rootCauses = [...counts.entries()]
    .map(([tag, t]) => ({ tag, count: t.count, share: taggedItems ? t.count / taggedItems : 0, failedShare: failed ? t.failedCount / failed : null }))
    .sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
  return { scale: c.scale, labelled, failed, byDimension, rootCauses, taggedItems, judgeWrong: new JudgeWrongReviews(ws).summary(c) };
}
