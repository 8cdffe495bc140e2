import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Criterion, Run, SplitFilter } from '../../shared/types.ts';
import { evaluateGate, type GateThresholds } from '../../shared/metrics/gate.ts';
import type { AlignmentReport } from '../../shared/metrics/report.ts';
import type { Static } from 'typebox';
import type { HeadlineMetricsSchema } from '../../shared/api/report.ts';
import type { ReportQuery, Workspace } from './workspace.ts';
import { isAlignmentRun } from '../../shared/runs.ts';
import { reportWithOutcomes } from './report-outcomes.ts';
import { reportHtml, reportMarkdown } from './render-report.ts';
import { AnnotatorWithoutLabelsError, UserError, type UserErrorStatus } from './errors.ts';

/**
 * The heavy reads of a workspace — reports (json/md/html), gates, compares, corrected pass rates
 * and the dashboard — as plain requests with structured-cloneable results, so they can run in a
 * worker thread on their own read-only connection and keep the serving loop free (better-sqlite3
 * is synchronous: a 200k-item report computed in the server's thread blocks every other request).
 */
export type HeavyRequest =
  | { kind: 'report'; criterionId: number; query: ReportQuery; format: 'json' | 'md' | 'html'; outcomes: boolean }
  | { kind: 'gate'; criterionId: number; query: ReportQuery; thresholds: GateThresholds; lowerBound: boolean }
  | { kind: 'compare'; criterionId: number; a: number; b: number; split?: SplitFilter }
  | { kind: 'correctedPassRate'; criterionId: number; version: number; on?: string }
  | { kind: 'dashboard'; criterionId: number };

/** A rendered document (md/html report; `runId` names the file) or a JSON body. */
export type HeavyResult = { text: string; runId: number } | { body: unknown };

/** One run's headline figures on one split: shared/api/report.ts HeadlineMetricsSchema, which the route serializes with. */
type SplitMetrics = Static<typeof HeadlineMetricsSchema>;

/**
 * Headline metrics per run and split for the dashboard, each kept with the data version it was
 * computed at (labels, items, the run's own judgments and status: `alignment.runVersion`), so a
 * label save or a run that changes them recomputes that run alone and the rest are served warm.
 */
export class DashboardCache {
  private readonly byRun = new Map<number, { key: string; metrics: { dev: SplitMetrics; test: SplitMetrics } }>();
  /** recomputations of one run's metrics (for tests: a warm dashboard recomputes none) */
  recomputed = 0;

  metrics(ws: Workspace, c: Criterion, run: Run) {
    const key = `${ws.repos.alignment.runVersion(run.id)}/${c.principalAnnotator}`;
    const hit = this.byRun.get(run.id);
    if (hit && hit.key === key) return hit.metrics;
    this.recomputed++;
    const of = (rep: AlignmentReport): SplitMetrics =>
      ({ n: rep.n, excluded: rep.excluded, notJudged: rep.notJudged, errorRate: rep.errorRate, agreement: rep.agreement, kappa: rep.kappa, tpr: rep.tpr, tnr: rep.tnr, confusion: rep.confusion });
    const [dev, test] = ws.headlineReports(c, run, ['dev', 'test']);
    const metrics = { dev: of(dev!), test: of(test!) };
    if (this.byRun.size > 10_000) this.byRun.clear();
    this.byRun.set(run.id, { key, metrics });
    return metrics;
  }
}

/** Every run of the criterion with its headline metrics on dev and test: exactly what the dashboard draws. */
export function dashboard(ws: Workspace, criterionId: number, cache: DashboardCache) {
  const c = ws.criterionById(criterionId);
  const runs = ws.repos.runs.list(c.id).filter((r) => r.done > 0 && isAlignmentRun(r, c.datasetId));
  return { criterion: c, versions: ws.repos.versions.list(c.id), runs: runs.map((run) => ({ run, metrics: cache.metrics(ws, c, run) })) };
}

/** One heavy read, computed synchronously on `ws` (in the worker, or in-process for ':memory:' workspaces). */
export function computeHeavy(ws: Workspace, req: HeavyRequest, cache: DashboardCache): HeavyResult {
  switch (req.kind) {
    case 'report': {
      const r = ws.report(ws.criterionById(req.criterionId), req.query);
      if (req.format === 'md') return { text: reportMarkdown(r), runId: r.run.id };
      if (req.format === 'html') return { text: reportHtml(r), runId: r.run.id };
      // the per-item outcomes with both critiques and root causes (disagreement lists): only on request
      return { body: reportWithOutcomes(ws, r, req.outcomes) };
    }
    case 'gate': {
      const r = ws.gateReport(ws.criterionById(req.criterionId), req.query);
      return { body: { ...evaluateGate(r.report, req.thresholds, req.lowerBound), run: r.run.id, n: r.report.n, errorRate: r.report.errorRate } };
    }
    case 'compare': return { body: ws.compare(ws.criterionById(req.criterionId), req.a, req.b, req.split) };
    case 'correctedPassRate': return { body: ws.correctedPassRate(ws.criterionById(req.criterionId), req.version, req.on) };
    case 'dashboard': return { body: dashboard(ws, req.criterionId, cache) };
  }
}

/** An error as it crosses the thread boundary: a UserError keeps its class, code, field and status (so the routes map it alike). */
interface WireError { name: string; message: string; user?: { code: string; field: string | null; file: string | null; line: number | null; status: UserErrorStatus; retryable: boolean }; withLabels?: string[] }
export function toWire(e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  if (err instanceof AnnotatorWithoutLabelsError) return { name: err.name, message: err.message, withLabels: err.withLabels };
  if (err instanceof UserError) return { name: err.name, message: err.message, user: { code: err.code, field: err.field, file: err.file, line: err.line, status: err.status, retryable: err.retryable } };
  return { name: err.name, message: err.message };
}
function fromWire(w: WireError): Error {
  if (w.withLabels) { const e = new AnnotatorWithoutLabelsError(w.message, w.withLabels); e.name = w.name; return e; }
  if (!w.user) { const e = new Error(w.message); e.name = w.name; return e; }
  const e = new UserError(w.message, w.user);
  e.name = w.name;
  return e;
}

type Pending = { resolve: (r: HeavyResult) => void; reject: (e: Error) => void };

/**
 * Runs heavy reads off the serving loop and shares identical concurrent ones. A file workspace gets
 * one worker thread (started on first use) with its own read-only connection to the same file; an
 * in-memory workspace cannot be shared with a thread, so it computes in-process. Requests with the
 * same parameters at the same data version (`alignment.dataVersion`: a write in between gives a new
 * key) share one in-flight promise.
 */
export class HeavyReads {
  /** computations actually started (shared requests count once): for tests */
  computations = 0;
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly inFlight = new Map<string, Promise<HeavyResult>>();
  private nextId = 1;
  private readonly localCache = new DashboardCache();

  constructor(private readonly ws: Workspace) {}

  /** Whether computations leave this thread (false for ':memory:' workspaces). */
  get offLoop(): boolean { return !this.ws.repos.db.memory; }

  run(req: HeavyRequest): Promise<HeavyResult> {
    const key = `${JSON.stringify(req)}@${this.ws.repos.alignment.dataVersion()}`;
    const shared = this.inFlight.get(key);
    if (shared) return shared;
    this.computations++;
    const p = (this.offLoop ? this.inWorker(req) : this.inProcess(req)).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async inProcess(req: HeavyRequest): Promise<HeavyResult> {
    return computeHeavy(this.ws, req, this.localCache);
  }

  private inWorker(req: HeavyRequest): Promise<HeavyResult> {
    const w = this.worker ?? (this.worker = this.startWorker());
    const id = this.nextId++;
    return new Promise<HeavyResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) w.ref();
      w.postMessage({ id, req });
    });
  }

  private startWorker(): Worker {
    const here = import.meta.url;
    const entry = new URL(here.endsWith('.ts') ? './report-worker.ts' : './report-worker.js', here).href;
    const workerData = { path: this.ws.repos.db.name };
    // From sources (tsx, vitest) the worker registers tsx before importing the TypeScript entry.
    const w = here.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(tsxEsmApi(here))}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData })
      : new Worker(new URL(entry), { workerData });
    w.on('message', (m: { id: number; result?: HeavyResult; error?: WireError }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (m.error) p.reject(fromWire(m.error)); else p.resolve(m.result!);
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = null;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the report worker stopped (exit code ${code})`)));
    w.unref();
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/** tsx's ESM register API as a file URL (require.resolve would give its CommonJS build, which cannot register from a worker). */
function tsxEsmApi(from: string): string {
  const pkgPath = createRequire(from).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api']!.import.default)).href;
}

const byWorkspace = new WeakMap<Workspace, HeavyReads>();
/** The heavy-read runner of a workspace (one per workspace, so every route shares its worker and in-flight map). */
export function heavyReadsOf(ws: Workspace): HeavyReads {
  let h = byWorkspace.get(ws);
  if (!h) byWorkspace.set(ws, (h = new HeavyReads(ws)));
  return h;
}
