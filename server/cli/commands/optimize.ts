import type { Command } from 'commander';
import { interval, usd } from '../../../shared/format.ts';
import { Optimizer, BEST_BY, type OptimizeRequest, type OptimizerStrategy, type OptimizationView, type SplitMetrics } from '../../services/optimizer.ts';
import { ConflictError } from '../../services/errors.ts';
import { leaf, need, num, openDb, usageError, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption {
  dataset?: string; criterion?: string; fromVersion?: string; strategy?: string; candidates?: string; shots?: string; seed?: string;
  proposerModel?: string; proposerBaseUrl?: string; proposerApiKeyEnv?: string; proposerProfile?: string;
  budgetUsd?: string; maxCalls?: string; dryRun?: boolean; resume?: string; format?: string;
}

const STRATEGIES: Record<string, OptimizerStrategy[]> = { fewshot: ['fewshot'], rewrite: ['rewrite'], both: ['rewrite', 'fewshot', 'combined'], combined: ['combined'] };

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'optimize',
    'suggest the next judge version: candidates from train critiques (few-shot selection, instruction rewrite, both), scored on train then dev; '
    + 'prints the cost preview, progress on stderr, each candidate with intervals and the best by dev agreement lower bound; never sends a test item',
    (c) => c
      .option('--dataset <name>', 'the dataset (required unless --resume)')
      .option('--criterion <name>', 'the criterion (required unless --resume)')
      .option('--from-version <n|latest>', 'the version to improve', 'latest')
      .option('--strategy <fewshot|rewrite|combined|both>', 'which strategies (both = all of them)', 'both')
      .option('--candidates <k>', 'at most this many candidate versions', '6')
      .option('--shots <k>', 'few-shot examples per candidate at most', '4')
      .option('--seed <n>', 'seed of the few-shot search', '1')
      .option('--proposer-model <model>', "the proposer's model (default: the version's)")
      .option('--proposer-base-url <url>', "the proposer's endpoint (default: the version's)")
      .option('--proposer-api-key-env <VAR>', "the proposer's key variable, or none")
      .option('--proposer-profile <name>', 'an endpoint profile for the proposer: its URL, key variable and default model (--proposer-model overrides the model)')
      .option('--budget-usd <x>', 'stop (stopped-by-budget) before spending more than this (needs prices)')
      .option('--max-calls <n>', 'stop before making more than this many model calls')
      .option('--dry-run', 'print the cost preview and call nothing')
      .option('--resume <id>', 'finish an interrupted optimization without repeating finished calls')
      .option('--format <text|json>', 'output format', 'text'),
    (o) => execute(o));
}

const pct = (m: SplitMetrics | null, k: 'agreement' | 'kappa') => (m ? interval(m[k], k === 'agreement' ? 'pct' : 'num') : '—');

function describe(v: OptimizationView): string {
  const lines = [`optimization ${v.id} ${v.status}${v.message ? ` — ${v.message}` : ''}`,
    `  ${v.judgeCalls} judge calls, ${v.proposerCalls} proposer calls, ${usd(v.cost)}; dev peeks: ${v.devPeeks} (criterion: ${v.criterionDevPeeks})`,
    `  v${v.fromVersionNumber} (from): train agreement ${pct(v.base.train, 'agreement')} kappa ${pct(v.base.train, 'kappa')} | dev agreement ${pct(v.base.dev, 'agreement')} kappa ${pct(v.base.dev, 'kappa')}`];
  for (const c of v.candidates) {
    const move = c.moveDev?.agreement == null ? '' : ` (${c.moveDev.agreement >= 0 ? '+' : ''}${(c.moveDev.agreement * 100).toFixed(1)} pts vs v${c.parentNumber})`;
    lines.push(`  v${c.versionNumber} [${c.strategy}, parent v${c.parentNumber}]: train agreement ${pct(c.train, 'agreement')} kappa ${pct(c.train, 'kappa')} | `
      + (c.dev ? `dev agreement ${pct(c.dev, 'agreement')} kappa ${pct(c.dev, 'kappa')}${move}` : 'dev: not scored (not better on train)'));
  }
  lines.push(v.best ? `best: v${v.best.versionNumber} (version id ${v.best.versionId}) by ${BEST_BY}; accept it with the Converge screen or POST /api/versions/${v.best.versionId}/accept` : 'best: none scored on dev');
  lines.push(`target: dev agreement ≥ ${(v.target * 100).toFixed(0)}%${v.best ? '' : ''}`);
  if (v.warning) lines.push(`warning: ${v.warning}`);
  lines.push('(figures are agreement with the expert on labelled items of each split; few-shot examples excluded)');
  return lines.join('\n');
}

async function execute(o: Opts): Promise<number> {
  const json = o.format === 'json';
  if (o.format && o.format !== 'json' && o.format !== 'text') throw usageError('--format must be text or json', 'format');
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const ws = openDb(o.db);
  const optimizer = new Optimizer(ws);
  let id: number;
  if (o.resume) {
    id = num(o.resume, 'resume', true)!;
    const holder = optimizer.heldElsewhere(id);
    if (holder) throw new ConflictError(`optimization ${id} is being executed by another process (${holder})`, 'optimization_held');
  } else {
    const strategies = STRATEGIES[o.strategy ?? 'both'];
    if (!strategies) throw usageError(`--strategy must be fewshot, rewrite, combined or both, got "${o.strategy}"`, 'strategy');
    const c = ws.criterion(need(o.dataset, 'dataset'), need(o.criterion, 'criterion'));
    const req: OptimizeRequest = {
      fromVersion: !o.fromVersion || o.fromVersion === 'latest' ? 'latest' : num(o.fromVersion, 'from-version', true),
      strategies, candidates: num(o.candidates, 'candidates', true), shots: num(o.shots, 'shots', true), seed: num(o.seed, 'seed', true),
      budgetUsd: num(o.budgetUsd, 'budget-usd') ?? null, maxCalls: num(o.maxCalls, 'max-calls', true) ?? null,
      proposer: o.proposerModel || o.proposerBaseUrl !== undefined || o.proposerApiKeyEnv
        ? { model: o.proposerModel, ...(o.proposerBaseUrl !== undefined ? { baseUrl: o.proposerBaseUrl } : {}), ...(o.proposerApiKeyEnv ? { apiKeyEnv: o.proposerApiKeyEnv } : {}) }
        : undefined,
      ...(o.proposerProfile ? { proposerProfile: o.proposerProfile } : {}),
    };
    const p = optimizer.costPreview(c, req);
    const text = `cost preview: ${p.judgeCalls} judge calls (${p.judgeModel}) + ${p.proposerCalls} proposer calls (${p.proposerModel}) ≈ ${p.cost === null ? 'cost unknown (no price; concur prices set MODEL INPUT OUTPUT)' : usd(p.cost)} — ${p.note}`;
    if (o.dryRun) { if (json) console.log(JSON.stringify(p, null, 2)); else console.log(text); return 0; }
    say(text);
    id = optimizer.create(c, req).id;
    say(`optimization ${id} started (resume after an interruption with: concur optimize --resume ${id})`);
  }
  optimizer.on('progress', (p) => { if (p.message) say(`optimization ${id}: ${p.message}`); });
  const onSignal = () => { say('cancelling…'); optimizer.cancel(id); };
  process.on('SIGINT', onSignal);
  let v: OptimizationView;
  try { v = await optimizer.execute(id); } finally { process.off('SIGINT', onSignal); }
  console.log(json ? JSON.stringify(v, null, 2) : describe(v));
  return v.status === 'done' ? 0 : 1;
}
