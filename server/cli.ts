import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openWorkspace } from './db/index.ts';
import { Workspace } from './services/workspace.ts';
import { readRecordsFromFile, InputError, detectFormat } from './services/records.ts';
import { importItemsFromJsonl } from './services/stream-import.ts';
import { parseFieldMap } from './services/imports.ts';
import { NotFoundError, ValidationError } from './services/errors.ts';
import { installSamples } from './services/samples.ts';
import { reportHtml, reportJson, reportMarkdown } from './services/render-report.ts';
import { evaluateGate } from '../shared/metrics/gate.ts';
import { describeEndpoint } from './judge/provider.ts';
import type { RunProgress } from './judge/engine.ts';
import { describeEstimate } from './judge/estimate.ts';
import type { SplitFilter } from '../shared/types.ts';
import { toCsv } from './services/csv.ts';
import { convertForeignFile, importConverted } from './services/importers/index.ts';
import { fineTuningJsonl, labelsCsv } from './services/exports.ts';

const USAGE = `concur — align an LLM judge with a domain expert

Usage: concur <command> [options]          (every command takes --db PATH; default $CONCUR_DB or data/concur.sqlite)

  serve [--port 5174] [--host 127.0.0.1] [--no-samples]   serve the workbench (and the API under /api)
  init [--samples]                                          create the workspace (with the built-in samples)
  import FILE --dataset NAME [--format jsonl|csv|json] [--map field=column ...]
  import FILE --from promptfoo|sheet|chat --dataset NAME [--criterion C] [--annotator A] [--run-name N]
              [--rubric METRIC] [--skip-errors] [--column role=Header ...]
  export labels --dataset D --criterion C [--annotator A] [--out FILE.csv]
  export finetune --dataset D --criterion C [--split train,dev|all] [--template FILE] [--out FILE.jsonl]
  datasets list [--format json|table]
  criteria add --dataset D --name C [--description TEXT] [--scale binary|ordinal|pairwise] [--levels K] [--pass-at T] [--principal NAME]
  criteria list --dataset D [--format json|table]
  labels import FILE --dataset D --criterion C [--annotator NAME] [--format F]
  labels export --dataset D --criterion C [--annotator NAME] [--format csv|jsonl] [--out FILE]
  prompt add --dataset D --criterion C --template FILE --model M [--base-url URL] [--api-key-env VAR]
             [--temperature T] [--max-tokens N] [--seed S] [--examples ID,ID] [--note TEXT]
  prompt list --dataset D --criterion C [--format json|table]
  run --dataset D --criterion C [--version N|latest] [--split train|dev|test|all] [--scope labelled|all]
      [--samples K] [--permute-seed S] [--swap] [--concurrency N] [--rpm N] [--tpm N] [--timeout SECONDS]
      [--batch] [--no-cache] [--estimate] [--json] [--on DATASET]
                                            --on judges another dataset's items (for concur estimate)
                                            --estimate prints requests, tokens and cost, and calls nothing
  run --resume RUN_ID [--retry-errors] [--estimate] [--json]
  prices list [--format json|table]   |   prices set MODEL INPUT_USD_PER_MTOK OUTPUT_USD_PER_MTOK
  runs import FILE --dataset D --criterion C --name NAME [--format F]
  runs list --dataset D --criterion C [--format json|table]
  report --dataset D --criterion C [--run ID | --version N] [--split S] [--annotator NAME|majority] [--format json|md|html] [--out FILE]
  compare --dataset D --criterion C --run A --run B [--split S] [--format json]
  estimate --dataset D --criterion C --version N [--on DATASET] [--format json]
  gate --dataset D --criterion C [--run ID | --version N] [--split S] [--min-agreement X] [--min-kappa X]
       [--min-tpr X] [--min-tnr X] [--lower-bound]

Judge endpoint: OPENAI_API_KEY (or the version's --api-key-env) and OPENAI_BASE_URL for any OpenAI-compatible server.`;

/** An error the user can fix: printed without a stack, exit code 2. */
class UsageError extends Error {}

const common = { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function args<O extends ParseArgsConfig['options']>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function dbPath(flag: string | undefined, env = process.env): string {
  return resolve(flag ?? env.CONCUR_DB ?? 'data/concur.sqlite');
}

function open(flag: string | undefined): Workspace {
  return new Workspace(openWorkspace(dbPath(flag)));
}

function need(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`missing --${flag}`);
  return v;
}

function num(v: string | undefined, flag: string, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'}, got "${v}"`);
  return n;
}

function split(v: string | undefined): SplitFilter | undefined {
  if (v === undefined) return undefined;
  if (!['train', 'dev', 'test', 'all'].includes(v)) throw new UsageError(`--split must be train, dev, test or all, got "${v}"`);
  return v as SplitFilter;
}

function table(rows: Array<Record<string, unknown>>): string {
  if (!rows.length) return '(none)';
  const cols = Object.keys(rows[0]!);
  const cells = rows.map((r) => cols.map((c) => String(r[c] ?? '')));
  // reduce, not Math.max(...cells): a list of 1M rows must not overflow the call stack
  const width = cols.map((c, i) => cells.reduce((w, r) => Math.max(w, r[i]!.length), c.length));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(width[i]!)).join('  ').trimEnd();
  return [line(cols), ...cells.map(line)].join('\n');
}

function printList(rows: Array<Record<string, unknown>>, format: string | undefined, brief: (r: Record<string, unknown>) => Record<string, unknown>) {
  if (format === 'json') console.log(JSON.stringify(rows, null, 2));
  else console.log(table(rows.map(brief)));
}

function source(file: string, format?: string) {
  return { name: file, records: readRecordsFromFile(file, format) };
}

function progressPrinter(json: boolean) {
  const tty = process.stderr.isTTY;
  let lastPlain = -1;
  return (p: RunProgress) => {
    const frac = p.total ? p.done / p.total : 1;
    const eta = p.etaSec === null ? '' : ` ETA ${Math.ceil(p.etaSec)}s`;
    const text = `${p.done}/${p.total} judged, ${p.errors} errors, ${p.cached} cached, ${p.ratePerSec.toFixed(1)}/s${eta}, ${p.promptTokens + p.completionTokens} tokens, $${p.cost.toFixed(4)}`;
    if (tty && !json) {
      const width = 24, filled = Math.round(frac * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}   `);
    } else {
      const step = Math.floor(frac * 10);
      if (step !== lastPlain || p.done === p.total) { lastPlain = step; process.stderr.write(`run ${p.runId}: ${text}\n`); }
    }
  };
}

async function runCommand(argv: string[]) {
  const { values } = args(argv, {
    dataset: { type: 'string' }, criterion: { type: 'string' }, version: { type: 'string' }, split: { type: 'string' },
    concurrency: { type: 'string' }, samples: { type: 'string' }, 'no-cache': { type: 'boolean' }, json: { type: 'boolean' },
    resume: { type: 'string' }, scope: { type: 'string' }, rpm: { type: 'string' }, tpm: { type: 'string' }, timeout: { type: 'string' },
    'permute-seed': { type: 'string' }, swap: { type: 'boolean' }, batch: { type: 'boolean' }, estimate: { type: 'boolean' },
    'retry-errors': { type: 'boolean' }, on: { type: 'string' },
  });
  const positive = (v: string | undefined, flag: string, integer: boolean) => {
    const n = num(v, flag, integer);
    if (n !== undefined && !(n > 0)) throw new UsageError(`--${flag} must be positive, got "${v}"`);
    return n;
  };
  const ws = open(values.db);
  const json = Boolean(values.json);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let runId: number;
  if (values.resume) {
    runId = num(values.resume, 'resume', true)!;
    const run = ws.run(runId);
    if (run.kind !== 'judged') throw new UsageError(`run ${runId} was imported; there is nothing to judge`);
    if (run.status === 'done' && !values['retry-errors']) throw new UsageError(`run ${runId} is already done (use --retry-errors to retry its failed requests)`);
    const holder = ws.engine.heldElsewhere(runId);
    if (holder) throw new UsageError(`run ${runId} is being executed by another process (${holder}); cancel it there or wait`);
    if (values.estimate) {
      const e = ws.engine.estimateRun(runId, { noCache: values['no-cache'] });
      if (json) console.log(JSON.stringify(e, null, 2)); else console.log(describeEstimate(e));
      return 0;
    }
  } else {
    const c = ws.criterion(need(values.dataset, 'dataset'), need(values.criterion, 'criterion'));
    const v = ws.version(c, !values.version || values.version === 'latest' ? 'latest' : num(values.version, 'version', true)!);
    const scope = values.scope as 'labelled' | 'all' | undefined;
    if (scope && scope !== 'labelled' && scope !== 'all') throw new UsageError('--scope must be labelled or all');
    const permuteSeed = num(values['permute-seed'], 'permute-seed', true);
    const timeout = positive(values.timeout, 'timeout', false);
    // --on DATASET judges another dataset's items (all of them, labelled or not) with this criterion's version
    const on = values.on ? ws.dataset(values.on) : undefined;
    const plan = {
      criterion: c, version: v, split: split(values.split) ?? (on ? 'all' : 'dev'), scope: scope ?? (on ? 'all' as const : undefined), datasetId: on?.id,
      concurrency: positive(values.concurrency, 'concurrency', true), samples: positive(values.samples, 'samples', true),
      rpm: positive(values.rpm, 'rpm', false), tpm: positive(values.tpm, 'tpm', false), timeoutMs: timeout === undefined ? undefined : Math.round(timeout * 1000),
      noCache: values['no-cache'], batch: values.batch,
      variant: { ...(permuteSeed !== undefined ? { permuteSeed } : {}), ...(values.swap ? { swap: true } : {}) },
    };
    if (values.swap && c.scale !== 'pairwise') throw new UsageError('--swap applies only to pairwise criteria');
    if (values.estimate) {
      const e = ws.engine.estimate(plan);
      if (json) console.log(JSON.stringify(e, null, 2)); else console.log(describeEstimate(e));
      return 0;
    }
    const endpoint = describeEndpoint(v);
    if (!endpoint.configured) throw new UsageError(`no judge endpoint configured: set ${v.apiKeyEnv} (and OPENAI_BASE_URL for a non-OpenAI endpoint)`);
    runId = ws.engine.plan(plan).id;
  }
  say(describeEstimate(ws.engine.estimateRun(runId, { noCache: values['no-cache'] })));

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
    run = await ws.engine.execute(runId, { noCache: values['no-cache'], retryErrors: values['retry-errors'] });
  } finally {
    process.off('SIGINT', onSignal);
    ws.engine.off('progress', onProgress);
  }
  if (process.stderr.isTTY && !json) process.stderr.write('\n');
  if (json) console.log(JSON.stringify({ run: run.id, ...run }, null, 2));
  else {
    console.log(`run ${run.id} ${run.status}: ${run.done}/${run.total} judged, ${run.errors} errors, ${run.cached} cached, `
      + `${run.promptTokens + run.completionTokens} tokens (${run.promptTokens} prompt + ${run.completionTokens} completion), $${run.cost.toFixed(4)}`
      + `${run.message ? ` — ${run.message}` : ''}`);
    if (run.status !== 'done') console.log(`resume with: concur run --resume ${run.id}${run.errors ? ' [--retry-errors]' : ''}`);
  }
  return run.status === 'done' ? 0 : 1;
}

function reportArgs(argv: string[], extra: ParseArgsConfig['options'] = {}) {
  return args(argv, {
    dataset: { type: 'string' }, criterion: { type: 'string' }, run: { type: 'string' }, version: { type: 'string' },
    split: { type: 'string' }, annotator: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, ...extra,
  });
}

export async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') { console.log(USAGE); return 0; }
  const after = (n: number) => argv.slice(n);

  switch (command) {
    case 'serve': {
      const { values } = args(after(1), { port: { type: 'string' }, host: { type: 'string' }, 'no-samples': { type: 'boolean' } });
      const { serve } = await import('./main.ts');
      await serve({ db: dbPath(values.db), port: num(values.port, 'port', true) ?? 5174, host: values.host ?? '127.0.0.1', samples: !values['no-samples'] });
      return -1; // keep running
    }
    case 'init': {
      const { values } = args(after(1), { samples: { type: 'boolean' } });
      const path = dbPath(values.db);
      const fresh = !existsSync(path);
      const ws = open(values.db);
      const installed = values.samples ? installSamples(ws) : [];
      console.log(`${fresh ? 'created' : 'opened'} workspace ${path}${installed.length ? `; installed samples: ${installed.join(', ')}` : ''}`);
      return 0;
    }
    case 'import': {
      const { values, positionals } = args(after(1), {
        dataset: { type: 'string' }, format: { type: 'string' }, map: { type: 'string', multiple: true },
        from: { type: 'string' }, criterion: { type: 'string' }, annotator: { type: 'string' }, 'run-name': { type: 'string' },
        rubric: { type: 'string' }, 'skip-errors': { type: 'boolean' }, column: { type: 'string', multiple: true },
      });
      const file = positionals[0] ?? (() => { throw new UsageError('missing FILE'); })();
      const ws = open(values.db);
      const dataset = need(values.dataset, 'dataset');
      if (values.from) {
        const columns = Object.fromEntries(Object.entries(parseFieldMap(values.column ?? [])));
        const converted = convertForeignFile(file, values.from, { rubric: values.rubric, skipErrors: values['skip-errors'], columns });
        const r = importConverted(ws, converted, { dataset, criterion: values.criterion, annotator: values.annotator, runName: values['run-name'] });
        for (const w of r.warnings) console.error(`warning: ${w}`);
        console.log(`imported ${converted.format} file ${file} into "${r.dataset.name}": ${r.items.total} items (${r.items.created} new)` +
          (r.labels ? `, ${r.labels.added} labels` : '') + (r.run ? `, run ${r.run.id} "${r.run.name}" with ${r.run.done} verdicts (${r.run.errors} errors)` : ''));
        return 0;
      }
      const format = detectFormat(file, values.format);
      // JSONL streams (bounded memory for millions of items); CSV and JSON are parsed whole
      const r = format === 'jsonl'
        ? importItemsFromJsonl(ws.repos, dataset, file, { map: parseFieldMap(values.map ?? []) })
        : ws.importItems(dataset, source(file, format), parseFieldMap(values.map ?? []));
      console.log(`imported ${r.total} items into "${r.dataset.name}" (${r.created} new, ${r.updated} updated); the dataset now has ${r.dataset.items} items`);
      return 0;
    }
    case 'export': {
      const { values } = args(rest, {
        dataset: { type: 'string' }, criterion: { type: 'string' }, annotator: { type: 'string' }, split: { type: 'string' },
        template: { type: 'string' }, out: { type: 'string' },
      });
      const ws = open(values.db);
      const c = ws.criterion(need(values.dataset, 'dataset'), need(values.criterion, 'criterion'));
      let text: string;
      if (sub === 'labels') text = labelsCsv(ws, c, values.annotator);
      else if (sub === 'finetune') {
        const splits = values.split === undefined ? undefined : values.split === 'all' ? 'all' as const
          : values.split.split(',').map((s) => { const v = split(s.trim()); if (v === 'all' || !v) throw new UsageError('--split takes train, dev, test (comma-separated) or all'); return v; });
        if (values.template && !existsSync(values.template)) throw new UsageError(`${values.template}: file not found`);
        text = fineTuningJsonl(ws, c, { split: splits, annotator: values.annotator, template: values.template ? readFileSync(values.template, 'utf8') : undefined });
      } else throw new UsageError('usage: concur export labels|finetune --dataset D --criterion C [--out FILE]');
      if (values.out) { writeFileSync(values.out, text); console.error(`wrote ${values.out}`); } else process.stdout.write(text);
      return 0;
    }
    case 'datasets': {
      if (sub !== 'list') throw new UsageError('usage: concur datasets list [--format json]');
      const { values } = args(rest, { format: { type: 'string' } });
      const ws = open(values.db);
      printList(ws.repos.datasets.list().map((d) => ({ ...d, criteria: ws.repos.criteria.list(d.id).map((c) => c.name) })), values.format,
        (d) => ({ name: d.name, items: d.items, criteria: (d.criteria as string[]).join(', ') }));
      return 0;
    }
    case 'criteria': {
      const { values } = args(rest, {
        dataset: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, scale: { type: 'string' },
        levels: { type: 'string' }, 'pass-at': { type: 'string' }, principal: { type: 'string' }, format: { type: 'string' },
      });
      const ws = open(values.db);
      if (sub === 'add') {
        const scale = values.scale ?? 'binary';
        if (!['binary', 'ordinal', 'pairwise'].includes(scale)) throw new UsageError('--scale must be binary, ordinal or pairwise');
        const c = ws.addCriterion(need(values.dataset, 'dataset'), {
          name: need(values.name, 'name'), description: values.description, scale: scale as 'binary',
          levels: num(values.levels, 'levels', true), passAt: num(values['pass-at'], 'pass-at', true), principalAnnotator: values.principal,
        });
        console.log(`added criterion "${c.name}" (${c.scale}) to "${need(values.dataset, 'dataset')}"; principal annotator: ${c.principalAnnotator}`);
        return 0;
      }
      if (sub === 'list') {
        printList(ws.repos.criteria.list(ws.dataset(need(values.dataset, 'dataset')).id) as unknown as Array<Record<string, unknown>>, values.format,
          (c) => ({ name: c.name, scale: c.scale, principal: c.principalAnnotator }));
        return 0;
      }
      throw new UsageError('usage: concur criteria add|list ...');
    }
    case 'labels': {
      const { values, positionals } = args(rest, {
        dataset: { type: 'string' }, criterion: { type: 'string' }, annotator: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' },
      });
      const ws = open(values.db);
      const c = ws.criterion(need(values.dataset, 'dataset'), need(values.criterion, 'criterion'));
      if (sub === 'import') {
        const file = positionals[0] ?? (() => { throw new UsageError('missing FILE'); })();
        const r = ws.importLabels(c, source(file, values.format), values.annotator);
        console.log(`read ${r.total} labels: ${r.added} added to the history, ${r.unchanged} unchanged`);
        return 0;
      }
      if (sub === 'export') {
        const rows = ws.exportLabels(c, values.annotator);
        const format = values.format ?? (values.out?.endsWith('.csv') ? 'csv' : 'jsonl');
        const text = format === 'csv' ? toCsv(rows) : rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
        if (values.out) { writeFileSync(values.out, text); console.error(`wrote ${rows.length} labels to ${values.out}`); } else process.stdout.write(text);
        return 0;
      }
      throw new UsageError('usage: concur labels import|export ...');
    }
    case 'prompt': {
      const { values } = args(rest, {
        dataset: { type: 'string' }, criterion: { type: 'string' }, template: { type: 'string' }, model: { type: 'string' },
        'base-url': { type: 'string' }, 'api-key-env': { type: 'string' }, temperature: { type: 'string' }, 'max-tokens': { type: 'string' },
        seed: { type: 'string' }, examples: { type: 'string' }, note: { type: 'string' }, format: { type: 'string' },
      });
      const ws = open(values.db);
      const c = ws.criterion(need(values.dataset, 'dataset'), need(values.criterion, 'criterion'));
      if (sub === 'add') {
        const templateFile = need(values.template, 'template');
        if (!existsSync(templateFile)) throw new UsageError(`${templateFile}: file not found`);
        const v = ws.addVersion(c, {
          template: readFileSync(templateFile, 'utf8'), model: need(values.model, 'model'), baseUrl: values['base-url'] ?? null,
          apiKeyEnv: values['api-key-env'], temperature: num(values.temperature, 'temperature') ?? null,
          maxTokens: num(values['max-tokens'], 'max-tokens', true) ?? null, seed: num(values.seed, 'seed', true) ?? null,
          examples: values.examples ? values.examples.split(',').map((s) => s.trim()).filter(Boolean) : [], note: values.note,
        });
        if (values.format === 'json') console.log(JSON.stringify(v, null, 2));
        else console.log(`saved version ${v.number} of "${c.name}" (model ${v.model}, ${v.examples.length} few-shot examples)`);
        return 0;
      }
      if (sub === 'list') {
        printList(ws.repos.versions.list(c.id) as unknown as Array<Record<string, unknown>>, values.format,
          (v) => ({ version: v.number, model: v.model, examples: (v.examples as number[]).length, created: v.createdAt, note: v.note }));
        return 0;
      }
      throw new UsageError('usage: concur prompt add|list ...');
    }
    case 'prices': {
      const { values, positionals } = args(rest, { format: { type: 'string' } });
      const ws = open(values.db);
      if (sub === 'list') {
        printList(ws.repos.prices.list() as unknown as Array<Record<string, unknown>>, values.format,
          (p) => ({ model: p.model, 'input $/Mtok': p.inputPerMTok, 'output $/Mtok': p.outputPerMTok }));
        return 0;
      }
      if (sub === 'set') {
        const [model, input, output] = positionals;
        if (!model || input === undefined || output === undefined) throw new UsageError('usage: concur prices set MODEL INPUT_USD_PER_MTOK OUTPUT_USD_PER_MTOK');
        const inPrice = num(input, 'input price')!, outPrice = num(output, 'output price')!;
        if (inPrice < 0 || outPrice < 0) throw new UsageError('prices must not be negative');
        ws.repos.prices.set(model, inPrice, outPrice);
        console.log(`${model}: $${inPrice} per million input tokens, $${outPrice} per million output tokens`);
        return 0;
      }
      throw new UsageError('usage: concur prices list|set ...');
    }
    case 'run':
      return runCommand(after(1));
    case 'runs': {
      const { values, positionals } = args(rest, { dataset: { type: 'string' }, criterion: { type: 'string' }, name: { type: 'string' }, format: { type: 'string' } });
      const ws = open(values.db);
      const c = ws.criterion(need(values.dataset, 'dataset'), need(values.criterion, 'criterion'));
      if (sub === 'import') {
        const file = positionals[0] ?? (() => { throw new UsageError('missing FILE'); })();
        const run = ws.importRun(c, source(file, values.format === 'json' || values.format === 'csv' || values.format === 'jsonl' ? values.format : undefined), need(values.name, 'name'));
        console.log(`imported run ${run.id} "${run.name}": ${run.done} verdicts, ${run.errors} errors`);
        return 0;
      }
      if (sub === 'list') {
        printList(ws.repos.runs.list(c.id).map((r) => ({ ...r, version: r.versionNumber })), values.format,
          (r) => ({ id: r.id, name: r.name, kind: r.kind, version: r.version ?? '', split: r.split, status: r.status, done: `${r.done}/${r.total}`, errors: r.errors }));
        return 0;
      }
      throw new UsageError('usage: concur runs import|list ...');
    }
    case 'report': {
      const { values } = reportArgs(after(1));
      const ws = open(values.db);
      const c = ws.criterion(need(values.dataset, 'dataset'), need(values.criterion, 'criterion'));
      const r = ws.report(c, { runId: num(values.run, 'run', true), versionNumber: num(values.version, 'version', true), split: split(values.split), annotator: values.annotator });
      const format = values.format ?? 'md';
      const text = format === 'json' ? JSON.stringify(reportJson(r), null, 2) + '\n' : format === 'html' ? reportHtml(r) : format === 'md' ? reportMarkdown(r) : null;
      if (text === null) throw new UsageError('--format must be json, md or html');
      if (values.out) { writeFileSync(values.out, text); console.error(`wrote ${values.out}`); } else process.stdout.write(text);
      return 0;
    }
    case 'gate': {
      const { values: parsed } = reportArgs(after(1), {
        'min-agreement': { type: 'string' }, 'min-kappa': { type: 'string' }, 'min-tpr': { type: 'string' }, 'min-tnr': { type: 'string' }, 'lower-bound': { type: 'boolean' },
      });
      const values = parsed as Record<string, string | undefined> & { 'lower-bound'?: boolean };
      const ws = open(values.db);
      const c = ws.criterion(need(values.dataset, 'dataset'), need(values.criterion, 'criterion'));
      const thresholds = {
        minAgreement: num(values['min-agreement'], 'min-agreement'), minKappa: num(values['min-kappa'], 'min-kappa'),
        minTpr: num(values['min-tpr'], 'min-tpr'), minTnr: num(values['min-tnr'], 'min-tnr'),
      };
      if (Object.values(thresholds).every((t) => t === undefined)) throw new UsageError('give at least one threshold: --min-agreement, --min-kappa, --min-tpr or --min-tnr');
      const r = ws.gateReport(c, { runId: num(values.run, 'run', true), versionNumber: num(values.version, 'version', true), split: split(values.split) });
      const g = evaluateGate(r.report, thresholds, Boolean(values['lower-bound']));
      for (const f of g.failures) console.log(`FAIL ${f}`);
      for (const ok of g.checked) console.log(`ok   ${ok}`);
      console.log(g.pass ? `gate passed (run ${r.run.id}, n = ${r.report.n})` : `gate failed (run ${r.run.id}, n = ${r.report.n})`);
      return g.pass ? 0 : 1;
    }
    case 'compare': {
      const { values } = args(after(1), { dataset: { type: 'string' }, criterion: { type: 'string' }, run: { type: 'string', multiple: true }, split: { type: 'string' }, format: { type: 'string' } });
      const ws = open(values.db);
      const c = ws.criterion(need(values.dataset, 'dataset'), need(values.criterion, 'criterion'));
      const runs = values.run ?? [];
      if (runs.length !== 2) throw new UsageError('give exactly two runs: --run A --run B');
      const r = ws.compare(c, num(runs[0], 'run', true)!, num(runs[1], 'run', true)!, split(values.split));
      if (values.format === 'json') { console.log(JSON.stringify(r, null, 2)); return 0; }
      console.log(`run ${r.a} → run ${r.b} on ${r.n} items (${r.split}): ${r.correctA} → ${r.correctB} correct`);
      console.log(`fixed (${r.fixed.length}): ${r.fixed.join(', ') || '—'}`);
      console.log(`regressed (${r.regressed.length}): ${r.regressed.join(', ') || '—'}`);
      console.log(`McNemar exact p = ${r.mcnemar.p.toPrecision(3)} (b = ${r.mcnemar.b}, c = ${r.mcnemar.c})${r.mcnemar.p < 0.05 ? '' : ': not distinguishable from chance'}`);
      return 0;
    }
    case 'estimate': {
      const { values } = args(after(1), { dataset: { type: 'string' }, criterion: { type: 'string' }, version: { type: 'string' }, on: { type: 'string' }, format: { type: 'string' }, iterations: { type: 'string' }, seed: { type: 'string' } });
      const ws = open(values.db);
      const c = ws.criterion(need(values.dataset, 'dataset'), need(values.criterion, 'criterion'));
      const r = ws.estimate(c, num(need(values.version, 'version'), 'version', true)!, values.on, { iterations: num(values.iterations, 'iterations', true), seed: num(values.seed, 'seed', true) });
      if (values.format === 'json') { console.log(JSON.stringify(r, null, 2)); return r.refused ? 1 : 0; }
      if (r.refused) { console.log(`cannot correct the pass rate: ${r.refused}`); return 1; }
      const p = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
      console.log(`observed judge pass rate on ${r.unlabelled} unlabelled items of "${r.on}": ${p(r.observed)}`);
      console.log(`corrected pass rate: ${p(r.estimate)} (95% bootstrap CI ${p(r.low)}–${p(r.high)}), using TPR ${p(r.tpr)} and TNR ${p(r.tnr)} from ${r.labelled} labelled test items (run ${r.calibrationRun})`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"; run concur --help`);
  }
}

/** Runs the CLI: user errors print one line and exit 2; unexpected errors print the stack. */
export async function cli(argv: string[]) {
  try {
    const code = await main(argv);
    if (code >= 0) process.exitCode = code;
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError || e instanceof NotFoundError || e instanceof ValidationError) {
      console.error(`concur: ${e.message}`);
      process.exitCode = 2;
    } else {
      console.error(e);
      process.exitCode = 1;
    }
  }
}
