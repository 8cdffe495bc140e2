import { EventEmitter, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostname } from 'node:os';
import type { Repositories } from '../db/index.ts';
import { withWriteRetry } from '../db/retry.ts';
import type { NewJudgment, RunOptions } from '../db/runs.ts';
import type { CachedResponse } from '../db/cache.ts';
import type { Criterion, EndpointProfile, Item, ModelSettings, PromptVersion, Run, RunVariant, SplitFilter } from '../../shared/types.ts';
import { testConnection } from './connection-test.ts';
import type { ConnectionTest } from '../../shared/api/profiles.ts';
import { NotFoundError } from '../errors.ts';
import { buildMessages, type ChatMessage, type Example } from '../../shared/template.ts';
import { createRng } from '../../shared/stats/index.ts';
import { createProvider, describeEndpoint, NotConfiguredError, type Provider, type ProviderOptions } from './provider.ts';
import { LimiterRegistry } from './limiter.ts';
import { previewCost, type RunCostPreview } from './cost-preview.ts';
import { boundJudgment, JudgeContext, transportError, type RunCallKind, type Writer } from './judgment.ts';
import { DEFAULT_MAX_REPLY_BYTES } from './http-fetch.ts';
import { executeBatch, type BatchPolling } from './batch.ts';
import { ownerIsDead } from './owner.ts';
import { UserError } from '../errors.ts';
import { TaskRunner, type TaskEndpoint } from './tasks/runner.ts';
import { proposeKind, type ProposeInputs, type Proposal } from './tasks/propose.ts';
import { groupCritiquesKind, type GroupInputs, type Grouping } from './tasks/group-critiques.ts';

export { TaskFailedError, type TaskEndpoint } from './tasks/runner.ts';
export type { ProposeInputs, Proposal } from './tasks/propose.ts';
export type { GroupInputs, Grouping } from './tasks/group-critiques.ts';

export type { RunCostPreview } from './cost-preview.ts';
export { progressOf, type RunProgress } from '../../shared/runs.ts';
import { progressOf, type RunProgress } from '../../shared/runs.ts';
export { cacheKey } from './cache-key.ts';
export { DEFAULT_COMPLETION_TOKENS } from './cost-preview.ts';
export type { RunOptions } from '../db/runs.ts';

export interface PlanRun extends RunOptions {
  criterion: Criterion;
  version: PromptVersion;
  split: SplitFilter;
  /** judge only labelled items (alignment) or every item (e.g. to estimate a corrected pass rate) */
  scope?: 'labelled' | 'all';
  /** the dataset whose items are judged; defaults to the criterion's */
  datasetId?: number;
  samples?: number;
  variant?: RunVariant;
  concurrency?: number;
  name?: string;
  /** run through this endpoint profile instead of the version's own (recorded on the run) */
  profile?: EndpointProfile | null;
}

export interface ExecuteOptions {
  /** overrides the run's stored noCache for this execution */
  noCache?: boolean;
  /** forget judgments that failed in transport (no reply) and try those again */
  retryErrors?: boolean;
  /**
   * Called once, before anything is claimed or sent, with the cost preview of what this execution
   * will judge ({@link RunEngine.costPreviewRun}'s figures), computed from the items it loads anyway:
   * a caller that shows the preview first need not load and render the run a second time.
   */
  onCostPreview?: (preview: RunCostPreview) => void;
}


export interface EngineOptions {
  /** identifies this process in the run's lease */
  owner?: string;
  env?: NodeJS.ProcessEnv;
  provider?: Omit<ProviderOptions, 'settings' | 'env' | 'limiter'>;
  /** stop a run after this many consecutive transport failures (wrong key, endpoint down) */
  errorBudget?: number;
  /** a run whose lease is older than this is considered abandoned and may be resumed */
  staleAfterMs?: number;
  /** concurrency of a run that does not set its own (default 8) */
  defaultConcurrency?: number;
  /** Batch API polling: first interval and the cap it grows to (default $CONCUR_BATCH_POLL_MS or 5 s → 60 s) */
  batchPolling?: Partial<BatchPolling>;
  /** cap on one reply's body in bytes for runs that set none (default 1 MB); see http-fetch.ts */
  maxReplyBytes?: number;
  /** how long a run keeps retrying a write that meets another process's lock before it fails (default 30 s) */
  writeDeadlineMs?: number;
}

/** Thrown by execute() when another live process holds the run. */
export class RunBusyError extends Error {}

const HEARTBEAT_MS = 2000;
/** Judgments are written at most this long after their reply arrives (one transaction for all of them). */
const WRITE_WINDOW_MS = 10;
const WRITE_BATCH = 256;
const DEFAULT_CONCURRENCY = 8;
const WRITE_DEADLINE_MS = 30_000;
/** A write failing for another reason than a lock (disk full, I/O error) is tried this many times before the run fails. */
const OTHER_WRITE_ATTEMPTS = 4;

interface Job { item: Item; sample: number }

/**
 * Runs prompt versions against items: bounded concurrency, RPM/TPM limits shared per endpoint,
 * response cache, judgments written as they arrive (batched every few milliseconds in one
 * transaction), cancellation (also from another process), an error budget, the Batch API, and
 * resumption of runs left unfinished by a crash.
 */
export class RunEngine extends EventEmitter {
  readonly owner: string;
  private readonly active = new Map<number, AbortController>();
  private readonly limiters = new LimiterRegistry();
  /** Engine tasks that are one model call each (proposer, failure-mode grouping): same provider, limiters, cache, leases. */
  readonly tasks: TaskRunner;

  constructor(private readonly repos: Repositories, private readonly opts: EngineOptions = {}) {
    super();
    this.owner = opts.owner ?? `${hostname()}:${process.pid}`;
    this.tasks = new TaskRunner(repos, {
      owner: this.owner, env: opts.env, provider: opts.provider, maxReplyBytes: opts.maxReplyBytes, staleAfterMs: this.staleAfter(),
      heartbeatMs: HEARTBEAT_MS, writeDeadlineMs: opts.writeDeadlineMs ?? WRITE_DEADLINE_MS, limiters: this.limiters,
    });
    this.tasks.on('task', (t) => this.emit('task', t));
  }

  /**
   * The optimizer's proposer: one recorded, cached, cancellable, resumable call. Refuses (throws a
   * ValidationError) before anything is stored or sent when any item it names is not a train item.
   */
  async propose(inputs: ProposeInputs & { criterionId?: number }, endpoint: TaskEndpoint & { profile?: string | null }, o: { noCache?: boolean } = {}): Promise<Proposal & { taskId: number }> {
    const { task, result } = await this.tasks.run(proposeKind, inputs, this.taskEndpoint(endpoint), inputs.criterionId ?? null, o);
    return { ...result, taskId: task.id };
  }

  /** Failure-mode grouping by a model (train and dev items only): modes with the items' internal ids. */
  async groupCritiques(inputs: GroupInputs & { criterionId?: number }, endpoint: TaskEndpoint & { profile?: string | null }, o: { noCache?: boolean } = {}): Promise<Grouping & { taskId: number }> {
    const { task, result } = await this.tasks.run(groupCritiquesKind, inputs, this.taskEndpoint(endpoint), inputs.criterionId ?? null, o);
    return { ...result, taskId: task.id };
  }

  /**
   * A task's endpoint with its profile (named by `profile`) resolved: the profile's base URL and key
   * variable, and its default model when the task names none. Throws NotFoundError for an unknown name.
   */
  taskEndpoint(e: TaskEndpoint & { profile?: string | null }): TaskEndpoint {
    if (!e.profile) return e;
    const p = this.repos.profiles.byName(e.profile);
    if (!p) throw new NotFoundError(`no endpoint profile named "${e.profile}"`, 'profile_not_found');
    const { profile: _named, ...rest } = e;
    return { ...rest, model: e.model?.trim() ? e.model : p.model, baseUrl: p.baseUrl, apiKeyEnv: p.apiKeyEnv || 'none' };
  }

  /**
   * A version's settings as they run through a profile: `profileId` (a run's override), else the
   * version's own profile, else the version's legacy baseUrl/apiKeyEnv. An override profile's default
   * model replaces the version's (another endpoint serves other models); the version's own profile
   * keeps the version's model.
   */
  resolveVersion(version: PromptVersion, profileId: number | null = version.profileId): { version: PromptVersion; profile: EndpointProfile | null } {
    const profile = profileId !== null ? this.repos.profiles.get(profileId) ?? null : null;
    if (!profile) return { version, profile: null };
    const override = profileId !== version.profileId;
    return { profile, version: { ...version, baseUrl: profile.baseUrl, apiKeyEnv: profile.apiKeyEnv, model: override && profile.model ? profile.model : version.model } };
  }

  /** One real call through a profile (see connection-test.ts); recorded in model_calls. */
  testConnection(profile: EndpointProfile, model?: string): Promise<ConnectionTest> {
    return testConnection(this.repos, profile, model, { env: this.opts.env, provider: this.opts.provider, maxReplyBytes: this.opts.maxReplyBytes });
  }

  /** Where a version's calls would go from this engine (its environment), and whether they can be made. Never the key. */
  endpointOf(settings: Pick<PromptVersion, 'baseUrl' | 'apiKeyEnv'>) {
    return describeEndpoint(settings, this.opts.env);
  }

  /** Creates a queued run whose item list is fixed now (so a resumed run judges exactly the rest). */
  plan(p: PlanRun): Run {
    const { datasetId, scope, items } = this.selectItems(p);
    checkOptions(p);
    return this.repos.db.transaction(() => {
      const run = this.repos.runs.create({
        criterionId: p.criterion.id, datasetId, versionId: p.version.id, kind: 'judged',
        name: p.name ?? `v${p.version.number} on ${p.split}${p.batch ? ' (batch)' : ''}`, split: p.split, scope,
        samples: p.samples ?? 1, variant: p.variant ?? {}, concurrency: p.concurrency ?? this.opts.defaultConcurrency ?? DEFAULT_CONCURRENCY,
        status: 'queued', itemIds: items.map((i) => i.id),
        ...this.profileOfPlan(p),
      });
      this.repos.runs.setOptions(run.id, pickOptions(p));
      // The planner holds the lease from the start, so no other process takes the run before it executes it.
      this.repos.runs.heartbeat(run.id, this.owner);
      return run;
    })();
  }

  /** The profile a planned run goes through: the override, else the version's own. */
  private profileOfPlan(p: PlanRun): { profileId: number | null; profileName: string | null } {
    const profile = p.profile ?? (p.version.profileId !== null ? this.repos.profiles.get(p.version.profileId) : undefined);
    return { profileId: profile?.id ?? null, profileName: profile?.name ?? null };
  }

  /** What a planned run would cost before it exists: requests, tokens, cache hits and price. */
  costPreview(p: PlanRun): RunCostPreview {
    const { items } = this.selectItems(p);
    checkOptions(p);
    const samples = p.samples ?? 1;
    const jobs = (function* () { for (const item of items) for (let s = 0; s < samples; s++) yield { item, sample: s }; })();
    return previewCost(this.repos, {
      version: p.version, criterion: p.criterion, variant: p.variant ?? {}, requests: items.length * samples, items: items.length, samples,
      jobs, noCache: p.noCache ?? false, render: this.renderer(p.version, p.criterion, p.variant ?? {}), baseUrl: this.endpointOf(p.version).baseUrl,
    });
  }

  /** The cost preview of what is left of an existing run. */
  costPreviewRun(runId: number, options: ExecuteOptions = {}): RunCostPreview {
    const ctx = this.load(runId);
    return this.previewOf(ctx, options, this.renderer(ctx.version, ctx.criterion, ctx.run.variant));
  }

  /** {@link costPreviewRun} of a loaded run, rendering through `render`. */
  private previewOf(ctx: ReturnType<RunEngine['load']>, options: ExecuteOptions, render: (item: Item) => ChatMessage[]): RunCostPreview {
    const finished = this.repos.runs.finishedKeys(ctx.run.id);
    const remaining: Job[] = [];
    for (const item of ctx.items) for (let s = 0; s < ctx.run.samples; s++) if (!finished.has(`${item.id}:${s}`)) remaining.push({ item, sample: s });
    return previewCost(this.repos, {
      version: ctx.version, criterion: ctx.criterion, variant: ctx.run.variant, requests: remaining.length, items: ctx.items.length,
      samples: ctx.run.samples, jobs: remaining, noCache: options.noCache ?? ctx.options.noCache ?? false,
      render, baseUrl: this.endpointOf(ctx.version).baseUrl,
    });
  }

  /** Cancels a run: at once when it executes here, within a heartbeat when another process executes it. */
  cancel(runId: number): boolean {
    const ctl = this.active.get(runId);
    if (ctl) { ctl.abort(); return true; }
    const run = this.repos.runs.get(runId);
    if (run && (run.status === 'queued' || run.status === 'running')) {
      this.repos.runs.setStatus(runId, 'cancelled', 'cancelled by the user');
      return true;
    }
    return false;
  }

  isActive(runId: number) { return this.active.has(runId); }

  /** Who else executes the run right now, if anyone (a live process with a fresh lease). */
  heldElsewhere(runId: number): string | null {
    if (this.active.has(runId)) return null;
    const lease = this.repos.runs.lease(runId);
    if (!lease?.owner || lease.owner === this.owner || !lease.heartbeat_at) return null;
    if (ownerIsDead(lease.owner)) return null;
    return Date.now() - Date.parse(lease.heartbeat_at) > this.staleAfter() ? null : lease.owner;
  }

  /**
   * Runs (or resumes) a run to the end. Never throws for judge failures: they are recorded. A write
   * that meets another process's lock is retried asynchronously (the event loop never waits on it
   * for long) while the lease is renewed; a write that still fails fails this run, with the error
   * recorded on it, and leaves its unwritten items un-judged for a resume.
   */
  async execute(runId: number, options: ExecuteOptions = {}): Promise<Run> {
    const ctx = this.load(runId);
    let render = this.renderer(ctx.version, ctx.criterion, ctx.run.variant);
    if (options.onCostPreview) {
      // The items the preview rendered are rendered once: the first judgment of each takes its messages.
      const rendered = new Map<Item, ChatMessage[]>();
      const renderOnce = render;
      options.onCostPreview(this.previewOf(ctx, options, (item) => {
        const m = renderOnce(item);
        rendered.set(item, m);
        return m;
      }));
      render = (item) => {
        const m = rendered.get(item);
        if (m === undefined) return renderOnce(item);
        rendered.delete(item);
        return m;
      };
    }
    if (this.active.has(runId)) throw new Error(`run ${runId} is already running in this process`);
    // Registered before the first await, so a resume watcher in this process cannot start it twice.
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // every request in flight listens for the cancel
    this.active.set(runId, controller);
    let limits: ReturnType<LimiterRegistry['acquire']> | null = null;
    let provider: Provider;
    try {
      const lease = this.repos.runs.lease(runId);
      const deadOwner = lease?.owner && ownerIsDead(lease.owner) ? lease.owner : null;
      const claimed = await this.write(() => this.repos.runs.claim(runId, this.owner, new Date(Date.now() - this.staleAfter()).toISOString(), deadOwner));
      if (!claimed) throw new RunBusyError(`run ${runId} is being executed by another process (${lease?.owner}); cancel it there, or wait for it to stop`);
      // The profile's limits are defaults; the run's own options override them.
      const runOptions: RunOptions = { ...profileLimits(ctx.profile), ...ctx.options, ...(options.noCache !== undefined ? { noCache: options.noCache } : {}) };
      const profile = `${describeEndpoint(ctx.version, this.opts.env).baseUrl}|${ctx.version.apiKeyEnv}`;
      limits = this.limiters.acquire(profile, { rpm: runOptions.rpm, tpm: runOptions.tpm });
      try {
        provider = createProvider({
          ...this.opts.provider, ...(runOptions.timeoutMs ? { timeoutMs: runOptions.timeoutMs } : {}),
          maxReplyBytes: runOptions.maxReplyBytes ?? this.opts.maxReplyBytes ?? this.opts.provider?.maxReplyBytes,
          settings: ctx.version, env: this.opts.env, limiter: limits.limiter,
        });
      } catch (e) {
        if (!(e instanceof NotConfiguredError)) throw e;
        await this.write(() => this.repos.db.transaction(() => {
          this.repos.runs.setStatus(runId, 'failed', e.message);
          this.repos.runs.release(runId, this.owner);
        })());
        this.active.delete(runId);
        limits.release();
        return this.finish(runId);
      }
      if (options.retryErrors) await this.write(() => this.repos.runs.deleteTransportErrors(runId));
      // What the run actually uses, resolved now: a later change of defaults never rewrites it.
      const v = ctx.version;
      await this.write(() => this.repos.db.transaction(() => {
        this.repos.runs.setResolved(runId, { baseUrl: provider.endpoint.baseUrl, model: v.model,
          settings: { apiKeyEnv: v.apiKeyEnv, temperature: v.temperature, maxTokens: v.maxTokens, seed: v.seed } });
        this.repos.runs.setStatus(runId, 'running');
      })());
      const claimedLimits = limits;
      limits = null; // released by executeClaimed
      return await this.executeClaimed(runId, ctx, provider, controller, runOptions, claimedLimits, render);
    } catch (e) {
      if (this.active.get(runId) === controller) this.active.delete(runId);
      limits?.release();
      throw e;
    }
  }

  private async executeClaimed(runId: number, ctx: ReturnType<RunEngine['load']>, provider: Provider, controller: AbortController,
    runOptions: RunOptions, limits: ReturnType<LimiterRegistry['acquire']>, render: (item: Item) => ChatMessage[]): Promise<Run> {
    let cancelledElsewhere = false;
    let leaseLost = false;
    /** Renews the lease; never throws (it runs on a timer): a lock only delays it to the next try. */
    const renewLease = () => {
      try {
        if (!this.repos.runs.renew(runId, this.owner) && !leaseLost) { leaseLost = true; controller.abort(); }
        // A cancel from another process (the UI while the CLI runs it, or the reverse) arrives through the database.
        if (this.repos.runs.status(runId) === 'cancelled') { cancelledElsewhere = true; controller.abort(); }
      } catch { /* locked: renewed on the next beat or the next write retry */ }
    };
    const heartbeat = setInterval(renewLease, HEARTBEAT_MS);
    heartbeat.unref();
    let lastRenewal = Date.now();
    /** While a write waits for a lock, the lease is renewed too (each try may block up to the busy timeout). */
    const renewWhileWaiting = () => {
      if (Date.now() - lastRenewal < HEARTBEAT_MS / 4) return;
      lastRenewal = Date.now();
      setImmediate(renewLease); // not in the same turn as the failed write: each may wait out the busy timeout
    };

    const finished = this.repos.runs.finishedKeys(runId);
    const work: Job[] = [];
    for (const item of ctx.items) {
      for (let s = 0; s < ctx.run.samples; s++) if (!finished.has(`${item.id}:${s}`)) work.push({ item, sample: s });
    }
    const progress = this.progressTracker(runId);
    // After a wait the lease is renewed at once: the lock may have kept it from being renewed for a while.
    // the run's call kind (a judged run's is the judge; see RunCallKind for the kinds to come)
    const kind: RunCallKind = new JudgeContext(ctx.version, ctx.criterion, ctx.run.variant, render,
      this.repos.prices.get(ctx.version.model), !runOptions.noCache, provider.endpoint.baseUrl);
    const writer = this.batchWriter(runId, { taskKind: kind.name, baseUrl: provider.endpoint.baseUrl, model: kind.settings.model }, progress.add, { onRetry: renewWhileWaiting, onRecovered: renewLease, onFailure: () => controller.abort() });
    let stopReason = '';
    try {
      if (runOptions.batch) {
        stopReason = await executeBatch({
          runId, repos: this.repos, provider, kind, writer, work, signal: controller.signal,
          polling: { initialMs: Number((this.opts.env ?? process.env).CONCUR_BATCH_POLL_MS) || 5000, maxMs: 60_000, ...this.opts.batchPolling },
          maxReplyBytes: runOptions.maxReplyBytes ?? this.opts.maxReplyBytes ?? this.opts.provider?.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES,
          note: progress.note,
        });
      } else {
        stopReason = await this.executeDirect(provider, kind, writer, work, Math.max(1, ctx.run.concurrency), controller);
      }
    } catch (e) {
      if (!controller.signal.aborted) stopReason = `internal error: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      try { await writer.drain(); } finally {
        clearInterval(heartbeat);
        this.active.delete(runId);
        limits.release();
      }
    }
    if (leaseLost) return this.finish(runId); // another process executes the run now; its status is theirs to set
    const writeFailure = writer.failure();
    if (writeFailure) stopReason = `could not record judgments (the unrecorded items stay un-judged; resume the run to redo them): ${errorMessage(writeFailure)}`;
    const [status, message]: [Run['status'], string] = stopReason ? ['failed', stopReason]
      : controller.signal.aborted ? ['cancelled', cancelledElsewhere ? 'cancelled from another process' : 'cancelled by the user'] : ['done', ''];
    // An ended run has no executor: a `run --resume` may take it at once, without waiting for the lease to go stale.
    await this.write(() => this.repos.db.transaction(() => {
      this.repos.runs.setStatus(runId, status, message);
      this.repos.runs.release(runId, this.owner);
    })(), { otherAttempts: 20, onRetry: renewWhileWaiting });
    return this.finish(runId);
  }

  /** A write retried while another connection holds the lock (see withWriteRetry). */
  private write<T>(fn: () => T, o: { otherAttempts?: number; onRetry?: () => void } = {}): Promise<T> {
    return withWriteRetry(this.repos.db, fn, {
      deadlineMs: this.opts.writeDeadlineMs ?? WRITE_DEADLINE_MS, otherAttempts: o.otherAttempts ?? OTHER_WRITE_ATTEMPTS, onRetry: o.onRetry,
    });
  }

  /** Direct calls with `concurrency` workers; returns why the run had to stop ('' when it did not). */
  private async executeDirect(provider: Provider, kind: RunCallKind, writer: Writer, work: Job[], concurrency: number, controller: AbortController): Promise<string> {
    const budget = this.opts.errorBudget ?? 10;
    let consecutiveFailures = 0;
    let stopReason = '';
    let next = 0;

    const callOne = async ({ item, sample }: Job) => {
      const messages = kind.render(item);
      // The key is also the request's hash in its model_calls row, so it is computed with the cache off too.
      const key = kind.requestKey(messages, sample);
      const hit = kind.useCache ? this.repos.cache.get(key) : undefined;
      if (hit) {
        writer.push(kind.record(item.id, sample, hit.content, { promptTokens: 0, completionTokens: 0, latencyMs: 0, attempts: 0, cached: true }), undefined, key);
        return;
      }
      const res = await provider.call(messages, kind.responseFormat, controller.signal, { estimatedTokens: kind.tokenCount(messages) });
      if (!res.ok) {
        consecutiveFailures++;
        writer.push(transportError(item.id, sample, res.error, res.latencyMs, res.attempts, res.raw), undefined, key);
        if (consecutiveFailures >= budget && !stopReason) {
          stopReason = `stopped after ${consecutiveFailures} consecutive failed requests; last error: ${res.error}${hintFor(res.status, kind.settings, this.opts.env)}`;
          controller.abort();
        }
        return;
      }
      consecutiveFailures = 0;
      writer.push(kind.record(item.id, sample, res.content, { ...res, cached: false }),
        kind.useCache ? { key, response: { content: res.content, promptTokens: res.promptTokens, completionTokens: res.completionTokens } } : undefined, key);
    };

    const worker = async () => {
      while (!controller.signal.aborted && next < work.length) {
        const job = work[next++]!;
        try {
          await callOne(job);
        } catch (e) {
          if (!controller.signal.aborted) throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
    return stopReason;
  }

  /** Resumes runs left queued/running by a process that is gone (dead, or lease older than staleAfterMs). */
  resumable(): Run[] {
    return this.repos.runs.unfinished().filter((r) => r.kind === 'judged' && !this.active.has(r.id) && this.heldElsewhere(r.id) === null);
  }

  /**
   * Keeps taking over runs left by a process that is gone (dead, or its lease gone stale) while
   * this process is up: once now, then every `intervalMs`. Returns a function that stops watching.
   */
  watchForAbandonedRuns(log: (line: string) => void, intervalMs = HEARTBEAT_MS): () => void {
    const look = () => {
      let runs: Run[];
      try { runs = this.resumable(); } catch (e) { log(`looking for runs to resume: ${errorMessage(e)}`); return; }
      for (const run of runs) {
        log(`resuming run ${run.id} (${run.done}/${run.total} already judged)`);
        this.execute(run.id).catch((e) => {
          // Another process took it first: it is in good hands.
          if (!(e instanceof RunBusyError)) log(`run ${run.id}: ${errorMessage(e)}`);
        });
      }
      let tasks: ReturnType<TaskRunner['resumable']> = [];
      try { tasks = this.tasks.resumable(); } catch (e) { log(`looking for tasks to resume: ${errorMessage(e)}`); }
      for (const task of tasks) {
        log(`resuming task ${task.id} (${task.kind})`);
        this.tasks.execute(task.id).catch((e) => {
          if (!(e instanceof UserError && e.code === 'task_busy')) log(`task ${task.id}: ${errorMessage(e)}`);
        });
      }
    };
    look();
    const timer = setInterval(look, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private staleAfter() { return this.opts.staleAfterMs ?? HEARTBEAT_MS * 5; }

  private load(runId: number) {
    const run = this.repos.runs.get(runId);
    if (!run) throw new Error(`run ${runId} not found`);
    if (run.kind !== 'judged' || run.versionId === null) throw new Error(`run ${runId} was imported; there is nothing to judge`);
    // Runs planned before profiles (profile_id null) resolve through the version's profile, if any.
    const stored = this.repos.versions.get(run.versionId)!;
    const { version, profile } = this.resolveVersion(stored, run.profileId ?? stored.profileId);
    const criterion = this.repos.criteria.get(run.criterionId)!;
    return { run, version, profile, criterion, items: this.repos.runs.items(runId), options: this.repos.runs.options(runId) };
  }

  private selectItems(p: PlanRun) {
    const datasetId = p.datasetId ?? p.criterion.datasetId;
    const scope = p.scope ?? 'labelled';
    const labelled = this.repos.labels.currentByItem(p.criterion.id, p.criterion.principalAnnotator);
    const items = this.repos.items.all(datasetId).filter((i) =>
      (p.split === 'all' || i.split === p.split) && (scope === 'all' || labelled.has(i.id)));
    if (!items.length) {
      throw new Error(scope === 'labelled'
        ? `no labelled items in the ${p.split} split of this dataset to judge; label some items first (or choose another split)`
        : `no items in the ${p.split} split to judge`);
    }
    if (p.variant?.swap && p.criterion.scale !== 'pairwise') throw new Error('position swap applies only to pairwise criteria');
    return { datasetId, scope, items };
  }

  private renderer(version: PromptVersion, criterion: Criterion, variant: RunVariant) {
    const examples = loadExamples(this.repos, version, criterion, variant.permuteSeed);
    return (item: Item) => buildMessages(version.template, item, { criterion, examples, swap: variant.swap });
  }

  private finish(runId: number): Run {
    const run = this.repos.runs.get(runId)!;
    this.emit('progress', this.snapshot(run, 0, null));
    this.emit('finished', run);
    return run;
  }

  private snapshot(run: Run, ratePerSec: number, etaSec: number | null): RunProgress {
    return progressOf(run, ratePerSec, etaSec);
  }

  private progressTracker(runId: number) {
    const start = this.repos.runs.get(runId)!;
    const startDone = start.done;
    const t0 = performance.now();
    let lastEmit = 0;
    const state = this.snapshot(start, 0, null);
    const emit = (now: number) => {
      lastEmit = now;
      // Rate and ETA count this execution only: judgments recorded before a resume are not "fast".
      state.ratePerSec = (state.done - startDone) / Math.max(0.001, (now - t0) / 1000);
      state.etaSec = state.ratePerSec > 0 ? (state.total - state.done) / state.ratePerSec : null;
      this.emit('progress', { ...state, status: 'running' });
    };
    return {
      add: (js: NewJudgment[]) => {
        for (const j of js) {
          state.done++; if (j.error) state.errors++; if (j.cached) state.cached++;
          state.promptTokens += j.promptTokens; state.completionTokens += j.completionTokens; state.cost += j.cost;
        }
        const now = performance.now();
        if (now - lastEmit < 100 && state.done < state.total) return;
        emit(now);
      },
      /** a status line (e.g. the Batch API's) shown with the counts */
      note: (message: string) => { state.message = message; emit(performance.now()); },
    };
  }

  /**
   * Collects judgments (and their cache entries) and writes them in one transaction every
   * WRITE_WINDOW_MS, or at once when WRITE_BATCH are waiting. A transaction per judgment would
   * cost more CPU than the rest of the judgment; a kill -9 loses at most the replies of the
   * last few milliseconds, which a resume asks for again (never records twice).
   * A write that fails (another process's lock, a full disk) keeps its judgments waiting and is
   * retried asynchronously, renewing the lease meanwhile; once it has failed for good the run is
   * stopped (`onFailure`), the waiting judgments are dropped and `failure()` says why.
   */
  private batchWriter(runId: number, to: { taskKind: string; baseUrl: string; model: string }, onWritten: (js: NewJudgment[]) => void, on: { onRetry: () => void; onRecovered: () => void; onFailure: () => void }): Writer & {
    drain(): Promise<void>; failure(): unknown;
  } {
    let pending: NewJudgment[] = [];
    let hashes: string[] = [];
    let caches: Array<{ key: string; response: CachedResponse }> = [];
    let timer: NodeJS.Timeout | null = null;
    let retrying: Promise<void> | null = null;
    let failure: unknown = null;
    // Judgments, their model_calls rows and cache entries: one transaction per batch.
    const write = this.repos.db.transaction((js: NewJudgment[], hs: string[], cs: typeof caches) => {
      for (const c of cs) this.repos.cache.put(c.key, c.response);
      this.repos.runs.recordJudgmentsWithCalls(runId, js, hs, to);
    });
    /** Writes everything waiting, or throws and leaves it waiting. */
    const writeWaiting = () => {
      if (!pending.length) return;
      const batch = pending, hashBatch = hashes, cacheBatch = caches;
      write(batch, hashBatch, cacheBatch);
      pending = []; hashes = []; caches = [];
      onWritten(batch);
    };
    const retry = () => {
      // The write that just failed already waited out the busy timeout: pause before the next try.
      retrying = sleep(WRITE_WINDOW_MS).then(() => this.write(writeWaiting, { onRetry: on.onRetry })).then(
        () => { retrying = null; on.onRecovered(); },
        (e: unknown) => { retrying = null; failure = e; pending = []; hashes = []; caches = []; on.onFailure(); },
      );
    };
    const flush = () => {
      if (timer) { clearTimeout(timer); timer = null; }
      if (retrying || failure) return; // the retry writes whatever is waiting
      try { writeWaiting(); } catch { retry(); }
    };
    return {
      push(j, cache, requestHash) {
        if (failure) return;
        pending.push(boundJudgment(j));
        hashes.push(requestHash);
        if (cache) caches.push(cache);
        if (pending.length >= WRITE_BATCH) flush();
        else if (!timer) timer = setTimeout(flush, WRITE_WINDOW_MS);
      },
      flush,
      /** Writes everything waiting, waiting out retries. */
      async drain() {
        flush();
        while (retrying) { await retrying; flush(); }
      },
      failure: () => failure,
    };
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function hintFor(status: number | null, v: ModelSettings, env?: NodeJS.ProcessEnv): string {
  const endpoint = describeEndpoint(v, env);
  if (status === 401 || status === 403) return ` — check the API key in $${v.apiKeyEnv}`;
  if (status === 404) return ` — check the model name "${v.model}" and the endpoint ${endpoint.baseUrl}`;
  if (status === null) return ` — is the endpoint ${endpoint.baseUrl} reachable?`;
  return '';
}

function checkOptions(o: RunOptions & { concurrency?: number; samples?: number }) {
  const positive = (v: number | null | undefined, name: string, integer = true) => {
    if (v === undefined || v === null) return;
    if (!(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  };
  positive(o.rpm, 'rpm', false); positive(o.tpm, 'tpm', false); positive(o.timeoutMs, 'timeout');
  positive(o.concurrency, 'concurrency'); positive(o.samples, 'samples'); positive(o.maxReplyBytes, 'max reply bytes');
}

function profileLimits(p: EndpointProfile | null): RunOptions {
  const o: RunOptions = {};
  if (p?.rpm) o.rpm = p.rpm;
  if (p?.tpm) o.tpm = p.tpm;
  if (p?.maxReplyBytes) o.maxReplyBytes = p.maxReplyBytes;
  return o;
}

function pickOptions(p: RunOptions): RunOptions {
  const o: RunOptions = {};
  if (p.rpm) o.rpm = p.rpm;
  if (p.tpm) o.tpm = p.tpm;
  if (p.noCache) o.noCache = true;
  if (p.batch) o.batch = true;
  if (p.timeoutMs) o.timeoutMs = p.timeoutMs;
  if (p.maxReplyBytes) o.maxReplyBytes = p.maxReplyBytes;
  return o;
}

/** The version's few-shot items with the principal expert's current verdict and critique, optionally permuted. */
export function loadExamples(repos: Repositories, version: Pick<PromptVersion, 'examples'>, criterion: Criterion, permuteSeed?: number): Example[] {
  const labels = repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
  const examples: Example[] = [];
  for (const id of version.examples) {
    const item = repos.items.get(id);
    const label = labels.get(id);
    if (item && label?.verdict) examples.push({ item, verdict: label.verdict, critique: label.critique });
  }
  if (permuteSeed !== undefined) {
    const rng = createRng(permuteSeed);
    for (let i = examples.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [examples[i], examples[j]] = [examples[j]!, examples[i]!];
    }
  }
  return examples;
}
