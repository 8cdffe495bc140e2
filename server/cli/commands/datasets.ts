import type { Command } from 'commander';
import { leaf, openDb, printList, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { format?: string }

export function register(program: Command, ctx: CliContext) {
  const group = program.command('datasets').description('datasets');
  leaf<Opts>(group, ctx, 'list', 'datasets with item counts and criteria',
    (c) => c.option('--format <json|table>', 'output format', 'table'),
    (o) => {
      const ws = openDb(o.db);
      printList(ws.repos.datasets.list().map((d) => ({ ...d, criteria: ws.repos.criteria.list(d.id).map((c) => c.name) })), o.format,
        (d) => ({ name: d.name, items: d.items, criteria: d.criteria.join(', ') }));
      return 0;
    });
}
