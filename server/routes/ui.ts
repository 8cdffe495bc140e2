import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AnyObject, IdParams, SplitSchema } from '../../shared/schemas.ts';
import { isPass } from '../../shared/verdicts.ts';
import { wilsonInterval } from '../../shared/stats/index.ts';
import { SMALL_SLICE } from '../../shared/metrics/report.ts';
import { dimensionValue } from '../services/dimensions.ts';
import { JudgeWrongReviews } from '../services/judge-wrong.ts';

/** Routes that exist for the web UI's screens: compact views the other routes do not give in one call. */
export const uiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  const judgeWrong = new JudgeWrongReviews(ws);

  /**
   * The expert's review queue: every item of the criterion's dataset (optionally one split or one
   * dimension value) as id + status, unlabelled first unless `order=dataset`. Small enough for
   * 5,000 items, so the UI can step through it without a round trip per step.
   */
  app.get('/criteria/:id/queue', {
    schema: {
      params: IdParams,
      querystring: Type.Object({
        split: Type.Optional(SplitSchema),
        dimension: Type.Optional(Type.String({ maxLength: 200 })),
        value: Type.Optional(Type.String({ maxLength: 500 })),
        order: Type.Optional(Type.Union([Type.Literal('unlabelled'), Type.Literal('dataset')])),
      }),
      response: { 200: AnyObject },
    },
  }, async (req) => {
    const c = ws.criterionById(req.params.id);
    const q = req.query;
    const labels = ws.repos.labels.currentByItem(c.id, c.principalAnnotator);
    const items = ws.repos.items.all(c.datasetId)
      .filter((i) => (!q.split || i.split === q.split) && (!q.dimension || dimensionValue(i, q.dimension) === q.value))
      .map((i) => {
        const l = labels.get(i.id);
        return { id: i.id, externalId: i.externalId, split: i.split, status: !l ? 'unlabelled' : l.ambiguous ? 'ambiguous' : 'labelled' };
      });
    if (q.order !== 'dataset') {
      const rank = { unlabelled: 0, ambiguous: 1, labelled: 2 } as const;
      items.sort((a, b) => rank[a.status as keyof typeof rank] - rank[b.status as keyof typeof rank] || a.id - b.id);
    }
    return { items };
  });

  /**
   * Error analysis from the expert's labels: the failure rate by dimension value (Wilson
   * intervals; slices under SMALL_SLICE flagged) and root-cause tags with counts and shares.
   */
  app.get('/criteria/:id/error-analysis', { schema: { params: IdParams, response: { 200: AnyObject } } }, async (req) => {
    const c = ws.criterionById(req.params.id);
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
    return { scale: c.scale, labelled, failed, byDimension, rootCauses, taggedItems, judgeWrong: judgeWrong.summary(c) };
  });
};
