/**
 * Response schemas of the domain records (TypeBox: JSON Schema for Fastify's serializer, static
 * types for the web client through `Static<>`). Each matches its interface in shared/types.ts
 * exactly; the type assertions at the bottom fail the build when one drifts from the other.
 */
import Type, { type Static, type TSchema } from 'typebox';
import type { Criterion, Dataset, DimensionSummary, Item, Judgment, Label, PromptVersion, Run } from '../types.ts';

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const SplitOut = Type.Union([Type.Literal('train'), Type.Literal('dev'), Type.Literal('test')]);
export const SplitFilterOut = Type.Union([SplitOut, Type.Literal('all')]);
export const ScaleOut = Type.Union([Type.Literal('binary'), Type.Literal('ordinal'), Type.Literal('pairwise')]);
export const RunStatusOut = Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('cancelled')]);
/** A map keyed by data (dimension names, context fields): JSON objects whose keys are never declared. */
export const StringMap = Type.Record(Type.String(), Type.String());

/** A value with its 95% interval; null where undefined (no items, a zero denominator). */
export const IntervalSchema = Type.Object({ value: Nullable(Type.Number()), low: Nullable(Type.Number()), high: Nullable(Type.Number()) });

export const DatasetSchema = Type.Object({
  id: Type.Integer(), name: Type.String(), description: Type.String(),
  splits: Type.Object({ train: Type.Number(), dev: Type.Number(), test: Type.Number() }),
  items: Type.Integer(), createdAt: Type.String(),
});

export const ItemSchema = Type.Object({
  id: Type.Integer(), datasetId: Type.Integer(), externalId: Type.String(), input: Type.String(), output: Type.String(),
  outputB: Nullable(Type.String()), context: Type.Record(Type.String(), Type.Unknown()), dimensions: StringMap, split: SplitOut,
});

export const DimensionSummarySchema = Type.Object({ name: Type.String(), values: Type.Array(Type.Object({ value: Type.String(), count: Type.Integer() })) });

export const CriterionSchema = Type.Object({
  id: Type.Integer(), datasetId: Type.Integer(), name: Type.String(), description: Type.String(), scale: ScaleOut,
  levels: Nullable(Type.Integer()), passAt: Nullable(Type.Integer()), principalAnnotator: Type.String(), targetAgreement: Type.Number(),
});

export const LabelSchema = Type.Object({
  id: Type.Integer(), itemId: Type.Integer(), criterionId: Type.Integer(), annotator: Type.String(), verdict: Nullable(Type.String()),
  critique: Type.String(), ambiguous: Type.Boolean(), source: Type.String(), createdAt: Type.String(),
});

const modelSettings = {
  model: Type.String(), baseUrl: Nullable(Type.String()), apiKeyEnv: Type.String(),
  temperature: Nullable(Type.Number()), maxTokens: Nullable(Type.Integer()), seed: Nullable(Type.Integer()),
};
export const PromptVersionSchema = Type.Object({
  id: Type.Integer(), profileId: Nullable(Type.Integer()), criterionId: Type.Integer(), number: Type.Integer(), template: Type.String(), ...modelSettings,
  examples: Type.Array(Type.Integer()), note: Type.String(), parentId: Nullable(Type.Integer()), createdAt: Type.String(),
  origin: Type.Union([Type.Literal('human'), Type.Literal('optimizer')]), strategy: Nullable(Type.String()), rationale: Nullable(Type.String()),
  status: Type.Union([Type.Literal('candidate'), Type.Literal('accepted')]), acceptedBy: Nullable(Type.String()), acceptedAt: Nullable(Type.String()),
});

/** Where a version's calls go from this server and whether they can be made (never the key). */
export const EndpointInfoSchema = Type.Object({
  baseUrl: Type.String(), apiKeyEnv: Type.String(), keyPresent: Type.Boolean(), configured: Type.Boolean(), problem: Nullable(Type.String()),
});
export const VersionSchema = Type.Object({ ...PromptVersionSchema.properties, endpoint: EndpointInfoSchema });

export const RunSchema = Type.Object({
  id: Type.Integer(), criterionId: Type.Integer(), datasetId: Type.Integer(), versionId: Nullable(Type.Integer()), versionNumber: Nullable(Type.Integer()),
  kind: Type.Union([Type.Literal('judged'), Type.Literal('imported')]), name: Type.String(), split: SplitFilterOut,
  scope: Type.Union([Type.Literal('labelled'), Type.Literal('all')]), samples: Type.Integer(),
  variant: Type.Object({ permuteSeed: Type.Optional(Type.Integer()), swap: Type.Optional(Type.Boolean()) }),
  concurrency: Type.Integer(), status: RunStatusOut, message: Type.String(),
  total: Type.Integer(), done: Type.Integer(), errors: Type.Integer(), cached: Type.Integer(),
  promptTokens: Type.Integer(), completionTokens: Type.Integer(), cost: Type.Number(),
  createdAt: Type.String(), startedAt: Nullable(Type.String()), finishedAt: Nullable(Type.String()),
  /** what the run actually used, resolved when it executes (null before that, and for imported runs) */
  baseUrl: Nullable(Type.String()), model: Nullable(Type.String()),
  settings: Nullable(Type.Object({ apiKeyEnv: Type.String(), temperature: Nullable(Type.Number()), maxTokens: Nullable(Type.Integer()), seed: Nullable(Type.Integer()) })),
  /** the endpoint profile it ran through (an override, else its version's), named as when it was planned */
  profileId: Nullable(Type.Integer()), profileName: Nullable(Type.String()),
});

export const JudgmentSchema = Type.Object({
  id: Type.Integer(), runId: Type.Integer(), itemId: Type.Integer(), sample: Type.Integer(), verdict: Nullable(Type.String()),
  critique: Type.String(), raw: Type.String(), error: Nullable(Type.String()), latencyMs: Nullable(Type.Number()),
  promptTokens: Type.Integer(), completionTokens: Type.Integer(), cost: Type.Number(), cached: Type.Boolean(), attempts: Type.Integer(),
});

/** A model's price in USD per million tokens (input = prompt, output = completion); also the PUT /prices body. */
export const PriceSchema = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 200 }),
  inputPerMTok: Type.Number({ minimum: 0 }),
  outputPerMTok: Type.Number({ minimum: 0 }),
});

// Compile-time proof that each schema is exactly its shared/types.ts interface (both directions).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type RecordSchemasMatchTypes = [
  Assert<Same<Static<typeof DatasetSchema>, Dataset>>, Assert<Same<Static<typeof ItemSchema>, Item>>,
  Assert<Same<Static<typeof CriterionSchema>, Criterion>>, Assert<Same<Static<typeof LabelSchema>, Label>>,
  Assert<Same<Static<typeof PromptVersionSchema>, PromptVersion>>, Assert<Same<Static<typeof RunSchema>, Run>>,
  Assert<Same<Static<typeof JudgmentSchema>, Judgment>>, Assert<Same<Static<typeof DimensionSummarySchema>, DimensionSummary>>,
];
