import type { Command } from 'commander';
import { DEFAULT_MAX_ERROR_RATE, evaluateGate } from '../../../shared/metrics/gate.ts';
import { criterionOptions, leaf, num, openDb, runSelection, runSelectionOptions, usageError, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption {
  dataset: string; criterion: string; run?: string; version?: string; split?: string;
  minAgreement?: string; minKappa?: string; minTpr?: string; minTnr?: string; maxErrorRate?: string; lowerBound?: boolean;
}

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'gate', 'exit 0 when all thresholds hold, 1 with one line per failed threshold',
    (c) => runSelectionOptions(criterionOptions(c), 'the run to check (default: the latest finished run)')
      .option('--min-agreement <x>', 'lowest acceptable agreement (0..1)')
      .option('--min-kappa <x>', "lowest acceptable Cohen's kappa")
      .option('--min-tpr <x>', 'lowest acceptable true positive rate (0..1)')
      .option('--min-tnr <x>', 'lowest acceptable true negative rate (0..1)')
      .option('--max-error-rate <x>', `largest acceptable share of labelled items with a judge error or not judged (0..1, default ${DEFAULT_MAX_ERROR_RATE})`)
      .option('--lower-bound', "compare each threshold with the 95% interval's lower bound instead of the point estimate"),
    (o) => {
      const thresholds = {
        minAgreement: num(o.minAgreement, 'min-agreement'), minKappa: num(o.minKappa, 'min-kappa'),
        minTpr: num(o.minTpr, 'min-tpr'), minTnr: num(o.minTnr, 'min-tnr'),
      };
      const maxErrorRate = num(o.maxErrorRate, 'max-error-rate');
      if (maxErrorRate !== undefined && !(maxErrorRate >= 0 && maxErrorRate <= 1)) throw usageError('--max-error-rate must be between 0 and 1', 'max-error-rate');
      if (Object.values(thresholds).every((t) => t === undefined)) throw usageError('give at least one threshold: --min-agreement, --min-kappa, --min-tpr or --min-tnr');
      const ws = openDb(o.db);
      const c = ws.criterion(o.dataset, o.criterion);
      const r = ws.gateReport(c, runSelection(o));
      const g = evaluateGate(r.report, { ...thresholds, maxErrorRate }, Boolean(o.lowerBound));
      for (const f of g.failures) console.log(`FAIL ${f}`);
      for (const ok of g.checked) console.log(`ok   ${ok}`);
      console.log(g.pass ? `gate passed (run ${r.run.id}, n = ${r.report.n})` : `gate failed (run ${r.run.id}, n = ${r.report.n})`);
      return g.pass ? 0 : 1;
    });
}
