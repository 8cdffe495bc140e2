/** Response schemas of the criterion, label, version and screen routes. */
import Type from 'typebox';
import { CriterionSchema, DatasetSchema, EndpointInfoSchema, IntervalSchema, Nullable, PriceSchema, ScaleOut, SplitOut } from './records.ts';

const SplitProgressSchema = Type.Object({ labelled: Type.Integer(), total: Type.Integer() });

/** GET /criteria/:id: the principal expert's labelling progress per split, ambiguous count, annotators and version count. */
export const CriterionDetailSchema = Type.Object({
  ...CriterionSchema.properties,
  dataset: DatasetSchema,
  progress: Type.Object({ train: SplitProgressSchema, dev: SplitProgressSchema, test: SplitProgressSchema }),
  ambiguous: Type.Integer(),
  annotators: Type.Array(Type.Object({ annotator: Type.String(), n: Type.Integer() })),
  versions: Type.Integer(),
});

export const QueueStatusSchema = Type.Union([Type.Literal('unlabelled'), Type.Literal('labelled'), Type.Literal('ambiguous')]);
/** GET /criteria/:id/queue */
export const QueueSchema = Type.Object({
  items: Type.Array(Type.Object({ id: Type.Integer(), externalId: Type.String(), split: SplitOut, status: QueueStatusSchema })),
});

/** GET /criteria/:id/root-causes: each tagged item's tags, keyed by item id. */
export const RootCausesSchema = Type.Record(Type.String(), Type.Array(Type.String()));
/** POST and DELETE /criteria/:id/root-causes: the item's tags after the change. */
export const ItemTagsSchema = Type.Object({ itemId: Type.Integer(), tags: Type.Array(Type.String()) });

/** GET /criteria/:id/labels/export: one row per labelled item (the same columns as labels.csv and `concur labels export`). */
export const LabelExportRowSchema = Type.Object({
  id: Type.String(), input: Type.String(), output: Type.String(), output_b: Type.Optional(Type.String()),
  verdict: Type.String(), critique: Type.String(), ambiguous: Type.Boolean(), annotator: Type.String(), split: SplitOut, labelled_at: Type.String(),
});

/** POST /criteria/:id/preview: the exact messages a template sends for an item, and its problems. */
export const TemplatePreviewSchema = Type.Object({
  problems: Type.Array(Type.Object({ variable: Type.String(), line: Type.Integer(), reason: Type.String() })),
  messages: Type.Array(Type.Object({ role: Type.Union([Type.Literal('system'), Type.Literal('user')]), content: Type.String() })),
});

/** GET /config: where judge calls go by default (never the key) and the price table. */
export const AppConfigSchema = Type.Object({
  endpoint: EndpointInfoSchema, prices: Type.Array(PriceSchema),
  /** what a command pasted in the repository needs to reach this workspace (`--db`, null for the default); a path, never a secret */
  workspace: Type.Object({ dbArg: Nullable(Type.String()) }),
});

export const FailureSliceSchema = Type.Object({
  dimension: Type.String(), value: Type.String(), labelled: Type.Integer(), failed: Type.Integer(), failRate: IntervalSchema, small: Type.Boolean(),
});
/** GET /criteria/:id/error-analysis: failure rates by split and dimension value, root-cause tag counts (principal expert's labels). */
export const ErrorAnalysisSchema = Type.Object({
  scale: ScaleOut, labelled: Type.Integer(), failed: Type.Integer(),
  byDimension: Type.Array(FailureSliceSchema),
  rootCauses: Type.Array(Type.Object({ tag: Type.String(), count: Type.Integer(), share: Type.Number(), failedShare: Nullable(Type.Number()) })),
  taggedItems: Type.Integer(),
  /** disagreements reviewed as "keep label — judge wrong": decisions, distinct items and runs */
  judgeWrong: Type.Object({ decisions: Type.Integer(), items: Type.Integer(), runs: Type.Integer() }),
});
