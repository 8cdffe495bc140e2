import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { fineTuningJsonl, labelsCsv } from '../../services/exports.ts';
import { criterionOptions, leaf, openDb, output, split, usageError, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { dataset: string; criterion: string; annotator?: string; split?: string; template?: string; out?: string }

export function register(program: Command, ctx: CliContext) {
  const group = program.command('export').description('labels with critiques as CSV; chat-format fine-tuning JSONL');
  leaf<Opts>(group, ctx, 'labels', 'labels with critiques as CSV',
    (c) => criterionOptions(c)
      .option('--annotator <name>', 'whose labels (default: the principal annotator)')
      .option('--out <file.csv>', 'write to a file instead of stdout'),
    (o) => {
      const ws = openDb(o.db);
      output(labelsCsv(ws, ws.criterion(o.dataset, o.criterion), o.annotator), o.out);
      return 0;
    });
  leaf<Opts>(group, ctx, 'finetune', 'chat-format fine-tuning JSONL (item → expert critique and verdict; train + dev by default)',
    (c) => criterionOptions(c)
      .option('--split <train,dev|all>', 'the splits to export, comma-separated, or all (default: train,dev)')
      .option('--annotator <name>', 'whose labels (default: the principal annotator)')
      .option('--template <file>', "a judge template for the user message (default: the latest prompt version's, else a plain rendering)")
      .option('--out <file.jsonl>', 'write to a file instead of stdout'),
    (o) => {
      const ws = openDb(o.db);
      const c = ws.criterion(o.dataset, o.criterion);
      const splits = o.split === undefined ? undefined : o.split === 'all' ? 'all' as const
        : o.split.split(',').map((s) => { const v = split(s.trim()); if (v === 'all' || !v) throw usageError('--split takes train, dev, test (comma-separated) or all', 'split'); return v; });
      if (o.template && !existsSync(o.template)) throw usageError(`${o.template}: file not found`, 'template');
      output(fineTuningJsonl(ws, c, { split: splits, annotator: o.annotator, template: o.template ? readFileSync(o.template, 'utf8') : undefined }), o.out);
      return 0;
    });
}
