/**
 * Request and response schemas of the optimizer routes (TypeBox: JSON Schema for Fastify, static
 * types for the server and the web client).
 */
import Type, { type Static } from 'typebox';
import { IntervalSchema } from './api/records.ts';

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Strategy = Type.Union([Type.Literal('fewshot'), Type.Literal('rewrite'), Type.Literal('combined')]);
const Status = Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('cancelled'), Type.Literal('stopped-by-budget')]);
const Metrics = Type.Object({ n: Type.Integer(), agreement: IntervalSchema, kappa: IntervalSchema });
const Move = Type.Object({ agreement: Nullable(Type.Number()), kappa: Nullable(Type.Number()) });
const Meets = Type.Object({ point: Type.Boolean(), lower: Type.Boolean() });

export const OptimizeBody = Type.Object({
  /** the version to start from (default: the latest accepted version) */
  fromVersion: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('latest')])),
  strategies: Type.Optional(Type.Array(Strategy, { minItems: 1, maxItems: 3 })),
  candidates: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  shots: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  budgetUsd: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0 }))),
  maxCalls: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  seed: Type.Optional(Type.Integer()),
  /** an endpoint profile (by name) for the proposer: its URL, key variable and default model (proposer.model overrides the model) */
  proposerProfile: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
  /** the proposer's endpoint (default: the from-version's model and endpoint) */
  proposer: Type.Optional(Type.Object({
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    baseUrl: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    apiKeyEnv: Type.Optional(Type.String({ maxLength: 200 })),
  })),
});
export type OptimizeBody = Static<typeof OptimizeBody>;

export const OptimizerCostPreviewSchema = Type.Object({
  judgeCalls: Type.Integer(), proposerCalls: Type.Integer(), cost: Nullable(Type.Number()), judgeModel: Type.String(), proposerModel: Type.String(),
  trainItems: Type.Integer(), devItems: Type.Integer(), candidates: Type.Integer(), note: Type.String(),
});

export const CandidateSchema = Type.Object({
  step: Type.Integer(), versionId: Type.Integer(), versionNumber: Type.Integer(), status: Type.Union([Type.Literal('candidate'), Type.Literal('accepted')]),
  strategy: Strategy, rationale: Type.String(), parentVersionId: Type.Integer(), parentNumber: Type.Integer(), examples: Type.Array(Type.String()),
  keptOnTrain: Nullable(Type.Boolean()), train: Nullable(Metrics), dev: Nullable(Metrics), moveDev: Nullable(Move), moveTrain: Nullable(Move),
  meetsTarget: Nullable(Meets), trainRunId: Nullable(Type.Integer()), devRunId: Nullable(Type.Integer()),
});

export const OptimizationSchema = Type.Object({
  id: Type.Integer(), criterionId: Type.Integer(), fromVersionId: Type.Integer(), fromVersionNumber: Type.Integer(), strategies: Type.Array(Strategy),
  candidateCount: Type.Integer(), shots: Type.Integer(), seed: Type.Integer(), budgetUsd: Nullable(Type.Number()), maxCalls: Nullable(Type.Integer()),
  proposer: Type.Object({ model: Type.String(), baseUrl: Nullable(Type.String()), apiKeyEnv: Type.String(), profile: Type.Optional(Type.String()) }),
  status: Status, message: Type.String(), judgeCalls: Type.Integer(), proposerCalls: Type.Integer(), cost: Type.Number(), devPeeks: Type.Integer(),
  baseTrainRunId: Nullable(Type.Integer()), baseDevRunId: Nullable(Type.Integer()), createdAt: Type.String(), finishedAt: Nullable(Type.String()),
  base: Type.Object({ train: Nullable(Metrics), dev: Nullable(Metrics), meetsTarget: Nullable(Meets) }),
  target: Type.Number(),
  candidates: Type.Array(CandidateSchema),
  best: Nullable(Type.Object({ versionId: Type.Integer(), versionNumber: Type.Integer(), by: Type.String() })),
  criterionDevPeeks: Type.Integer(),
  warning: Nullable(Type.String()),
});
export const OptimizationList = Type.Array(OptimizationSchema);
export type Optimization = Static<typeof OptimizationSchema>;
export type OptimizationCandidate = Static<typeof CandidateSchema>;
export type OptimizerCostPreview = Static<typeof OptimizerCostPreviewSchema>;
