import type { Command } from 'commander';
import { reportHtml, reportJson, reportMarkdown } from '../../services/render-report.ts';
import { criterionOptions, leaf, openDb, output, runSelection, runSelectionOptions, usageError, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { dataset: string; criterion: string; run?: string; version?: string; split?: string; annotator?: string; format: string; out?: string }

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'report', 'the alignment report (default: the latest finished run)',
    (c) => runSelectionOptions(criterionOptions(c), 'the run to report')
      .option('--annotator <name|majority>', "the reference annotator (default: the criterion's principal)")
      .option('--format <md|json|html>', 'output format', 'md')
      .option('--out <file>', 'write to a file instead of stdout'),
    (o) => {
      if (!['json', 'md', 'html'].includes(o.format)) throw usageError('--format must be json, md or html', 'format');
      const ws = openDb(o.db);
      const c = ws.criterion(o.dataset, o.criterion);
      const r = ws.report(c, { ...runSelection(o), annotator: o.annotator });
      output(o.format === 'json' ? JSON.stringify(reportJson(r), null, 2) + '\n' : o.format === 'html' ? reportHtml(r) : reportMarkdown(r), o.out);
      return 0;
    });
}
