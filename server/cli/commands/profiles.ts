import type { Command } from 'commander';
import type { NewProfileBody, ProfileOut } from '../../../shared/api/profiles.ts';
import { addProfile, editProfile, listProfiles, removeProfile, testProfile } from '../../services/profiles.ts';
import { leaf, num, openDb, printList, type CliContext, type DbOption } from '../common.ts';

interface FieldOpts extends DbOption {
  name?: string; baseUrl?: string; apiKeyEnv?: string; model?: string; rpm?: string; tpm?: string; maxReplyBytes?: string; format?: string;
}
interface ListOpts extends DbOption { format?: string }
interface TestOpts extends DbOption { model?: string; format?: string }

const KEY_HELP = 'the environment variable holding the API key, or none; a key other than OPENAI_API_KEY is sent only to base URLs bound to it in CONCUR_KEYS when Concur starts '
  + '(OPENAI_API_KEY: OPENAI_BASE_URL or the OpenAI API)';

function fieldOptions(c: Command, adding: boolean): Command {
  return c
    .option('--base-url <url>', adding ? 'an OpenAI-compatible endpoint (default: OPENAI_BASE_URL, else OpenAI)' : "the endpoint ('' = OPENAI_BASE_URL, else OpenAI)")
    .option('--api-key-env <var|none>', adding ? `${KEY_HELP} (default: OPENAI_API_KEY where that key may go, else none)` : KEY_HELP)
    .option('--model <model>', 'the default model')
    .option('--rpm <n>', 'default requests-per-minute limit of runs through it')
    .option('--tpm <n>', 'default tokens-per-minute limit of runs through it')
    .option('--max-reply-bytes <n>', 'default reply cap of runs through it')
    .option('--format <json|text>', 'output format', 'text');
}

function fieldsOf(o: FieldOpts): Omit<NewProfileBody, 'name'> {
  const f: Omit<NewProfileBody, 'name'> = {};
  if (o.baseUrl !== undefined) f.baseUrl = o.baseUrl || null;
  if (o.apiKeyEnv !== undefined) f.apiKeyEnv = o.apiKeyEnv;
  if (o.model !== undefined) f.model = o.model;
  if (o.rpm !== undefined) f.rpm = num(o.rpm, 'rpm');
  if (o.tpm !== undefined) f.tpm = num(o.tpm, 'tpm');
  if (o.maxReplyBytes !== undefined) f.maxReplyBytes = num(o.maxReplyBytes, 'max-reply-bytes', true);
  return f;
}

function describe(p: ProfileOut): string {
  return `${p.name}: ${p.resolvedBaseUrl}${p.baseUrl === null ? ' (default)' : ''}, key ${p.apiKeyEnv ? `$${p.apiKeyEnv}` : 'none'}, model ${p.model || '—'}`;
}

function print(p: ProfileOut, format: string | undefined, verb: string) {
  if (format === 'json') console.log(JSON.stringify(p, null, 2));
  else console.log(`${verb} endpoint profile ${describe(p)}${p.problem ? `\n  warning: ${p.problem}` : ''}`);
}

export function register(program: Command, ctx: CliContext) {
  const group = program.command('profiles').description('endpoint profiles: where judge calls go (base URL, key variable, default model, limits)');
  leaf<FieldOpts>(group, ctx, 'add', 'a new endpoint profile (the secrets rule is checked: a key only goes to a URL the environment binds it to)',
    (c) => fieldOptions(c.requiredOption('--name <name>', 'its name'), true),
    (o) => {
      print(addProfile(openDb(o.db), { name: o.name!, ...fieldsOf(o) }), o.format, 'added');
      return 0;
    });
  leaf<ListOpts>(group, ctx, 'list', 'endpoint profiles, where their calls go and whether the key is present (bound names only; never the key)',
    (c) => c.option('--format <json|table>', 'output format', 'table'),
    (o) => {
      printList(listProfiles(openDb(o.db)), o.format, (p) => ({
        name: p.name, 'base URL': p.resolvedBaseUrl, key: p.apiKeyEnv ? `$${p.apiKeyEnv}` : 'none',
        'key present': p.apiKeyEnv ? (p.problem ? 'not allowed' : p.keyPresent ? 'yes' : 'no') : '—', model: p.model || '—', versions: p.versions,
      }));
      return 0;
    });
  leaf<FieldOpts>(group, ctx, 'edit <name>', 'change fields of an endpoint profile (runs already made keep what they used)',
    (c) => fieldOptions(c.option('--name <new-name>', 'rename it'), false),
    (o, args) => {
      print(editProfile(openDb(o.db), args[0]!, { ...(o.name !== undefined ? { name: o.name } : {}), ...fieldsOf(o) }), o.format, 'saved');
      return 0;
    });
  leaf<DbOption>(group, ctx, 'remove <name>', 'delete an endpoint profile that no version names',
    (c) => c,
    (o, args) => {
      removeProfile(openDb(o.db), args[0]!);
      console.log(`removed endpoint profile ${args[0]}`);
      return 0;
    });
  leaf<TestOpts>(group, ctx, 'test <name>', 'make one real call through the profile and print the reply or the error (exit 1 on error)',
    (c) => c
      .option('--model <model>', "the model to call (default: the profile's default model)")
      .option('--format <json|text>', 'output format', 'text'),
    async (o, args) => {
      const r = await testProfile(openDb(o.db), args[0]!, o.model);
      if (o.format === 'json') console.log(JSON.stringify(r, null, 2));
      else if (r.ok) console.log(`${r.profile}: ${r.model} at ${r.baseUrl} replied in ${r.latencyMs} ms: ${JSON.stringify(r.reply)}`);
      else console.log(`${r.profile}: ${r.model || '(no model)'} at ${r.baseUrl} failed${r.status !== null ? ` (HTTP ${r.status})` : ''}: ${r.error}${r.hint ? `\n  hint: ${r.hint}` : ''}`);
      return r.ok ? 0 : 1;
    });
}
