/** Response schemas of the engine-task routes (single model calls with stored inputs) and of the call record. */
import Type from 'typebox';
import { Nullable, RunStatusOut } from './records.ts';

/** The endpoint a task was asked to use: the key only by its variable's name, never its value. */
export const TaskSettingsSchema = Type.Object({
  model: Type.String(), baseUrl: Nullable(Type.String()), apiKeyEnv: Type.String(),
  temperature: Nullable(Type.Number()), maxTokens: Nullable(Type.Integer()), seed: Nullable(Type.Integer()),
});

/** GET /tasks/:id: an engine task (kind, inputs, where its call went, status and result). */
export const TaskSchema = Type.Object({
  id: Type.Integer(), kind: Type.String(), criterionId: Nullable(Type.Integer()),
  /** what the kind renders its call from (stored, so the request can be reproduced) */
  inputs: Type.Unknown(),
  settings: TaskSettingsSchema, baseUrl: Type.String(), model: Type.String(),
  status: RunStatusOut, message: Type.String(),
  /** the parsed reply (null until done) */
  result: Type.Unknown(),
  createdAt: Type.String(), startedAt: Nullable(Type.String()), finishedAt: Nullable(Type.String()),
});

/** One recorded model call of any kind (a judge run's item × sample, or a task's call). */
export const ModelCallSchema = Type.Object({
  id: Type.Integer(), taskKind: Type.String(), runId: Nullable(Type.Integer()), taskId: Nullable(Type.Integer()),
  itemId: Nullable(Type.Integer()), sample: Nullable(Type.Integer()), baseUrl: Type.String(), model: Type.String(),
  /** SHA-256 of what was sent (rendered messages, model, settings, base URL): the request is reproduced from the stored inputs, not stored */
  requestHash: Type.String(),
  /** the reply within the reply cap (tasks; a judge run's replies are its judgments' raw text), or null */
  reply: Nullable(Type.String()), error: Nullable(Type.String()),
  promptTokens: Type.Integer(), completionTokens: Type.Integer(), cost: Type.Number(), latencyMs: Nullable(Type.Integer()),
  attempts: Type.Integer(), cached: Type.Boolean(), createdAt: Type.String(),
});

/** GET /tasks/:id/calls and GET /runs/:id/calls (a page). */
export const ModelCallPageSchema = Type.Object({ total: Type.Integer(), calls: Type.Array(ModelCallSchema) });
