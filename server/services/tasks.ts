/**
 * Engine tasks seen from outside (the API and the CLI): single model calls with stored inputs — the
 * proposer, critique grouping — listed, followed, cancelled (here or in the process that runs them,
 * through the database), with the record of every model call, a task's or a judge run's.
 */
import type { Task, ModelCall } from '../db/tasks.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { Workspace } from './workspace.ts';

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['done', 'failed', 'cancelled']);
const MAX_PAGE = 1000;

export function task(ws: Workspace, id: number): Task {
  const t = ws.repos.tasks.get(id);
  if (!t) throw new NotFoundError(`no task #${id}`);
  return t;
}

/** The newest tasks first, of one criterion when given (which must exist). */
export function listTasks(ws: Workspace, q: { criterionId?: number; limit?: number }): Task[] {
  if (q.criterionId !== undefined) ws.criterionById(q.criterionId);
  return ws.repos.tasks.list(q.criterionId ?? null, pageSize(q.limit, 50));
}

/** Cancels a queued or running task (a task in another process sees it at its next heartbeat); answers the task as it is now. */
export function cancelTask(ws: Workspace, id: number): Task {
  task(ws, id);
  ws.engine.tasks.cancel(id);
  return task(ws, id);
}

export function taskCalls(ws: Workspace, id: number): { total: number; calls: ModelCall[] } {
  const calls = ws.repos.tasks.calls(task(ws, id).id);
  return { total: calls.length, calls };
}

/** One page of a judge run's recorded calls (one per item × sample that reached the endpoint or the cache). */
export function runCalls(ws: Workspace, runId: number, q: { limit?: number; offset?: number }): { total: number; calls: ModelCall[] } {
  const offset = q.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new ValidationError('offset', 'a whole number ≥ 0');
  return ws.repos.tasks.callsOfRunPage(ws.run(runId).id, pageSize(q.limit, 100), offset);
}

function pageSize(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new ValidationError('limit', `a whole number from 1 to ${MAX_PAGE}`);
  return limit;
}
