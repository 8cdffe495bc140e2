import { randomUUID } from 'node:crypto';
import { toFile, APIUserAbortError } from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { Repositories } from '../db/index.ts';
import type { RunBatch } from '../db/runs.ts';
import type { Item } from '../../shared/types.ts';
import { verdictOptions } from '../../shared/verdicts.ts';
import { chatRequestBody, EndpointError, type Provider } from './provider.ts';
import { verdictSchema } from './parse.ts';
import { cacheKey } from './cache-key.ts';
import { transportError, type JudgeContext, type Writer } from './judgment.ts';

export interface BatchPolling { initialMs: number; maxMs: number }

export interface BatchExecution {
  runId: number;
  repos: Repositories;
  provider: Provider;
  judge: JudgeContext;
  writer: Writer;
  /** the (item, sample) pairs not yet recorded */
  work: Array<{ item: Item; sample: number }>;
  signal: AbortSignal;
  polling: BatchPolling;
  /** shows a status line with the run's progress */
  note: (message: string) => void;
}

/** The Batch API's own limits per batch input file. */
const MAX_REQUESTS_PER_BATCH = 50_000;
const MAX_BYTES_PER_BATCH = 190 * 1024 * 1024;
/** Requests the provider answered with a transient error are resubmitted at most this many times in all. */
const MAX_SUBMISSIONS = 3;
/** Uploads and downloads of up to ~200 MB get longer than a judge call. */
const TRANSFER_TIMEOUT_MS = 10 * 60_000;
const TERMINAL = new Set<Batch['status']>(['completed', 'failed', 'expired', 'cancelled']);

/**
 * Judges a run through the provider's Batch API with the run's own openai client: uploads the
 * requests as JSONL (custom_id = `${itemId}:${sample}`), creates the batch, polls it with growing
 * intervals, and records every result line through the same parse, cache and writer path as
 * direct calls. Each batch is registered in run_batches (by a nonce sent as batch metadata)
 * before it is created, so a restarted process polls the same batch instead of paying twice.
 * A cancel asks the provider to cancel the batch; a later resume collects its partial results
 * and submits only what is left. Returns why the run must stop ('' when it need not).
 */
export async function executeBatch(b: BatchExecution): Promise<string> {
  const { repos, runId, judge, writer, signal, provider } = b;
  const client = provider.client;
  const responseFormat = verdictSchema(verdictOptions(judge.criterion));
  /** requests still without a judgment: custom_id → job and its cache key */
  const pending = new Map<string, { item: Item; sample: number; key: string }>();
  const lastError = new Map<string, string>();

  for (const job of b.work) {
    const id = `${job.item.id}:${job.sample}`;
    const key = judge.useCache ? cacheKey(judge.render(job.item), judge.version, job.sample) : '';
    const hit = judge.useCache ? repos.cache.get(key) : undefined;
    if (hit) writer.push(judge.judgment(job.item.id, job.sample, hit.content, { promptTokens: 0, completionTokens: 0, latencyMs: 0, attempts: 0, cached: true }));
    else pending.set(id, { ...job, key });
  }
  writer.flush();

  const findByNonce = async (nonce: string): Promise<Batch | undefined> => {
    const page = await provider.withRetries('list batches', (s) => client.batches.list({ limit: 100 }, { signal: s }), signal);
    return page.data.find((x) => x.metadata?.concur_nonce === nonce);
  };

  let submissions = 0;
  for (;;) {
    const stop = await collectOpenBatches();
    if (stop || signal.aborted || !pending.size) return stop;
    if (submissions >= MAX_SUBMISSIONS) {
      for (const [id, job] of pending) {
        writer.push(transportError(job.item.id, job.sample, `the Batch API gave no result after ${submissions} submissions; last error: ${lastError.get(id) ?? 'none reported'}`, null, submissions));
      }
      writer.flush();
      return '';
    }
    submissions++;
    const failure = await submit([...pending.values()]);
    if (failure) return failure;
  }

  async function submit(jobs: Array<{ item: Item; sample: number; key: string }>): Promise<string> {
    let lines: string[] = [], bytes = 0;
    const flushChunk = async () => {
      if (!lines.length) return '';
      const text = lines.join('\n') + '\n';
      const count = lines.length;
      lines = []; bytes = 0;
      const nonce = randomUUID();
      repos.runs.addBatch(runId, nonce, count);
      try {
        const file = await provider.withRetries('upload the batch input', async (s) =>
          client.files.create({ file: await toFile(Buffer.from(text), `concur-run-${runId}.jsonl`, { type: 'application/jsonl' }), purpose: 'batch' },
            { signal: s, timeout: TRANSFER_TIMEOUT_MS }), signal, TRANSFER_TIMEOUT_MS);
        let retried = false;
        const batch = await provider.withRetries('create the batch', async (s) => {
          // Creating is not idempotent: after a lost answer, look for the batch before creating another.
          const existing = retried ? await findByNonce(nonce) : undefined;
          retried = true;
          return existing ?? client.batches.create({
            input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h',
            metadata: { concur_run: String(runId), concur_nonce: nonce },
          }, { signal: s });
        }, signal);
        repos.runs.batchSubmitted(nonce, batch.id);
        b.note(`submitted batch ${batch.id} (${count} requests)`);
        return '';
      } catch (e) {
        if (e instanceof EndpointError) {
          repos.runs.setBatchStatus(repos.runs.openBatches(runId).find((r) => r.nonce === nonce)!.id, 'abandoned');
          return `could not submit the batch: ${e.message}${e.status === 404 ? ' (does this endpoint offer the Batch API? run without --batch)' : ''}`;
        }
        throw e;
      }
    };
    for (const job of jobs) {
      const line = JSON.stringify({
        custom_id: `${job.item.id}:${job.sample}`, method: 'POST', url: '/v1/chat/completions',
        body: chatRequestBody(judge.version, judge.render(job.item), responseFormat),
      });
      if (lines.length >= MAX_REQUESTS_PER_BATCH || bytes + line.length > MAX_BYTES_PER_BATCH) {
        const failure = await flushChunk();
        if (failure) return failure;
      }
      lines.push(line);
      bytes += line.length + 1;
    }
    return flushChunk();
  }

  /** Polls every open batch of the run (this process's or a dead one's) to its end and records its results. */
  async function collectOpenBatches(): Promise<string> {
    const open: RunBatch[] = [];
    for (const row of repos.runs.openBatches(runId)) {
      if (row.status === 'submitting') {
        // The process stopped between registering and learning the id: the batch may exist anyway.
        const found = await findByNonce(row.nonce);
        if (!found) { repos.runs.setBatchStatus(row.id, 'abandoned'); continue; }
        repos.runs.batchSubmitted(row.nonce, found.id);
        row.batchId = found.id;
      }
      open.push(row);
    }
    let interval = b.polling.initialMs;
    let stop = '';
    try {
      while (open.length) {
        for (let i = 0; i < open.length; i++) {
          const row = open[i]!;
          const batch = await provider.withRetries('check the batch', (s) => client.batches.retrieve(row.batchId!, { signal: s }), signal);
          const counts = batch.request_counts;
          b.note(`batch ${batch.id} ${batch.status}${counts ? `: ${counts.completed + counts.failed}/${counts.total}` : ''}`);
          if (!TERMINAL.has(batch.status)) continue;
          await collect(batch);
          repos.runs.setBatchStatus(row.id, 'collected');
          open.splice(i--, 1);
          if (batch.status === 'failed' && !stop) {
            const reasons = (batch.errors?.data ?? []).slice(0, 3).map((d) => `${d.line ? `line ${d.line}: ` : ''}${d.message ?? d.code}`).join('; ');
            stop = `batch ${batch.id} failed${reasons ? `: ${reasons}` : ''}`;
          }
        }
        if (open.length) {
          await sleep(interval, signal);
          interval = Math.min(b.polling.maxMs, interval * 1.5);
        }
      }
    } catch (e) {
      if (!signal.aborted) throw e;
      // Cancelled: stop paying for the rest. The rows stay open, so a resume collects the partial results.
      await Promise.all(open.map((row) => client.batches.cancel(row.batchId!, { timeout: 10_000 }).catch(() => undefined)));
    }
    return stop;
  }

  async function collect(batch: Batch) {
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const text = await provider.withRetries('download the batch results',
        async (s) => (await client.files.content(fileId, { signal: s, timeout: TRANSFER_TIMEOUT_MS })).text(), signal, TRANSFER_TIMEOUT_MS);
      let start = 0, n = 0;
      while (start < text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        const line = text.slice(start, end).trim();
        start = end + 1;
        if (line) recordLine(line);
        if (++n % 2000 === 0) writer.flush();
      }
      writer.flush();
    }
  }

  function recordLine(line: string) {
    let o: { custom_id?: string; response?: { status_code?: number; body?: BatchLineBody } | null; error?: { code?: string; message?: string } | null };
    try { o = JSON.parse(line); } catch { return; } // an unreadable line leaves its request pending: resubmitted
    const id = o.custom_id ?? '';
    const job = pending.get(id);
    if (!job) return; // already recorded, or not ours
    const status = o.response?.status_code;
    const body = o.response?.body;
    if (status === 200) {
      const content = body?.choices?.[0]?.message?.content;
      if (typeof content !== 'string') { lastError.set(id, 'the endpoint returned no message content'); return; }
      const promptTokens = body?.usage?.prompt_tokens ?? 0, completionTokens = body?.usage?.completion_tokens ?? 0;
      writer.push(judge.judgment(job.item.id, job.sample, content, { promptTokens, completionTokens, latencyMs: null, attempts: Math.max(1, submissions), cached: false }),
        judge.useCache ? { key: job.key, response: { content, promptTokens, completionTokens } } : undefined);
      pending.delete(id);
      return;
    }
    const message = status ? `HTTP ${status}: ${body?.error?.message ?? 'error'}` : `batch error: ${o.error?.message ?? o.error?.code ?? 'no response'}`;
    if (status && status !== 408 && status !== 409 && status !== 429 && status < 500) {
      // The request itself is wrong (400, 401, 404): recorded once with the endpoint's message.
      writer.push(transportError(job.item.id, job.sample, message, null, Math.max(1, submissions)));
      pending.delete(id);
    } else {
      lastError.set(id, message); // transient: submitted again
    }
  }
}

interface BatchLineBody {
  choices?: Array<{ message?: { content?: string | null } }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: { message?: string };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new APIUserAbortError());
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(new APIUserAbortError()); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
