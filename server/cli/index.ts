/**
 * The `concur` command line: one module per command under ./commands (each defines its options,
 * its --help and its action, calling the same Workspace/service functions as the API). The
 * README's command table is generated from these definitions (scripts/cli-reference.ts).
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../services/errors.ts';
import { InputError } from '../services/records.ts';
import { explainWriteError } from '../db/index.ts';
import { openedWorkspace } from './common.ts';
import type { CliContext } from './common.ts';
import * as serve from './commands/serve.ts';
import * as init from './commands/init.ts';
import * as importCmd from './commands/import.ts';
import * as exportCmd from './commands/export.ts';
import * as datasets from './commands/datasets.ts';
import * as criteria from './commands/criteria.ts';
import * as labels from './commands/labels.ts';
import * as prompt from './commands/prompt.ts';
import * as run from './commands/run.ts';
import * as prices from './commands/prices.ts';
import * as runs from './commands/runs.ts';
import * as report from './commands/report.ts';
import * as compare from './commands/compare.ts';
import * as correctedPassRate from './commands/corrected-pass-rate.ts';
import * as converge from './commands/converge.ts';
import * as gate from './commands/gate.ts';
import * as optimize from './commands/optimize.ts';
import * as profiles from './commands/profiles.ts';
import * as tasks from './commands/tasks.ts';

export { dbPath } from './common.ts';

/** In the order of `concur --help` and the README's table. */
const COMMANDS = [serve, init, importCmd, exportCmd, datasets, criteria, labels, prompt, run, prices, runs, report, compare, correctedPassRate, gate, converge, optimize, profiles, tasks];

/** A fresh program (commander keeps parsed values on the command objects, so one per parse). */
export function buildProgram(ctx: CliContext = { exit: 0 }): Command {
  const program = new Command('concur')
    .description('align an LLM judge with a domain expert')
    .usage('<command> [options]')
    .helpCommand('help [command]', 'help for a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: () => {}, // errors become one line from cli() below
    })
    .addHelpText('after', '\nEvery command takes --db PATH (default: $CONCUR_DB, else data/concur.sqlite).\n'
      + "Judge endpoint: OPENAI_API_KEY (or the version's --api-key-env) and OPENAI_BASE_URL for any OpenAI-compatible server.");
  for (const c of COMMANDS) c.register(program, ctx);
  return program;
}

/**
 * Parses argv and runs the command. Returns the exit code (-1: keep running, e.g. serve).
 * Throws UserError for a usage mistake or anything the user can fix.
 */
export async function main(argv: string[]): Promise<number> {
  const ctx: CliContext = { exit: 0 };
  const program = buildProgram(ctx);
  if (!argv.length) { program.outputHelp(); return 0; }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' && e.exitCode === 0 || e.code === 'commander.version') return 0;
    // a group without its subcommand (`concur datasets`) printed its help on stderr
    if (e.code === 'commander.help' || e.code === 'commander.executeSubCommandAsync') throw new UserError('missing subcommand; see the help above', { code: 'usage' });
    throw new UserError(e.message.replace(/^error: /, '').replace(/\n+/g, ' '), { code: 'usage' });
  }
  return ctx.exit;
}

/**
 * Runs the CLI as a process: every error — a usage mistake, bad input, an unusable workspace,
 * or a defect — prints one line and exits 2; the stack only with CONCUR_DEBUG=1.
 */
export async function cli(argv: string[]) {
  // `concur … | head`: the reader went away, so stop quietly instead of crashing with EPIPE
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
  }
  try {
    const code = await main(argv);
    if (code >= 0) process.exitCode = code;
  } catch (thrown) {
    // a raw SQLite lock/read-only error becomes the typed workspace error it means
    const e = openedWorkspace ? explainWriteError(thrown, openedWorkspace.repos.db) : thrown;
    const debug = process.env.CONCUR_DEBUG === '1';
    if (e instanceof UserError) {
      console.error(`concur: ${e.message}`);
      // an input file's other problems, one line each (the first is the message above)
      if (e instanceof InputError && e.errors.length > 1) {
        for (const p of e.errors.slice(1)) console.error(`  ${p.file}${p.line !== null ? `:${p.line}` : ''}${p.field ? `: field "${p.field}"` : ''}: ${p.message}`);
        if (e.moreErrors) console.error(`  … and ${e.moreErrors} more (only the first ${e.errors.length} are listed)`);
      }
      if (debug) console.error(e.cause ?? e);
    } else {
      const message = e instanceof Error ? e.message : String(e);
      console.error(`concur: internal error: ${message.split('\n')[0]}${debug ? '' : ' (set CONCUR_DEBUG=1 for the details)'}`);
      if (debug) console.error(e);
    }
    process.exitCode = 2;
  }
}
