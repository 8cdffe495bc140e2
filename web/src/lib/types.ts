/**
 * Shapes of the API responses the web app reads. Domain records come from shared/types.ts;
 * these add what the routes put around them (progress, endpoint info, report outcomes).
 */
import type { Criterion, Dataset, Item, Label, PromptVersion, Run, RunStatus, Split } from '../../../shared/types.ts';

export type { Criterion, Dataset, Item, Label, PromptVersion, Run, RunStatus, Split };

export interface Interval { value: number | null; low: number | null; high: number | null }

export interface DatasetSummary extends Dataset { criteria: Criterion[] }

export interface DatasetDetail extends DatasetSummary {
  splitCounts: Record<Split, number>;
  /** dimension → value → item count */
  dimensions: Record<string, Record<string, number>>;
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

export interface EndpointInfo { baseUrl: string; apiKeyEnv: string; keyPresent: boolean; configured: boolean }
export interface AppConfig { endpoint: EndpointInfo }
export interface VersionWithEndpoint extends PromptVersion { endpoint: EndpointInfo }

export interface PreviewRow {
  externalId: string; input: string; output: string; outputB: string | null;
  context: Record<string, unknown>; dimensions: Record<string, string>;
}
export interface ImportPreview {
  ok: boolean; total: number; columns: string[]; rows: PreviewRow[];
  error: { message: string; line: number | null; field: string | null } | null;
}
export interface ImportResult { dataset: Dataset; created: number; updated: number; total: number }

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

export interface OutcomeRow {
  itemId: number;
  externalId: string;
  split: Split;
  dimensions: Record<string, string>;
  expert: string | null;
  judge: string | null;
  excluded: 'fewShot' | 'unlabelled' | 'ambiguous' | 'errors' | null;
  samples: Array<string | null>;
  expertCritique: string;
  expertLabelId: number | null;
  judgeCritique: string;
  judgeError: string | null;
  rootCauses: string[];
}

export interface Report extends HeadlineMetrics {
  dataset: string;
  criterion: string;
  run: { id: number; name: string; kind: string; version: number | null; status: RunStatus };
  annotator: string;
  split: string;
  judged: number;
  slices: SliceMetrics[];
  balancedAccuracy: number | null;
  bias: number | null;
  categorical?: { confusion: Confusion; agreement: Interval; kappa: Interval };
  outcomes?: OutcomeRow[];
}

export interface DashboardRow {
  run: Run;
  metrics: Record<'dev' | 'test', HeadlineMetrics>;
}
export interface Dashboard { criterion: Criterion; versions: PromptVersion[]; runs: DashboardRow[] }

export interface RunProgress {
  runId: number; status: RunStatus; total: number; done: number; errors: number; cached: number;
  promptTokens: number; completionTokens: number; cost: number; ratePerSec: number; etaSec: number | null; message: string;
}

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
}
