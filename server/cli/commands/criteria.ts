import type { Command } from 'commander';
import { criterionOptions, leaf, num, openDb, printList, usageError, type CliContext, type DbOption } from '../common.ts';

interface AddOpts extends DbOption { dataset: string; name: string; description?: string; scale: string; levels?: string; passAt?: string; principal?: string }
interface ListOpts extends DbOption { dataset: string; format?: string }

export function register(program: Command, ctx: CliContext) {
  const group = program.command('criteria').description('criteria of a dataset');
  leaf<AddOpts>(group, ctx, 'add', "a criterion; its principal annotator's labels are the reference (majority = the majority of all annotators)",
    (c) => c
      .requiredOption('--dataset <name>', 'the dataset')
      .requiredOption('--name <name>', 'the criterion name')
      .option('--description <text>', 'what the criterion means (shown to the judge as {{criterion}})')
      .option('--scale <binary|ordinal|pairwise>', 'the verdict scale', 'binary')
      .option('--levels <k>', 'ordinal: the number of levels (≥ 2)')
      .option('--pass-at <t>', 'ordinal: the lowest level that passes')
      .option('--principal <name>', 'the annotator whose labels are the reference'),
    (o) => {
      const ws = openDb(o.db);
      if (!['binary', 'ordinal', 'pairwise'].includes(o.scale)) throw usageError('--scale must be binary, ordinal or pairwise', 'scale');
      const c = ws.addCriterion(o.dataset, {
        name: o.name, description: o.description, scale: o.scale as 'binary',
        levels: num(o.levels, 'levels', true), passAt: num(o.passAt, 'pass-at', true), principalAnnotator: o.principal,
      });
      console.log(`added criterion "${c.name}" (${c.scale}) to "${o.dataset}"; principal annotator: ${c.principalAnnotator}`);
      return 0;
    });
  leaf<DbOption & { dataset: string; criterion: string; annotator: string }>(group, ctx, 'set-principal', "make an annotator who has labels the criterion's principal (the reference of reports and gates)",
    (c) => criterionOptions(c)
      .requiredOption('--annotator <name>', 'the annotator whose labels become the reference'),
    (o) => {
      const ws = openDb(o.db);
      const c = ws.setPrincipal(ws.criterion(o.dataset, o.criterion), o.annotator);
      console.log(`principal annotator of "${c.name}" is now ${c.principalAnnotator}`);
      return 0;
    });
  leaf<ListOpts>(group, ctx, 'list', 'criteria with scale and principal annotator',
    (c) => c
      .requiredOption('--dataset <name>', 'the dataset')
      .option('--format <json|table>', 'output format', 'table'),
    (o) => {
      const ws = openDb(o.db);
      printList(ws.repos.criteria.list(ws.dataset(o.dataset).id), o.format,
        (c) => ({ name: c.name, scale: c.scale, principal: c.principalAnnotator }));
      return 0;
    });
}
