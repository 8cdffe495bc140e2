/** The only place the web app talks to the server. Errors carry the server's words. */
import type { Optimization, OptimizerCostPreview, OptimizeBody } from '../../../shared/optimizer-schemas.ts';
import type {
  AppConfig, CriterionDetail, Dashboard, DatasetDetail, DatasetSummary, ErrorAnalysis, JudgeWrongReview, ForeignImportResult,
  GateOutcome, ImportPreview, ImportResult, Item, ItemPage, Label, CorrectedPassRateResult, QueueEntry, Report, Run,
  RunCostPreview, RunProgress, VersionWithEndpoint, Criterion, RootCauses, ItemTags, PromptVersion, ImportWarnings, Profile, ConnectionTest, NewProfile, ProfileChanges,
} from './types.ts';
import type { Static } from 'typebox';
import type {
  GateBody as GateBodySchema, ImportBody, ImportLabelsBody, ImportRunBody, JudgeWrongBody, NewCriterionBody, NewRunBody, NewVersionBody, PreviewImportBody, SaveLabelBody,
} from '../../../shared/schemas.ts';
import type { ForeignImportBody as ForeignImportBodySchema, LabelImportResultSchema } from '../../../shared/api/datasets.ts';
import type {
  Confirmation, FailureMode, FailureTag, ModeRates, Proposal, ProposedMode, Publication, PublicationHistory, SuggestedLabel, TagVocabulary,
} from '../../../shared/converge-schemas.ts';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body: ErrorBody | null) { super(message); }
}

export interface ErrorBody {
  error: string; field?: string | null; file?: string; line?: number | null; current?: unknown;
  /** an input file's problems, every one up to 50, and how many more there are */
  errors?: Array<{ file: string; line: number | null; field: string | null; message: string }>; moreErrors?: number;
  /** annotator_has_no_labels: the annotators who do have labels on the criterion */
  withLabels?: string[];
  /** stable snake_case reason, e.g. workspace_busy (another process holds the workspace's lock) or workspace_read_only */
  code?: string;
  /** the id of a 500 in the server's stderr log */
  errorId?: string;
  /** the same request may succeed if sent again shortly */
  retryable?: boolean;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'cannot reach the Concur server; is it still running?', null);
  }
  const text = await res.text();
  let data: unknown = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text.slice(0, 300) }; }
  if (!res.ok) {
    const err = data as ErrorBody | null;
    throw new ApiError(res.status, err?.error ?? `${res.status} ${res.statusText}`, err);
  }
  return data as T;
}

const get = <T>(path: string) => request<T>('GET', path);
const post = <T>(path: string, body: unknown) => request<T>('POST', path, body);

/** Builds a query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface ItemsQuery {
  split?: string; search?: string; criterion?: number; status?: string; dimension?: string; value?: string; limit?: number; offset?: number;
}
/**
 * Request bodies, derived from the schemas the server validates them with (shared/schemas.ts), so
 * a field the server renames or drops fails the type check here.
 */
export type SaveLabel = Static<typeof SaveLabelBody>;
export type NewVersion = Static<typeof NewVersionBody>;
export type NewCriterion = Static<typeof NewCriterionBody>;
/** A file's text, or its bytes in base64 when it is not valid UTF-8. */
export type UploadBody = Static<typeof PreviewImportBody> & { filename: string };
/** A run request: `on` judges another dataset's items (with scope "all", its unlabelled ones too). */
export type NewRun = Static<typeof NewRunBody>;
export type GateBody = Static<typeof GateBodySchema>;
export type ForeignImportBody = Static<typeof ForeignImportBodySchema>;

export const api = {
  config: () => get<AppConfig>('/config'),
  datasets: () => get<DatasetSummary[]>('/datasets'),
  dataset: (id: number) => get<DatasetDetail>(`/datasets/${id}`),
  items: (datasetId: number, q: ItemsQuery) => get<ItemPage>(`/datasets/${datasetId}/items${qs({ ...q })}`),
  item: (id: number) => get<Item>(`/items/${id}`),
  previewImport: (body: UploadBody) => post<ImportPreview>('/datasets/preview', body),
  importItems: (body: ImportBody) => post<ImportResult>('/datasets/import', body),
  importLabels: (criterionId: number, body: Static<typeof ImportLabelsBody>) => post<Static<typeof LabelImportResultSchema>>(`/criteria/${criterionId}/labels/import`, body),
  importRun: (criterionId: number, body: Static<typeof ImportRunBody>) => post<Run & ImportWarnings>(`/criteria/${criterionId}/runs/import`, body),

  addCriterion: (datasetId: number, body: NewCriterion) => post<Criterion>(`/datasets/${datasetId}/criteria`, body),
  /** Makes an annotator who has labels the criterion's principal (the reference of its reports and gates). */
  setPrincipal: (criterionId: number, annotator: string) => post<Criterion>(`/criteria/${criterionId}/principal`, { annotator }),
  criterion: (id: number) => get<CriterionDetail>(`/criteria/${id}`),
  queue: (id: number, q: { split?: string; dimension?: string; value?: string; order?: string }) =>
    get<{ items: QueueEntry[] }>(`/criteria/${id}/queue${qs(q)}`),

  labelHistory: (criterionId: number, itemId: number) => get<Label[]>(`/criteria/${criterionId}/items/${itemId}/labels`),
  saveLabel: (criterionId: number, body: SaveLabel) => post<Label>(`/criteria/${criterionId}/labels`, body),
  judgeWrong: (criterionId: number, runId: number) => get<JudgeWrongReview[]>(`/criteria/${criterionId}/judge-wrong${qs({ run: runId })}`),
  keepLabel: (criterionId: number, body: JudgeWrongBody) => post<JudgeWrongReview>(`/criteria/${criterionId}/judge-wrong`, body),
  rootCauses: (criterionId: number) => get<RootCauses>(`/criteria/${criterionId}/root-causes`),
  addRootCause: (criterionId: number, itemId: number, tag: string) =>
    post<ItemTags>(`/criteria/${criterionId}/root-causes`, { itemId, tag }),
  removeRootCause: (criterionId: number, itemId: number, tag: string) =>
    request<ItemTags>('DELETE', `/criteria/${criterionId}/root-causes`, { itemId, tag }),

  versions: (criterionId: number) => get<VersionWithEndpoint[]>(`/criteria/${criterionId}/versions`),
  addVersion: (criterionId: number, body: NewVersion) => post<VersionWithEndpoint>(`/criteria/${criterionId}/versions`, body),

  runs: (criterionId: number) => get<Run[]>(`/criteria/${criterionId}/runs`),
  profiles: () => get<Profile[]>('/profiles'),
  addProfile: (body: NewProfile) => post<Profile>('/profiles', body),
  editProfile: (id: number, body: ProfileChanges) => request<Profile>('PUT', `/profiles/${id}`, body),
  removeProfile: (id: number) => request<null>('DELETE', `/profiles/${id}`),
  testProfile: (id: number, model?: string) => post<ConnectionTest>(`/profiles/${id}/test`, model ? { model } : {}),
  startRun: (criterionId: number, body: NewRun) => post<Run>(`/criteria/${criterionId}/runs`, body),
  /** What a run would send and cost, without calling the endpoint. */
  runCostPreview: (criterionId: number, body: NewRun) => post<RunCostPreview>(`/criteria/${criterionId}/runs/cost-preview`, body),
  run: (id: number) => get<Run>(`/runs/${id}`),
  cancelRun: (id: number) => post<Run>(`/runs/${id}/cancel`, {}),

  report: (criterionId: number, q: { run?: number; split?: string; annotator?: string; outcomes?: boolean }) =>
    get<Report>(`/criteria/${criterionId}/report${qs(q)}`),
  /** Rogan–Gladen corrected pass rate; a 400 (field "version" or "on") says what has to be run first. */
  correctedPassRate: (criterionId: number, version: number, on: string) =>
    get<CorrectedPassRateResult>(`/criteria/${criterionId}/corrected-pass-rate${qs({ version, on })}`),
  gate: (criterionId: number, body: GateBody) => post<GateOutcome>(`/criteria/${criterionId}/gate`, body),
  importForeign: (body: ForeignImportBody) => post<ForeignImportResult>('/import/foreign', body),
  dashboard: (criterionId: number) => get<Dashboard>(`/criteria/${criterionId}/dashboard`),
  errorAnalysis: (criterionId: number) => get<ErrorAnalysis>(`/criteria/${criterionId}/error-analysis`),

  // failure modes (open and axial coding), specialised criteria, confirmation and publication
  failureTags: (criterionId: number, itemId: number) => get<FailureTag[]>(`/criteria/${criterionId}/items/${itemId}/failure-tags`),
  addFailureTag: (criterionId: number, itemId: number, tag: string) => post<FailureTag[]>(`/criteria/${criterionId}/items/${itemId}/failure-tags`, { tag }),
  removeFailureTag: (criterionId: number, itemId: number, tag: string) => request<FailureTag[]>('DELETE', `/criteria/${criterionId}/items/${itemId}/failure-tags`, { tag }),
  tagVocabulary: (criterionId: number) => get<TagVocabulary>(`/criteria/${criterionId}/failure-tags`),
  groupCritiques: (criterionId: number, by: string, withModel?: { profile: string; model?: string }) => post<Proposal>(`/criteria/${criterionId}/failure-modes/group`, { by, ...withModel }),
  acceptFailureModes: (criterionId: number, body: { by: string; modes: ProposedMode[]; source?: 'tags' | 'model'; splits?: Array<'train' | 'dev'> }) =>
    post<FailureMode[]>(`/criteria/${criterionId}/failure-modes`, body),
  failureModes: (criterionId: number) => get<FailureMode[]>(`/criteria/${criterionId}/failure-modes`),
  failureModeRates: (criterionId: number) => get<ModeRates[]>(`/criteria/${criterionId}/failure-modes/rates`),
  criterionFromMode: (modeId: number, name?: string) => post<{ criterion: Criterion; suggested: { fail: number; pass: number } }>(`/failure-modes/${modeId}/criterion`, name ? { name } : {}),
  suggestedLabels: (criterionId: number) => get<SuggestedLabel[]>(`/criteria/${criterionId}/suggested-labels`),
  confirmSuggestion: (criterionId: number, itemId: number, expectedId: number | null) =>
    post<Label>(`/criteria/${criterionId}/items/${itemId}/suggested-label/confirm`, { expectedId }),
  confirmVersion: (versionId: number, by: string) => post<Confirmation>(`/versions/${versionId}/confirm`, { by }),
  publishVersion: (versionId: number, by: string) => post<Publication>(`/versions/${versionId}/publish`, { by }),
  unpublish: (criterionId: number, by: string) => post<Publication>(`/criteria/${criterionId}/unpublish`, { by }),
  publications: (criterionId: number) => get<PublicationHistory>(`/criteria/${criterionId}/publications`),
  // the optimizer
  optimizerCostPreview: (criterionId: number, body: OptimizeBody) => post<OptimizerCostPreview>(`/criteria/${criterionId}/optimizations/cost-preview`, body),
  startOptimization: (criterionId: number, body: OptimizeBody) => post<Optimization>(`/criteria/${criterionId}/optimizations`, body),
  optimizations: (criterionId: number) => get<Optimization[]>(`/criteria/${criterionId}/optimizations`),
  optimization: (id: number) => get<Optimization>(`/optimizations/${id}`),
  cancelOptimization: (id: number) => post<Optimization>(`/optimizations/${id}/cancel`, {}),
  acceptVersion: (versionId: number, by: string) => post<PromptVersion>(`/versions/${versionId}/accept`, { by }),
  /** Optimizer progress over server-sent events; returns a function that closes the stream. */
  optimizationEvents(id: number, on: { progress: (p: { status: string; message: string }) => void; end: () => void }): () => void {
    const source = new EventSource(`/api/optimizations/${id}/events`);
    source.addEventListener('progress', (e) => on.progress(JSON.parse((e as MessageEvent).data)));
    source.addEventListener('end', () => { source.close(); on.end(); });
    source.onerror = () => { if (source.readyState === EventSource.CLOSED) on.end(); };
    return () => source.close();
  },

  /** Addresses the browser downloads directly (links, not fetches). */
  urls: {
    reportHtml: (criterionId: number, q: { run?: number; split?: string }) => `/api/criteria/${criterionId}/report${qs({ ...q, format: 'html' })}`,
    labelsCsv: (criterionId: number) => `/api/criteria/${criterionId}/export/labels.csv`,
    finetuneJsonl: (criterionId: number, split?: string) => `/api/criteria/${criterionId}/export/finetune.jsonl${qs({ split })}`,
  },

  /**
   * Live run progress over server-sent events. Returns a function that closes the stream.
   * EventSource lives here too so every server connection is in this one module.
   */
  runEvents(runId: number, on: { progress: (p: RunProgress) => void; end: (p: RunProgress) => void; lost: () => void }): () => void {
    const source = new EventSource(`/api/runs/${runId}/events`);
    source.addEventListener('progress', (e) => on.progress(JSON.parse((e as MessageEvent).data)));
    source.addEventListener('end', (e) => { source.close(); on.end(JSON.parse((e as MessageEvent).data)); });
    // The browser retries on its own; tell the caller only when it gives up.
    source.onerror = () => { if (source.readyState === EventSource.CLOSED) on.lost(); };
    return () => source.close();
  },
};

/** A message fit for the screen from anything thrown. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
