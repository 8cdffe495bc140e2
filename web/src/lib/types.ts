/**
 * Shapes of the API responses the web app reads. Domain records come from shared/types.ts;
 * these add what the routes put around them (progress, endpoint info, report outcomes).
 */
import type { Criterion, Dataset, DimensionSummary, ImportWarnings, Item, Label, PromptVersion, Run, RunStatus, Split } from '../../../shared/types.ts';
import type { AnnotatorAgreement } from '../../../shared/metrics/annotators.ts';
import type { ConsistencyReport } from '../../../shared/metrics/report.ts';
import type { Governance } from '../../../shared/converge-schemas.ts';
import type { GateResult, GateThresholds } from '../../../shared/metrics/gate.ts';
import type { CorrectedPassRate } from '../../../shared/stats/corrected-pass-rate.ts';
import type { BinaryMetrics } from '../../../shared/stats/binary-agreement.ts';
import type { RunProgress } from '../../../shared/runs.ts';
import type { OutcomeRowLike } from '../../../shared/metrics/compare.ts';
import type { Exclusion } from '../../../shared/metrics/outcomes.ts';

export type { Criterion, Dataset, Item, Label, PromptVersion, Run, RunStatus, Split, ConsistencyReport, GateThresholds, RunProgress };

export interface Interval { value: number | null; low: number | null; high: number | null }

export interface DatasetSummary extends Dataset { criteria: Criterion[] }

export interface DatasetDetail extends DatasetSummary {
  splitCounts: Record<Split, number>;
  /** each dimension with its values' item counts (an array: dimension names are data, never object keys) */
  dimensions: DimensionSummary[];
}

export interface LabelledItem extends Item { label?: Label | null }
export interface ItemPage { total: number; items: LabelledItem[] }

export interface SplitProgress { labelled: number; total: number }

export interface CriterionDetail extends Criterion {
  dataset: Dataset;
  progress: Record<Split, SplitProgress>;
  ambiguous: number;
  annotators: Array<{ annotator: string; n: number }>;
  versions: number;
}

export interface EndpointInfo { baseUrl: string; apiKeyEnv: string; keyPresent: boolean; configured: boolean; problem?: string | null }
export interface AppConfig { endpoint: EndpointInfo; workspace: { dbArg: string | null } }
export interface VersionWithEndpoint extends PromptVersion { endpoint: EndpointInfo }

export interface PreviewRow {
  externalId: string; input: string; output: string; outputB: string | null;
  context: Record<string, unknown>; dimensions: Record<string, string>;
}
export interface ImportPreview {
  ok: boolean; total: number; columns: string[]; rows: PreviewRow[];
  error: ({ message: string; line: number | null; field: string | null } & Partial<InputProblems>) | null;
  /** what the import will change (only when ok) */
  warnings?: ImportWarnings['warnings']; moreWarnings?: number;
}
export type { ImportWarning, ImportWarnings } from '../../../shared/types.ts';
/** Every problem of an input file (up to 50) and the count of the rest: a 400's body, and a failed preview's. */
export interface InputProblem { file: string; line: number | null; field: string | null; message: string }
export interface InputProblems { errors: InputProblem[]; moreErrors: number }
export interface ImportResult extends ImportWarnings { dataset: Dataset; created: number; updated: number; total: number }

export interface Confusion { labels: readonly string[]; matrix: number[][] }

export interface Excluded { fewShot: number; unlabelled: number; ambiguous: number; errors: number }

export interface HeadlineMetrics {
  n: number;
  excluded: Excluded;
  agreement: Interval;
  kappa: Interval;
  tpr: Interval;
  tnr: Interval;
  confusion: Confusion;
}

export interface SliceMetrics extends HeadlineMetrics { dimension: string; value: string; small: boolean }

/** One item of a report with `outcomes=true`: the shared outcome fields plus critiques and tags. */
export interface OutcomeRow extends OutcomeRowLike {
  split: Split;
  excluded: Exclusion | null;
  samples: Array<string | null>;
  expertCritique: string;
  expertLabelId: number | null;
  judgeCritique: string;
  judgeError: string | null;
  rootCauses: string[];
}

/** The pass/fail-shaped metrics: binary criteria, the ordinal view at the pass threshold, the pairwise view without ties (the shared definition). */
export type BinaryView = HeadlineMetrics & Omit<BinaryMetrics, 'n' | 'confusion' | 'agreement' | 'kappa' | 'tpr' | 'tnr'>;

/** The judge measured against one annotator (or "majority"). */
export interface JudgeVsAnnotator { annotator: string; n: number; agreement: Interval; kappa: Interval }

export interface Report extends Omit<BinaryView, 'excluded'> {
  dataset: string;
  criterion: string;
  run: { id: number; name: string; kind: string; version: number | null; status: RunStatus };
  annotator: string;
  scale: Criterion['scale'];
  split: string;
  excluded: Excluded;
  judged: number;
  /** items of the run in the split it never judged (cancelled or stopped early) */
  notJudged: number;
  slices: SliceMetrics[];
  annotators: AnnotatorAgreement & { judge: JudgeVsAnnotator[] };
  consistency: ConsistencyReport;
  /** ordinal only */
  weightedKappa?: { linear: Interval; quadratic: Interval };
  /** ordinal only: the pass/fail view at the pass threshold */
  binary?: BinaryView;
  /** pairwise only: A vs B over items where neither expert nor judge says tie */
  withoutTies?: BinaryView;
  outcomes?: OutcomeRow[];
  /** the published version and every confirmation on test */
  governance?: Governance;
}

/** GET /criteria/:id/corrected-pass-rate: a Rogan–Gladen corrected pass rate of a version on unlabelled items. */
export interface CorrectedPassRateResult extends CorrectedPassRate {
  version: number;
  on: string;
  calibrationRun: number;
  labelled: number;
  unlabelled: number;
}

/** POST /criteria/:id/gate */
export interface GateOutcome extends GateResult { run: number; n: number }

export type { RunCostPreview } from '../../../shared/runs.ts';

/** The formats POST /import/foreign converts. */
export type ForeignFormat = 'promptfoo' | 'sheet' | 'chat';

/** POST /import/foreign */
export interface ForeignImportResult {
  dataset: Dataset;
  criterion: Criterion | null;
  items: { created: number; updated: number; total: number };
  labels: { added: number; unchanged: number; total: number } | null;
  run: Run | null;
  warnings: string[];
}

export interface DashboardRow {
  run: Run;
  metrics: Record<'dev' | 'test', HeadlineMetrics>;
}
export interface Dashboard { criterion: Criterion; versions: PromptVersion[]; runs: DashboardRow[] }

export type QueueStatus = 'unlabelled' | 'labelled' | 'ambiguous';
export interface QueueEntry { id: number; externalId: string; split: Split; status: QueueStatus }

export interface FailureSlice { dimension: string; value: string; labelled: number; failed: number; failRate: Interval; small: boolean }
export interface ErrorAnalysis {
  scale: Criterion['scale'];
  labelled: number;
  failed: number;
  byDimension: FailureSlice[];
  rootCauses: Array<{ tag: string; count: number; share: number; failedShare: number | null }>;
  taggedItems: number;
  /** "Keep label — judge wrong" decisions on the criterion: distinct items, decisions (run × item), runs */
  judgeWrong: { decisions: number; items: number; runs: number };
}

/** A stored "Keep label — judge wrong" decision on one disagreement of a run. */
export interface JudgeWrongReview { runId: number; itemId: number; criterionId: number; labelId: number; annotator: string; decidedAt: string }
