/** Response schemas of the run, gate and corrected-pass-rate routes, and the run progress events. */
import Type from 'typebox';
import { Nullable, RunStatusOut } from './records.ts';
import { ErrorRateSchema } from './report.ts';

/** POST /criteria/:id/runs/cost-preview: what a run would send and cost, before any call. */
export const RunCostPreviewSchema = Type.Object({
  model: Type.String(), items: Type.Integer(), samples: Type.Integer(),
  /** (item, sample) pairs still to judge; of those answered from the cache; and those that reach the endpoint */
  requests: Type.Integer(), cachedRequests: Type.Integer(), billableRequests: Type.Integer(),
  avgPromptTokens: Type.Number(), completionTokensPerRequest: Type.Integer(),
  completionTokensFrom: Type.Union([Type.Literal('max_tokens'), Type.Literal('default')]),
  promptTokens: Type.Number(), completionTokens: Type.Number(),
  /** USD; null when the model has no price (unknown, not free) */
  cost: Nullable(Type.Number()),
  price: Nullable(Type.Object({ inputPerMTok: Type.Number(), outputPerMTok: Type.Number() })),
  sampled: Type.Boolean(),
});

/** A run's live progress (server-sent events `progress` and `end` on GET /runs/:id/events). */
export const RunProgressSchema = Type.Object({
  runId: Type.Integer(), status: RunStatusOut, total: Type.Integer(), done: Type.Integer(), errors: Type.Integer(), cached: Type.Integer(),
  promptTokens: Type.Integer(), completionTokens: Type.Integer(), cost: Type.Number(), ratePerSec: Type.Number(), etaSec: Nullable(Type.Number()), message: Type.String(),
});

/** POST /criteria/:id/gate: pass/fail against the thresholds, on run `run` over `n` items. */
export const GateOutcomeSchema = Type.Object({
  pass: Type.Boolean(), failures: Type.Array(Type.String()), checked: Type.Array(Type.String()), run: Type.Integer(), n: Type.Integer(),
  errorRate: ErrorRateSchema,
});

/** GET /criteria/:id/corrected-pass-rate: a Rogan–Gladen corrected pass rate of a version on unlabelled items. */
export const CorrectedPassRateResultSchema = Type.Object({
  version: Type.Integer(), on: Type.String(), calibrationRun: Type.Integer(),
  /** labelled test items of the calibration run; unlabelled items the version judged */
  labelled: Type.Integer(), unlabelled: Type.Integer(),
  observed: Nullable(Type.Number()), estimate: Nullable(Type.Number()), low: Nullable(Type.Number()), high: Nullable(Type.Number()),
  tpr: Nullable(Type.Number()), tnr: Nullable(Type.Number()), iterations: Type.Integer(), refused: Nullable(Type.String()),
});
