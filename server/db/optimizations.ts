/** The optimizer's record: optimizations and their candidates (one row per step). */
import type { DB } from './open.ts';

export type OptimizationStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'stopped-by-budget';
export type OptimizerStrategy = 'fewshot' | 'rewrite' | 'combined';
/** Where the proposer's calls go, as resolved when the optimization was created (`profile`: the endpoint profile it came from, if any). */
export interface ProposerEndpoint { model: string; baseUrl: string | null; apiKeyEnv: string; profile?: string }
export interface IntervalValue { value: number | null; low: number | null; high: number | null }
/** Headline figures of one run on one split (population: compared items, see shared/metrics/outcomes.ts). */
export interface SplitMetrics { n: number; agreement: IntervalValue; kappa: IntervalValue }

export interface OptimizationRow {
  id: number; criterionId: number; fromVersionId: number; strategies: OptimizerStrategy[]; candidateCount: number; shots: number; seed: number;
  budgetUsd: number | null; maxCalls: number | null; proposer: ProposerEndpoint; status: OptimizationStatus; message: string;
  judgeCalls: number; proposerCalls: number; cost: number; devPeeks: number; baseTrainRunId: number | null; baseDevRunId: number | null;
  owner: string | null; createdAt: string; finishedAt: string | null;
}

export interface CandidateRow {
  id: number; optimizationId: number; step: number; versionId: number; parentVersionId: number; strategy: OptimizerStrategy; rationale: string;
  taskId: number | null; trainRunId: number | null; devRunId: number | null; train: SplitMetrics | null; dev: SplitMetrics | null; kept: boolean | null;
}

interface ORow { id: number; criterion_id: number; from_version_id: number; strategies: string; candidate_count: number; shots: number; seed: number;
  budget_usd: number | null; max_calls: number | null; proposer: string; status: OptimizationStatus; message: string; judge_calls: number;
  proposer_calls: number; cost: number; dev_peeks: number; base_train_run_id: number | null; base_dev_run_id: number | null; owner: string | null;
  created_at: string; finished_at: string | null }
interface CRow { id: number; optimization_id: number; step: number; version_id: number; parent_version_id: number; strategy: OptimizerStrategy;
  rationale: string; task_id: number | null; train_run_id: number | null; dev_run_id: number | null; train: string | null; dev: string | null; kept: number | null }

const toOptimization = (r: ORow): OptimizationRow => ({
  id: r.id, criterionId: r.criterion_id, fromVersionId: r.from_version_id, strategies: JSON.parse(r.strategies), candidateCount: r.candidate_count,
  shots: r.shots, seed: r.seed, budgetUsd: r.budget_usd, maxCalls: r.max_calls, proposer: JSON.parse(r.proposer), status: r.status, message: r.message,
  judgeCalls: r.judge_calls, proposerCalls: r.proposer_calls, cost: r.cost, devPeeks: r.dev_peeks, baseTrainRunId: r.base_train_run_id,
  baseDevRunId: r.base_dev_run_id, owner: r.owner, createdAt: r.created_at, finishedAt: r.finished_at,
});
const toCandidate = (r: CRow): CandidateRow => ({
  id: r.id, optimizationId: r.optimization_id, step: r.step, versionId: r.version_id, parentVersionId: r.parent_version_id, strategy: r.strategy,
  rationale: r.rationale, taskId: r.task_id, trainRunId: r.train_run_id, devRunId: r.dev_run_id,
  train: r.train ? JSON.parse(r.train) : null, dev: r.dev ? JSON.parse(r.dev) : null, kept: r.kept === null ? null : r.kept === 1,
});

export type NewOptimization = Pick<OptimizationRow, 'criterionId' | 'fromVersionId' | 'strategies' | 'candidateCount' | 'shots' | 'seed' | 'budgetUsd' | 'maxCalls' | 'proposer'>;

export function optimizationsRepository(db: DB) {
  const insert = db.prepare(`INSERT INTO optimizations (criterion_id, from_version_id, strategies, candidate_count, shots, seed, budget_usd, max_calls, proposer)
    VALUES (@criterionId, @fromVersionId, @strategies, @candidateCount, @shots, @seed, @budgetUsd, @maxCalls, @proposer)`);
  const byId = db.prepare<[number], ORow>(`SELECT * FROM optimizations WHERE id = ?`);
  const list = db.prepare<[number], ORow>(`SELECT * FROM optimizations WHERE criterion_id = ? ORDER BY id DESC`);
  const setStatus = db.prepare(`UPDATE optimizations SET status = @status, message = @message,
    finished_at = CASE WHEN @status IN ('done','failed','cancelled','stopped-by-budget') THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NULL END,
    owner = CASE WHEN @status = 'running' THEN @owner ELSE owner END WHERE id = @id`);
  // Taking over an optimization is one statement, so two processes resuming it at once cannot both win.
  const claim = db.prepare(`UPDATE optimizations SET status = 'running', message = '', finished_at = NULL, owner = @owner, heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
    WHERE id = @id AND status IN ('queued','running')
      AND (owner IS NULL OR owner = @owner OR owner = @deadOwner OR heartbeat_at IS NULL OR heartbeat_at < @staleBefore)`);
  const renew = db.prepare(`UPDATE optimizations SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ? AND owner = ?`);
  const leaseOf = db.prepare<[number], { owner: string | null; heartbeat_at: string | null }>(`SELECT owner, heartbeat_at FROM optimizations WHERE id = ?`);
  const unfinished = db.prepare<[], ORow>(`SELECT * FROM optimizations WHERE status = 'running' ORDER BY id`);
  const setCounters = db.prepare(`UPDATE optimizations SET judge_calls = @judgeCalls, proposer_calls = @proposerCalls, cost = @cost, dev_peeks = @devPeeks WHERE id = @id`);
  const setBase = db.prepare(`UPDATE optimizations SET base_train_run_id = coalesce(@train, base_train_run_id), base_dev_run_id = coalesce(@dev, base_dev_run_id) WHERE id = @id`);
  const candidates = db.prepare<[number], CRow>(`SELECT * FROM optimization_candidates WHERE optimization_id = ? ORDER BY step`);
  const candidateAt = db.prepare<[number, number], CRow>(`SELECT * FROM optimization_candidates WHERE optimization_id = ? AND step = ?`);
  const candidateOfVersion = db.prepare<[number], CRow>(`SELECT * FROM optimization_candidates WHERE version_id = ?`);
  const insertCandidate = db.prepare(`INSERT INTO optimization_candidates (optimization_id, step, version_id, parent_version_id, strategy, rationale, task_id)
    VALUES (@optimizationId, @step, @versionId, @parentVersionId, @strategy, @rationale, @taskId)`);
  const setRun = {
    train: db.prepare(`UPDATE optimization_candidates SET train_run_id = ? WHERE id = ?`),
    dev: db.prepare(`UPDATE optimization_candidates SET dev_run_id = ? WHERE id = ?`),
  };
  const setMetrics = {
    train: db.prepare(`UPDATE optimization_candidates SET train = ?, kept = ? WHERE id = ?`),
    dev: db.prepare(`UPDATE optimization_candidates SET dev = ? WHERE id = ?`),
  };
  const taskCalls = db.prepare<[number], { calls: number; cost: number }>(`SELECT coalesce(sum(cached = 0), 0) AS calls, coalesce(sum(cost), 0) AS cost
    FROM model_calls WHERE task_id IN (SELECT task_id FROM optimization_candidates WHERE optimization_id = ? AND task_id IS NOT NULL)`);
  return {
    create(o: NewOptimization): OptimizationRow {
      const id = Number(insert.run({ ...o, strategies: JSON.stringify(o.strategies), proposer: JSON.stringify(o.proposer) }).lastInsertRowid);
      return toOptimization(byId.get(id)!);
    },
    get: (id: number) => { const r = byId.get(id); return r ? toOptimization(r) : undefined; },
    list: (criterionId: number) => list.all(criterionId).map(toOptimization),
    setStatus(id: number, status: OptimizationStatus, message = '', owner: string | null = null) { setStatus.run({ id, status, message, owner }); },
    /**
     * Makes `owner` the optimization's executor (status running) if nobody else holds it: no owner, the same
     * owner, an owner known to be dead, or a heartbeat older than `staleBefore` (ISO time). Returns whether it did.
     */
    claim: (id: number, owner: string, staleBefore: string, deadOwner: string | null = null) =>
      claim.run({ id, owner, staleBefore, deadOwner }).changes > 0,
    /** Renews `owner`'s lease; false when another process has taken it over meanwhile. */
    renew: (id: number, owner: string) => renew.run(id, owner).changes > 0,
    lease: (id: number) => leaseOf.get(id),
    /** Optimizations some process is (or was, before it died) executing. */
    running: () => unfinished.all().map(toOptimization),
    setCounters(id: number, c: { judgeCalls: number; proposerCalls: number; cost: number; devPeeks: number }) { setCounters.run({ id, ...c }); },
    setBaseRuns(id: number, runs: { train?: number; dev?: number }) { setBase.run({ id, train: runs.train ?? null, dev: runs.dev ?? null }); },
    candidates: (optimizationId: number) => candidates.all(optimizationId).map(toCandidate),
    candidateAt: (optimizationId: number, step: number) => { const r = candidateAt.get(optimizationId, step); return r ? toCandidate(r) : undefined; },
    candidateOfVersion: (versionId: number) => { const r = candidateOfVersion.get(versionId); return r ? toCandidate(r) : undefined; },
    addCandidate(c: Pick<CandidateRow, 'optimizationId' | 'step' | 'versionId' | 'parentVersionId' | 'strategy' | 'rationale' | 'taskId'>): CandidateRow {
      insertCandidate.run(c);
      return toCandidate(candidateAt.get(c.optimizationId, c.step)!);
    },
    setCandidateRun(candidateId: number, split: 'train' | 'dev', runId: number) { setRun[split].run(runId, candidateId); },
    setTrainMetrics(candidateId: number, m: SplitMetrics, kept: boolean) { setMetrics.train.run(JSON.stringify(m), kept ? 1 : 0, candidateId); },
    setDevMetrics(candidateId: number, m: SplitMetrics) { setMetrics.dev.run(JSON.stringify(m), candidateId); },
    /** Proposer calls actually sent (not answered from the cache) and their cost. */
    proposerTotals: (optimizationId: number) => taskCalls.get(optimizationId)!,
  };
}
