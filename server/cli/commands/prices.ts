import type { Command } from 'commander';
import { leaf, num, openDb, printList, usageError, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { format?: string }

export function register(program: Command, ctx: CliContext) {
  const group = program.command('prices').description('the per-model price table (USD per million tokens) used for costs');
  leaf<Opts>(group, ctx, 'list', 'the per-model prices (USD per million tokens)',
    (c) => c.option('--format <json|table>', 'output format', 'table'),
    (o) => {
      const ws = openDb(o.db);
      printList(ws.repos.prices.list(), o.format,
        (p) => ({ model: p.model, 'input $/Mtok': p.inputPerMTok, 'output $/Mtok': p.outputPerMTok }));
      return 0;
    });
  leaf<Opts>(group, ctx, 'set <model> <input> <output>', "set a model's price: USD per million input (prompt) and output (completion) tokens",
    (c) => c,
    (o, [model, input, output]) => {
      const inPrice = num(input, 'input price')!, outPrice = num(output, 'output price')!;
      if (inPrice < 0 || outPrice < 0) throw usageError('prices must not be negative');
      const ws = openDb(o.db);
      ws.repos.prices.set(model!, inPrice, outPrice);
      console.log(`${model}: $${inPrice} per million input tokens, $${outPrice} per million output tokens`);
      return 0;
    });
}
