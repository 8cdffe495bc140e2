import type { Command } from 'commander';
import type { RunProgress } from '../../judge/engine.ts';
import { describeCostPreview } from '../../judge/cost-preview.ts';
import { limitProblem } from '../../judge/limiter.ts';
import { ConflictError } from '../../services/errors.ts';
import { planRun, runCostPreview, type RunRequest } from '../../services/runs.ts';
import { leaf, need, num, openDb, split, usageError, type CliContext, type DbOption } from '../common.ts';
import { usd } from '../../../shared/format.ts';

interface Opts extends DbOption {
  dataset?: string; criterion?: string; version?: string; split?: string; scope?: string; samples?: string;
  permuteSeed?: string; swap?: boolean; concurrency?: string; rpm?: string; tpm?: string; timeout?: string; maxReplyBytes?: string;
  batch?: boolean; cache: boolean; dryRun?: boolean; profile?: string; json?: boolean; on?: string; resume?: string; retryErrors?: boolean;
}

function progressPrinter(json: boolean) {
  const tty = process.stderr.isTTY;
  let lastPlain = -1;
  return (p: RunProgress) => {
    const frac = p.total ? p.done / p.total : 1;
    const eta = p.etaSec === null ? '' : ` ETA ${Math.ceil(p.etaSec)}s`;
    const text = `${p.done}/${p.total} judged, ${p.errors} errors, ${p.cached} cached, ${p.ratePerSec.toFixed(1)}/s${eta}, ${p.promptTokens + p.completionTokens} tokens, ${usd(p.cost)}`;
    if (tty && !json) {
      const width = 24, filled = Math.round(frac * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}   `);
    } else {
      const step = Math.floor(frac * 10);
      if (step !== lastPlain || p.done === p.total) { lastPlain = step; process.stderr.write(`run ${p.runId}: ${text}\n`); }
    }
  };
}

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'run',
    'judge the labelled items of a split; prints a cost preview, then progress on stderr (a bar on a TTY); Ctrl-C cancels; '
    + '--resume ID finishes an interrupted run without repeating a judgment',
    (c) => c
      .option('--dataset <name>', 'the dataset (required unless --resume)')
      .option('--criterion <name>', 'the criterion (required unless --resume)')
      .option('--version <n|latest>', 'the prompt version', 'latest')
      .option('--split <train|dev|test|all>', 'the items to judge (default: dev; all with --on)')
      .option('--scope <labelled|all>', 'labelled items only, or every item (default: labelled; all with --on)')
      .option('--samples <k>', 'judge each item k times (self-agreement; the majority verdict is measured)')
      .option('--permute-seed <s>', 'shuffle the few-shot examples with this seed (order-consistency reruns)')
      .option('--swap', 'pairwise: swap the A/B positions (position-consistency reruns)')
      .option('--concurrency <n>', 'requests in flight')
      .option('--rpm <n>', 'requests per minute limit')
      .option('--tpm <n>', 'tokens per minute limit')
      .option('--timeout <seconds>', 'per-request timeout')
      .option('--max-reply-bytes <n>', 'a reply larger than this is recorded as an error (default: 1 MB)')
      .option('--profile <name>', "run through this endpoint profile instead of the version's own (recorded on the run; its default model, if any, replaces the version's)")
      .option('--batch', 'use the OpenAI Batch API')
      .option('--no-cache', 'call the endpoint even for cached requests')
      .option('--dry-run', 'print the cost preview (requests, tokens, cost) and call nothing')
      .option('--json', 'print the finished run as JSON')
      .option('--on <dataset>', "judge another dataset's (unlabelled) items, for concur corrected-pass-rate")
      .option('--resume <run-id>', 'finish an interrupted run')
      .option('--retry-errors', "with --resume: retry the run's failed requests"),
    (o) => execute(o));
}

async function execute(o: Opts): Promise<number> {
  const positive = (v: string | undefined, flag: string, integer: boolean) => {
    const n = num(v, flag, integer);
    if (n !== undefined && !(n > 0)) throw usageError(`--${flag} must be positive, got "${v}"`, flag);
    return n;
  };
  /** --rpm/--tpm: a limit whose waits a timer can hold (see MIN_LIMIT_PER_MINUTE) */
  const rateLimit = (v: string | undefined, flag: string) => {
    const n = positive(v, flag, false);
    const problem = n === undefined ? null : limitProblem(n);
    if (problem) throw usageError(`--${flag} ${problem}`, flag);
    return n;
  };
  const noCache = !o.cache;
  const json = Boolean(o.json);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let runId: number;
  if (o.resume) {
    const ws = openDb(o.db);
    runId = num(o.resume, 'resume', true)!;
    const run = ws.run(runId);
    if (run.kind !== 'judged') throw usageError(`run ${runId} was imported; there is nothing to judge`, 'resume');
    if (run.status === 'done' && !o.retryErrors) throw new ConflictError(`run ${runId} is already done (use --retry-errors to retry its failed requests)`, 'run_done');
    const holder = ws.engine.heldElsewhere(runId);
    if (holder) throw new ConflictError(`run ${runId} is being executed by another process (${holder}); cancel it there or wait`, 'run_held');
    if (o.dryRun) {
      const e = ws.engine.costPreviewRun(runId, { noCache });
      if (json) console.log(JSON.stringify(e, null, 2)); else console.log(describeCostPreview(e));
      return 0;
    }
    return follow(ws, runId, o, json, noCache, say);
  }
  const dataset = need(o.dataset, 'dataset'), criterion = need(o.criterion, 'criterion');
  const ws = openDb(o.db);
  const c = ws.criterion(dataset, criterion);
  const scope = o.scope as 'labelled' | 'all' | undefined;
  if (scope && scope !== 'labelled' && scope !== 'all') throw usageError('--scope must be labelled or all', 'scope');
  const timeout = positive(o.timeout, 'timeout', false);
  // the same request the API takes, so the CLI and the API plan, check and preview a run alike
  const request: RunRequest = {
    version: !o.version || o.version === 'latest' ? 'latest' : num(o.version, 'version', true)!,
    split: split(o.split), scope, on: o.on, // --on DATASET judges another dataset's items (all of them, labelled or not)
    concurrency: positive(o.concurrency, 'concurrency', true), samples: positive(o.samples, 'samples', true),
    rpm: rateLimit(o.rpm, 'rpm'), tpm: rateLimit(o.tpm, 'tpm'), timeoutMs: timeout === undefined ? undefined : Math.round(timeout * 1000),
    noCache, batch: o.batch, maxReplyBytes: positive(o.maxReplyBytes, 'max-reply-bytes', true),
    permuteSeed: num(o.permuteSeed, 'permute-seed', true), swap: o.swap, profile: o.profile,
  };
  if (o.dryRun) {
    const e = runCostPreview(ws, c, request);
    if (json) console.log(JSON.stringify(e, null, 2)); else console.log(describeCostPreview(e));
    return 0;
  }
  runId = planRun(ws, c, request).id;
  return follow(ws, runId, o, json, noCache, say);
}

async function follow(ws: ReturnType<typeof openDb>, runId: number, o: Opts, json: boolean, noCache: boolean, say: (line: string) => void): Promise<number> {
  const show = progressPrinter(json);
  let lastMessage = '';
  const onProgress = (p: RunProgress) => {
    if (p.runId !== runId) return;
    // Status lines (e.g. the Batch API's) go on their own line above the bar.
    if (p.status === 'running' && p.message && p.message !== lastMessage) {
      lastMessage = p.message;
      process.stderr.write(process.stderr.isTTY && !json ? `\r\x1b[K${p.message}\n` : `run ${runId}: ${p.message}\n`);
    }
    show(p);
  };
  ws.engine.on('progress', onProgress);
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) { say('\nstopped; resume with: concur run --resume ' + runId); process.exit(130); }
    say('\ncancelling… (Ctrl-C again to quit at once)');
    ws.engine.cancel(runId);
  };
  process.on('SIGINT', onSignal);
  let run;
  try {
    // the cost preview first, computed by the execution from the items it loads (once)
    run = await ws.engine.execute(runId, { noCache, retryErrors: o.retryErrors, onCostPreview: (e) => say(describeCostPreview(e)) });
  } finally {
    process.off('SIGINT', onSignal);
    ws.engine.off('progress', onProgress);
  }
  if (process.stderr.isTTY && !json) process.stderr.write('\n');
  if (json) console.log(JSON.stringify({ run: run.id, ...run }, null, 2));
  else {
    console.log(`run ${run.id} ${run.status}: ${run.done}/${run.total} judged, ${run.errors} errors, ${run.cached} cached, `
      + `${run.promptTokens + run.completionTokens} tokens (${run.promptTokens} prompt + ${run.completionTokens} completion), ${usd(run.cost)}`
      + `${run.message ? ` — ${run.message}` : ''}`);
    if (run.status !== 'done') console.log(`resume with: concur run --resume ${run.id}${run.errors ? ' [--retry-errors]' : ''}`);
  }
  return run.status === 'done' ? 0 : 1;
}
