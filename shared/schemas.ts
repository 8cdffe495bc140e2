/**
 * Request and response schemas of the HTTP API (TypeBox, so they are JSON Schema for Fastify
 * and static types for the server and the web client).
 */
import Type, { type Static } from 'typebox';

/**
 * Integers in requests stop at Number.MAX_SAFE_INTEGER: beyond it a query value such as
 * `offset=99999999999999999999` is no longer the number written (and SQLite would refuse it), so
 * it is a 400 naming the field, not a 500.
 */
export const SafeInteger = (opts: { minimum?: number; maximum?: number } = {}) =>
  Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, ...opts });
export const Id = SafeInteger({ minimum: 1 });
export const IdParams = Type.Object({ id: Id });
export const SplitSchema = Type.Union([Type.Literal('train'), Type.Literal('dev'), Type.Literal('test')]);
export const SplitFilterSchema = Type.Union([SplitSchema, Type.Literal('all')]);
export const ScaleSchema = Type.Union([Type.Literal('binary'), Type.Literal('ordinal'), Type.Literal('pairwise')]);
export const FormatSchema = Type.Union([Type.Literal('jsonl'), Type.Literal('csv'), Type.Literal('json')]);


export const ErrorResponse = Type.Object({
  error: Type.String(),
  field: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  file: Type.Optional(Type.String()),
  line: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  current: Type.Optional(Type.Unknown()),
  /** code annotator_has_no_labels: the annotators who do have labels on the criterion */
  withLabels: Type.Optional(Type.Array(Type.String())),
});

// Response schemas live in shared/api/ (one file per group of routes); the records are re-exported here for the routes that import them from this module.
export { DatasetSchema, CriterionSchema, ItemSchema, LabelSchema, VersionSchema, RunSchema } from './api/records.ts';
/** An untyped JSON object. No route's response uses it any more (tests/server/contract.test.ts has no exception). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const AnyObject = Type.Unsafe<any>(Type.Object({}, { additionalProperties: true }));

export const ImportBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  /** the file's text (or send contentBase64) */
  content: Type.Optional(Type.String()),
  /** the file's bytes in base64, for a file that is not valid UTF-8: each invalid line is then reported as a warning */
  contentBase64: Type.Optional(Type.String()),
  /** the file's name, used in error messages and to detect the format */
  filename: Type.Optional(Type.String({ maxLength: 500 })),
  format: Type.Optional(FormatSchema),
  map: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** split shares (percent) for a dataset this import creates; default 20/50/30 */
  splits: Type.Optional(Type.Object({ train: Type.Integer({ minimum: 0, maximum: 100 }), dev: Type.Integer({ minimum: 0, maximum: 100 }), test: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false })),
});
export type ImportBody = Static<typeof ImportBody>;

export const PreviewImportBody = Type.Object({
  /** the file's text (or send contentBase64) */
  content: Type.Optional(Type.String()),
  /** the file's bytes in base64, for a file that is not valid UTF-8: each invalid line is then reported as a warning */
  contentBase64: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String({ maxLength: 500 })),
  format: Type.Optional(FormatSchema),
  map: Type.Optional(Type.Record(Type.String(), Type.String())),
});

export const NewCriterionBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  scale: Type.Optional(ScaleSchema),
  levels: Type.Optional(Type.Integer({ minimum: 2, maximum: 100 })),
  passAt: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  principalAnnotator: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  targetAgreement: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
});

export const ItemsQuery = Type.Object({
  split: Type.Optional(SplitSchema),
  search: Type.Optional(Type.String({ maxLength: 500 })),
  criterion: Type.Optional(Id),
  status: Type.Optional(Type.Union([Type.Literal('labelled'), Type.Literal('unlabelled'), Type.Literal('ambiguous')])),
  dimension: Type.Optional(Type.String({ maxLength: 200 })),
  value: Type.Optional(Type.String({ maxLength: 500 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  offset: Type.Optional(SafeInteger({ minimum: 0 })),
});

export const SaveLabelBody = Type.Object({
  itemId: Id,
  verdict: Type.Union([Type.String({ maxLength: 20 }), Type.Null()]),
  critique: Type.String({ maxLength: 50_000 }),
  ambiguous: Type.Optional(Type.Boolean()),
  annotator: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** the id of the label the writer last saw (null: none); a different current label is a 409 conflict */
  expectedId: Type.Union([Id, Type.Null()]),
});
export type SaveLabelBody = Static<typeof SaveLabelBody>;

/** "Keep label — judge wrong" on one disagreement of a run (annotator defaults to the criterion's principal). */
export const JudgeWrongBody = Type.Object({ runId: Id, itemId: Id, annotator: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false });
export type JudgeWrongBody = Static<typeof JudgeWrongBody>;
export const JudgeWrongReviewSchema = Type.Object({
  runId: Type.Integer(), itemId: Type.Integer(), criterionId: Type.Integer(), labelId: Type.Integer(), annotator: Type.String(), decidedAt: Type.String(),
});
export type JudgeWrongReviewSchema = Static<typeof JudgeWrongReviewSchema>;

export const ImportLabelsBody = Type.Object({
  /** the file's text (or send contentBase64) */
  content: Type.Optional(Type.String()),
  /** the file's bytes in base64, for a file that is not valid UTF-8: each invalid line is then reported as a warning */
  contentBase64: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String({ maxLength: 500 })),
  format: Type.Optional(FormatSchema),
  annotator: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

export const NewVersionBody = Type.Object({
  template: Type.String({ minLength: 1, maxLength: 200_000 }),
  model: Type.String({ minLength: 1, maxLength: 200 }),
  baseUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  apiKeyEnv: Type.Optional(Type.String({ maxLength: 200 })),
  temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
  maxTokens: Type.Optional(Type.Union([SafeInteger({ minimum: 1 }), Type.Null()])),
  seed: Type.Optional(Type.Union([SafeInteger(), Type.Null()])),
  /** external ids of labelled items to show as few-shot examples */
  examples: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 100 })),
  note: Type.Optional(Type.String({ maxLength: 10_000 })),
  /** the endpoint profile it is meant for (by name); or give baseUrl/apiKeyEnv, which find or create one */
  profile: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
export type NewVersionBody = Static<typeof NewVersionBody>;

export const PreviewBody = Type.Object({
  template: Type.String({ maxLength: 200_000 }),
  itemId: Id,
  examples: Type.Optional(Type.Array(Id, { maxItems: 100 })),
});

export const NewRunBody = Type.Object({
  version: Type.Union([SafeInteger({ minimum: 1 }), Type.Literal('latest')]),
  split: Type.Optional(SplitFilterSchema),
  scope: Type.Optional(Type.Union([Type.Literal('labelled'), Type.Literal('all')])),
  samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  noCache: Type.Optional(Type.Boolean()),
  permuteSeed: Type.Optional(SafeInteger()),
  swap: Type.Optional(Type.Boolean()),
  /** requests per minute to the endpoint (shared by the runs on the same endpoint); at least 0.001 (server/judge/limiter.ts MIN_LIMIT_PER_MINUTE), so every wait fits a timer */
  rpm: Type.Optional(Type.Number({ minimum: 0.001, maximum: 1e12 })),
  /** tokens per minute to the endpoint (estimated from prompt size + max_tokens, corrected by actual usage) */
  tpm: Type.Optional(Type.Number({ minimum: 0.001, maximum: 1e12 })),
  /** per-request timeout in milliseconds */
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
  /** judge through the provider's Batch API (slower to finish, cheaper at OpenAI) */
  batch: Type.Optional(Type.Boolean()),
  /** judge the items of another dataset (by name) with this criterion's version, e.g. unlabelled production traffic for a corrected pass rate */
  on: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** run through this endpoint profile (by name) instead of the version's own; recorded on the run */
  profile: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
export type NewRunBody = Static<typeof NewRunBody>;

export const ImportRunBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  /** the file's text (or send contentBase64) */
  content: Type.Optional(Type.String()),
  /** the file's bytes in base64, for a file that is not valid UTF-8: each invalid line is then reported as a warning */
  contentBase64: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String({ maxLength: 500 })),
  format: Type.Optional(FormatSchema),
});

/** A version number, or "published": the criterion's published version (measured by its confirming test run). */
export const VersionRef = Type.Union([SafeInteger({ minimum: 1 }), Type.Literal('published')]);

export const ReportQuery = Type.Object({
  run: Type.Optional(Id),
  version: Type.Optional(VersionRef),
  split: Type.Optional(SplitFilterSchema),
  annotator: Type.Optional(Type.String({ maxLength: 200 })),
});

export const GateBody = Type.Object({
  run: Type.Optional(Id),
  version: Type.Optional(VersionRef),
  split: Type.Optional(SplitFilterSchema),
  minAgreement: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  minKappa: Type.Optional(Type.Number({ minimum: -1, maximum: 1 })),
  minTpr: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  minTnr: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  /** largest acceptable share of labelled items with a judge error or not judged (default 0.05) */
  maxErrorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  lowerBound: Type.Optional(Type.Boolean()),
});

export const RootCauseBody = Type.Object({ itemId: Id, tag: Type.String({ minLength: 1, maxLength: 200 }) });
