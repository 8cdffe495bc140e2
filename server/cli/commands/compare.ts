import type { Command } from 'commander';
import { criterionOptions, collect, leaf, num, openDb, split, usageError, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { dataset: string; criterion: string; run?: string[]; split?: string; format: string }

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'compare', "fixed / regressed items and McNemar's exact test",
    (c) => criterionOptions(c)
      .option('--run <id>', 'a run to compare; give it twice: --run A --run B', collect)
      .option('--split <train|dev|test|all>', 'the items compared')
      .option('--format <json|text>', 'output format', 'text'),
    (o) => {
      const runs = o.run ?? [];
      if (runs.length !== 2) throw usageError('give exactly two runs: --run A --run B', 'run');
      const ws = openDb(o.db);
      const c = ws.criterion(o.dataset, o.criterion);
      const r = ws.compare(c, num(runs[0], 'run', true)!, num(runs[1], 'run', true)!, split(o.split));
      if (o.format === 'json') { console.log(JSON.stringify(r, null, 2)); return 0; }
      console.log(`run ${r.a} → run ${r.b} on ${r.n} items (${r.split}): ${r.correctA} → ${r.correctB} correct`);
      console.log(`fixed (${r.fixed.length}): ${r.fixed.join(', ') || '—'}`);
      console.log(`regressed (${r.regressed.length}): ${r.regressed.join(', ') || '—'}`);
      console.log(`McNemar exact p = ${r.mcnemar.p.toPrecision(3)} (b = ${r.mcnemar.b}, c = ${r.mcnemar.c})${r.mcnemar.p < 0.05 ? '' : ': not distinguishable from chance'}`);
      return 0;
    });
}
