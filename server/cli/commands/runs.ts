import type { Command } from 'commander';
import { criterionOptions, printImportWarnings, leaf, openDb, printList, source, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { dataset: string; criterion: string; name: string; format?: string }

export function register(program: Command, ctx: CliContext) {
  const group = program.command('runs').description('judge runs');
  leaf<Opts>(group, ctx, 'import <file>', 'verdicts produced elsewhere (id, verdict, critique; empty verdict + error for unparseable outputs)',
    (c) => criterionOptions(c)
      .requiredOption('--name <name>', 'the run name (e.g. the judge that produced it)')
      .option('--format <jsonl|csv|json>', 'the file format (default: from the extension)'),
    (o, [file]) => {
      const ws = openDb(o.db);
      const c = ws.criterion(o.dataset, o.criterion);
      const run = ws.importRun(c, source(file!, o.format === 'json' || o.format === 'csv' || o.format === 'jsonl' ? o.format : undefined), o.name);
      printImportWarnings(file!, run);
      console.log(`imported run ${run.id} "${run.name}": ${run.done} verdicts, ${run.errors} errors`);
      return 0;
    });
  leaf<Omit<Opts, 'name'>>(group, ctx, 'list', 'runs with status and counts',
    (c) => criterionOptions(c)
      .option('--format <json|table>', 'output format', 'table'),
    (o) => {
      const ws = openDb(o.db);
      const c = ws.criterion(o.dataset, o.criterion);
      printList(ws.repos.runs.list(c.id).map((r) => ({ ...r, version: r.versionNumber })), o.format,
        (r) => ({ id: r.id, name: r.name, kind: r.kind, version: r.version ?? '', split: r.split, status: r.status, done: `${r.done}/${r.total}`, errors: r.errors, model: r.model ?? '', 'base url': r.baseUrl ?? '', message: r.message }));
      return 0;
    });
}
