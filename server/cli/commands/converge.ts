import type { Command } from 'commander';
import { criterionOptions, leaf, openDb, type CliContext, type DbOption } from '../common.ts';
import { acceptCommand, confirmCommand, failureModesCommand, publicationsCommand, publishCommand, unpublishCommand } from '../converge-actions.ts';

interface Opts extends DbOption { dataset: string; criterion: string; format?: 'json' | 'text' }

/** --dataset, --criterion and the output format, shared by every command here */
const withFormat = (c: Command) => criterionOptions(c).option('--format <json|text>', 'output format', 'text');

/** Confirmation on test, publication, and failure modes (open and axial coding of critiques). */
export function register(program: Command, ctx: CliContext) {
  leaf<Opts & { version: string; by: string }>(program, ctx, 'accept',
    'accept an optimizer candidate: it becomes an ordinary version (and so the latest)',
    (c) => withFormat(c).requiredOption('--version <n>', 'the candidate version number').requiredOption('--by <name>', 'who accepts'),
    (o) => { console.log(acceptCommand(openDb(o.db), o)); return 0; });
  leaf<Opts & { version: string; by: string }>(program, ctx, 'confirm',
    "confirm a version on the held-out test split: records who, when, the test figures with intervals and the dev peeks before it",
    (c) => withFormat(c).requiredOption('--version <n|latest>', 'the version (it needs a finished test run)').requiredOption('--by <name>', 'who confirms'),
    (o) => { console.log(confirmCommand(openDb(o.db), o)); return 0; });
  leaf<Opts & { version: string; by: string }>(program, ctx, 'publish',
    "publish a confirmed version as the criterion's production judge (one at a time; the history is kept)",
    (c) => withFormat(c).requiredOption('--version <n|latest>', 'the confirmed version').requiredOption('--by <name>', 'who publishes'),
    (o) => { console.log(publishCommand(openDb(o.db), o)); return 0; });
  leaf<Opts & { by: string }>(program, ctx, 'unpublish', 'end the current publication (no version is published afterwards)',
    (c) => withFormat(c).requiredOption('--by <name>', 'who unpublishes'),
    (o) => { console.log(unpublishCommand(openDb(o.db), o)); return 0; });
  leaf<Opts>(program, ctx, 'publications', 'the published version, every confirmation on test and the publication history',
    (c) => withFormat(c),
    (o) => { console.log(publicationsCommand(openDb(o.db), o)); return 0; });
  const modes = program.command('failure-modes').description("product failure modes from the experts' critiques and tags");
  const action = (name: string, description: string, define: (c: Command) => Command = (c) => c) =>
    leaf<Opts & { by?: string; splits?: string; file?: string; mode?: string; name?: string; model?: string; baseUrl?: string; apiKeyEnv?: string; profile?: string }>(modes, ctx, name, description,
      (c) => define(withFormat(c)),
      async (o) => { console.log(await failureModesCommand(openDb(o.db), name, o)); return 0; });
  action('list', 'the accepted failure modes with their items and the splits they were built from');
  action('group', "propose failure modes from the experts' tags (or, with --profile and/or --model, from a model reading the critiques) on failing train and dev items (never test)",
    (c) => c.requiredOption('--by <name>', 'who groups').option('--splits <train,dev>', 'the splits to group (train, dev or both; never test)')
      .option('--profile <name>', "group with a model through this endpoint profile (its URL, key variable and default model) instead of by tags")
      .option('--model <name>', 'group with this model (the critiques are sent to its endpoint) instead of by tags; with --profile, overrides its default model')
      .option('--base-url <url>', 'the model\'s OpenAI-compatible endpoint (default: OPENAI_BASE_URL, else the OpenAI API)')
      .option('--api-key-env <VAR|none>', 'the environment variable holding its key, bound to the URL by the secrets rule, or none (default OPENAI_API_KEY)'));
  action('accept', 'accept the pending proposal, or an edited one from --file (JSON as printed by group --format json)',
    (c) => c.requiredOption('--by <name>', 'who accepts').option('--file <modes.json>', 'the edited proposal'));
  action('rates', 'failure-mode rates with Wilson intervals by split and every dimension value, ranked');
  action('criterion', 'make a failure mode a criterion of its own, with suggested labels an expert confirms',
    (c) => c.requiredOption('--mode <name>', 'the accepted failure mode').option('--name <name>', 'the new criterion name (default: the mode name)'));
}
