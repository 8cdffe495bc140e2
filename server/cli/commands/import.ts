import type { Command } from 'commander';
import { detectFormat } from '../../services/records.ts';
import { importItemsFromJsonl } from '../../services/stream-import.ts';
import { parseFieldMap } from '../../services/imports.ts';
import { checkSplits, parseSplits } from '../../services/splits.ts';
import { convertForeignFile, importConverted } from '../../services/importers/index.ts';
import { printImportWarnings, collect, leaf, openDb, source, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption {
  dataset: string; format?: string; map?: string[]; splits?: string;
  from?: string; criterion?: string; annotator?: string; runName?: string; rubric?: string; skipErrors?: boolean; column?: string[];
}

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'import <file>',
    'items: id, input, output, output_b, context (object or JSON string), dimensions (object) or dim.<name> columns; '
    + 're-importing an id updates it; JSONL streams (1,000,000 items in bounded memory). With --from: promptfoo eval -o results.json '
    + '(items + llm-rubric verdicts as a run), a review sheet (expert and judge columns in one CSV), OpenAI chat JSONL (messages)',
    (c) => c
      .requiredOption('--dataset <name>', 'the dataset to import into (created if missing)')
      .option('--format <jsonl|csv|json>', 'the file format (default: from the extension)')
      .option('--map <field=column>', 'read a field from a differently named column (repeatable)', collect)
      .option('--splits <train/dev/test>', 'split shares in percent for a dataset this import creates (default 20/50/30)')
      .option('--from <promptfoo|sheet|chat>', 'import a foreign format (default: detected from the file)')
      .option('--criterion <name>', 'with --from: the criterion for the labels and the run')
      .option('--annotator <name>', 'with --from: who the labels are from')
      .option('--run-name <name>', 'with --from: the name of the imported run')
      .option('--rubric <metric>', 'with --from promptfoo: the llm-rubric assertion (metric or rubric text) to import')
      .option('--skip-errors', 'with --from promptfoo: skip rows whose provider call failed, with a warning')
      .option('--column <role=header>', 'with --from sheet: the column for a role (repeatable)', collect),
    (o, [file]) => {
      const ws = openDb(o.db);
      if (o.from) {
        const columns = Object.fromEntries(Object.entries(parseFieldMap(o.column ?? [])));
        const converted = convertForeignFile(file!, o.from, { rubric: o.rubric, skipErrors: o.skipErrors, columns });
        const r = importConverted(ws, converted, { dataset: o.dataset, criterion: o.criterion, annotator: o.annotator, runName: o.runName });
        for (const w of r.warnings) console.error(`warning: ${w}`);
        console.log(`imported ${converted.format} file ${file} into "${r.dataset.name}": ${r.items.total} items (${r.items.created} new)` +
          (r.labels ? `, ${r.labels.added} labels` : '') + (r.run ? `, run ${r.run.id} "${r.run.name}" with ${r.run.done} verdicts (${r.run.errors} errors)` : ''));
        return 0;
      }
      const format = detectFormat(file!, o.format);
      const splits = o.splits !== undefined ? checkSplits(o.dataset, ws.repos.datasets.byName(o.dataset) ?? null, parseSplits(o.splits)) : undefined;
      // JSONL streams (bounded memory for millions of items); CSV and JSON are parsed whole
      const r = format === 'jsonl'
        ? importItemsFromJsonl(ws.repos, o.dataset, file!, { map: parseFieldMap(o.map ?? []), splits })
        : ws.importItems(o.dataset, source(file!, format), parseFieldMap(o.map ?? []), splits);
      printImportWarnings(file!, r);
      console.log(`imported ${r.total} items into "${r.dataset.name}" (${r.created} new, ${r.updated} updated); the dataset now has ${r.dataset.items} items`);
      return 0;
    });
}
