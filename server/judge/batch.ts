import { randomUUID } from 'node:crypto';
import { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { Repositories } from '../db/index.ts';
import type { RunBatch } from '../db/runs.ts';
import type { Item } from '../../shared/types.ts';
import { chatRequestBody, EndpointError, type Provider } from './provider.ts';
import { transportError, type RunCallKind, type Writer } from './judgment.ts';
import { REPLY_HEAD_BYTES, ReplyTooLargeError, STREAM_BODY } from './http-fetch.ts';
import { pause } from './sleep.ts';

export interface BatchPolling { initialMs: number; maxMs: number }

export interface BatchExecution {
  runId: number;
  repos: Repositories;
  provider: Provider;
  kind: RunCallKind;
  writer: Writer;
  /** the (item, sample) pairs not yet recorded */
  work: Array<{ item: Item; sample: number }>;
  signal: AbortSignal;
  polling: BatchPolling;
  /** shows a status line with the run's progress */
  note: (message: string) => void;
  /** cap on one completion (one output line) in bytes; the output file itself is not capped */
  maxReplyBytes: number;
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
  const { repos, runId, kind, writer, signal, provider } = b;
  const client = provider.client;
  const responseFormat = kind.responseFormat;
  /** requests still without a judgment: custom_id → job and its cache key */
  const pending = new Map<string, { item: Item; sample: number; key: string }>();
  const lastError = new Map<string, string>();

  for (const job of b.work) {
    const id = `${job.item.id}:${job.sample}`;
    // The key is also the request's hash in its model_calls row, so it is computed with the cache off too.
    const key = kind.requestKey(kind.render(job.item), job.sample);
    const hit = kind.useCache ? repos.cache.get(key) : undefined;
    if (hit) writer.push(kind.record(job.item.id, job.sample, hit.content, { promptTokens: 0, completionTokens: 0, latencyMs: 0, attempts: 0, cached: true }), undefined, key);
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
        writer.push(transportError(job.item.id, job.sample, `the Batch API gave no result after ${submissions} submissions; last error: ${lastError.get(id) ?? 'none reported'}`, null, submissions), undefined, job.key);
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
        body: chatRequestBody(kind.settings, kind.render(job.item), responseFormat),
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
          await pause(interval, signal);
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

  /**
   * Downloads each result file as a stream and records it line by line: memory holds one line at
   * a time, and the reply cap applies to each line (one completion), not to the file. A line past
   * the cap becomes an error for its request alone, with its first 4 KB stored. A download cut
   * short is retried; lines already recorded are skipped the second time.
   */
  async function collect(batch: Batch) {
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      await provider.withRetries('download the batch results', async (s) => {
        // fetchOptions are passed through to the fetch (http-fetch.ts reads STREAM_BODY; another fetch ignores it).
        const res = await client.files.content(fileId, { signal: s, timeout: TRANSFER_TIMEOUT_MS, fetchOptions: { [STREAM_BODY]: true } as never });
        let n = 0;
        await forEachLine(res.body, b.maxReplyBytes, (line) => {
          const text = line.trim();
          if (text) recordLine(text);
          if (++n % 2000 === 0) writer.flush();
        }, recordOversized);
      }, signal, TRANSFER_TIMEOUT_MS);
      writer.flush();
    }
  }

  /** A result line longer than the cap: an error for its request (found by the custom_id near its start). */
  function recordOversized(head: string) {
    const id = /"custom_id"\s*:\s*"([^"\\]*)"/.exec(head)?.[1] ?? '';
    const job = pending.get(id);
    if (!job) return;
    writer.push(transportError(job.item.id, job.sample, new ReplyTooLargeError(b.maxReplyBytes, head).message, null, Math.max(1, submissions), head), undefined, job.key);
    pending.delete(id);
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
      writer.push(kind.record(job.item.id, job.sample, content, { promptTokens, completionTokens, latencyMs: null, attempts: Math.max(1, submissions), cached: false }),
        kind.useCache ? { key: job.key, response: { content, promptTokens, completionTokens } } : undefined, job.key);
      pending.delete(id);
      return;
    }
    const message = status ? `HTTP ${status}: ${body?.error?.message ?? 'error'}` : `batch error: ${o.error?.message ?? o.error?.code ?? 'no response'}`;
    if (status && status !== 408 && status !== 409 && status !== 429 && status < 500) {
      // The request itself is wrong (400, 401, 404): recorded once with the endpoint's message.
      writer.push(transportError(job.item.id, job.sample, message, null, Math.max(1, submissions)), undefined, job.key);
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

/**
 * Calls `onLine` for each '\n'-terminated line of a byte stream (and a last unterminated one),
 * holding one line in memory; a line longer than `maxLineBytes` is skipped to its end and its first
 * REPLY_HEAD_BYTES go to `onOversized` instead.
 */
export async function forEachLine(body: ReadableStream<Uint8Array> | null, maxLineBytes: number,
  onLine: (line: string) => void, onOversized: (head: string) => void): Promise<void> {
  if (!body) return;
  let parts: Buffer[] = [];
  let size = 0;
  let oversized = false;
  const end = () => {
    const line = Buffer.concat(parts);
    parts = []; size = 0;
    if (oversized) { oversized = false; onOversized(line.subarray(0, REPLY_HEAD_BYTES).toString('utf8')); }
    else if (line.length) onLine(line.toString('utf8'));
  };
  const take = (piece: Buffer) => {
    if (oversized) return; // the head is kept already; the rest of this line is dropped
    size += piece.length;
    if (size > maxLineBytes) {
      parts.push(piece);
      parts = [Buffer.concat(parts).subarray(0, REPLY_HEAD_BYTES)];
      oversized = true;
      return;
    }
    parts.push(piece);
  };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      take(buf.subarray(0, nl));
      end();
      buf = buf.subarray(nl + 1);
    }
    if (buf.length) take(Buffer.from(buf)); // a copy: the stream may reuse its chunk
  }
  end();
}
