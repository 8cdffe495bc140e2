import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { unprotectCell } from './csv.ts';
import { UserError } from './errors.ts';
import { decodeUtf8Lines, ImportWarningList, INVALID_UTF8 } from './import-warnings.ts';

export type FileFormat = 'jsonl' | 'csv' | 'json';

/** One record of an input file with the line it starts on (1-based). */
export interface SourceRecord { line: number; fields: Record<string, unknown> }

/** An input problem that names the file, the line and, where known, the field. */
export class InputError extends UserError {
  declare readonly file: string;
  /** every problem found in the file, up to MAX_LISTED_ERRORS (a single error lists itself) */
  errors: InputProblem[];
  /** how many more problems were found beyond those listed */
  moreErrors = 0;
  constructor(file: string, line: number | null, field: string | null, readonly reason: string) {
    super(`${file}${line !== null ? `:${line}` : ''}${field ? `: field "${field}"` : ''}: ${reason}`, { code: 'invalid_input', file, line, field });
    this.errors = [{ file, line, field, message: reason }];
  }
}

/** One problem of an input file: where (file, line, field) and what. */
export interface InputProblem { file: string; line: number | null; field: string | null; message: string }

/** How many problems of one file an error lists; the rest are counted (`moreErrors`). */
export const MAX_LISTED_ERRORS = 50;

/**
 * Collects the problems of a file record by record instead of stopping at the first, so the user
 * fixes them in one go. `done()` throws the first InputError carrying them all (its message says
 * how many more there are); an import that collected any writes nothing.
 */
export class ProblemCollector {
  private first: InputError | null = null;
  private readonly listed: InputProblem[] = [];
  private more = 0;

  /** Runs `fn` (one record's checks); an InputError is recorded and `undefined` returned. */
  record<T>(fn: () => T): T | undefined {
    try { return fn(); } catch (e) {
      if (!(e instanceof InputError)) throw e;
      this.add(e);
      return undefined;
    }
  }

  add(e: InputError) {
    this.first ??= e;
    for (const p of e.errors) { if (this.listed.length < MAX_LISTED_ERRORS) this.listed.push(p); else this.more++; }
    this.more += e.moreErrors;
  }

  get count() { return this.listed.length + this.more; }

  /** Throws the problems found, if any. */
  done() {
    const e = this.first;
    if (!e) return;
    if (this.count > 1) {
      e.errors = this.listed;
      e.moreErrors = this.more;
      e.message = `${e.message} (and ${this.count - 1} more problem${this.count === 2 ? '' : 's'} in this file)`;
    }
    throw e;
  }
}

export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

/** How deep objects and arrays may nest inside one field of a record (a context of 50,000 levels is an attack, not data). */
export const MAX_JSON_DEPTH = 64;

/**
 * The first field of a record whose value nests objects/arrays deeper than `limit`, or null.
 * Iterative, so a value nested 50,000 levels deep is measured without overflowing the stack
 * (JSON.stringify and the validators later would).
 */
export function tooDeepField(fields: Record<string, unknown>, limit = MAX_JSON_DEPTH): string | null {
  for (const [field, value] of Object.entries(fields)) {
    const stack: Array<[unknown, number]> = [[value, 0]];
    while (stack.length) {
      const [v, depth] = stack.pop()!;
      if (typeof v !== 'object' || v === null) continue;
      if (depth + 1 > limit) return field;
      for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return null;
}

/** Throws an InputError naming the field when a record nests deeper than MAX_JSON_DEPTH. */
export function checkDepth(fields: Record<string, unknown>, file: string, line: number | null): void {
  const field = tooDeepField(fields);
  if (field !== null) throw new InputError(file, line, field, `nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`);
}

export function detectFormat(file: string, explicit?: string): FileFormat {
  if (explicit) {
    if (explicit === 'jsonl' || explicit === 'csv' || explicit === 'json') return explicit;
    throw new InputError(basename(file), null, null, `unknown format "${explicit}" (use jsonl, csv or json)`);
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'json';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new InputError(basename(file), null, null, `cannot tell the format from the extension "${ext}"; pass --format jsonl|csv|json`);
}

export function readRecordsFromFile(file: string, format?: string, warnings?: ImportWarningList): SourceRecord[] {
  const fmt = detectFormat(file, format);
  let size: number;
  try { size = statSync(file).size; } catch { throw new InputError(file, null, null, 'file not found'); }
  if (size > MAX_IMPORT_BYTES) throw new InputError(file, null, null, `file is ${size} bytes; the limit is ${MAX_IMPORT_BYTES}`);
  return parseRecordBytes(readFileSync(file), fmt, file, warnings);
}

/** A file as an import source whose `warnings` already say which lines had invalid UTF-8. */
export function readSourceFromFile(file: string, format?: string): { name: string; records: SourceRecord[]; warnings: ImportWarningList } {
  const warnings = new ImportWarningList();
  return { name: file, records: readRecordsFromFile(file, format, warnings), warnings };
}

/**
 * Parses a file's bytes: invalid UTF-8 is replaced by U+FFFD and reported in `warnings` with its
 * line and, where one record holds it, the fields that now contain U+FFFD.
 */
export function parseRecordBytes(bytes: Uint8Array, format: FileFormat, name: string, warnings?: ImportWarningList): SourceRecord[] {
  const { text, badLines } = decodeUtf8Lines(bytes);
  const records = parseRecords(text, format, name, warnings);
  if (badLines.length && warnings) {
    let r = 0;
    for (const line of badLines) {
      // the record this line belongs to: the last one starting at or before it (records are in file order)
      while (r + 1 < records.length && records[r + 1]!.line <= line) r++;
      const rec = records[r] && records[r]!.line <= line ? records[r]! : null;
      const fields = rec ? Object.keys(rec.fields).filter((k) => valueText(rec.fields[k]).includes('\uFFFD') || k.includes('\uFFFD')) : [];
      warnings.add(line, fields.length ? fields.join(', ') : null, INVALID_UTF8);
    }
  }
  return records;
}

function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? '';
}

/** Parses text in one of the supported formats; `name` is used in error messages; what parsing changed goes to `warnings`. */
export function parseRecords(text: string, format: FileFormat, name: string, warnings?: ImportWarningList): SourceRecord[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (format === 'jsonl') return parseJsonl(text, name);
  if (format === 'json') return parseJsonArray(text, name);
  return parseCsvRecords(text, name, warnings);
}

function parseJsonl(text: string, name: string): SourceRecord[] {
  const out: SourceRecord[] = [];
  const lines = text.split(/\r?\n/);
  const problems = new ProblemCollector();
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    problems.record(() => {
      let value: unknown;
      try { value = JSON.parse(raw); } catch (e) {
        throw new InputError(name, i + 1, null, `not valid JSON (${(e as Error).message})`);
      }
      if (!isObject(value)) throw new InputError(name, i + 1, null, 'expected a JSON object');
      checkDepth(value, name, i + 1);
      out.push({ line: i + 1, fields: value });
    });
  }
  problems.done();
  return out;
}

function parseJsonArray(text: string, name: string): SourceRecord[] {
  let value: unknown;
  try { value = JSON.parse(text); } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    throw new InputError(name, pos ? lineAt(text, Number(pos[1])) : null, null, `not valid JSON (${msg})`);
  }
  const array = Array.isArray(value) ? value : isObject(value) && Array.isArray(value.items) ? value.items : null;
  if (!array) throw new InputError(name, 1, null, 'expected a JSON array of objects (or {"items": [...]})');
  const starts = jsonArrayElementLines(text, Array.isArray(value) ? [] : ['items']);
  return array.map((v, i) => {
    const line = starts[i] ?? 1;
    if (!isObject(v)) throw new InputError(name, line, null, `element ${i + 1} is not an object`);
    checkDepth(v, name, line);
    return { line, fields: v };
  });
}

function parseCsvRecords(text: string, name: string, warnings?: ImportWarningList): SourceRecord[] {
  const crlf = text.includes('\r\n');
  // csv-parse counts a CRLF inside a quoted field as two lines, which shifts the line of every
  // later record (and of its errors); with LF line breaks its count is exact. Multi-line cells
  // therefore hold LF line breaks, whatever the file used.
  text = text.replace(/\r\n/g, '\n');
  try {
    // cast: undo the `'` Concur's CSV export puts before formula-like cells, so export → import round-trips exactly
    const rows = parseCsv(text, {
      columns: true, skip_empty_lines: true, info: true, relax_column_count: false, trim: false,
      cast: (value, context) => (context.header ? value : unprotectCell(value)),
    }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
    // info.lines is the line the record ends on; a multi-line record starts earlier, so count back its newlines
    return rows.map(({ record, info }) => {
      const line = info.lines - countNewlines(record);
      if (crlf && warnings) {
        for (const [field, v] of Object.entries(record)) if (v.includes('\n')) warnings.add(line, field, 'line breaks (CRLF) inside the cell stored as LF');
      }
      return { line, fields: record };
    });
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new InputError(name, err.lines ?? null, null, `not valid CSV (${err.message})`);
  }
}

function countNewlines(record: Record<string, string>): number {
  let n = 0;
  for (const v of Object.values(record)) for (const ch of v) if (ch === '\n') n++;
  return n;
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Line numbers (1-based) where each element of the array at `path` starts in a JSON text,
 * e.g. path ["results", "results"] for promptfoo's `{"results": {"results": [...]}}`.
 * A small scanner, so a converter can point errors at the row's line in the original file.
 */
export function jsonArrayElementLines(text: string, path: string[]): number[] {
  interface Frame { arr: boolean; key: string | null; wantKey: boolean; path: string[] }
  const target = path.join('\u0001');
  const DEEP = ['\u0002'];
  const out: number[] = [];
  const stack: Frame[] = [];
  let line = 1;
  const isTarget = (f: Frame | undefined) => f !== undefined && f.arr && f.path.join('\u0001') === target;
  const childPath = (f: Frame | undefined): string[] => (f ? [...f.path, f.arr ? '[]' : (f.key ?? '')] : []);
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') { line++; continue; }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === ':') continue;
    const top = stack[stack.length - 1];
    if (ch === ',') { if (top && !top.arr) top.wantKey = true; continue; }
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') { if (text[j] === '\\') j++; j++; }
      if (top && !top.arr && top.wantKey) {
        try { top.key = JSON.parse(text.slice(i, j + 1)) as string; } catch { top.key = text.slice(i + 1, j); }
        top.wantKey = false;
      } else if (isTarget(top)) out.push(line);
      i = j;
      continue;
    }
    if (ch === '{' || ch === '[') {
      if (isTarget(top)) out.push(line);
      // frames deeper than the target cannot be it: they keep no path, so a 50,000-level value costs O(n), not O(n²)
      stack.push({ arr: ch === '[', key: null, wantKey: ch === '{', path: stack.length > path.length ? DEEP : childPath(top) });
      continue;
    }
    if (ch === '}' || ch === ']') { stack.pop(); continue; }
    // a number, true, false or null: skip to its end
    if (isTarget(top)) out.push(line);
    while (i + 1 < text.length && !/[\s,\]}]/.test(text[i + 1]!)) i++;
  }
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
