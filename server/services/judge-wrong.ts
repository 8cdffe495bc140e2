/**
 * "Keep label — judge wrong": the expert reviewed a disagreement in a run and stands by their
 * label. The decision is stored in the workspace (annotator, time, run, the label kept) so every
 * reviewer sees it and the error analysis counts it; it never changes a label or a metric.
 */
import type { Workspace } from './workspace.ts';
import type { Criterion } from '../../shared/types.ts';
import type { JudgeWrongReview } from '../db/judgeWrong.ts';
import { NotFoundError, ValidationError } from './errors.ts';

export class JudgeWrongReviews {
  constructor(private readonly ws: Workspace) {}

  /** Records that `annotator` (default: the principal) keeps their current label against run `runId`'s verdict on the item. */
  keep(criterion: Criterion, input: { runId: number; itemId: number; annotator?: string }): JudgeWrongReview {
    const run = this.ws.run(input.runId);
    if (run.criterionId !== criterion.id) throw new NotFoundError(`run #${run.id} belongs to another criterion, not "${criterion.name}"`);
    const item = this.ws.item(input.itemId);
    if (item.datasetId !== criterion.datasetId) throw new NotFoundError(`item #${item.id} is not in the dataset of "${criterion.name}"`);
    if (!this.ws.repos.judgeWrong.judged(run.id, item.id)) throw new ValidationError('itemId', `run #${run.id} did not judge item "${item.externalId}": there is no verdict to call wrong`);
    const annotator = input.annotator?.trim() || criterion.principalAnnotator;
    const label = this.ws.repos.labels.latest(criterion.id, item.id, annotator);
    if (!label || (label.verdict === null && !label.ambiguous)) throw new ValidationError('annotator', `${annotator} has no label on item "${item.externalId}" to keep`);
    return this.ws.repos.judgeWrong.add({ runId: run.id, itemId: item.id, criterionId: criterion.id, labelId: label.id, annotator });
  }

  ofRun(criterion: Criterion, runId: number): JudgeWrongReview[] {
    const run = this.ws.run(runId);
    if (run.criterionId !== criterion.id) throw new NotFoundError(`run #${run.id} belongs to another criterion, not "${criterion.name}"`);
    return this.ws.repos.judgeWrong.ofRun(run.id);
  }

  /**
   * For the error analysis: decisions on the criterion, counted as distinct items (an item kept
   * against two runs counts once) and as decisions (one per run and item), with the runs involved.
   */
  summary(criterion: Criterion) {
    const all = this.ws.repos.judgeWrong.ofCriterion(criterion.id);
    return { decisions: all.length, items: new Set(all.map((r) => r.itemId)).size, runs: new Set(all.map((r) => r.runId)).size };
  }
}
