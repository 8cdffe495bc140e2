/** What every command module shares: the --db option, the workspace, argument parsing and table output. */
import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../services/errors.ts';
import { openWorkspaceFile } from '../services/open-workspace.ts';
import { readSourceFromFile } from '../services/records.ts';
import { formatImportWarnings } from '../services/import-warnings.ts';
import type { ImportWarnings } from '../../shared/types.ts';
import type { Workspace } from '../services/workspace.ts';
import type { SplitFilter } from '../../shared/types.ts';
import { parseVersionRef } from './converge-actions.ts';

/** The exit code the running command decided (main() returns it; -1 = keep running, e.g. serve). */
export interface CliContext { exit: number }

/** Every command takes --db. */
export interface DbOption { db?: string }

/** A mistake in the command line: one line on stderr, exit 2. */
export const usageError = (message: string, field?: string) => new UserError(message, { code: 'usage', field });

export function dbPath(flag: string | undefined, env = process.env): string {
  return resolve(flag ?? env.CONCUR_DB ?? 'data/concur.sqlite');
}

/** A CLI is not serving anyone: it may wait (blocking) for another process's write lock up to 5 s. */
const CLI_BUSY_TIMEOUT_MS = 5000;

/** The workspace this invocation opened, so a failed write can be explained in one line. */
export let openedWorkspace: Workspace | undefined;

export function openDb(flag: string | undefined): Workspace {
  openedWorkspace = openWorkspaceFile(dbPath(flag), { busyTimeoutMs: CLI_BUSY_TIMEOUT_MS });
  return openedWorkspace;
}

/**
 * Adds a command under `parent` with --db and the action. The action gets the parsed options
 * (commander's camelCase names) and the positional arguments, and returns the exit code.
 */
export function leaf<O extends DbOption>(
  parent: Command, ctx: CliContext, spec: string, description: string,
  define: (c: Command) => Command,
  action: (opts: O, args: string[]) => number | Promise<number>,
): Command {
  const c = define(parent.command(spec).description(description));
  c.option('--db <path>', 'the workspace file (default: $CONCUR_DB, else data/concur.sqlite)');
  c.action(async () => { ctx.exit = await action(c.opts<O>(), c.args); });
  return c;
}

/** The two options every per-criterion command takes (one wording for every command's --help). */
export function criterionOptions(c: Command): Command {
  return c.requiredOption('--dataset <name>', 'the dataset').requiredOption('--criterion <name>', 'the criterion');
}

/** --run, --version and --split of the commands that measure one run (report, gate); `runHelp` says what the run is for. */
export function runSelectionOptions(c: Command, runHelp: string): Command {
  return c.option('--run <id>', runHelp)
    .option('--version <n|published>', "the version's latest finished run; published: the published version's confirmed test run")
    .option('--split <train|dev|test|all>', "the items measured (default: the run's split)");
}

/** What {@link runSelectionOptions} selected, as Workspace.report and gateReport take it. */
export function runSelection(o: { run?: string; version?: string; split?: string }) {
  return { runId: num(o.run, 'run', true), versionNumber: parseVersionRef(o.version), split: split(o.split) };
}

/** A required value that commander cannot require on its own (e.g. run's --dataset unless --resume). */
export function need(v: string | undefined, flag: string): string {
  if (!v) throw usageError(`missing --${flag}`, flag);
  return v;
}

export function num(v: string | undefined, flag: string, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw usageError(`--${flag} must be ${integer ? 'an integer' : 'a number'}, got "${v}"`, flag);
  return n;
}

export function split(v: string | undefined): SplitFilter | undefined {
  if (v === undefined) return undefined;
  if (!['train', 'dev', 'test', 'all'].includes(v)) throw usageError(`--split must be train, dev, test or all, got "${v}"`, 'split');
  return v as SplitFilter;
}

/** For repeatable options: --map a=b --map c=d. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function table(rows: Array<Record<string, unknown>>): string {
  if (!rows.length) return '(none)';
  const cols = Object.keys(rows[0]!);
  const cells = rows.map((r) => cols.map((c) => String(r[c] ?? '')));
  const width = cols.map((c, i) => cells.reduce((w, r) => Math.max(w, r[i]!.length), c.length));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(width[i]!)).join('  ').trimEnd();
  return [line(cols), ...cells.map(line)].join('\n');
}

export function printList<R>(rows: R[], format: string | undefined, brief: (r: R) => Record<string, unknown>) {
  if (format === 'json') console.log(JSON.stringify(rows, null, 2));
  else console.log(table(rows.map(brief)));
}

export function source(file: string, format?: string) {
  return readSourceFromFile(file, format);
}

/** What an import changed without refusing the file, on stderr as `file:line: field: message`. */
export function printImportWarnings(file: string, r: ImportWarnings) {
  for (const line of formatImportWarnings(file, r)) console.error(line);
}

/** Writes to --out (saying so on stderr) or to stdout. */
export function output(text: string, out: string | undefined, what = out) {
  if (out) { writeFileSync(out, text); console.error(`wrote ${what}`); } else process.stdout.write(text);
}
