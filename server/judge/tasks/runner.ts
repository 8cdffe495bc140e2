/**
 * Executes engine tasks whose job is one model call with stored inputs (the proposer, failure-mode
 * grouping, …) on the judge runs' machinery: the secrets rule and the openai client (provider.ts),
 * the per-endpoint limiter shared with runs, the reply cap, retries with backoff, the response
 * cache, a lease with a heartbeat (so a task left by kill -9 is resumed by the watcher), cancel
 * (here or from another process through the database), and one model_calls row per call written
 * in the same transaction as the task's result.
 */
import { createHash } from 'node:crypto';
import { EventEmitter, setMaxListeners } from 'node:events';
import type { Repositories } from '../../db/index.ts';
import { withWriteRetry } from '../../db/retry.ts';
import type { Task, TaskKindName, TaskSettings } from '../../db/tasks.ts';
import type { ModelSettings } from '../../../shared/types.ts';
import { ConflictError, EndpointError, UserError } from '../../errors.ts';
import { createProvider, describeEndpoint, NotConfiguredError, type ProviderOptions } from '../provider.ts';
import { wantsNoKey } from '../secrets.ts';
import type { LimiterRegistry } from '../limiter.ts';
import { tokenCount } from '../limiter.ts';
import { DEFAULT_COMPLETION_TOKENS } from '../cost-preview.ts';
import { STORED_TEXT_LIMITS } from '../judgment.ts';
import { ownerIsDead } from '../owner.ts';
import { TaskReplyError, type TaskKind } from './kind.ts';
import { proposeKind } from './propose.ts';
import { groupCritiquesKind } from './group-critiques.ts';

/** Every task kind the runner knows, by name (a resumed task finds its kind here). */
export const TASK_KINDS = new Map<TaskKindName, TaskKind<unknown, unknown>>([
  [proposeKind.name, proposeKind as TaskKind<unknown, unknown>],
  [groupCritiquesKind.name, groupCritiquesKind as TaskKind<unknown, unknown>],
]);

/** Where a task's call goes: a model and an endpoint (the key by its variable's name only, checked by the secrets rule). */
export interface TaskEndpoint {
  model: string;
  /** default: OPENAI_BASE_URL, else the OpenAI API */
  baseUrl?: string | null;
  /** the key's variable; '' or 'none' sends no key (default OPENAI_API_KEY) */
  apiKeyEnv?: string;
  temperature?: number | null;
  maxTokens?: number | null;
  seed?: number | null;
}

export interface TaskRunnerOptions {
  owner: string;
  env?: NodeJS.ProcessEnv;
  provider?: Omit<ProviderOptions, 'settings' | 'env' | 'limiter'>;
  maxReplyBytes?: number;
  staleAfterMs: number;
  heartbeatMs: number;
  writeDeadlineMs: number;
  limiters: LimiterRegistry;
}

/** A task that ended without a result: failed (the message says why) or cancelled. */
export class TaskFailedError extends UserError {
  constructor(readonly task: Task) {
    super(task.status === 'cancelled' ? `task ${task.id} (${task.kind}) was cancelled` : `task ${task.id} (${task.kind}) failed: ${task.message}`,
      { code: task.status === 'cancelled' ? 'task_cancelled' : 'task_failed', status: task.status === 'cancelled' ? 409 : 502 });
  }
}

export function taskSettings(e: TaskEndpoint): TaskSettings {
  if (typeof e.model !== 'string' || !e.model.trim()) throw new EndpointError('model: name the model to call', { field: 'model' });
  return {
    model: e.model.trim(), baseUrl: e.baseUrl ?? null, apiKeyEnv: e.apiKeyEnv === undefined ? 'OPENAI_API_KEY' : wantsNoKey(e.apiKeyEnv) ? '' : e.apiKeyEnv,
    temperature: e.temperature ?? null, maxTokens: e.maxTokens ?? null, seed: e.seed ?? null,
  };
}

/** The cache key and request hash of a task call: SHA-256 of (kind, messages, response format, model, settings, base URL). */
export function taskRequestHash(kind: string, messages: unknown, responseFormat: unknown, s: TaskSettings, baseUrl: string): string {
  return createHash('sha256').update(JSON.stringify(['task', kind, messages, responseFormat, s.model, s.temperature, s.maxTokens, s.seed, baseUrl])).digest('hex');
}

export class TaskRunner extends EventEmitter {
  private readonly active = new Map<number, AbortController>();

  constructor(private readonly repos: Repositories, private readonly opts: TaskRunnerOptions) { super(); }

  /** Checks the inputs (the kind's rules, the secrets rule) and stores a queued task held by this process. Nothing is sent. */
  create<I>(kind: TaskKind<I, unknown>, inputs: I, endpoint: TaskEndpoint, criterionId: number | null = null): Task {
    kind.validate(this.repos, inputs);
    const settings = taskSettings(endpoint);
    const where = describeEndpoint(settings, this.opts.env);
    if (where.problem) throw new EndpointError(where.problem, { field: 'apiKeyEnv' });
    return this.repos.tasks.create({ kind: kind.name, criterionId, inputs, settings, baseUrl: where.baseUrl, model: settings.model, owner: this.opts.owner });
  }

  /** Creates and executes a task; its parsed result, or TaskFailedError (failed or cancelled). */
  async run<I, R>(kind: TaskKind<I, R>, inputs: I, endpoint: TaskEndpoint, criterionId: number | null = null, o: { noCache?: boolean } = {}): Promise<{ task: Task; result: R }> {
    // The same call already queued or in flight (e.g. left by a killed process that a resumed
    // optimization now replays, while the watcher resumes the task): join it rather than send it twice.
    const existing = o.noCache ? undefined : this.unfinishedLike(kind, inputs, endpoint, criterionId);
    const task = existing ?? this.create(kind, inputs, endpoint, criterionId);
    const done = existing ? await this.join(task.id) : await this.execute(task.id, o);
    if (done.status !== 'done') throw new TaskFailedError(done);
    return { task: done, result: done.result as R };
  }

  /** An unfinished task of this kind with exactly these inputs, criterion, settings and endpoint, if any. */
  private unfinishedLike<I>(kind: TaskKind<I, unknown>, inputs: I, endpoint: TaskEndpoint, criterionId: number | null): Task | undefined {
    kind.validate(this.repos, inputs);
    const settings = taskSettings(endpoint);
    const where = describeEndpoint(settings, this.opts.env);
    if (where.problem) throw new EndpointError(where.problem, { field: 'apiKeyEnv' });
    const baseUrl = where.baseUrl;
    const want = JSON.stringify([inputs, settings]);
    return this.repos.tasks.unfinished().find((t) => t.kind === kind.name && t.criterionId === criterionId && t.baseUrl === baseUrl
      && JSON.stringify([t.inputs, t.settings]) === want);
  }

  /**
   * Executes an existing task to its end here, or — while another execution holds it (in this
   * process, or another live one) — waits for that one, taking it over if its holder goes away.
   */
  private async join(id: number): Promise<Task> {
    for (;;) {
      const t = this.repos.tasks.get(id)!;
      if (t.status === 'done' || t.status === 'failed' || t.status === 'cancelled') return t;
      if (!this.active.has(id) && this.heldElsewhere(id) === null) {
        try { return await this.execute(id); } catch (e) { if (!(e instanceof ConflictError)) throw e; }
      }
      await new Promise((r) => setTimeout(r, Math.max(10, Math.min(this.opts.heartbeatMs, 250))));
    }
  }

  get(id: number): Task | undefined { return this.repos.tasks.get(id); }
  isActive(id: number) { return this.active.has(id); }

  /** Cancels a task: at once when it executes here, within a heartbeat when another process executes it. */
  cancel(id: number): boolean {
    const ctl = this.active.get(id);
    if (ctl) { ctl.abort(); return true; }
    const t = this.repos.tasks.get(id);
    if (t && (t.status === 'queued' || t.status === 'running')) { this.repos.tasks.setStatus(id, 'cancelled', 'cancelled by the user'); return true; }
    return false;
  }

  /** Tasks left queued/running by a process that is gone (dead, or its lease stale). */
  resumable(): Task[] {
    return this.repos.tasks.unfinished().filter((t) => !this.active.has(t.id) && this.heldElsewhere(t.id) === null);
  }

  private heldElsewhere(id: number): string | null {
    const lease = this.repos.tasks.lease(id);
    if (!lease?.owner || lease.owner === this.opts.owner || !lease.heartbeat_at) return null;
    if (ownerIsDead(lease.owner)) return null;
    return Date.now() - Date.parse(lease.heartbeat_at) > this.opts.staleAfterMs ? null : lease.owner;
  }

  private write<T>(fn: () => T): Promise<T> {
    return withWriteRetry(this.repos.db, fn, { deadlineMs: this.opts.writeDeadlineMs, otherAttempts: 4 });
  }

  /**
   * Executes (or resumes) a task to its end and returns it. A task already done is returned as it
   * is; its call is never made twice, and a task whose reply is cached costs no call.
   */
  async execute(id: number, o: { noCache?: boolean } = {}): Promise<Task> {
    const task = this.repos.tasks.get(id);
    if (!task) throw new UserError(`task ${id} not found`, { code: 'not_found', status: 404 });
    if (task.status === 'done' || task.status === 'failed' || task.status === 'cancelled') return task;
    if (this.active.has(id)) throw new ConflictError(`task ${id} is already running in this process`, 'task_busy');
    const kind = TASK_KINDS.get(task.kind);
    if (!kind) throw new UserError(`task ${id} has an unknown kind "${task.kind}"`);
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    this.active.set(id, controller);
    let heartbeat: NodeJS.Timeout | undefined;
    let limits: ReturnType<LimiterRegistry['acquire']> | undefined;
    let cancelledElsewhere = false;
    const end = async (status: Task['status'], message: string) => {
      await this.write(() => this.repos.db.transaction(() => { this.repos.tasks.setStatus(id, status, message); this.repos.tasks.release(id, this.opts.owner); })());
    };
    try {
      const lease = this.repos.tasks.lease(id);
      const deadOwner = lease?.owner && ownerIsDead(lease.owner) ? lease.owner : null;
      const claimed = await this.write(() => this.repos.tasks.claim(id, this.opts.owner, new Date(Date.now() - this.opts.staleAfterMs).toISOString(), deadOwner));
      if (!claimed) throw new ConflictError(`task ${id} is being executed by another process (${lease?.owner})`, 'task_busy');
      // Inputs are re-checked on resume: the workspace may have changed (an item moved to test).
      kind.validate(this.repos, task.inputs);
      const settings: ModelSettings = task.settings;
      limits = this.opts.limiters.acquire(`${task.baseUrl}|${settings.apiKeyEnv}`, {});
      let provider;
      try {
        provider = createProvider({
          ...this.opts.provider, maxReplyBytes: this.opts.maxReplyBytes ?? this.opts.provider?.maxReplyBytes,
          settings, env: this.opts.env, limiter: limits.limiter,
        });
      } catch (e) {
        if (!(e instanceof NotConfiguredError)) throw e;
        await end('failed', e.message);
        return this.finish(id);
      }
      await this.write(() => this.repos.tasks.setStatus(id, 'running'));
      this.emit('task', this.repos.tasks.get(id));
      heartbeat = setInterval(() => {
        try {
          if (!this.repos.tasks.renew(id, this.opts.owner)) controller.abort();
          if (this.repos.tasks.status(id) === 'cancelled') { cancelledElsewhere = true; controller.abort(); }
        } catch { /* locked: renewed on the next beat */ }
      }, this.opts.heartbeatMs);
      heartbeat.unref();

      const { messages, responseFormat } = kind.render(this.repos, task.inputs);
      const hash = taskRequestHash(task.kind, messages, responseFormat, task.settings, task.baseUrl);
      const useCache = !o.noCache;
      const hit = useCache ? this.repos.cache.get(hash) : undefined;
      if (hit) {
        const parsed = this.parse(kind, task, hit.content);
        await this.write(() => this.repos.tasks.recordCall(task, {
          requestHash: hash, reply: bound(hit.content), error: parsed.error, promptTokens: 0, completionTokens: 0, cost: 0, latencyMs: 0, attempts: 0, cached: true,
        }, parsed.error === null ? { status: 'done', message: '', result: parsed.result } : { status: 'failed', message: parsed.error }));
        return this.finish(id);
      }
      let chars = 0;
      for (const m of messages) chars += m.content.length;
      const res = await provider.call(messages, responseFormat, controller.signal, { estimatedTokens: tokenCount(chars) + (settings.maxTokens ?? DEFAULT_COMPLETION_TOKENS) });
      if (!res.ok) {
        await this.write(() => this.repos.tasks.recordCall(task, {
          requestHash: hash, reply: res.raw ? bound(res.raw) : null, error: res.error, promptTokens: 0, completionTokens: 0, cost: 0,
          latencyMs: res.latencyMs, attempts: res.attempts, cached: false,
        }, { status: 'failed', message: res.error }));
        return this.finish(id);
      }
      const price = this.repos.prices.get(task.model);
      const cost = ((res.promptTokens * (price?.inputPerMTok ?? 0)) + (res.completionTokens * (price?.outputPerMTok ?? 0))) / 1e6;
      const parsed = this.parse(kind, task, res.content);
      await this.write(() => this.repos.db.transaction(() => {
        // Only a reply that parses is cached, so asking again can do better than a garbled answer.
        if (useCache && parsed.error === null) this.repos.cache.put(hash, { content: res.content, promptTokens: res.promptTokens, completionTokens: res.completionTokens });
        this.repos.tasks.recordCall(task, {
          requestHash: hash, reply: bound(res.content), error: parsed.error, promptTokens: res.promptTokens, completionTokens: res.completionTokens, cost,
          latencyMs: res.latencyMs, attempts: res.attempts, cached: false,
        }, parsed.error === null ? { status: 'done', message: '', result: parsed.result } : { status: 'failed', message: parsed.error });
      })());
      return this.finish(id);
    } catch (e) {
      if (controller.signal.aborted) {
        await end('cancelled', cancelledElsewhere ? 'cancelled from another process' : 'cancelled by the user');
        return this.finish(id);
      }
      throw e;
    } finally {
      clearInterval(heartbeat);
      limits?.release();
      this.active.delete(id);
      try { this.repos.tasks.release(id, this.opts.owner); } catch { /* a lock: the lease goes stale instead */ }
    }
  }

  private parse(kind: TaskKind<unknown, unknown>, task: Task, content: string): { result: unknown; error: null } | { result: null; error: string } {
    try {
      return { result: kind.parse(this.repos, task.inputs, content), error: null };
    } catch (e) {
      if (e instanceof TaskReplyError) return { result: null, error: `unusable reply: ${e.message}` };
      throw e;
    }
  }

  private finish(id: number): Task {
    const t = this.repos.tasks.get(id)!;
    this.emit('task', t);
    return t;
  }
}

function bound(s: string): string {
  return s.length <= STORED_TEXT_LIMITS.raw ? s : `${s.slice(0, STORED_TEXT_LIMITS.raw - 8)}…[cut]`;
}
