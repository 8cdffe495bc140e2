import type { PlanRun } from '../judge/engine.ts';
import type { PromptVersion } from '../../shared/types.ts';
import type { Workspace } from './workspace.ts';
import { EndpointError, ValidationError } from './errors.ts';

/**
 * Refuses a run plan the user has to change before anything is judged or estimated, with a typed
 * error (the API answers 400, the CLI exits 2): a position swap on a non-pairwise criterion, or a
 * selection with no items. The engine selects items the same way (labelled by the principal
 * annotator, in the split) and keeps its own checks as a last line of defence.
 */
export function checkPlan(ws: Workspace, p: PlanRun): void {
  if (p.variant?.swap && p.criterion.scale !== 'pairwise') {
    throw new ValidationError('swap', 'a position swap applies only to pairwise criteria', 'swap_not_pairwise');
  }
  const scope = p.scope ?? 'labelled';
  const labelled = scope === 'labelled' ? ws.repos.labels.currentByItem(p.criterion.id, p.criterion.principalAnnotator) : null;
  const any = ws.repos.items.all(p.datasetId ?? p.criterion.datasetId)
    .some((i) => (p.split === 'all' || i.split === p.split) && (labelled === null || labelled.has(i.id)));
  if (!any) {
    throw new ValidationError('split', scope === 'labelled'
      ? `no labelled items in the ${p.split} split of this dataset to judge; label some items first (or choose another split)`
      : `no items in the ${p.split} split to judge`, 'no_items');
  }
}

/** Refuses to start a run whose version has no endpoint to call (no API key in the environment). */
export function requireEndpoint(ws: Workspace, version: PromptVersion): void {
  const endpoint = ws.engine.endpointOf(version);
  if (endpoint.problem) throw new EndpointError(endpoint.problem, { field: 'version' });
  if (!endpoint.configured) {
    throw new EndpointError(`no judge endpoint configured: set ${version.apiKeyEnv || 'OPENAI_API_KEY'} in the environment Concur runs in (and OPENAI_BASE_URL for a non-OpenAI endpoint), or save a version with a base URL`, { field: 'version' });
  }
}

/** Plans a new run after the checks above; nothing is written when they refuse. */
export function planRun(ws: Workspace, p: PlanRun) {
  checkPlan(ws, p);
  requireEndpoint(ws, p.version);
  return ws.engine.plan(p);
}

/** What a planned run would send and cost, after the same checks (no endpoint needed). */
export function costPreviewOfPlan(ws: Workspace, p: PlanRun) {
  checkPlan(ws, p);
  return ws.engine.costPreview(p);
}
