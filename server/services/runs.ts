/**
 * Starting judge runs: the one place that turns a run request (API body or CLI flags) into the
 * engine's plan and checks the endpoint, so `POST /criteria/:id/runs`, its cost preview and
 * `concur run` decide the same way.
 */
import type { Criterion, Run, SplitFilter } from '../../shared/types.ts';
import type { PlanRun } from '../judge/engine.ts';
import type { RunCostPreview } from '../../shared/runs.ts';
import { EndpointError, ValidationError } from './errors.ts';
import type { Workspace } from './workspace.ts';
import { profileByRef } from './profiles.ts';

/** What to run, as the API body and the CLI flags give it. */
export interface RunRequest {
  /** version number, or the latest version */
  version: number | 'latest';
  /** default: dev, or all with `on` */
  split?: SplitFilter;
  /** default: labelled items, or all with `on` */
  scope?: 'labelled' | 'all';
  /** judge the items of another dataset (by name or id) with this criterion's version, e.g. unlabelled traffic for a corrected pass rate */
  on?: string | number;
  samples?: number; concurrency?: number;
  rpm?: number; tpm?: number; timeoutMs?: number; maxReplyBytes?: number;
  noCache?: boolean; batch?: boolean;
  /** permute the few-shot examples with this seed (a consistency rerun) */
  permuteSeed?: number;
  /** pairwise only: present output_b as A (a consistency rerun) */
  swap?: boolean;
  /** run through this endpoint profile (by name) instead of the version's own; recorded on the run */
  profile?: string;
}

/** The engine's plan for a request: defaults applied, references resolved. Throws NotFoundError / ValidationError naming the field. */
export function planOfRequest(ws: Workspace, criterion: Criterion, req: RunRequest): PlanRun {
  const override = req.profile ? profileByRef(ws, req.profile) : null;
  // The settings it runs with: the override profile's endpoint (and default model), else the version's own profile.
  const { version } = ws.engine.resolveVersion(ws.version(criterion, req.version), override?.id);
  if (req.swap && criterion.scale !== 'pairwise') throw new ValidationError('swap', 'a position swap applies only to pairwise criteria', 'swap_not_pairwise');
  const on = req.on !== undefined ? ws.dataset(req.on) : undefined;
  return {
    criterion, version, split: req.split ?? (on ? 'all' : 'dev'), scope: req.scope ?? (on ? 'all' : undefined), datasetId: on?.id,
    samples: req.samples, concurrency: req.concurrency, rpm: req.rpm, tpm: req.tpm, timeoutMs: req.timeoutMs, maxReplyBytes: req.maxReplyBytes,
    noCache: req.noCache, batch: req.batch, profile: override,
    variant: { ...(req.permuteSeed !== undefined ? { permuteSeed: req.permuteSeed } : {}), ...(req.swap ? { swap: true } : {}) },
  };
}

/**
 * Refuses a plan that selects no item, with a typed error (the API answers 400, the CLI exits 2),
 * before anything is written or previewed. The engine selects items the same way (labelled by
 * the principal annotator, in the split) and keeps its own check as a last line of defence.
 */
export function checkPlan(ws: Workspace, p: PlanRun): void {
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

/** Throws EndpointError saying what to set when the version's calls could not be made from this process (the secrets rule included). */
export function assertEndpointConfigured(ws: Workspace, version: PlanRun['version']): void {
  const endpoint = ws.engine.endpointOf(version);
  if (endpoint.configured) return;
  throw new EndpointError(endpoint.problem
    ?? `no judge endpoint configured: set ${version.apiKeyEnv || 'OPENAI_API_KEY'} (and OPENAI_BASE_URL for a non-OpenAI endpoint) in the environment Concur runs in, or save a version with a base URL`, { field: 'version' });
}

/** What a run would send and cost (requests, cache hits, tokens, USD), without calling the endpoint or creating a run. */
export function runCostPreview(ws: Workspace, criterion: Criterion | number, req: RunRequest): RunCostPreview {
  const plan = planOfRequest(ws, typeof criterion === 'number' ? ws.criterionById(criterion) : criterion, req);
  checkPlan(ws, plan);
  return ws.engine.costPreview(plan);
}

/**
 * Creates a queued run (its item list fixed now) after checking the endpoint; nothing is judged
 * yet. `concur run` calls this and then executes the run in the foreground.
 */
export function planRun(ws: Workspace, criterion: Criterion, req: RunRequest): Run {
  const plan = planOfRequest(ws, criterion, req);
  checkPlan(ws, plan);
  assertEndpointConfigured(ws, plan.version);
  return ws.engine.plan(plan);
}

/**
 * Plans a run and starts executing it in the background (the API): returns the queued run at
 * once; progress via the engine's events. A failure of the background execution goes to `onFailure`.
 */
export function startRun(ws: Workspace, criterionId: number, req: RunRequest, onFailure: (e: unknown, runId: number) => void): Run {
  const run = planRun(ws, ws.criterionById(criterionId), req);
  ws.engine.execute(run.id, { noCache: req.noCache }).catch((e) => onFailure(e, run.id));
  return ws.run(run.id);
}
