import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Repositories } from '../db/index.ts';
import type { NewJudgment } from '../db/runs.ts';
import type { Criterion, Item, PromptVersion, Run, RunVariant, SplitFilter } from '../../shared/types.ts';
import { buildMessages, type ChatMessage, type Example } from '../../shared/template.ts';
import { verdictOptions } from '../../shared/verdicts.ts';
import { createRng } from '../../shared/stats/index.ts';
import { createProvider, NotConfiguredError, type ProviderOptions } from './provider.ts';
import { parseJudgeReply, verdictSchema } from './parse.ts';

export interface PlanRun {
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
}

export interface ExecuteOptions { noCache?: boolean }

export interface RunProgress {
  runId: number; status: Run['status']; total: number; done: number; errors: number; cached: number;
  promptTokens: number; completionTokens: number; cost: number; ratePerSec: number; etaSec: number | null; message: string;
}

export interface EngineOptions {
  /** identifies this process in the run's lease */
  owner?: string;
  env?: NodeJS.ProcessEnv;
  provider?: Omit<ProviderOptions, 'settings' | 'env'>;
  /** stop a run after this many consecutive transport failures (wrong key, endpoint down) */
  errorBudget?: number;
  /** a run whose lease is older than this is considered abandoned and may be resumed */
  staleAfterMs?: number;
}

const HEARTBEAT_MS = 2000;

/**
 * Runs prompt versions against items: bounded concurrency, response cache, judgments written
 * as they arrive (batched per event-loop turn in one transaction), cancellation, an error
 * budget, and resumption of runs left unfinished by a crash.
 */
export class RunEngine extends EventEmitter {
  readonly owner: string;
  private readonly active = new Map<number, AbortController>();

  constructor(private readonly repos: Repositories, private readonly opts: EngineOptions = {}) {
    super();
    this.owner = opts.owner ?? `${hostname()}:${process.pid}`;
  }

  /** Creates a queued run whose item list is fixed now (so a resumed run judges exactly the rest). */
  plan(p: PlanRun): Run {
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
    return this.repos.runs.create({
      criterionId: p.criterion.id, datasetId, versionId: p.version.id, kind: 'judged',
      name: p.name ?? `v${p.version.number} on ${p.split}`, split: p.split, scope,
      samples: p.samples ?? 1, variant: p.variant ?? {}, concurrency: p.concurrency ?? 8, status: 'queued',
      itemIds: items.map((i) => i.id),
    });
  }

  cancel(runId: number): boolean {
    const ctl = this.active.get(runId);
    if (ctl) { ctl.abort(); return true; }
    const run = this.repos.runs.get(runId);
    if (run && (run.status === 'queued' || run.status === 'running')) {
      this.repos.runs.setStatus(runId, 'cancelled', 'cancelled');
      return true;
    }
    return false;
  }

  isActive(runId: number) { return this.active.has(runId); }

  /** Runs (or resumes) a run to the end. Never throws for judge failures: they are recorded. */
  async execute(runId: number, options: ExecuteOptions = {}): Promise<Run> {
    const run = this.repos.runs.get(runId);
    if (!run) throw new Error(`run ${runId} not found`);
    if (run.kind !== 'judged' || run.versionId === null) throw new Error(`run ${runId} was imported; there is nothing to judge`);
    if (this.active.has(runId)) throw new Error(`run ${runId} is already running in this process`);
    const version = this.repos.versions.get(run.versionId)!;
    const criterion = this.repos.criteria.get(run.criterionId)!;

    let provider;
    try {
      provider = createProvider({ ...this.opts.provider, settings: version, env: this.opts.env });
    } catch (e) {
      if (e instanceof NotConfiguredError) {
        this.repos.runs.setStatus(runId, 'failed', e.message);
        return this.finish(runId);
      }
      throw e;
    }

    const controller = new AbortController();
    this.active.set(runId, controller);
    const finished = this.repos.runs.finishedKeys(runId);
    const items = new Map(this.repos.runs.itemIds(runId).map((id) => [id, this.repos.items.get(id)!]));
    const examples = this.examples(version, criterion, run.variant);
    const responseFormat = verdictSchema(verdictOptions(criterion));
    const work: Array<{ item: Item; sample: number }> = [];
    for (const item of items.values()) {
      for (let s = 0; s < run.samples; s++) if (!finished.has(`${item.id}:${s}`)) work.push({ item, sample: s });
    }

    this.repos.runs.setStatus(runId, 'running');
    this.repos.runs.heartbeat(runId, this.owner);
    const heartbeat = setInterval(() => this.repos.runs.heartbeat(runId, this.owner), HEARTBEAT_MS);
    heartbeat.unref();

    const progress = this.progressTracker(runId);
    const writer = this.batchWriter(runId, progress.add);
    const budget = this.opts.errorBudget ?? 10;
    let consecutiveFailures = 0;
    let stopReason = '';
    let next = 0;

    const judgeOne = async ({ item, sample }: { item: Item; sample: number }) => {
      const messages = buildMessages(version.template, item, { criterion, examples, swap: run.variant.swap });
      const key = cacheKey(messages, version, sample);
      const hit = options.noCache ? undefined : this.repos.cache.get(key);
      if (hit) {
        writer.push(this.toJudgment(item, sample, criterion, run.variant, hit.content, { promptTokens: 0, completionTokens: 0, latencyMs: 0, attempts: 0, cached: true, cost: 0 }));
        return;
      }
      const res = await provider.call(messages, responseFormat, controller.signal);
      if (!res.ok) {
        consecutiveFailures++;
        writer.push({ itemId: item.id, sample, verdict: null, critique: '', raw: '', error: res.error, latencyMs: res.latencyMs,
          promptTokens: 0, completionTokens: 0, cost: 0, cached: false, attempts: res.attempts });
        if (consecutiveFailures >= budget && !stopReason) {
          stopReason = `stopped after ${consecutiveFailures} consecutive failed requests; last error: ${res.error}`;
          controller.abort();
        }
        return;
      }
      consecutiveFailures = 0;
      this.repos.cache.put(key, { content: res.content, promptTokens: res.promptTokens, completionTokens: res.completionTokens });
      const cost = this.repos.prices.cost(version.model, res.promptTokens, res.completionTokens);
      writer.push(this.toJudgment(item, sample, criterion, run.variant, res.content, { ...res, cached: false, cost }));
    };

    const worker = async () => {
      while (!controller.signal.aborted && next < work.length) {
        const job = work[next++]!;
        try {
          await judgeOne(job);
        } catch (e) {
          if (!controller.signal.aborted) throw e;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(run.concurrency, work.length)) }, worker));
    } finally {
      writer.flush();
      clearInterval(heartbeat);
      this.active.delete(runId);
    }
    if (stopReason) this.repos.runs.setStatus(runId, 'failed', stopReason);
    else if (controller.signal.aborted) this.repos.runs.setStatus(runId, 'cancelled', 'cancelled by the user');
    else this.repos.runs.setStatus(runId, 'done');
    return this.finish(runId);
  }

  /** Resumes runs left queued/running by a process that is gone (lease older than staleAfterMs). */
  resumable(): Run[] {
    const staleAfter = this.opts.staleAfterMs ?? HEARTBEAT_MS * 5;
    return this.repos.runs.unfinished().filter((r) => {
      if (r.kind !== 'judged' || this.active.has(r.id)) return false;
      const lease = this.repos.runs.lease(r.id);
      if (!lease?.heartbeat_at) return true;
      return Date.now() - Date.parse(lease.heartbeat_at) > staleAfter || lease.owner === this.owner;
    });
  }

  private finish(runId: number): Run {
    const run = this.repos.runs.get(runId)!;
    this.emit('progress', this.snapshot(run, 0, null));
    this.emit('finished', run);
    return run;
  }

  private snapshot(run: Run, ratePerSec: number, etaSec: number | null): RunProgress {
    return {
      runId: run.id, status: run.status, total: run.total, done: run.done, errors: run.errors, cached: run.cached,
      promptTokens: run.promptTokens, completionTokens: run.completionTokens, cost: run.cost, ratePerSec, etaSec, message: run.message,
    };
  }

  private progressTracker(runId: number) {
    const start = this.repos.runs.get(runId)!;
    const startDone = start.done;
    const t0 = performance.now();
    let lastEmit = 0;
    const state = this.snapshot(start, 0, null);
    return {
      add: (js: NewJudgment[]) => {
        for (const j of js) {
          state.done++; if (j.error) state.errors++; if (j.cached) state.cached++;
          state.promptTokens += j.promptTokens; state.completionTokens += j.completionTokens; state.cost += j.cost;
        }
        const now = performance.now();
        if (now - lastEmit < 100 && state.done < state.total) return;
        lastEmit = now;
        state.ratePerSec = (state.done - startDone) / Math.max(0.001, (now - t0) / 1000);
        state.etaSec = state.ratePerSec > 0 ? (state.total - state.done) / state.ratePerSec : null;
        this.emit('progress', { ...state, status: 'running' });
      },
    };
  }

  /** Collects judgments finishing in the same event-loop turn and writes them in one transaction. */
  private batchWriter(runId: number, onWritten: (js: NewJudgment[]) => void) {
    let pending: NewJudgment[] = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      if (!pending.length) return;
      const batch = pending;
      pending = [];
      this.repos.runs.recordJudgments(runId, batch);
      onWritten(batch);
    };
    return {
      push(j: NewJudgment) {
        pending.push(j);
        if (!scheduled) { scheduled = true; setImmediate(flush); }
      },
      flush,
    };
  }

  private toJudgment(item: Item, sample: number, criterion: Criterion, variant: RunVariant, content: string,
    meta: { promptTokens: number; completionTokens: number; latencyMs: number; attempts: number; cached: boolean; cost: number }): NewJudgment {
    const parsed = parseJudgeReply(content, criterion);
    const base = { itemId: item.id, sample, raw: content, ...meta };
    if ('error' in parsed) return { ...base, verdict: null, critique: '', error: `unparseable reply: ${parsed.error}` };
    // A swapped run saw B as A: store the verdict in the item's own orientation so it compares directly.
    const verdict = variant.swap ? ({ A: 'B', B: 'A' } as Record<string, string>)[parsed.verdict] ?? parsed.verdict : parsed.verdict;
    return { ...base, verdict, critique: parsed.critique, error: null };
  }

  private examples(version: PromptVersion, criterion: Criterion, variant: RunVariant): Example[] {
    return loadExamples(this.repos, version, criterion, variant.permuteSeed);
  }
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

export function cacheKey(messages: ChatMessage[], v: Pick<PromptVersion, 'model' | 'temperature' | 'maxTokens' | 'seed' | 'baseUrl'>, sample: number): string {
  return createHash('sha256').update(JSON.stringify([messages, v.model, v.temperature, v.maxTokens, v.seed, v.baseUrl, sample])).digest('hex');
}
