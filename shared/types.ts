/** Domain types shared by server, CLI and web. Pure declarations: no runtime imports. */

export type Split = 'train' | 'dev' | 'test';
export type SplitFilter = Split | 'all';
export type Scale = 'binary' | 'ordinal' | 'pairwise';
export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export type RunKind = 'judged' | 'imported';

export interface Dataset {
  id: number;
  name: string;
  description: string;
  splits: { train: number; dev: number; test: number };
  items: number;
  createdAt: string;
}

export interface Item {
  id: number;
  datasetId: number;
  externalId: string;
  input: string;
  output: string;
  outputB: string | null;
  context: Record<string, unknown>;
  dimensions: Record<string, string>;
  split: Split;
}

/** One dimension of a dataset's items with each value's item count (an array, so names are never object keys). */
export interface DimensionSummary { name: string; values: Array<{ value: string; count: number }> }

export interface Criterion {
  id: number;
  datasetId: number;
  name: string;
  description: string;
  scale: Scale;
  /** ordinal only: verdicts are integers 1..levels */
  levels: number | null;
  /** ordinal only: a verdict >= passAt counts as a pass */
  passAt: number | null;
  principalAnnotator: string;
  targetAgreement: number;
}

export interface Label {
  id: number;
  itemId: number;
  criterionId: number;
  annotator: string;
  verdict: string | null;
  critique: string;
  ambiguous: boolean;
  source: string;
  createdAt: string;
}

export interface ModelSettings {
  model: string;
  baseUrl: string | null;
  apiKeyEnv: string;
  temperature: number | null;
  maxTokens: number | null;
  seed: number | null;
}

export interface PromptVersion extends ModelSettings {
  id: number;
  /** the endpoint profile it is meant for (null: its own baseUrl/apiKeyEnv, from before profiles) */
  profileId: number | null;
  criterionId: number;
  number: number;
  template: string;
  /** item ids (internal) used as few-shot examples */
  examples: number[];
  note: string;
  parentId: number | null;
  createdAt: string;
  /** who wrote it: a person ('human') or the optimizer (a candidate until accepted) */
  origin: VersionOrigin;
  /** optimizer candidates: the strategy that produced it and its rationale (null for hand-written versions) */
  strategy: string | null;
  rationale: string | null;
  /** 'candidate' until accepted; hand-written versions are accepted when written. `latest` never names a candidate. */
  status: VersionStatus;
  acceptedBy: string | null;
  acceptedAt: string | null;
}

export type VersionOrigin = 'human' | 'optimizer';
export type VersionStatus = 'candidate' | 'accepted';

export interface RunVariant {
  /** permute the few-shot examples with this seed */
  permuteSeed?: number;
  /** pairwise: present output_b as A and output as B */
  swap?: boolean;
}

export interface Run {
  id: number;
  criterionId: number;
  datasetId: number;
  versionId: number | null;
  versionNumber: number | null;
  kind: RunKind;
  name: string;
  split: SplitFilter;
  scope: 'labelled' | 'all';
  samples: number;
  variant: RunVariant;
  concurrency: number;
  status: RunStatus;
  message: string;
  total: number;
  done: number;
  errors: number;
  cached: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** where its calls went, resolved when it (last) started executing; null for imported runs and runs never started */
  baseUrl: string | null;
  /** the model it called (null as for baseUrl) */
  model: string | null;
  /** the model settings it used, resolved at execute time (null as for baseUrl) */
  settings: RunSettings | null;
  /** the endpoint profile it ran through (a `--profile` override, else its version's), as named when planned */
  profileId: number | null;
  profileName: string | null;
}

/** Where judge and task calls go: a workspace-level, editable endpoint (runs record what they resolved). */
export interface EndpointProfile {
  id: number;
  name: string;
  /** null = OPENAI_BASE_URL, else the OpenAI API */
  baseUrl: string | null;
  /** the environment variable holding the key ('' = send no key); the secrets rule decides where it may go */
  apiKeyEnv: string;
  /** the model to call when a version or run names none ('' = none) */
  model: string;
  /** default limits of runs through it (a run's own options override them) */
  rpm: number | null;
  tpm: number | null;
  maxReplyBytes: number | null;
  createdAt: string;
  updatedAt: string;
  /** how many versions name it (a profile some version names cannot be deleted) */
  versions: number;
}

/** The settings a judge run actually used (never the key itself, only the variable's name). */
export interface RunSettings { apiKeyEnv: string; temperature: number | null; maxTokens: number | null; seed: number | null }

export interface Judgment {
  id: number;
  runId: number;
  itemId: number;
  sample: number;
  verdict: string | null;
  critique: string;
  raw: string;
  error: string | null;
  latencyMs: number | null;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  cached: boolean;
  attempts: number;
}

/** Something an import changed or left out without refusing the file (invalid UTF-8 replaced, a key dropped, a value coerced). */
export interface ImportWarning { line: number | null; field: string | null; message: string }
/** The warnings part of an import result: the first MAX_IMPORT_WARNINGS, and how many more there were. */
export interface ImportWarnings { warnings: ImportWarning[]; moreWarnings: number }
