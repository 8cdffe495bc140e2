import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { criterionOptions, leaf, num, openDb, printList, usageError, type CliContext, type DbOption } from '../common.ts';

interface AddOpts extends DbOption {
  dataset: string; criterion: string; template: string; model?: string; profile?: string; baseUrl?: string; apiKeyEnv?: string;
  temperature?: string; maxTokens?: string; seed?: string; examples?: string; note?: string; format?: string;
}
interface ListOpts extends DbOption { dataset: string; criterion: string; format?: string }

export function register(program: Command, ctx: CliContext) {
  const group = program.command('prompt').description('judge prompt versions');
  leaf<AddOpts>(group, ctx, 'add', 'a new immutable version (template variables are checked)',
    (c) => criterionOptions(c)
      .requiredOption('--template <file>', 'the judge prompt template')
      .option('--model <model>', "the judge model (default: the profile's default model)")
      .option('--profile <name>', 'the endpoint profile it is meant for (see concur profiles)')
      .option('--base-url <url>', 'shorthand: the profile with this OpenAI-compatible endpoint (and key variable), created if none (default: OPENAI_BASE_URL, else OpenAI)')
      .option('--api-key-env <var|none>', 'the environment variable holding the API key (default: OPENAI_API_KEY where that key may go, else none); '
        + 'a key other than OPENAI_API_KEY is sent only to base URLs bound to it in CONCUR_KEYS when Concur starts; none = the endpoint needs no key')
      .option('--temperature <t>', 'sampling temperature (0..2)')
      .option('--max-tokens <n>', 'completion token limit')
      .option('--seed <s>', 'sampling seed, where the endpoint supports it')
      .option('--examples <id,id>', 'few-shot examples: item ids of the train split')
      .option('--note <text>', 'what changed in this version')
      .option('--format <json|text>', 'output format', 'text'),
    (o) => {
      const ws = openDb(o.db);
      const c = ws.criterion(o.dataset, o.criterion);
      if (!existsSync(o.template)) throw usageError(`${o.template}: file not found`, 'template');
      const v = ws.addVersion(c, {
        template: readFileSync(o.template, 'utf8'), model: o.model ?? '', profile: o.profile, baseUrl: o.baseUrl ?? null,
        apiKeyEnv: o.apiKeyEnv, temperature: num(o.temperature, 'temperature') ?? null,
        maxTokens: num(o.maxTokens, 'max-tokens', true) ?? null, seed: num(o.seed, 'seed', true) ?? null,
        examples: o.examples ? o.examples.split(',').map((s) => s.trim()).filter(Boolean) : [], note: o.note,
      });
      if (o.format === 'json') console.log(JSON.stringify(v, null, 2));
      else console.log(`saved version ${v.number} of "${c.name}" (model ${v.model}, ${v.examples.length} few-shot examples)`);
      return 0;
    });
  leaf<ListOpts>(group, ctx, 'list', 'versions',
    (c) => criterionOptions(c)
      .option('--format <json|table>', 'output format', 'table'),
    (o) => {
      const ws = openDb(o.db);
      printList(ws.repos.versions.list(ws.criterion(o.dataset, o.criterion).id), o.format,
        (v) => ({ version: v.number, model: v.model, examples: v.examples.length, created: v.createdAt, note: v.note }));
      return 0;
    });
}
