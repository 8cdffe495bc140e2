import type { Command } from 'commander';
import { pct } from '../../../shared/format.ts';
import { leaf, num, openDb, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { dataset: string; criterion: string; version: string; on?: string; format: string; iterations?: string; seed?: string }

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'corrected-pass-rate', 'Rogan–Gladen corrected pass rate on unlabelled items the version judged, with a bootstrap interval',
    (c) => c
      .requiredOption('--dataset <name>', 'the dataset whose labelled test split calibrates the judge')
      .requiredOption('--criterion <name>', 'the criterion')
      .requiredOption('--version <n>', 'the prompt version')
      .option('--on <dataset>', 'the dataset of unlabelled items (default: the unlabelled items of --dataset)')
      .option('--iterations <n>', 'bootstrap iterations for the 95% interval (default: 2000)')
      .option('--seed <s>', 'bootstrap seed (default: 1)')
      .option('--format <json|text>', 'output format', 'text'),
    (o) => {
      const ws = openDb(o.db);
      const c = ws.criterion(o.dataset, o.criterion);
      const r = ws.correctedPassRate(c, num(o.version, 'version', true)!, o.on, { iterations: num(o.iterations, 'iterations', true), seed: num(o.seed, 'seed', true) });
      if (o.format === 'json') { console.log(JSON.stringify(r, null, 2)); return r.refused ? 1 : 0; }
      if (r.refused) { console.log(`cannot correct the pass rate: ${r.refused}`); return 1; }
      const p = (x: number | null) => pct(x);
      console.log(`observed judge pass rate on ${r.unlabelled} unlabelled items of "${r.on}": ${p(r.observed)}`);
      console.log(`corrected pass rate: ${p(r.estimate)} (95% bootstrap CI ${p(r.low)}–${p(r.high)}), using TPR ${p(r.tpr)} and TNR ${p(r.tnr)} from ${r.labelled} labelled test items (run ${r.calibrationRun})`);
      return 0;
    });
}
