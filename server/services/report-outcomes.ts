/** The per-item rows of a report (`report?outcomes=true`): each outcome with the critiques and tags the screens show beside it. */
import type { Split } from '../../shared/types.ts';
import type { Exclusion } from '../../shared/metrics/outcomes.ts';
import { reportJson } from './render-report.ts';
import type { ReportResult, Workspace } from './workspace.ts';

export interface OutcomeRow {
  itemId: number; externalId: string; split: Split; dimensions: Record<string, string>;
  expert: string | null; judge: string | null; excluded: Exclusion | null; samples: Array<string | null>;
  /** the report annotator's current critique ('' when none) and label id */
  expertCritique: string; expertLabelId: number | null;
  /** the judge's first sample's critique and transport/parse error */
  judgeCritique: string; judgeError: string | null;
  rootCauses: string[];
}

/** Every outcome of the report's run and split (excluded ones too, with their reason), in the report's order. */
export function outcomeRows(ws: Workspace, r: ReportResult): OutcomeRow[] {
  const firstSample = new Map<number, { critique: string; error: string | null }>();
  for (const j of ws.repos.runs.judgments(r.run.id)) if (j.sample === 0) firstSample.set(j.itemId, j);
  const labels = ws.repos.labels.currentByItem(r.criterion.id, r.annotator);
  const tags = ws.repos.rootCauses.byItem(r.criterion.id);
  return r.outcomes.map((o) => {
    const label = labels.get(o.item.id), judged = firstSample.get(o.item.id);
    return {
      itemId: o.item.id, externalId: o.item.externalId, split: o.item.split, dimensions: o.item.dimensions,
      expert: o.expert, judge: o.judge, excluded: o.excluded, samples: o.samples,
      expertCritique: label?.critique ?? '', expertLabelId: label?.id ?? null,
      judgeCritique: judged?.critique ?? '', judgeError: judged?.error ?? null,
      rootCauses: tags.get(o.item.id) ?? [],
    };
  });
}

/** The JSON report, with the per-item outcome rows when asked for. */
export function reportWithOutcomes(ws: Workspace, r: ReportResult, withOutcomes: boolean): ReturnType<typeof reportJson> & { outcomes?: OutcomeRow[] } {
  const body = reportJson(r);
  return withOutcomes ? { ...body, outcomes: outcomeRows(ws, r) } : body;
}
