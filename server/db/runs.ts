import type { DB } from './open.ts';
import type { Item, Judgment, Run, RunKind, RunSettings, RunStatus, RunVariant, SplitFilter } from '../../shared/types.ts';
import { toItem } from './items.ts';

interface RunRow {
  id: number; criterion_id: number; dataset_id: number; version_id: number | null; version_number: number | null; kind: RunKind; name: string;
  split: SplitFilter; scope: 'labelled' | 'all'; samples: number; variant: string; concurrency: number; status: RunStatus; message: string;
  total: number; created_at: string; started_at: string | null; finished_at: string | null; stats: string;
  base_url: string | null; model: string | null; settings: string | null; profile_id: number | null; profile_name: string | null;
}
interface RunStats { done: number; errors: number; cached: number; prompt_tokens: number; completion_tokens: number; cost: number }
interface JudgmentRow { id: number; run_id: number; item_id: number; sample: number; verdict: string | null; critique: string; raw: string; error: string | null; latency_ms: number | null; prompt_tokens: number; completion_tokens: number; cost: number; cached: number; attempts: number }

const toRun = (r: RunRow): Run => { const st = JSON.parse(r.stats) as RunStats; return {
  id: r.id, criterionId: r.criterion_id, datasetId: r.dataset_id, versionId: r.version_id, versionNumber: r.version_number,
  kind: r.kind, name: r.name, split: r.split, scope: r.scope, samples: r.samples, variant: JSON.parse(r.variant) as RunVariant,
  concurrency: r.concurrency, status: r.status, message: r.message, total: r.total,
  done: st.done, errors: st.errors, cached: st.cached, promptTokens: st.prompt_tokens,
  completionTokens: st.completion_tokens, cost: st.cost,
  createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at,
  baseUrl: r.base_url, model: r.model, settings: r.settings === null ? null : JSON.parse(r.settings) as RunSettings,
  profileId: r.profile_id ?? null, profileName: r.profile_name ?? null,
}; };

export const toJudgment = (r: JudgmentRow): Judgment => ({
  id: r.id, runId: r.run_id, itemId: r.item_id, sample: r.sample, verdict: r.verdict, critique: r.critique, raw: r.raw,
  error: r.error, latencyMs: r.latency_ms, promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens,
  cost: r.cost, cached: r.cached === 1, attempts: r.attempts,
});

export interface NewRun {
  criterionId: number; datasetId: number; versionId: number | null; kind: RunKind; name: string; split: SplitFilter;
  scope: 'labelled' | 'all'; samples: number; variant: RunVariant; concurrency: number; status: RunStatus; itemIds: number[];
  /** the endpoint profile it runs through (an override, else its version's) and that profile's name now */
  profileId?: number | null; profileName?: string | null;
}

export interface NewJudgment {
  itemId: number; sample: number; verdict: string | null; critique: string; raw: string; error: string | null;
  latencyMs: number | null; promptTokens: number; completionTokens: number; cost: number; cached: boolean; attempts: number;
}

/** How a judged run is executed; stored with the run so a resumed run behaves the same. */
export interface RunOptions {
  /** requests per minute to the endpoint (null = unlimited) */
  rpm?: number | null;
  /** tokens per minute to the endpoint (null = unlimited) */
  tpm?: number | null;
  /** bypass the response cache (neither read nor write it) */
  noCache?: boolean;
  /** go through the provider's Batch API instead of direct calls */
  batch?: boolean;
  /** per-request timeout in milliseconds */
  timeoutMs?: number | null;
  /** cap on one reply's body in bytes (default 1 MB); a larger reply is recorded as an error */
  maxReplyBytes?: number | null;
}

/** One model call of a judge run, recorded with its judgment (see model_calls in migrations.ts). */
export interface JudgeCallRecord { requestHash: string }

export type RunBatchStatus = 'submitting' | 'submitted' | 'collected' | 'abandoned';
export interface RunBatch { id: number; runId: number; nonce: string; batchId: string | null; requests: number; status: RunBatchStatus }

export function runsRepository(db: DB) {
  // Counts come from run_totals, kept by triggers on every judgment insert/delete (migration 4), so
  // listing runs reads one row per run instead of counting every judgment of every run.
  const select = `SELECT r.*, v.number AS version_number,
      json_object('done', coalesce(t.done, 0), 'errors', coalesce(t.errors, 0), 'cached', coalesce(t.cached, 0),
        'prompt_tokens', coalesce(t.prompt_tokens, 0), 'completion_tokens', coalesce(t.completion_tokens, 0), 'cost', coalesce(t.cost, 0)) AS stats
    FROM runs r LEFT JOIN prompt_versions v ON v.id = r.version_id LEFT JOIN run_totals t ON t.run_id = r.id`;
  const byId = db.prepare<[number], RunRow>(`${select} WHERE r.id = ?`);
  const byCriterion = db.prepare<[number], RunRow>(`${select} WHERE r.criterion_id = ? ORDER BY r.id DESC`);
  const unfinished = db.prepare<[], RunRow>(`${select} WHERE r.status IN ('queued','running') ORDER BY r.id`);
  const insertRun = db.prepare(`INSERT INTO runs (criterion_id, dataset_id, version_id, kind, name, split, scope, samples, variant, concurrency, status, total, profile_id, profile_name)
    VALUES (@criterionId, @datasetId, @versionId, @kind, @name, @split, @scope, @samples, @variant, @concurrency, @status, @total, @profileId, @profileName)`);
  // a planned item carries the principal's current label (migration 12; its trigger only corrects other inserts)
  const insertRunItem = db.prepare<[{ runId: number; itemId: number }]>(`INSERT INTO run_items (run_id, item_id, expert_label_id, expert_verdict, expert_ambiguous)
    SELECT @runId, @itemId, cl.label_id, cl.verdict, coalesce(cl.ambiguous, 0)
    FROM runs r JOIN criteria c ON c.id = r.criterion_id
    LEFT JOIN current_labels cl ON cl.criterion_id = c.id AND cl.annotator = c.principal_annotator AND cl.item_id = @itemId
    WHERE r.id = @runId`);
  const setStatus = db.prepare(`UPDATE runs SET status = @status, message = @message,
    started_at = CASE WHEN @status = 'running' AND started_at IS NULL THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE started_at END,
    finished_at = CASE WHEN @status IN ('done','failed','cancelled') THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NULL END
    WHERE id = @id`);
  const claim = db.prepare(`UPDATE runs SET owner = ?, heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`);
  const release = db.prepare(`UPDATE runs SET owner = NULL WHERE id = ? AND owner = ?`);
  const renew = db.prepare(`UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ? AND owner = ?`);
  const runItemIds = db.prepare<[number], { item_id: number }>(`SELECT item_id FROM run_items WHERE run_id = ? ORDER BY item_id`);
  const insertJudgment = db.prepare(`INSERT INTO judgments
    (run_id, item_id, sample, verdict, critique, raw, error, latency_ms, prompt_tokens, completion_tokens, cost, cached, attempts)
    VALUES (@runId, @itemId, @sample, @verdict, @critique, @raw, @error, @latencyMs, @promptTokens, @completionTokens, @cost, @cached, @attempts)
    ON CONFLICT (run_id, item_id, sample) DO NOTHING`);
  const setResolved = db.prepare(`UPDATE runs SET base_url = ?, model = ?, settings = ? WHERE id = ?`);
  const insertCall = db.prepare(`INSERT INTO model_calls
    (task_kind, run_id, item_id, sample, base_url, model, request_hash, error, prompt_tokens, completion_tokens, cost, latency_ms, attempts, cached)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const judgmentsOf = db.prepare<[number], JudgmentRow>(`SELECT * FROM judgments WHERE run_id = ? ORDER BY item_id, sample`);
  const finishedKeys = db.prepare<[number], { item_id: number; sample: number }>(`SELECT item_id, sample FROM judgments WHERE run_id = ?`);
  const heartbeatOf = db.prepare<[number], { owner: string | null; heartbeat_at: string | null }>(`SELECT owner, heartbeat_at FROM runs WHERE id = ?`);
  // Taking over a run is one statement, so two processes resuming the same run at once cannot both win.
  const claimRun = db.prepare(`UPDATE runs SET owner = @owner, heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
    WHERE id = @id AND (owner IS NULL OR owner = @owner OR owner = @deadOwner OR heartbeat_at IS NULL OR heartbeat_at < @staleBefore)`);
  const optionsOf = db.prepare<[number], { options: string }>(`SELECT options FROM runs WHERE id = ?`);
  const setOptions = db.prepare(`UPDATE runs SET options = ? WHERE id = ?`);
  const statusOf = db.prepare<[number], { status: RunStatus }>(`SELECT status FROM runs WHERE id = ?`);
  const itemsOf = db.prepare(`SELECT i.* FROM run_items ri JOIN items i ON i.id = ri.item_id WHERE ri.run_id = ? ORDER BY i.id`);
  const deleteTransportErrors = db.prepare(`DELETE FROM judgments WHERE run_id = ? AND error IS NOT NULL AND raw = ''`);
  const insertBatch = db.prepare(`INSERT INTO run_batches (run_id, nonce, requests) VALUES (?, ?, ?)`);
  const batchSubmitted = db.prepare(`UPDATE run_batches SET batch_id = ?, status = 'submitted' WHERE nonce = ?`);
  const batchStatus = db.prepare(`UPDATE run_batches SET status = ? WHERE id = ?`);
  const openBatches = db.prepare<[number], { id: number; run_id: number; nonce: string; batch_id: string | null; requests: number; status: RunBatchStatus }>(
    `SELECT * FROM run_batches WHERE run_id = ? AND status IN ('submitting','submitted') ORDER BY id`);
  const allBatches = db.prepare<[number], { id: number; run_id: number; nonce: string; batch_id: string | null; requests: number; status: RunBatchStatus }>(
    `SELECT * FROM run_batches WHERE run_id = ? ORDER BY id`);
  const toBatch = (r: { id: number; run_id: number; nonce: string; batch_id: string | null; requests: number; status: RunBatchStatus }): RunBatch =>
    ({ id: r.id, runId: r.run_id, nonce: r.nonce, batchId: r.batch_id, requests: r.requests, status: r.status });

  const repo = {
    get: (id: number) => { const r = byId.get(id); return r ? toRun(r) : undefined; },
    list: (criterionId: number) => byCriterion.all(criterionId).map(toRun),
    unfinished: () => unfinished.all().map(toRun),
    create: db.transaction((r: NewRun): Run => {
      const id = Number(insertRun.run({ ...r, profileId: r.profileId ?? null, profileName: r.profileName ?? null, variant: JSON.stringify(r.variant), total: r.itemIds.length * r.samples }).lastInsertRowid);
      for (const itemId of r.itemIds) insertRunItem.run({ runId: id, itemId });
      return repo.get(id)!;
    }),
    setStatus: (id: number, status: RunStatus, message = '') => { setStatus.run({ id, status, message }); },
    /** Marks the run as worked on by `owner` now; the engine calls it periodically so stale runs can be told apart. */
    heartbeat: (id: number, owner: string) => { claim.run(owner, id); },
    /** Renews `owner`'s lease; false when another process has taken the run over meanwhile. */
    renew: (id: number, owner: string) => renew.run(id, owner).changes > 0,
    lease: (id: number) => heartbeatOf.get(id),
    /** Gives up `owner`'s lease (the run ended here), so any process may resume it at once. */
    release: (id: number, owner: string) => { release.run(id, owner); },
    /**
     * Makes `owner` the run's executor if nobody else holds it: no owner, the same owner, an owner known
     * to be dead, or a heartbeat older than `staleBefore` (ISO time). Returns whether the claim succeeded.
     */
    claim: (id: number, owner: string, staleBefore: string, deadOwner: string | null = null) =>
      claimRun.run({ id, owner, staleBefore, deadOwner }).changes > 0,
    itemIds: (runId: number) => runItemIds.all(runId).map((r) => r.item_id),
    /** Writes judgments in one transaction; an already-recorded (item, sample) is never overwritten. */
    recordJudgments: db.transaction((runId: number, js: NewJudgment[]) => {
      let written = 0;
      for (const j of js) written += insertJudgment.run({ ...j, runId, cached: j.cached ? 1 : 0 }).changes;
      return written;
    }),
    /**
     * Writes judgments and, for each one written, its model_calls row (in the caller's transaction when
     * there is one): the call's reply is the judgment's raw text, so it is not copied. `hashes[i]` is
     * the request hash of `js[i]`; the run's resolved base URL and model say where the call went, `taskKind`
     * what it was for (the run's call kind: 'judge').
     */
    recordJudgmentsWithCalls: db.transaction((runId: number, js: NewJudgment[], hashes: string[], to: { taskKind: string; baseUrl: string; model: string }) => {
      let written = 0;
      for (let i = 0; i < js.length; i++) {
        const j = js[i]!;
        if (insertJudgment.run({ ...j, runId, cached: j.cached ? 1 : 0 }).changes === 0) continue;
        written++;
        insertCall.run(to.taskKind, runId, j.itemId, j.sample, to.baseUrl, to.model, hashes[i] ?? '', j.error, j.promptTokens, j.completionTokens, j.cost,
          j.latencyMs, j.attempts, j.cached ? 1 : 0);
      }
      return written;
    }),
    /** Records where a run's calls go and the settings it uses, resolved when it starts executing. */
    setResolved: (runId: number, r: { baseUrl: string; model: string; settings: RunSettings }) => {
      setResolved.run(r.baseUrl, r.model, JSON.stringify(r.settings), runId);
    },
    judgments: (runId: number) => judgmentsOf.all(runId).map(toJudgment),
    /** Keys `${itemId}:${sample}` of judgments already recorded for the run. */
    finishedKeys: (runId: number) => new Set(finishedKeys.all(runId).map((r) => `${r.item_id}:${r.sample}`)),
    options: (runId: number): RunOptions => JSON.parse(optionsOf.get(runId)?.options ?? '{}') as RunOptions,
    setOptions: (runId: number, o: RunOptions) => { setOptions.run(JSON.stringify(o), runId); },
    /** The run's status alone (cheap: no judgment counts), e.g. to notice a cancel from another process. */
    status: (runId: number): RunStatus | undefined => statusOf.get(runId)?.status,
    /** The planned items of a run in one query. */
    items: (runId: number): Item[] => (itemsOf.all(runId) as Parameters<typeof toItem>[0][]).map(toItem),
    /** Forgets judgments that failed in transport (no reply at all), so a resumed run tries them again. */
    deleteTransportErrors: (runId: number) => deleteTransportErrors.run(runId).changes,
    /** Batch API bookkeeping: a batch is registered (by nonce) before it is created, then gets its provider id. */
    addBatch: (runId: number, nonce: string, requests: number) => { insertBatch.run(runId, nonce, requests); },
    batchSubmitted: (nonce: string, batchId: string) => { batchSubmitted.run(batchId, nonce); },
    setBatchStatus: (id: number, status: RunBatchStatus) => { batchStatus.run(status, id); },
    openBatches: (runId: number) => openBatches.all(runId).map(toBatch),
    batches: (runId: number) => allBatches.all(runId).map(toBatch),
  };
  return repo;
}
