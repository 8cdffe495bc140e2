/**
 * The optimizer: "suggest the next version". From a version of a criterion it proposes candidate
 * versions (few-shot selection, instruction rewrite, or both), scores each on train and — if it
 * improved train — on dev, and keeps every candidate with its metrics, rationale and parent.
 *
 * WHAT IT MAY READ: the from-version, its train run, the labelled TRAIN items with their expert
 * critiques, and failure modes built from train items only. Nothing derived from dev or test
 * reaches the proposer: disagreements come from a train run filtered to train items here, and the
 * propose task refuses any non-train item (server/judge/tasks/propose.ts). Runs are planned only
 * on train or dev (assertSplit), so no test item is ever sent to any endpoint by the optimizer.
 *
 * Resumable: every step is numbered and recorded before its calls; every call is an ordinary,
 * cached, recorded run or task of the engine. Resuming replays the (deterministic) search: a
 * recorded step reuses its version and runs (finishing an unfinished run without repeating a
 * judgment), and a proposer call made before the crash is answered from the cache.
 */
import { EventEmitter } from 'node:events';
import type { Workspace } from './workspace.ts';
import type { Criterion, PromptVersion, Run } from '../../shared/types.ts';
import { validateTemplate } from '../../shared/template.ts';
import { createRng } from '../../shared/stats/index.ts';
import { isPass } from '../../shared/verdicts.ts';
import { tokenCount } from '../judge/limiter.ts';
import { DEFAULT_COMPLETION_TOKENS } from '../judge/cost-preview.ts';
import { ownerIsDead } from '../judge/owner.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { profileByRef } from './profiles.ts';
import type { CandidateRow, OptimizationRow, OptimizationStatus, OptimizerStrategy, ProposerEndpoint, SplitMetrics } from '../db/optimizations.ts';
import { usd } from '../../shared/format.ts';

export type { OptimizerStrategy, OptimizationStatus, SplitMetrics } from '../db/optimizations.ts';

export const ALL_STRATEGIES: readonly OptimizerStrategy[] = ['rewrite', 'fewshot', 'combined'];
export const DEV_PEEK_WARNING = 'Choosing the best of several candidates by their dev figures inflates dev: the best dev score is optimistic. Confirm the chosen version on test before trusting it.';
/** What "best" means in the result: the candidate whose dev agreement has the highest lower bound. */
export const BEST_BY = 'dev agreement, Wilson 95% lower bound';

export interface OptimizeRequest {
  fromVersion?: number | 'latest';
  strategies?: OptimizerStrategy[];
  /** K: how many candidate versions at most */
  candidates?: number;
  /** few-shot examples per candidate at most */
  shots?: number;
  budgetUsd?: number | null;
  maxCalls?: number | null;
  seed?: number;
  /** the proposer's endpoint; default: the from-version's model and endpoint */
  proposer?: { model?: string; baseUrl?: string | null; apiKeyEnv?: string };
  /**
   * An endpoint profile (by name) for the proposer: its base URL and key variable (checked by the
   * secrets rule), and its default model unless `proposer.model` names one. Excludes `proposer.baseUrl`/`apiKeyEnv`.
   */
  proposerProfile?: string | null;
}

export interface OptimizerCostPreview {
  judgeCalls: number; proposerCalls: number;
  /** USD from the price table; null when a model has no price */
  cost: number | null;
  judgeModel: string; proposerModel: string;
  trainItems: number; devItems: number; candidates: number;
  note: string;
}

export interface CandidateView {
  step: number; versionId: number; versionNumber: number; status: 'candidate' | 'accepted'; strategy: OptimizerStrategy; rationale: string;
  parentVersionId: number; parentNumber: number; examples: string[]; keptOnTrain: boolean | null;
  train: SplitMetrics | null; dev: SplitMetrics | null;
  /** how far it moved dev (and train) agreement and kappa vs its parent (points as fractions); null until both are scored */
  moveDev: { agreement: number | null; kappa: number | null } | null;
  moveTrain: { agreement: number | null; kappa: number | null } | null;
  meetsTarget: { point: boolean; lower: boolean } | null;
  trainRunId: number | null; devRunId: number | null;
}

export interface OptimizationView extends Omit<OptimizationRow, 'owner'> {
  fromVersionNumber: number;
  base: { train: SplitMetrics | null; dev: SplitMetrics | null; meetsTarget: { point: boolean; lower: boolean } | null };
  target: number;
  candidates: CandidateView[];
  best: { versionId: number; versionNumber: number; by: string } | null;
  /** versions of this criterion scored on dev so far (all optimizations and hand-written versions) */
  criterionDevPeeks: number;
  warning: string | null;
}

export interface OptimizerProgress { id: number; status: OptimizationStatus; message: string; step: number; judgeCalls: number; proposerCalls: number; cost: number; devPeeks: number }

class StopOptimization extends Error { constructor(readonly status: OptimizationStatus, message: string) { super(message); } }

/** How often an executing optimization renews its lease, and when a lease not renewed counts as abandoned. */
const HEARTBEAT_MS = 2000;
const STALE_AFTER_MS = HEARTBEAT_MS * 5;

/** One optimizer per workspace, so the routes and `serve`'s watcher share what executes where. */
const shared = new WeakMap<Workspace, Optimizer>();
export function optimizerOf(ws: Workspace): Optimizer {
  let o = shared.get(ws);
  if (!o) { o = new Optimizer(ws); shared.set(ws, o); }
  return o;
}

const FINAL: ReadonlySet<OptimizationStatus> = new Set(['done', 'failed', 'cancelled', 'stopped-by-budget']);

/** The optimizer never plans a run on any other split: test is held out for confirmation. */
function assertSplit(split: string): asserts split is 'train' | 'dev' {
  if (split !== 'train' && split !== 'dev') throw new Error(`optimizer: refusing to plan a run on "${split}": only train and dev may be judged`);
}

const metricsOf = (r: { n: number; agreement: SplitMetrics['agreement']; kappa: SplitMetrics['kappa'] }): SplitMetrics =>
  ({ n: r.n, agreement: pick(r.agreement), kappa: pick(r.kappa) });
const pick = (i: SplitMetrics['agreement']) => ({ value: i.value, low: i.low, high: i.high });
const diff = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : a - b);

export class Optimizer extends EventEmitter {
  private readonly active = new Map<number, { runId: number | null; taskId: number | null }>();
  constructor(private readonly ws: Workspace) { super(); }
  private get repos() { return this.ws.repos; }

  // ── reading ──

  get(id: number): OptimizationRow {
    const o = this.repos.optimizations.get(id);
    if (!o) throw new NotFoundError(`no optimization #${id}`);
    return o;
  }

  list(criterion: Criterion): OptimizationView[] {
    return this.repos.optimizations.list(criterion.id).map((o) => this.view(o.id));
  }

  view(id: number): OptimizationView {
    const o = this.get(id);
    const criterion = this.ws.criterionById(o.criterionId);
    const from = this.repos.versions.get(o.fromVersionId)!;
    const target = criterion.targetAgreement;
    const meets = (m: SplitMetrics | null) => (m && m.agreement.value !== null ? { point: m.agreement.value >= target, lower: (m.agreement.low ?? 0) >= target } : null);
    const scored = (runId: number | null, split: 'train' | 'dev') => {
      const run = runId ? this.repos.runs.get(runId) : undefined;
      return run?.status === 'done' ? metricsOf(this.ws.headlineReport(criterion, run, split)) : null;
    };
    const base = { train: scored(o.baseTrainRunId, 'train'), dev: scored(o.baseDevRunId, 'dev') };
    const rows = this.repos.optimizations.candidates(id);
    const metricsByVersion = new Map<number, { train: SplitMetrics | null; dev: SplitMetrics | null }>([[o.fromVersionId, base]]);
    for (const c of rows) metricsByVersion.set(c.versionId, { train: c.train, dev: c.dev });
    const candidates: CandidateView[] = rows.map((c) => {
      const v = this.repos.versions.get(c.versionId)!;
      const parent = this.repos.versions.get(c.parentVersionId)!;
      const p = metricsByVersion.get(c.parentVersionId);
      const move = (mine: SplitMetrics | null, theirs: SplitMetrics | null | undefined) =>
        (mine && theirs ? { agreement: diff(mine.agreement.value, theirs.agreement.value), kappa: diff(mine.kappa.value, theirs.kappa.value) } : null);
      return {
        step: c.step, versionId: v.id, versionNumber: v.number, status: v.status, strategy: c.strategy, rationale: c.rationale,
        parentVersionId: parent.id, parentNumber: parent.number, examples: v.examples.map((i) => this.repos.items.get(i)?.externalId ?? String(i)),
        keptOnTrain: c.kept, train: c.train, dev: c.dev, moveDev: move(c.dev, p?.dev), moveTrain: move(c.train, p?.train), meetsTarget: meets(c.dev),
        trainRunId: c.trainRunId, devRunId: c.devRunId,
      };
    });
    const withDev = candidates.filter((c) => c.dev && c.dev.agreement.low !== null);
    const bestC = withDev.reduce<CandidateView | null>((b, c) => (!b || c.dev!.agreement.low! > b.dev!.agreement.low! ? c : b), null);
    const { owner: _owner, ...rest } = o;
    return {
      ...rest, fromVersionNumber: from.number, base: { ...base, meetsTarget: meets(base.dev) }, target, candidates,
      best: bestC ? { versionId: bestC.versionId, versionNumber: bestC.versionNumber, by: BEST_BY } : null,
      criterionDevPeeks: this.devPeeksOf(criterion),
      warning: o.devPeeks > 1 ? `${o.devPeeks} candidates were scored on dev. ${DEV_PEEK_WARNING}` : null,
    };
  }

  private devPeeksOf(criterion: Criterion): number {
    const peeked = new Set<number>();
    for (const r of this.repos.runs.list(criterion.id)) if (r.versionId !== null && r.status === 'done' && r.kind === 'judged' && (r.split === 'dev' || r.split === 'all') && !r.variant?.permuteSeed && !r.variant?.swap) peeked.add(r.versionId);
    return peeked.size;
  }

  // ── starting ──

  private normalise(criterion: Criterion, req: OptimizeRequest) {
    if (criterion.scale !== 'binary') throw new ValidationError('criterion', `the optimizer works on binary criteria; "${criterion.name}" is ${criterion.scale}`);
    const from = this.ws.version(criterion, req.fromVersion ?? 'latest');
    const strategies = req.strategies?.length ? [...new Set(req.strategies)] : [...ALL_STRATEGIES];
    for (const s of strategies) if (!ALL_STRATEGIES.includes(s)) throw new ValidationError('strategies', `unknown strategy "${s}" (fewshot, rewrite, combined)`);
    const candidates = req.candidates ?? 6;
    if (!Number.isInteger(candidates) || candidates < 1 || candidates > 100) throw new ValidationError('candidates', 'must be an integer from 1 to 100');
    const shots = req.shots ?? 4;
    if (!Number.isInteger(shots) || shots < 1 || shots > 50) throw new ValidationError('shots', 'must be an integer from 1 to 50');
    if (req.budgetUsd != null && !(req.budgetUsd > 0)) throw new ValidationError('budgetUsd', 'must be a positive number of USD');
    if (req.maxCalls != null && !(Number.isInteger(req.maxCalls) && req.maxCalls > 0)) throw new ValidationError('maxCalls', 'must be a positive integer');
    if ((strategies.includes('fewshot') || strategies.includes('combined')) && !from.template.includes('{{examples}}')) {
      throw new ValidationError('strategies', `v${from.number}'s template has no {{examples}} placeholder, so few-shot selection cannot change what the judge sees; choose --strategy rewrite or add {{examples}}`);
    }
    const proposer: ProposerEndpoint = req.proposerProfile ? this.profileEndpoint(req, from) : {
      model: req.proposer?.model?.trim() || from.model,
      baseUrl: req.proposer?.baseUrl !== undefined ? (req.proposer.baseUrl || null) : from.baseUrl,
      apiKeyEnv: req.proposer?.apiKeyEnv ?? (req.proposer?.baseUrl !== undefined ? 'OPENAI_API_KEY' : (from.apiKeyEnv || 'none')),
    };
    if (strategies.some((s) => s !== 'fewshot')) {
      const problem = this.ws.engine.endpointOf({ baseUrl: proposer.baseUrl, apiKeyEnv: proposer.apiKeyEnv === 'none' ? '' : proposer.apiKeyEnv }).problem;
      if (problem) throw new ValidationError('proposer', problem);
    }
    const judgeProblem = this.ws.engine.endpointOf(from).problem;
    if (judgeProblem) throw new ValidationError('fromVersion', judgeProblem);
    return { from, strategies, candidates, shots, budgetUsd: req.budgetUsd ?? null, maxCalls: req.maxCalls ?? null, seed: req.seed ?? 1, proposer };
  }

  /** The proposer's endpoint from a named profile (recorded with the profile's name; later edits of the profile do not change it). */
  private profileEndpoint(req: OptimizeRequest, from: PromptVersion): ProposerEndpoint {
    if (req.proposer?.baseUrl !== undefined || req.proposer?.apiKeyEnv !== undefined) {
      throw new ValidationError('proposerProfile', 'name either a profile or a base URL and key variable for the proposer, not both');
    }
    const p = profileByRef(this.ws, req.proposerProfile!.trim());
    return { model: req.proposer?.model?.trim() || p.model || from.model, baseUrl: p.baseUrl, apiKeyEnv: p.apiKeyEnv || 'none', profile: p.name };
  }

  /** Judge and proposer calls and their cost for the whole optimization, before anything is sent. */
  costPreview(criterion: Criterion, req: OptimizeRequest): OptimizerCostPreview {
    const n = this.normalise(criterion, req);
    const plan = (split: 'train' | 'dev', noCache: boolean) => this.ws.engine.costPreview({ criterion, version: n.from, split, noCache });
    const baseTrain = plan('train', false), baseDev = plan('dev', false);
    const candTrain = plan('train', true), candDev = plan('dev', true);
    const rewrites = n.strategies.filter((s) => s !== 'fewshot').length ? this.quotas(n.strategies, n.candidates).get('rewrite') ?? 0 : 0;
    const proposerCalls = rewrites + (n.strategies.includes('combined') && !n.strategies.includes('rewrite') ? 1 : 0);
    const judgeCalls = baseTrain.billableRequests + baseDev.billableRequests + n.candidates * (candTrain.requests + candDev.requests);
    const proposerPrompt = tokenCount(n.from.template.length + 400 * Math.max(1, baseTrain.items));
    const price = this.repos.prices.get(n.proposer.model);
    const proposerCost = price ? proposerCalls * (proposerPrompt * price.inputPerMTok + (tokenCount(n.from.template.length) + DEFAULT_COMPLETION_TOKENS) * price.outputPerMTok) / 1e6 : (proposerCalls ? null : 0);
    const judgeCost = [baseTrain.cost, baseDev.cost, candTrain.cost, candDev.cost].some((c) => c === null) ? null
      : baseTrain.cost! + baseDev.cost! + n.candidates * (candTrain.cost! + candDev.cost!);
    return {
      judgeCalls, proposerCalls, cost: judgeCost === null || proposerCost === null ? null : judgeCost + proposerCost,
      judgeModel: n.from.model, proposerModel: n.proposer.model, trainItems: candTrain.items, devItems: candDev.items, candidates: n.candidates,
      note: `upper bound: ${n.candidates} candidate(s) × (${candTrain.items} train + ${candDev.items} dev labelled items) × 1 sample; a candidate not better on train is not scored on dev; cached requests are free`,
    };
  }

  /** Records an optimization (queued); run it with {@link execute}. */
  create(criterion: Criterion, req: OptimizeRequest): OptimizationRow {
    const n = this.normalise(criterion, req);
    if (n.budgetUsd !== null) {
      const p = this.costPreview(criterion, req);
      if (p.cost === null) throw new ValidationError('budgetUsd', `a budget needs prices for "${p.judgeModel}" and "${p.proposerModel}": concur prices set MODEL INPUT OUTPUT`);
    }
    return this.repos.optimizations.create({
      criterionId: criterion.id, fromVersionId: n.from.id, strategies: n.strategies, candidateCount: n.candidates, shots: n.shots, seed: n.seed,
      budgetUsd: n.budgetUsd, maxCalls: n.maxCalls, proposer: n.proposer,
    });
  }

  /** Cancels an optimization: its in-flight run or task here, and any unfinished run of it from another process. */
  cancel(id: number): OptimizationRow {
    const o = this.get(id);
    if (FINAL.has(o.status)) return o;
    this.repos.optimizations.setStatus(id, 'cancelled', 'cancelled by the user');
    const a = this.active.get(id);
    if (a?.taskId) this.ws.engine.tasks.cancel(a.taskId);
    for (const runId of this.runIds(id)) { const r = this.repos.runs.get(runId); if (r && (r.status === 'queued' || r.status === 'running')) this.ws.engine.cancel(runId); }
    this.emitProgress(id, 'cancelled by the user');
    return this.get(id);
  }

  /** Whether another live process is executing it (its owner is alive and its lease fresh). */
  heldElsewhere(id: number): string | null {
    const o = this.get(id);
    if (o.status !== 'running' || !o.owner || o.owner === this.ws.engine.owner || this.active.has(id)) return null;
    if (ownerIsDead(o.owner)) return null;
    const lease = this.repos.optimizations.lease(id);
    if (!lease?.heartbeat_at || Date.now() - Date.parse(lease.heartbeat_at) > STALE_AFTER_MS) return null;
    return o.owner;
  }

  /** Optimizations left running by a process that is gone (dead, or its lease stale). */
  resumable(): OptimizationRow[] {
    return this.repos.optimizations.running().filter((o) => !this.active.has(o.id) && this.heldElsewhere(o.id) === null && o.owner !== this.ws.engine.owner);
  }

  /**
   * Keeps taking over optimizations left by a process that is gone (kill -9 of `concur optimize` or of
   * `serve`), like the engine's watcher does for runs and tasks: once now, then every `intervalMs`.
   * The search replays its record, so finished calls are not repeated. Returns a function that stops watching.
   */
  watchForAbandoned(log: (line: string) => void, intervalMs = HEARTBEAT_MS): () => void {
    const look = () => {
      let found: OptimizationRow[];
      try { found = this.resumable(); } catch (e) { log(`looking for optimizations to resume: ${e instanceof Error ? e.message : String(e)}`); return; }
      for (const o of found) {
        log(`resuming optimization ${o.id} (${this.stepsRecorded(o.id)} candidate step(s) recorded)`);
        this.execute(o.id).then(
          (v) => log(`optimization ${o.id} ${v.status}${v.message ? `: ${v.message}` : ''}`),
          (e) => { if (!(e instanceof ConflictError)) log(`optimization ${o.id}: ${e instanceof Error ? e.message : String(e)}`); },
        );
      }
    };
    look();
    const timer = setInterval(look, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Runs (or resumes) an optimization to its end; returns its view. Never throws for a model failure: the status says. */
  async execute(id: number): Promise<OptimizationView> {
    const o = this.get(id);
    if (FINAL.has(o.status)) throw new ConflictError(`optimization #${id} is already ${o.status}`, 'optimization_finished');
    if (this.active.has(id)) throw new ConflictError(`optimization #${id} is already executing in this process`, 'optimization_held');
    const owner = this.ws.engine.owner;
    const deadOwner = o.owner && ownerIsDead(o.owner) ? o.owner : null;
    const staleBefore = new Date(Date.now() - STALE_AFTER_MS).toISOString();
    if (!this.repos.optimizations.claim(id, owner, staleBefore, deadOwner)) {
      const now = this.get(id);
      if (FINAL.has(now.status)) throw new ConflictError(`optimization #${id} is already ${now.status}`, 'optimization_finished');
      throw new ConflictError(`optimization #${id} is being executed by another process (${now.owner})`, 'optimization_held');
    }
    this.active.set(id, { runId: null, taskId: null });
    const heartbeat = setInterval(() => { try { this.repos.optimizations.renew(id, owner); } catch { /* busy: the next beat renews */ } }, HEARTBEAT_MS);
    heartbeat.unref();
    try {
      await new Search(this, this.ws, id, (p) => { this.active.set(id, p); }).run();
      this.finish(id, 'done', '');
    } catch (e) {
      if (e instanceof StopOptimization) this.finish(id, e.status, e.message);
      else this.finish(id, 'failed', e instanceof Error ? e.message : String(e));
    } finally {
      clearInterval(heartbeat);
      this.active.delete(id);
    }
    return this.view(id);
  }

  private finish(id: number, status: OptimizationStatus, message: string) {
    this.updateCounters(id);
    if (this.get(id).status !== 'cancelled') this.repos.optimizations.setStatus(id, status, message);
    this.emitProgress(id, message);
  }

  /** How many candidate steps are recorded so far. */
  stepsRecorded(id: number): number { return this.repos.optimizations.candidates(id).length; }

  /** @internal every run the optimization planned */
  runIds(id: number): number[] {
    const o = this.get(id);
    const ids = [o.baseTrainRunId, o.baseDevRunId];
    for (const c of this.repos.optimizations.candidates(id)) ids.push(c.trainRunId, c.devRunId);
    return ids.filter((x): x is number => x !== null);
  }

  /** @internal counters derived from the record (so a resumed optimization counts what its first process spent) */
  updateCounters(id: number) {
    const o = this.get(id);
    let judgeCalls = 0, cost = 0;
    const own = new Set(this.runIds(id));
    // a baseline run that existed before the optimization is not its spending
    for (const runId of own) {
      const r = this.repos.runs.get(runId)!;
      if (Date.parse(r.createdAt) < Date.parse(o.createdAt)) continue;
      judgeCalls += r.done - r.cached; cost += r.cost;
    }
    const p = this.repos.optimizations.proposerTotals(id);
    const devPeeks = this.repos.optimizations.candidates(id).filter((c) => c.dev !== null).length;
    this.repos.optimizations.setCounters(id, { judgeCalls, proposerCalls: p.calls, cost: cost + p.cost, devPeeks });
    return { judgeCalls, proposerCalls: p.calls, cost: cost + p.cost, devPeeks };
  }

  /** @internal */
  emitProgress(id: number, message: string, step = 0) {
    const o = this.get(id);
    const p: OptimizerProgress = { id, status: o.status, message, step, judgeCalls: o.judgeCalls, proposerCalls: o.proposerCalls, cost: o.cost, devPeeks: o.devPeeks };
    this.emit('progress', p);
  }

  /** @internal how many candidates each selected strategy may make (K shared in order rewrite, fewshot, combined) */
  quotas(strategies: readonly OptimizerStrategy[], k: number): Map<OptimizerStrategy, number> {
    const ordered = ALL_STRATEGIES.filter((s) => strategies.includes(s));
    const q = new Map<OptimizerStrategy, number>();
    ordered.forEach((s, i) => q.set(s, Math.floor(k / ordered.length) + (i < k % ordered.length ? 1 : 0)));
    return q;
  }

  /** @internal */
  stopIfCancelled(id: number) {
    if (this.get(id).status === 'cancelled') throw new StopOptimization('cancelled', 'cancelled by the user');
  }

  /** @internal */
  stopForBudget(message: string): never { throw new StopOptimization('stopped-by-budget', message); }
}

interface Scored { version: PromptVersion; train: SplitMetrics; trainRun: Run }

/** One execution of an optimization's search (deterministic given the record and the cache). */
class Search {
  private step = 0;
  private readonly o: OptimizationRow;
  private readonly criterion: Criterion;
  private readonly rng: () => number;
  private readonly trainLabels: Map<number, { verdict: string; critique: string }>;

  constructor(private readonly opt: Optimizer, private readonly ws: Workspace, private readonly id: number, private readonly onActive: (a: { runId: number | null; taskId: number | null }) => void) {
    this.o = opt.get(id);
    this.criterion = ws.criterionById(this.o.criterionId);
    this.rng = createRng(this.o.seed);
    // labelled TRAIN items only: the pool of examples and the source of every critique the proposer sees
    const labels = ws.repos.labels.currentByItem(this.criterion.id, this.criterion.principalAnnotator);
    this.trainLabels = new Map();
    for (const item of ws.repos.items.all(this.criterion.datasetId)) {
      const l = labels.get(item.id);
      if (item.split === 'train' && l?.verdict && !l.ambiguous) this.trainLabels.set(item.id, { verdict: l.verdict, critique: l.critique });
    }
  }

  async run() {
    const from = this.ws.repos.versions.get(this.o.fromVersionId)!;
    if (!this.trainLabels.size) throw new ValidationError('criterion', 'no labelled train items: the optimizer learns from train only; label some train items first');
    const baseTrain = await this.baseline(from, 'train');
    await this.baseline(from, 'dev');
    const base: Scored = { version: from, train: metricsOf(this.ws.headlineReport(this.criterion, baseTrain, 'train')), trainRun: baseTrain };
    const quotas = this.opt.quotas(this.o.strategies, this.o.candidateCount);
    let bestRewrite: Scored | null = null;
    if (quotas.get('rewrite')) bestRewrite = await this.rewrite(base, quotas.get('rewrite')!, 'rewrite');
    if (quotas.get('fewshot')) await this.fewshot(base, quotas.get('fewshot')!, 'fewshot');
    if (quotas.get('combined')) {
      let q = quotas.get('combined')!;
      let start = bestRewrite;
      if (!start) { start = await this.rewrite(base, 1, 'combined'); q -= 1; }
      if (start && q > 0) await this.fewshot(start, q, 'combined');
    }
  }

  /** The from-version's newest finished run on a split, or a new one (recorded on the optimization). */
  private async baseline(v: PromptVersion, split: 'train' | 'dev'): Promise<Run> {
    const o = this.opt.get(this.id);
    const recorded = split === 'train' ? o.baseTrainRunId : o.baseDevRunId;
    let run = recorded ? this.ws.repos.runs.get(recorded) : undefined;
    run ??= this.ws.repos.runs.list(this.criterion.id)
      .filter((r) => r.versionId === v.id && r.status === 'done' && r.kind === 'judged' && r.split === split && r.samples === 1 && !r.variant?.permuteSeed && !r.variant?.swap && r.datasetId === this.criterion.datasetId)
      .sort((a, b) => b.id - a.id)[0];
    if (!run) run = this.plan(v, split);
    this.ws.repos.optimizations.setBaseRuns(this.id, { [split]: run.id });
    return this.finishRun(run, split);
  }

  private plan(v: PromptVersion, split: 'train' | 'dev'): Run {
    assertSplit(split);
    this.opt.stopIfCancelled(this.id);
    const preview = this.ws.engine.costPreview({ criterion: this.criterion, version: v, split });
    this.checkBudget(preview.billableRequests, preview.cost ?? 0, `v${v.number} on ${split}`);
    return this.ws.engine.plan({ criterion: this.criterion, version: v, split, name: `optimization #${this.id}: v${v.number} on ${split}` });
  }

  private checkBudget(calls: number, cost: number, what: string) {
    const spent = this.opt.updateCounters(this.id);
    const o = this.opt.get(this.id);
    if (o.maxCalls !== null && spent.judgeCalls + spent.proposerCalls + calls > o.maxCalls) {
      this.opt.stopForBudget(`stopped before ${what}: ${spent.judgeCalls + spent.proposerCalls} calls made, ${calls} more would pass the cap of ${o.maxCalls}`);
    }
    if (o.budgetUsd !== null && spent.cost + cost > o.budgetUsd) {
      this.opt.stopForBudget(`stopped before ${what}: ${usd(spent.cost)} spent, ~${usd(cost)} more would pass the budget of $${o.budgetUsd}`);
    }
  }

  private async finishRun(run: Run, split: 'train' | 'dev'): Promise<Run> {
    assertSplit(run.split);
    if (run.status === 'done') return run;
    // `serve`'s engine watcher may have taken the abandoned run over already: let it finish there
    while (this.ws.engine.isActive(run.id)) await new Promise((r) => setTimeout(r, 100));
    run = this.ws.repos.runs.get(run.id)!;
    if (run.status === 'done') return run;
    this.onActive({ runId: run.id, taskId: null });
    this.opt.emitProgress(this.id, `judging ${run.name}`, this.step);
    const done = await this.ws.engine.execute(run.id);
    this.opt.updateCounters(this.id);
    this.opt.stopIfCancelled(this.id);
    if (done.status !== 'done') throw new Error(`run #${run.id} (${run.name}) ended ${done.status}${done.message ? `: ${done.message}` : ''}`);
    this.opt.emitProgress(this.id, `${run.name}: done`, this.step);
    return done;
  }

  /** A new candidate at the next step (or the one recorded there by an earlier execution). */
  private candidate(strategy: OptimizerStrategy, parent: PromptVersion, make: () => { template: string; examples: number[]; rationale: string; taskId: number | null }): CandidateRow {
    const step = ++this.step;
    const existing = this.ws.repos.optimizations.candidateAt(this.id, step);
    if (existing) return existing;
    const m = make();
    return this.ws.repos.db.transaction(() => {
      const v = this.ws.repos.versions.create(this.criterion.id, {
        template: m.template, model: parent.model, baseUrl: parent.baseUrl, apiKeyEnv: parent.apiKeyEnv, temperature: parent.temperature,
        maxTokens: parent.maxTokens, seed: parent.seed, examples: m.examples, note: `optimization #${this.id}, step ${step} (${strategy})`,
        parentId: parent.id, origin: 'optimizer', strategy, rationale: m.rationale,
      });
      return this.ws.repos.optimizations.addCandidate({ optimizationId: this.id, step, versionId: v.id, parentVersionId: parent.id, strategy, rationale: m.rationale, taskId: m.taskId });
    })();
  }

  /**
   * Train agreement of two runs on the SAME population: the train items compared in both runs and
   * an example in neither version (a version's few-shot examples are excluded from its own
   * measurement, so its headline figure is on fewer items than its parent's: comparing headlines
   * would compare different populations).
   */
  pairedTrainAgreement(mine: Run, theirs: Run): { mine: number; theirs: number; n: number } {
    const examples = new Set<number>();
    for (const r of [mine, theirs]) for (const e of this.ws.repos.versions.get(r.versionId!)!.examples) examples.add(e);
    const compared = (run: Run) => {
      const m = new Map<number, boolean>();
      for (const oc of this.ws.outcomes(this.criterion, run, 'train', this.criterion.principalAnnotator)) {
        if (oc.excluded || oc.judge === null || oc.expert === null || oc.item.split !== 'train' || examples.has(oc.item.id)) continue;
        m.set(oc.item.id, isPass(oc.judge, this.criterion) === isPass(oc.expert, this.criterion));
      }
      return m;
    };
    const a = compared(mine), b = compared(theirs);
    let n = 0, agreeA = 0, agreeB = 0;
    for (const [id, ok] of a) { const other = b.get(id); if (other === undefined) continue; n++; if (ok) agreeA++; if (other) agreeB++; }
    return { mine: n ? agreeA / n : 0, theirs: n ? agreeB / n : 0, n };
  }

  /** Scores a candidate on train; if it beats its parent there (on the same items), on dev too (a dev peek). */
  private async score(c: CandidateRow, parent: Scored): Promise<Scored & { kept: boolean }> {
    const version = this.ws.repos.versions.get(c.versionId)!;
    let trainRun = c.trainRunId ? this.ws.repos.runs.get(c.trainRunId)! : undefined;
    if (!trainRun) { trainRun = this.plan(version, 'train'); this.ws.repos.optimizations.setCandidateRun(c.id, 'train', trainRun.id); }
    trainRun = await this.finishRun(trainRun, 'train');
    const train = metricsOf(this.ws.headlineReport(this.criterion, trainRun, 'train'));
    const paired = this.pairedTrainAgreement(trainRun, parent.trainRun);
    const kept = paired.n > 0 && paired.mine > paired.theirs;
    this.ws.repos.optimizations.setTrainMetrics(c.id, train, kept);
    if (kept) {
      let devRun = c.devRunId ? this.ws.repos.runs.get(c.devRunId)! : undefined;
      if (!devRun) { devRun = this.plan(version, 'dev'); this.ws.repos.optimizations.setCandidateRun(c.id, 'dev', devRun.id); }
      devRun = await this.finishRun(devRun, 'dev');
      this.ws.repos.optimizations.setDevMetrics(c.id, metricsOf(this.ws.headlineReport(this.criterion, devRun, 'dev')));
      this.opt.updateCounters(this.id);
    }
    this.opt.emitProgress(this.id, `candidate v${version.number} (${c.strategy}): train agreement ${train.agreement.value === null ? '—' : (train.agreement.value * 100).toFixed(1) + '%'}${kept ? ', scored on dev' : ', not better on train'}`, c.step);
    return { version, train, trainRun, kept };
  }

  /** Train items the judge got wrong in a train run (the only disagreements the proposer may see). */
  private disagreements(run: Run) {
    const judgments = new Map(this.ws.repos.runs.judgments(run.id).map((j) => [j.itemId, j]));
    const out: Array<{ itemId: number; expertVerdict: string; judgeVerdict: string; expertCritique: string; judgeCritique?: string }> = [];
    for (const oc of this.ws.outcomes(this.criterion, run, 'train', this.criterion.principalAnnotator)) {
      const label = this.trainLabels.get(oc.item.id);
      if (!label || oc.excluded || oc.judge === null || oc.item.split !== 'train') continue;
      if (isPass(oc.judge, this.criterion) === isPass(label.verdict, this.criterion)) continue;
      out.push({ itemId: oc.item.id, expertVerdict: label.verdict, judgeVerdict: oc.judge, expertCritique: label.critique, judgeCritique: judgments.get(oc.item.id)?.critique || undefined });
    }
    return out;
  }

  /** Failure modes built from train items only, with their train items. */
  private trainModes() {
    return this.ws.repos.failureModes.accepted(this.criterion.id)
      .filter((m) => m.builtFromSplits.length > 0 && m.builtFromSplits.every((s) => s === 'train'))
      .map((m) => ({ name: m.name, definition: m.definition, items: m.items.filter((i) => this.trainLabels.has(i)) }));
  }

  private async rewrite(start: Scored, quota: number, strategy: OptimizerStrategy): Promise<Scored | null> {
    let best: Scored | null = null;
    let base = start;
    for (let r = 0; r < quota; r++) {
      const disagreements = this.disagreements(base.trainRun);
      if (!disagreements.length) break;
      const existing = this.ws.repos.optimizations.candidateAt(this.id, this.step + 1);
      let proposal: { template: string; rationale: string; changes: unknown[]; taskId: number } | null = null;
      if (!existing) {
        this.opt.stopIfCancelled(this.id);
        const prompt = tokenCount(base.version.template.length + disagreements.reduce((s, d) => s + d.expertCritique.length + (d.judgeCritique?.length ?? 0) + 80, 0));
        const price = this.ws.repos.prices.get(this.o.proposer.model);
        this.checkBudget(1, price ? (prompt * price.inputPerMTok + (tokenCount(base.version.template.length) + DEFAULT_COMPLETION_TOKENS) * price.outputPerMTok) / 1e6 : 0, 'a proposer call');
        this.opt.emitProgress(this.id, `asking the proposer (${disagreements.length} train disagreements)`, this.step + 1);
        const p = this.ws.engine.propose(
          { criterionId: this.criterion.id, criterion: { name: this.criterion.name, description: this.criterion.description },
            version: { id: base.version.id, number: base.version.number, template: base.version.template }, trainDisagreements: disagreements, failureModes: this.trainModes() },
          { model: this.o.proposer.model, baseUrl: this.o.proposer.baseUrl, apiKeyEnv: this.o.proposer.apiKeyEnv || 'none' },
        );
        proposal = await p;
        this.opt.updateCounters(this.id);
        if (proposal.template.trim() === base.version.template.trim() || !proposal.changes.length) break;
        const problems = validateTemplate(proposal.template, this.criterion.scale);
        if (problems.length) throw new Error(`the proposer returned an invalid template: ${problems.map((x) => `line ${x.line}: ${x.reason}`).join('; ')}`);
      }
      const c = this.candidate(strategy, base.version, () => ({ template: proposal!.template, examples: base.version.examples, rationale: proposal!.rationale, taskId: proposal!.taskId }));
      const s = await this.score(c, base);
      if (!s.kept) break;
      best = s; base = s;
    }
    return best;
  }

  /** Greedy few-shot selection: start from train disagreements; keep a swap only if train agreement improves. */
  private async fewshot(start: Scored, quota: number, strategy: OptimizerStrategy) {
    const pool = [...this.trainLabels.keys()];
    const wrong = this.disagreements(start.trainRun).map((d) => d.itemId);
    const k = Math.min(this.o.shots, pool.length);
    const initial = [...wrong];
    for (const id of shuffled(pool, this.rng)) if (initial.length < k && !initial.includes(id)) initial.push(id);
    let current: Scored = start;
    let examples = initial.slice(0, k);
    for (let i = 0; i < quota; i++) {
      const chosen = examples;
      const rationale = i === 0
        ? `Few-shot selection: ${chosen.length} train example(s) with the expert's critique as the demonstration, starting from v${current.version.number}'s train disagreements.`
        : `Few-shot swap: one example of v${current.version.number} replaced; kept only if train agreement improves on the train items that are examples in neither version.`;
      const c = this.candidate(strategy, current.version, () => ({ template: current.version.template, examples: chosen, rationale, taskId: null }));
      const s = await this.score(c, current);
      if (s.kept) current = s;
      // next swap: replace a random position with an item not in the set, preferring the current judge's train disagreements
      const inSet = new Set(current.version.examples.length ? current.version.examples : chosen);
      const base = [...inSet];
      const fresh = this.disagreements(current.trainRun).map((d) => d.itemId).filter((x) => !inSet.has(x));
      const others = pool.filter((x) => !inSet.has(x));
      const candidatesForSwap = fresh.length ? fresh : others;
      if (!candidatesForSwap.length || !base.length) break;
      const pos = Math.floor(this.rng() * base.length);
      base[pos] = candidatesForSwap[Math.floor(this.rng() * candidatesForSwap.length)]!;
      examples = base;
    }
  }
}

function shuffled<T>(xs: readonly T[], rng: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [a[i], a[j]] = [a[j]!, a[i]!]; }
  return a;
}
