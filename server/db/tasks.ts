import type { DB } from './open.ts';
import type { RunStatus } from '../../shared/types.ts';

/** The kinds of engine task that are not judge runs (see server/judge/tasks/). */
export type TaskKindName = 'propose' | 'group-critiques';

/** The endpoint a task was asked to use (never a key: only the variable's name). */
export interface TaskSettings {
  model: string; baseUrl: string | null; apiKeyEnv: string; temperature: number | null; maxTokens: number | null; seed: number | null;
}

export interface Task {
  id: number; kind: TaskKindName; criterionId: number | null; inputs: unknown; settings: TaskSettings;
  /** where the call goes, resolved when the task was created */
  baseUrl: string; model: string;
  status: RunStatus; message: string; result: unknown;
  createdAt: string; startedAt: string | null; finishedAt: string | null;
}

/** One row of model_calls: one model call of any kind (judge run or task). */
export interface ModelCall {
  id: number; taskKind: string; runId: number | null; taskId: number | null; itemId: number | null; sample: number | null;
  baseUrl: string; model: string; requestHash: string; reply: string | null; error: string | null;
  promptTokens: number; completionTokens: number; cost: number; latencyMs: number | null; attempts: number; cached: boolean; createdAt: string;
}

export interface NewTaskCall {
  requestHash: string; reply: string | null; error: string | null; promptTokens: number; completionTokens: number; cost: number;
  latencyMs: number | null; attempts: number; cached: boolean;
}

interface TaskRow {
  id: number; kind: TaskKindName; criterion_id: number | null; inputs: string; settings: string; base_url: string; model: string;
  status: RunStatus; message: string; result: string | null; created_at: string; started_at: string | null; finished_at: string | null;
}
interface CallRow {
  id: number; task_kind: string; run_id: number | null; task_id: number | null; item_id: number | null; sample: number | null; base_url: string; model: string;
  request_hash: string; reply: string | null; error: string | null; prompt_tokens: number; completion_tokens: number; cost: number;
  latency_ms: number | null; attempts: number; cached: number; created_at: string;
}

const toTask = (r: TaskRow): Task => ({
  id: r.id, kind: r.kind, criterionId: r.criterion_id, inputs: JSON.parse(r.inputs), settings: JSON.parse(r.settings) as TaskSettings,
  baseUrl: r.base_url, model: r.model, status: r.status, message: r.message, result: r.result === null ? null : JSON.parse(r.result),
  createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at,
});
const toCall = (r: CallRow): ModelCall => ({
  id: r.id, taskKind: r.task_kind, runId: r.run_id, taskId: r.task_id, itemId: r.item_id, sample: r.sample, baseUrl: r.base_url, model: r.model,
  requestHash: r.request_hash, reply: r.reply, error: r.error, promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens, cost: r.cost,
  latencyMs: r.latency_ms, attempts: r.attempts, cached: r.cached === 1, createdAt: r.created_at,
});

/** Engine tasks (single model calls with stored inputs) and the record of every model call. */
export function tasksRepository(db: DB) {
  const insert = db.prepare(`INSERT INTO tasks (kind, criterion_id, inputs, settings, base_url, model, owner, heartbeat_at)
    VALUES (@kind, @criterionId, @inputs, @settings, @baseUrl, @model, @owner, strftime('%Y-%m-%dT%H:%M:%fZ','now'))`);
  const byId = db.prepare<[number], TaskRow>(`SELECT * FROM tasks WHERE id = ?`);
  const unfinished = db.prepare<[], TaskRow>(`SELECT * FROM tasks WHERE status IN ('queued','running') ORDER BY id`);
  const setStatus = db.prepare(`UPDATE tasks SET status = @status, message = @message,
    started_at = CASE WHEN @status = 'running' AND started_at IS NULL THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE started_at END,
    finished_at = CASE WHEN @status IN ('done','failed','cancelled') THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NULL END
    WHERE id = @id`);
  const setResult = db.prepare(`UPDATE tasks SET result = ? WHERE id = ?`);
  const statusOf = db.prepare<[number], { status: RunStatus }>(`SELECT status FROM tasks WHERE id = ?`);
  const leaseOf = db.prepare<[number], { owner: string | null; heartbeat_at: string | null }>(`SELECT owner, heartbeat_at FROM tasks WHERE id = ?`);
  const claim = db.prepare(`UPDATE tasks SET owner = @owner, heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
    WHERE id = @id AND (owner IS NULL OR owner = @owner OR owner = @deadOwner OR heartbeat_at IS NULL OR heartbeat_at < @staleBefore)`);
  const renew = db.prepare(`UPDATE tasks SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ? AND owner = ?`);
  const release = db.prepare(`UPDATE tasks SET owner = NULL WHERE id = ? AND owner = ?`);
  const insertCall = db.prepare(`INSERT INTO model_calls
    (task_kind, task_id, base_url, model, request_hash, reply, error, prompt_tokens, completion_tokens, cost, latency_ms, attempts, cached)
    VALUES (@taskKind, @taskId, @baseUrl, @model, @requestHash, @reply, @error, @promptTokens, @completionTokens, @cost, @latencyMs, @attempts, @cached)`);
  const callsOfTask = db.prepare<[number], CallRow>(`SELECT * FROM model_calls WHERE task_id = ? ORDER BY id`);
  const callsOfRun = db.prepare<[number], CallRow>(`SELECT * FROM model_calls WHERE run_id = ? ORDER BY id`);
  const callsOfRunPage = db.prepare<[{ runId: number; limit: number; offset: number }], CallRow>(`SELECT * FROM model_calls WHERE run_id = @runId ORDER BY id LIMIT @limit OFFSET @offset`);
  const callsOfRunCount = db.prepare<[number], { n: number }>(`SELECT count(*) AS n FROM model_calls WHERE run_id = ?`);
  // newest first; one criterion's, or every task
  const listTasks = db.prepare<[{ criterionId: number | null; limit: number }], TaskRow>(`SELECT * FROM tasks
    WHERE @criterionId IS NULL OR criterion_id = @criterionId ORDER BY id DESC LIMIT @limit`);

  return {
    create(t: { kind: TaskKindName; criterionId: number | null; inputs: unknown; settings: TaskSettings; baseUrl: string; model: string; owner: string }): Task {
      const id = Number(insert.run({ ...t, inputs: JSON.stringify(t.inputs), settings: JSON.stringify(t.settings) }).lastInsertRowid);
      return toTask(byId.get(id)!);
    },
    get: (id: number) => { const r = byId.get(id); return r ? toTask(r) : undefined; },
    unfinished: () => unfinished.all().map(toTask),
    setStatus: (id: number, status: RunStatus, message = '') => { setStatus.run({ id, status, message }); },
    status: (id: number) => statusOf.get(id)?.status,
    lease: (id: number) => leaseOf.get(id),
    claim: (id: number, owner: string, staleBefore: string, deadOwner: string | null) => claim.run({ id, owner, staleBefore, deadOwner }).changes > 0,
    renew: (id: number, owner: string) => renew.run(id, owner).changes > 0,
    release: (id: number, owner: string) => { release.run(id, owner); },
    /** Records a task's call and, when it gave one, its result and status: one transaction. */
    recordCall: db.transaction((task: Pick<Task, 'id' | 'kind' | 'baseUrl' | 'model'>, call: NewTaskCall, end: { status: RunStatus; message: string; result?: unknown }) => {
      insertCall.run({ taskKind: task.kind, taskId: task.id, baseUrl: task.baseUrl, model: task.model, ...call, cached: call.cached ? 1 : 0 });
      if (end.result !== undefined) setResult.run(JSON.stringify(end.result), task.id);
      setStatus.run({ id: task.id, status: end.status, message: end.message });
    }),
    calls: (taskId: number) => callsOfTask.all(taskId).map(toCall),
    callsOfRun: (runId: number) => callsOfRun.all(runId).map(toCall),
    /** One page of a run's calls in the order they were recorded, and how many it has in all. */
    callsOfRunPage: (runId: number, limit: number, offset: number) => ({ total: callsOfRunCount.get(runId)!.n, calls: callsOfRunPage.all({ runId, limit, offset }).map(toCall) }),
    /** The newest tasks first (of one criterion when given). */
    list: (criterionId: number | null, limit: number) => listTasks.all({ criterionId, limit }).map(toTask),
  };
}
