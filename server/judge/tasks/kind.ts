import type { Repositories } from '../../db/index.ts';
import type { TaskKindName } from '../../db/tasks.ts';
import type { ChatMessage } from '../../../shared/template.ts';

/**
 * A kind of engine task whose job is one model call with stored inputs (the judge kind, whose jobs
 * are item × sample of a run, lives in engine.ts + judgment.ts). A kind says how to check its
 * inputs, how to render the call, and how to read the reply; the TaskRunner does the rest
 * (lease, limiter, provider, reply cap, cache, record, cancel, resume).
 */
export interface TaskKind<I, R> {
  name: TaskKindName;
  /** Throws a ValidationError for inputs the kind refuses (e.g. the proposer and a non-train item). Reads the workspace, never trusts the caller. */
  validate(repos: Repositories, inputs: I): void;
  render(repos: Repositories, inputs: I): { messages: ChatMessage[]; responseFormat: object };
  /** The result from a reply's text; throws TaskReplyError when the reply is not one. */
  parse(repos: Repositories, inputs: I, content: string): R;
}

/** A reply that is not what the kind asked for (kept in model_calls; the task fails with this message). */
export class TaskReplyError extends Error {}

/** One line: critiques may not span lines in the stand-in protocol's entries (docs/stand-in.md). */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** A fence longer than any run of backticks in `text` (at least three). */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

export function parseJsonObject(content: string): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(content); } catch (e) { throw new TaskReplyError(`the reply is not JSON: ${e instanceof Error ? e.message : String(e)}`); }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TaskReplyError('the reply is not a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o.error === 'string') throw new TaskReplyError(`the model answered with an error: ${o.error}`);
  return o;
}
