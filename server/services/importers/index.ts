import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Criterion, Dataset, ImportWarning, ImportWarnings, Run } from '../../../shared/types.ts';
import { InputError, isObject, MAX_IMPORT_BYTES } from '../records.ts';
import { importItems, importLabels, importRun, type ItemImportResult, type LabelImportResult } from '../imports.ts';
import { ValidationError } from '../errors.ts';
import { decodeUtf8Lines, INVALID_UTF8 } from '../import-warnings.ts';
import type { Workspace } from '../workspace.ts';
import type { ConvertedImport, ConvertedSource, ForeignFormat } from './common.ts';
import { fromPromptfoo, type PromptfooOptions } from './promptfoo.ts';
import { fromSheet, looksLikeSheet, type SheetColumns } from './sheet.ts';
import { fromChatJsonl } from './chat.ts';

export type { ConvertedImport, ConvertedSource, ForeignFormat } from './common.ts';
export { fromPromptfoo, type PromptfooOptions } from './promptfoo.ts';
export { fromSheet, matchSheetColumns, SHEET_ALIASES, type SheetColumns, type SheetRole } from './sheet.ts';
export { fromChatJsonl, contentText } from './chat.ts';

export const FOREIGN_FORMATS: ForeignFormat[] = ['promptfoo', 'sheet', 'chat'];

export interface ConvertOptions extends PromptfooOptions {
  /** sheet only: role → header overrides */
  columns?: SheetColumns;
}

/** Converts text in a foreign format (see fromPromptfoo, fromSheet, fromChatJsonl). */
export function convertForeign(format: ForeignFormat, text: string, fileName: string, opts: ConvertOptions = {}): ConvertedImport {
  if (format === 'promptfoo') return fromPromptfoo(text, fileName, opts);
  if (format === 'sheet') return fromSheet(text, fileName, opts.columns);
  if (format === 'chat') return fromChatJsonl(text, fileName);
  throw new InputError(fileName, null, null, `unknown format "${String(format)}" (use ${FOREIGN_FORMATS.join(', ')})`);
}

/**
 * Reads a file (within the import size limit), detects its format unless given, and converts it.
 * Throws InputError when the format is neither given nor recognisable.
 */
export function convertForeignFile(file: string, format?: ForeignFormat | string, opts: ConvertOptions = {}): ConvertedImport {
  let size: number;
  try { size = statSync(file).size; } catch { throw new InputError(file, null, null, 'file not found'); }
  if (size > MAX_IMPORT_BYTES) throw new InputError(file, null, null, `file is ${size} bytes; the limit is ${MAX_IMPORT_BYTES}`);
  // bytes, so invalid UTF-8 is reported by line rather than silently replaced
  const { text, badLines } = decodeUtf8Lines(readFileSync(file));
  if (format !== undefined && !FOREIGN_FORMATS.includes(format as ForeignFormat)) {
    throw new InputError(basename(file), null, null, `unknown format "${format}" (use ${FOREIGN_FORMATS.join(', ')})`);
  }
  const fmt = (format as ForeignFormat | undefined) ?? detectForeignFormat(file, text);
  if (!fmt) throw new InputError(basename(file), null, null, `cannot tell whether this is a promptfoo results file, a review sheet or chat JSONL; pass the format (${FOREIGN_FORMATS.join(', ')})`);
  const converted = convertForeign(fmt, text, file, opts);
  if (badLines.length) converted.warnings = [...badLines.map((l) => `line ${l}: ${INVALID_UTF8}`), ...(converted.warnings ?? [])];
  return converted;
}

function objectKeys(v: unknown): string[] { return isObject(v) ? Object.keys(v) : []; }

/**
 * Recognises a foreign format from the file name and content: a promptfoo results JSON
 * (`results.results` rows), a review sheet (CSV/JSONL whose header has a judge verdict column, or an
 * expert verdict column beside input and output), or OpenAI chat JSONL (`messages` arrays).
 * Returns null for anything else, including Concur's own items/labels/run files.
 */
export function detectForeignFormat(fileName: string, text: string): ForeignFormat | null {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const ext = extname(fileName).toLowerCase();
  try {
    if (ext === '.json') {
      const doc: unknown = JSON.parse(text);
      if (isObject(doc)) {
        if (isObject(doc.results) && Array.isArray(doc.results.results)) return 'promptfoo';
        if (Array.isArray(doc.results) && ('version' in doc || 'stats' in doc) && doc.results.some((r) => isObject(r) && ('promptIdx' in r || 'gradingResult' in r))) return 'promptfoo';
        return null;
      }
      if (Array.isArray(doc) && doc.length && looksLikeSheet(objectKeys(doc[0]))) return 'sheet';
      return null;
    }
    if (ext === '.jsonl' || ext === '.ndjson') {
      const first = text.split(/\r?\n/).find((l) => l.trim() !== '');
      if (!first) return null;
      const row: unknown = JSON.parse(first);
      if (isObject(row) && Array.isArray(row.messages)) return 'chat';
      if (looksLikeSheet(objectKeys(row))) return 'sheet';
      return null;
    }
    if (ext === '.csv') {
      const header = (parseCsv(text, { to_line: 1, relax_column_count: true }) as string[][])[0] ?? [];
      return looksLikeSheet(header) ? 'sheet' : null;
    }
  } catch {
    return null;
  }
  return null;
}

export interface ImportConvertedOptions {
  dataset: string;
  /** the criterion the labels and the run are for: created (binary) if missing; required when the file has either */
  criterion?: string;
  /** annotator for labels whose row names none (default: the criterion's principal annotator) */
  annotator?: string;
  /** the imported run's name (default: what the converter proposes, e.g. "promptfoo llm-rubric (eval-…)") */
  runName?: string;
}

export interface ImportConvertedResult {
  dataset: Dataset;
  criterion: Criterion | null;
  items: ItemImportResult;
  labels: LabelImportResult | null;
  run: Run | null;
  warnings: string[];
}

/** An import warning in the converters' `line N: …` wording. */
function warningText(w: ImportWarning): string {
  return `${w.line !== null ? `line ${w.line}: ` : ''}${w.field !== null ? `${w.field}: ` : ''}${w.message}`;
}

/**
 * A validator's complaints about Concur fields, renamed to the columns/paths they came from in the
 * original file: every listed problem, not only the first (the count of the rest is kept).
 */
function inOriginalTerms(e: unknown, src: ConvertedSource | null): unknown {
  if (!(e instanceof InputError) || !src?.origins) return e;
  const origins = src.origins;
  const own = (k: string) => (Object.hasOwn(origins, k) ? origins[k] : undefined);
  const rename = (field: string | null): string | null => {
    if (!field) return field;
    const [head, ...rest] = field.split('.');
    return own(field) ?? (rest.length && own(head!) ? `${own(head!)}.${rest.join('.')}` : undefined) ?? field;
  };
  const errors = e.errors.map((p) => ({ ...p, field: rename(p.field) }));
  if (e.field === rename(e.field) && errors.every((p, i) => p.field === e.errors[i]!.field)) return e;
  const renamed = new InputError(e.file, e.line, rename(e.field), e.reason);
  renamed.errors = errors;
  renamed.moreErrors = e.moreErrors;
  // the message keeps the collector's "(and N more problems …)" tail
  const tail = / \(and \d+ more problems? in this file\)$/.exec(e.message)?.[0];
  if (tail) renamed.message += tail;
  return renamed;
}

/**
 * Imports a converted file: the dataset and the (binary) criterion are created if missing, then
 * the items, the labels and the run are written — all in ONE transaction, so a problem anywhere
 * (a bad verdict on the last row, an unknown id) imports nothing at all.
 */
export function importConverted(ws: Workspace, converted: ConvertedImport, opts: ImportConvertedOptions): ImportConvertedResult {
  if (!opts.dataset?.trim()) throw new ValidationError('dataset', 'name the dataset to import into');
  const criterionName = opts.criterion?.trim();
  if ((converted.labels || converted.run) && !criterionName) {
    throw new ValidationError('criterion', `this file has ${converted.labels ? 'expert labels' : 'judge verdicts'}: name the criterion they are for`);
  }
  const runName = (opts.runName ?? converted.run?.name ?? '').trim();
  if (converted.run && !runName) throw new ValidationError('name', 'an imported run needs a name (e.g. the judge that produced it)');
  let stage: ConvertedSource | null = null;
  try {
    return ws.repos.db.transaction((): ImportConvertedResult => {
      stage = converted.items;
      // converters report the columns they ignore themselves
      const items = importItems(ws.repos, opts.dataset, { ...converted.items, reportIgnoredFields: false });
      stage = null;
      let criterion: Criterion | null = null;
      if (criterionName) criterion = ws.repos.criteria.byName(items.dataset.id, criterionName) ?? ws.addCriterion(items.dataset.id, { name: criterionName });
      let labels: LabelImportResult | null = null;
      if (converted.labels) { stage = converted.labels; labels = importLabels(ws.repos, criterion!, { ...converted.labels, reportIgnoredFields: false }, opts.annotator); }
      let run: (Run & ImportWarnings) | null = null;
      if (converted.run) { stage = converted.run.source; run = importRun(ws.repos, criterion!, { ...converted.run.source, reportIgnoredFields: false }, runName); }
      stage = null;
      const own = [items, labels, run].flatMap((r) => (r ? [...r.warnings.map(warningText), ...(r.moreWarnings ? [`${r.moreWarnings} more warnings not shown`] : [])] : []));
      return { dataset: ws.repos.datasets.get(items.dataset.id)!, criterion, items, labels, run, warnings: [...(converted.warnings ?? []), ...own] };
    })();
  } catch (e) {
    throw inOriginalTerms(e, stage);
  }
}
