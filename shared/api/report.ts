/**
 * Response schemas of the report and compare routes: the alignment report of one run against one
 * annotator (shared/metrics/report.ts), as GET /criteria/:id/report sends it, and a comparison of two runs.
 */
import Type from 'typebox';
import { CriterionSchema, IntervalSchema, Nullable, PromptVersionSchema, RunSchema, RunStatusOut, ScaleOut, SplitFilterOut, SplitOut, StringMap } from './records.ts';

const N = Nullable(Type.Number());
/** `reason`: why low/high are null although the value is defined (one rater gave one category only). */
export const KappaSchema = Type.Object({ ...IntervalSchema.properties, se: N, reason: Type.Optional(Type.String()) });
/** Rows expert, columns judge, in `labels` order. */
export const ConfusionSchema = Type.Object({ labels: Type.Unsafe<readonly string[]>(Type.Array(Type.String())), matrix: Type.Array(Type.Array(Type.Integer())) });
export const ExcludedSchema = Type.Object({
  fewShot: Type.Integer(), unlabelled: Type.Integer(), ambiguous: Type.Integer(),
  /** measured against "majority": items whose annotators' votes tie */
  annotatorsDisagree: Type.Integer(),
  /** items whose every sample failed (counted once per item) */
  errors: Type.Integer(),
  /** items whose k samples parsed but tie */
  noMajority: Type.Integer(),
});
/** (errors + notJudged) / labelled: shared/metrics/report.ts ErrorRate. */
export const ErrorRateSchema = Type.Object({ value: Nullable(Type.Number()), errors: Type.Integer(), notJudged: Type.Integer(), noMajority: Type.Integer(), labelled: Type.Integer() });

/** The pass/fail metrics (shared/stats/binary-agreement.ts BinaryMetrics). */
const binaryFields = {
  n: Type.Integer(), confusion: ConfusionSchema, agreement: IntervalSchema, kappa: KappaSchema, tpr: IntervalSchema, tnr: IntervalSchema,
  failClass: Type.Object({ precision: N, recall: N, f1: N }), balancedAccuracy: N,
  prevalence: IntervalSchema, judgePassRate: IntervalSchema, bias: N, pabak: N, ac1: N,
};
export const BinaryMetricsSchema = Type.Object(binaryFields);
export const SliceSchema = Type.Object({ ...binaryFields, dimension: Type.String(), value: Type.String(), small: Type.Boolean() });

export const ConsistencySchema = Type.Object({
  samples: Nullable(Type.Object({ samplesPerItem: Type.Integer(), items: Type.Integer(), selfAgreement: N, flipRate: N })),
  orderSensitivity: Type.Array(Type.Object({ runId: Type.Integer(), name: Type.String(), n: Type.Integer(), flipRate: N })),
  positionConsistency: Type.Array(Type.Object({ runId: Type.Integer(), name: Type.String(), n: Type.Integer(), rate: IntervalSchema })),
  verbosity: Type.Array(Type.Object({
    quartile: Type.Integer(), minChars: Type.Integer(), maxChars: Type.Integer(), n: Type.Integer(),
    expertPassRate: IntervalSchema, judgePassRate: IntervalSchema, gap: N,
  })),
});

export const AnnotatorsSchema = Type.Object({
  annotators: Type.Array(Type.String()),
  pairwise: Type.Array(Type.Object({ a: Type.String(), b: Type.String(), n: Type.Integer(), kappa: N, agreement: N })),
  fleissKappa: N, fleissItems: Type.Integer(),
  /** the judge measured against each annotator (and "majority" with three or more) */
  // kappa carries its standard error where the service computed one (the server types it as a plain Interval)
  judge: Type.Array(Type.Object({ annotator: Type.String(), n: Type.Integer(), agreement: IntervalSchema, kappa: Type.Object({ ...IntervalSchema.properties, se: Type.Optional(N), reason: Type.Optional(Type.String()) }) })),
});

export const ExclusionSchema = Type.Union([
  Type.Literal('fewShot'), Type.Literal('unlabelled'), Type.Literal('ambiguous'), Type.Literal('annotatorsDisagree'),
  Type.Literal('errors'), Type.Literal('noMajority'), Type.Literal('notJudged'),
]);

/** One item of a report with `outcomes=true` (server/services/report-outcomes.ts). */
export const OutcomeRowSchema = Type.Object({
  itemId: Type.Integer(), externalId: Type.String(), split: SplitOut, dimensions: StringMap,
  expert: Nullable(Type.String()), judge: Nullable(Type.String()), excluded: Nullable(ExclusionSchema), samples: Type.Array(Nullable(Type.String())),
  expertCritique: Type.String(), expertLabelId: Nullable(Type.Integer()), judgeCritique: Type.String(), judgeError: Nullable(Type.String()),
  rootCauses: Type.Array(Type.String()),
});

/** GET /criteria/:id/report (JSON): population rules and field meanings in shared/metrics/report.ts. */
/** Which version is published and every confirmation on test (the trust report's `governance`). */
/** One named population of a pairwise report (shared/metrics/report.ts PairwiseView). */
export const PairwiseViewSchema = Type.Object({
  population: Type.String(), n: Type.Integer(), leftOut: Type.Integer(), confusion: ConfusionSchema, agreement: IntervalSchema, kappa: KappaSchema,
});

export const GovernanceSchema = Type.Object({
  published: Nullable(Type.Object({ version: Type.Integer(), by: Type.String(), at: Type.String(), confirmation: Type.Integer() })),
  confirmations: Type.Array(Type.Object({
    sequence: Type.Integer(), version: Type.Integer(), by: Type.String(), at: Type.String(), runId: Type.Integer(), n: Type.Integer(),
    agreement: IntervalSchema, kappa: IntervalSchema, tpr: IntervalSchema, tnr: IntervalSchema, devPeeks: Type.Integer(),
  })),
  note: Nullable(Type.String()),
});

export const ReportSchema = Type.Object({
  dataset: Type.String(), criterion: Type.String(),
  run: Type.Object({ id: Type.Integer(), name: Type.String(), kind: Type.String(), version: Nullable(Type.Integer()), status: RunStatusOut }),
  annotator: Type.String(),
  governance: GovernanceSchema,
  ...binaryFields,
  scale: ScaleOut, split: SplitFilterOut, excluded: ExcludedSchema,
  judged: Type.Integer(), notJudged: Type.Integer(), errorRate: ErrorRateSchema,
  /** the number of categories PABAK and AC1 are computed over */
  q: Type.Integer(),
  slices: Type.Array(SliceSchema),
  consistency: ConsistencySchema,
  weightedKappa: Type.Optional(Type.Object({ linear: IntervalSchema, quadratic: IntervalSchema })),
  binary: Type.Optional(BinaryMetricsSchema),
  withoutTies: Type.Optional(BinaryMetricsSchema),
  pairwise: Type.Optional(Type.Object({ threeClass: PairwiseViewSchema, neitherSaysTie: PairwiseViewSchema, expertSaysNoTie: PairwiseViewSchema })),
  annotators: AnnotatorsSchema,
  outcomes: Type.Optional(Type.Array(OutcomeRowSchema)),
});

/** GET /criteria/:id/compare: two runs on the items both compared (shared/metrics/compare.ts RunComparison). */
export const RunComparisonSchema = Type.Object({
  a: Type.Integer(), b: Type.Integer(), split: SplitFilterOut,
  n: Type.Integer(), fixed: Type.Array(Type.String()), regressed: Type.Array(Type.String()),
  changes: Type.Array(Type.Object({
    itemId: Type.Integer(), externalId: Type.String(), dimensions: StringMap, expert: Type.String(), before: Type.String(), after: Type.String(),
    kind: Type.Union([Type.Literal('fixed'), Type.Literal('regressed')]),
  })),
  correctA: Type.Integer(), correctB: Type.Integer(), bothRight: Type.Integer(), bothWrong: Type.Integer(),
  mcnemar: Type.Object({ b: Type.Integer(), c: Type.Integer(), p: Type.Number() }),
});

/** The headline figures of one run on one split, as the dashboard draws them. */
export const HeadlineMetricsSchema = Type.Object({
  n: Type.Integer(), excluded: ExcludedSchema, notJudged: Type.Integer(), errorRate: ErrorRateSchema, agreement: IntervalSchema, kappa: KappaSchema, tpr: IntervalSchema, tnr: IntervalSchema, confusion: ConfusionSchema,
});

/**
 * GET /criteria/:id/dashboard (server/services/reports.ts dashboard()): every reportable run with
 * its headline figures on dev and test. The route serializes with it and the web type derives from it.
 */
export const DashboardSchema = Type.Object({
  criterion: CriterionSchema,
  versions: Type.Array(PromptVersionSchema),
  runs: Type.Array(Type.Object({ run: RunSchema, metrics: Type.Object({ dev: HeadlineMetricsSchema, test: HeadlineMetricsSchema }) })),
});
