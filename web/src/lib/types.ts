/**
 * Shapes of the API responses the web app reads, derived from the response schemas the server
 * serializes with (shared/api/*.ts, `Static<>`), so the two cannot drift. Domain records come
 * from shared/types.ts (the schemas are proven equal to them in shared/api/records.ts).
 */
import type { Static } from 'typebox';
import type { JudgeWrongReviewSchema } from '../../../shared/schemas.ts';
import type { InputProblemSchema } from '../../../shared/api/datasets.ts';
import type { Criterion, Dataset, Item, Label, PromptVersion, Run, RunStatus, Split } from '../../../shared/types.ts';
import type { GateThresholds } from '../../../shared/metrics/gate.ts';
import type { EndpointInfoSchema, IntervalSchema } from '../../../shared/api/records.ts';
import type {
  DatasetDetailSchema, DatasetSummarySchema, ForeignFormatSchema, ForeignImportResultSchema, ImportPreviewSchema, ItemImportResultSchema,
  ItemPageSchema, PreviewRowSchema,
} from '../../../shared/api/datasets.ts';
import type {
  AppConfigSchema, CriterionDetailSchema, ErrorAnalysisSchema, FailureSliceSchema, QueueSchema, QueueStatusSchema, ItemTagsSchema, RootCausesSchema,
} from '../../../shared/api/criteria.ts';
import type { CorrectedPassRateResultSchema, GateOutcomeSchema, RunCostPreviewSchema, RunProgressSchema } from '../../../shared/api/runs.ts';
import type {
  BinaryMetricsSchema, ConfusionSchema, ConsistencySchema, DashboardSchema, ExcludedSchema, HeadlineMetricsSchema, OutcomeRowSchema, ReportSchema,
  RunComparisonSchema, SliceSchema,
} from '../../../shared/api/report.ts';
import type { VersionSchema } from '../../../shared/api/records.ts';

export type { Criterion, Dataset, Item, Label, PromptVersion, Run, RunStatus, Split, GateThresholds };

export type Interval = Static<typeof IntervalSchema>;
export type DatasetSummary = Static<typeof DatasetSummarySchema>;
export type DatasetDetail = Static<typeof DatasetDetailSchema>;
export type ItemPage = Static<typeof ItemPageSchema>;
export type LabelledItem = ItemPage['items'][number];
export type CriterionDetail = Static<typeof CriterionDetailSchema>;
export type SplitProgress = CriterionDetail['progress'][Split];
export type EndpointInfo = Static<typeof EndpointInfoSchema>;
export type AppConfig = Static<typeof AppConfigSchema>;
export type VersionWithEndpoint = Static<typeof VersionSchema>;
export type { ProfileOut as Profile, ConnectionTest, NewProfileBody as NewProfile, UpdateProfileBody as ProfileChanges } from '../../../shared/api/profiles.ts';
export type PreviewRow = Static<typeof PreviewRowSchema>;
export type ImportPreview = Static<typeof ImportPreviewSchema>;
export type ImportResult = Static<typeof ItemImportResultSchema>;
export type Confusion = Static<typeof ConfusionSchema>;
export type Excluded = Static<typeof ExcludedSchema>;
export type HeadlineMetrics = Static<typeof HeadlineMetricsSchema>;
export type SliceMetrics = Static<typeof SliceSchema>;
/** One item of a report with `outcomes=true`: the shared outcome fields plus critiques and tags. */
export type OutcomeRow = Static<typeof OutcomeRowSchema>;
/** The pass/fail-shaped metrics: binary criteria, the ordinal view at the pass threshold, the pairwise view without ties. */
export type BinaryView = Static<typeof BinaryMetricsSchema>;
export type ConsistencyReport = Static<typeof ConsistencySchema>;
export type Report = Static<typeof ReportSchema>;
export type JudgeVsAnnotator = Report['annotators']['judge'][number];
export type RunComparison = Static<typeof RunComparisonSchema>;
/** GET /criteria/:id/corrected-pass-rate: a Rogan–Gladen corrected pass rate of a version on unlabelled items. */
export type CorrectedPassRateResult = Static<typeof CorrectedPassRateResultSchema>;
export type GateOutcome = Static<typeof GateOutcomeSchema>;
/** POST /criteria/:id/runs/cost-preview: what a run would send and cost, before any call. */
export type RunCostPreview = Static<typeof RunCostPreviewSchema>;
export type RunProgress = Static<typeof RunProgressSchema>;
export type ForeignFormat = Static<typeof ForeignFormatSchema>;
export type ForeignImportResult = Static<typeof ForeignImportResultSchema>;
export type Dashboard = Static<typeof DashboardSchema>;
export type DashboardRow = Dashboard['runs'][number];
export type QueueStatus = Static<typeof QueueStatusSchema>;
export type QueueEntry = Static<typeof QueueSchema>['items'][number];
export type FailureSlice = Static<typeof FailureSliceSchema>;
export type ErrorAnalysis = Static<typeof ErrorAnalysisSchema>;
export type RootCauses = Static<typeof RootCausesSchema>;
export type ItemTags = Static<typeof ItemTagsSchema>;

export type { ImportWarning, ImportWarnings } from '../../../shared/types.ts';

/** A stored "Keep label — judge wrong" decision on one disagreement of a run. */
export type JudgeWrongReview = Static<typeof JudgeWrongReviewSchema>;
/** Every problem of an input file (up to 50) and the count of the rest: a 400's body, and a failed preview's. */
export type InputProblem = Static<typeof InputProblemSchema>;
export interface InputProblems { errors: InputProblem[]; moreErrors: number }
