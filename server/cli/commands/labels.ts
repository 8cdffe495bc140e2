import type { Command } from 'commander';
import { toCsv } from '../../services/csv.ts';
import { criterionOptions, printImportWarnings, leaf, openDb, output, source, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { dataset: string; criterion: string; annotator?: string; format?: string; out?: string }

export function register(program: Command, ctx: CliContext) {
  const group = program.command('labels').description("the expert's labels");
  leaf<Opts>(group, ctx, 'import <file>',
    'labels: id, verdict (pass/fail, 1/0, true/false; ordinal 1..K; pairwise A/B/tie or 1/2/0), critique, optional ambiguous, annotator; appended to the history',
    (c) => criterionOptions(c)
      .option('--annotator <name>', "for rows without an annotator column (default: the criterion's principal annotator)")
      .option('--format <jsonl|csv|json>', 'the file format (default: from the extension)'),
    (o, [file]) => {
      const ws = openDb(o.db);
      const r = ws.importLabels(ws.criterion(o.dataset, o.criterion), source(file!, o.format), o.annotator);
      printImportWarnings(file!, r);
      console.log(`read ${r.total} labels: ${r.added} added to the history, ${r.unchanged} unchanged`);
      return 0;
    });
  leaf<Opts>(group, ctx, 'export', 'current labels with critiques',
    (c) => criterionOptions(c)
      .option('--annotator <name>', 'whose labels (default: the principal annotator)')
      .option('--format <csv|jsonl>', 'output format (default: csv for an --out ending in .csv, else jsonl)')
      .option('--out <file>', 'write to a file instead of stdout'),
    (o) => {
      const ws = openDb(o.db);
      const rows = ws.exportLabels(ws.criterion(o.dataset, o.criterion), o.annotator);
      const format = o.format ?? (o.out?.endsWith('.csv') ? 'csv' : 'jsonl');
      const text = format === 'csv' ? toCsv(rows) : rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
      output(text, o.out, `${rows.length} labels to ${o.out}`);
      return 0;
    });
}
