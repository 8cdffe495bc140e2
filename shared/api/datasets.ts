/** Response schemas of the dataset, item and import routes. */
import Type from 'typebox';
import { CriterionSchema, DatasetSchema, DimensionSummarySchema, ItemSchema, LabelSchema, Nullable, RunSchema, SplitOut, StringMap } from './records.ts';

/** GET /datasets: every dataset with its criteria. */
export const DatasetSummarySchema = Type.Object({ ...DatasetSchema.properties, criteria: Type.Array(CriterionSchema) });

/** GET /datasets/:id: with item counts per split and each dimension's values (an array: dimension names are data). */
export const DatasetDetailSchema = Type.Object({
  ...DatasetSummarySchema.properties,
  splitCounts: Type.Object({ train: Type.Integer(), dev: Type.Integer(), test: Type.Integer() }),
  dimensions: Type.Array(DimensionSummarySchema),
});

/** GET /datasets/:id/items: one page; `label` (the principal expert's, null when none) only with `criterion`. */
export const ItemPageSchema = Type.Object({
  total: Type.Integer(),
  items: Type.Array(Type.Object({ ...ItemSchema.properties, label: Type.Optional(Nullable(LabelSchema)) })),
});

/** POST /datasets/import */
/** One problem of an input file: where (file, line, field) and what. */
export const InputProblemSchema = Type.Object({ file: Type.String(), line: Nullable(Type.Integer()), field: Nullable(Type.String()), message: Type.String() });

/** What an import changed without refusing the file (invalid UTF-8 replaced, fields ignored, …), by line. */
export const ImportWarningSchema = Type.Object({ line: Nullable(Type.Integer()), field: Nullable(Type.String()), message: Type.String() });
/** The first warnings of an import and how many more there were. */
const importWarnings = { warnings: Type.Array(ImportWarningSchema), moreWarnings: Type.Integer() };

export const ItemImportResultSchema = Type.Object({ dataset: DatasetSchema, created: Type.Integer(), updated: Type.Integer(), total: Type.Integer(), ...importWarnings });

/** One parsed row of an upload, as it would be imported. */
export const PreviewRowSchema = Type.Object({
  externalId: Type.String(), input: Type.String(), output: Type.String(), outputB: Nullable(Type.String()),
  context: Type.Record(Type.String(), Type.Unknown()), dimensions: StringMap, split: SplitOut,
});

/** POST /datasets/preview: the upload's columns and first rows, or its first error; nothing written. */
export const ImportPreviewSchema = Type.Object({
  ok: Type.Boolean(), total: Type.Integer(), columns: Type.Array(Type.String()), rows: Type.Array(PreviewRowSchema),
  error: Nullable(Type.Object({
    message: Type.String(), line: Nullable(Type.Integer()), field: Nullable(Type.String()),
    /** every problem of the file, up to 50, and how many more there were */
    errors: Type.Array(InputProblemSchema), moreErrors: Type.Integer(),
  })),
  /** what the import will change (only when ok) */
  warnings: Type.Optional(Type.Array(ImportWarningSchema)), moreWarnings: Type.Optional(Type.Integer()),
});

/** POST /criteria/:id/labels/import */
/**
 * `suggestedPrincipal`: the criterion's principal annotator has no labels and this import added
 * some by another annotator (named here): the UI offers to make them principal (POST /criteria/:id/principal).
 */
export const LabelImportResultSchema = Type.Object({
  added: Type.Integer(), unchanged: Type.Integer(), total: Type.Integer(), ...importWarnings, suggestedPrincipal: Type.Optional(Type.String()),
});
/** POST /criteria/:id/runs/import: the imported run and what the import changed */
export const RunImportResultSchema = Type.Object({ ...RunSchema.properties, ...importWarnings });

/** POST /import/foreign */
export const ForeignImportResultSchema = Type.Object({
  dataset: DatasetSchema, criterion: Nullable(CriterionSchema),
  items: ItemImportResultSchema,
  labels: Nullable(LabelImportResultSchema), run: Nullable(RunSchema), warnings: Type.Array(Type.String()),
});

/** The formats POST /import/foreign converts. */
export const ForeignFormatSchema = Type.Union([Type.Literal('promptfoo'), Type.Literal('sheet'), Type.Literal('chat')]);
/** POST /import/foreign: a promptfoo results file, a review sheet or chat JSONL (format detected when not given). */
export const ForeignImportBody = Type.Object({
  fileName: Type.String({ minLength: 1, maxLength: 500 }), text: Type.String(),
  format: Type.Optional(ForeignFormatSchema),
  dataset: Type.String({ minLength: 1, maxLength: 200 }), criterion: Type.Optional(Type.String({ maxLength: 200 })),
  annotator: Type.Optional(Type.String({ maxLength: 200 })), runName: Type.Optional(Type.String({ maxLength: 200 })),
  rubric: Type.Optional(Type.String({ maxLength: 500 })), columns: Type.Optional(Type.Record(Type.String(), Type.String())),
});
