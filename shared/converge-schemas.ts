/**
 * Request and response schemas of the failure-mode, confirmation and publication routes
 * (TypeBox: JSON Schema for Fastify, static types for the server and the web client).
 */
import Type, { type Static } from 'typebox';
import { Id, SplitSchema } from './schemas.ts';
import { CriterionSchema, PromptVersionSchema } from './api/records.ts';

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const IntervalSchema = Type.Object({ value: Nullable(Type.Number()), low: Nullable(Type.Number()), high: Nullable(Type.Number()), se: Type.Optional(Nullable(Type.Number())) });
const Who = Type.String({ minLength: 1, maxLength: 200 });

export const ItemParams = Type.Object({ id: Id, itemId: Id });

// ── open coding ────────────────────────────────────────────────────────────────────────────────
export const FailureTagBody = Type.Object({ tag: Type.String({ minLength: 1, maxLength: 100 }), annotator: Type.Optional(Who) });
export const FailureTagSchema = Type.Object({ itemId: Type.Integer(), tag: Type.String(), key: Type.String(), annotator: Type.String(), createdAt: Type.String() });
export const FailureTagList = Type.Array(FailureTagSchema);
export const TagVocabulary = Type.Array(Type.Object({ tag: Type.String(), key: Type.String(), items: Type.Integer() }));
export type FailureTag = Static<typeof FailureTagSchema>;
export type TagVocabulary = Static<typeof TagVocabulary>;

// ── axial coding ───────────────────────────────────────────────────────────────────────────────
const GroupSplits = Type.Array(Type.Union([Type.Literal('train'), Type.Literal('dev')]), { minItems: 1, maxItems: 2 });
const ModeSource = Type.Union([Type.Literal('tags'), Type.Literal('model')]);
export const ProposedModeSchema = Type.Object({
  name: Type.String({ maxLength: 200 }),
  definition: Type.String({ maxLength: 2000 }),
  items: Type.Array(Id, { maxItems: 100_000 }),
});
export const GroupBody = Type.Object({
  by: Who, splits: Type.Optional(GroupSplits),
  /** group with this model instead of by tags (the critiques are sent to its endpoint) */
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** the endpoint (default OPENAI_BASE_URL, else the OpenAI API); the key's variable must be bound to it (secrets rule) */
  baseUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  /** the key's environment variable, or 'none' (default OPENAI_API_KEY) */
  apiKeyEnv: Type.Optional(Type.String({ maxLength: 200 })),
  /** group with a model through this endpoint profile (by name): its URL, key variable and default model (`model` overrides it) */
  profile: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
export const ProposalSchema = Type.Object({
  source: ModeSource,
  splits: Type.Array(SplitSchema),
  modes: Type.Array(ProposedModeSchema),
  critiques: Type.Array(Type.Object({ itemId: Type.Integer(), externalId: Type.String(), split: SplitSchema, critique: Type.String(), tags: Type.Array(Type.String()) })),
  unassigned: Type.Array(Type.Integer()),
});
export type Proposal = Static<typeof ProposalSchema>;
export type ProposedMode = Static<typeof ProposedModeSchema>;

export const AcceptModesBody = Type.Object({
  by: Who,
  modes: Type.Array(ProposedModeSchema, { minItems: 1, maxItems: 500 }),
  source: Type.Optional(ModeSource),
  splits: Type.Optional(GroupSplits),
});
export const FailureModeSchema = Type.Object({
  id: Type.Integer(), criterionId: Type.Integer(), name: Type.String(), definition: Type.String(), createdBy: Type.String(), createdAt: Type.String(),
  builtFromSplits: Type.Array(SplitSchema), source: ModeSource, accepted: Type.Boolean(), specialisedCriterionId: Nullable(Type.Integer()),
  items: Type.Array(Type.Integer()),
  itemDetails: Type.Optional(Type.Array(Type.Object({ id: Type.Integer(), externalId: Type.String(), split: SplitSchema, dimensions: Type.Record(Type.String(), Type.String()), critique: Type.String() }))),
});
export const FailureModeList = Type.Array(FailureModeSchema);
export type FailureMode = Static<typeof FailureModeSchema>;

const SliceRateSchema = Type.Object({
  dimension: Type.String(), value: Type.String(), n: Type.Integer(), k: Type.Integer(), rate: IntervalSchema, items: Type.Array(Type.Integer()), small: Type.Boolean(),
});
export const ModeRatesList = Type.Array(Type.Object({
  modeId: Type.Integer(), name: Type.String(), splits: Type.Array(SplitSchema), population: Type.String(), overall: SliceRateSchema, slices: Type.Array(SliceRateSchema),
}));
export type ModeRates = Static<typeof ModeRatesList>[number];
export type SliceRate = Static<typeof SliceRateSchema>;

// ── specialised judges ─────────────────────────────────────────────────────────────────────────
export const ModeCriterionBody = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) });
export const ModeCriterionResponse = Type.Object({
  criterion: CriterionSchema,
  suggested: Type.Object({ fail: Type.Integer(), pass: Type.Integer() }),
});
export const SuggestedLabelList = Type.Array(Type.Object({
  criterionId: Type.Integer(), itemId: Type.Integer(), verdict: Type.String(), critique: Type.String(), fromModeId: Nullable(Type.Integer()), createdAt: Type.String(), pending: Type.Boolean(),
}));
export type SuggestedLabel = Static<typeof SuggestedLabelList>[number];
export const ConfirmSuggestionBody = Type.Object({ expectedId: Nullable(Id), annotator: Type.Optional(Who) });

// ── confirm and publish ────────────────────────────────────────────────────────────────────────
export const ByBody = Type.Object({ by: Who });
export const ConfirmationSchema = Type.Object({
  id: Type.Integer(), criterionId: Type.Integer(), versionId: Type.Integer(), versionNumber: Type.Integer(), runId: Type.Integer(), split: Type.Literal('test'),
  sequence: Type.Integer(), confirmedBy: Type.String(), confirmedAt: Type.String(), devPeeks: Type.Integer(),
  figures: Type.Object({
    n: Type.Integer(), agreement: IntervalSchema, tpr: IntervalSchema, tnr: IntervalSchema,
    // kappa as the report gives it (se; reason when its interval is undefined); figures recorded before issue 11 lack the newer counts
    kappa: Type.Object({ ...IntervalSchema.properties, se: Type.Optional(Type.Union([Type.Number(), Type.Null()])), reason: Type.Optional(Type.String()) }),
    excluded: Type.Object({
      fewShot: Type.Integer(), unlabelled: Type.Integer(), ambiguous: Type.Integer(), errors: Type.Integer(),
      noMajority: Type.Optional(Type.Integer()), annotatorsDisagree: Type.Optional(Type.Integer()),
    }),
  }),
});
export const PublicationSchema = Type.Object({
  id: Type.Integer(), criterionId: Type.Integer(), versionId: Type.Integer(), versionNumber: Type.Integer(), confirmationId: Type.Integer(),
  publishedBy: Type.String(), publishedAt: Type.String(), unpublishedBy: Nullable(Type.String()), unpublishedAt: Nullable(Type.String()),
});
export const PublicationHistory = Type.Object({
  published: Nullable(PublicationSchema),
  publications: Type.Array(PublicationSchema),
  confirmations: Type.Array(ConfirmationSchema),
  /** versions of the criterion scored on dev so far */
  devPeeks: Type.Integer(),
});
export type Confirmation = Static<typeof ConfirmationSchema>;
export type Publication = Static<typeof PublicationSchema>;
export type PublicationHistory = Static<typeof PublicationHistory>;

/** the accepted version (now an ordinary version, and the latest) */
export const AcceptVersionResponse = PromptVersionSchema;

interface IntervalValue { value: number | null; low: number | null; high: number | null }
/** Which version is published and every confirmation on test (the trust report's `governance`). */
export interface Governance {
  published: { version: number; by: string; at: string; confirmation: number } | null;
  confirmations: Array<{ sequence: number; version: number; by: string; at: string; runId: number; n: number; agreement: IntervalValue; kappa: IntervalValue; tpr: IntervalValue; tnr: IntervalValue; devPeeks: number }>;
  /** e.g. "2 confirmations on this test split: …" when the test split has been used more than once */
  note: string | null;
}
