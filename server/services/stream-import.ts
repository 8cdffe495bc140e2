import { importIdsRepository } from '../db/importIds.ts';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Repositories } from '../db/index.ts';
import type { Dataset } from '../../shared/types.ts';
import { checkDepth, InputError, isObject, ProblemCollector } from './records.ts';
import { parseItems, type FieldMap, type ItemImportResult } from './imports.ts';
import { assignSplit, checkSplits } from './splits.ts';
import { decodeLine, ImportWarningList, INVALID_UTF8 } from './import-warnings.ts';

export interface StreamImportOptions {
  /** `--map field=column`, as for the whole-file import */
  map?: FieldMap;
  /** split shares of a dataset created by this import */
  splits?: Dataset['splits'];
  /** called every `progressEvery` records with the number read so far */
  onProgress?: (records: number) => void;
  progressEvery?: number;
  /** read size; memory use is about this plus SQLite's page caches, whatever the file size */
  chunkBytes?: number;
}

/**
 * Imports items from a JSONL file of any size with bounded memory: the file is read in chunks,
 * each line validated exactly as the whole-file import does (same fields, same messages naming
 * file, line and field) and upserted at once. Everything happens in one transaction, so a bad
 * line anywhere (or a duplicate id, found through a temporary on-disk table rather than an
 * in-memory set) rolls back the whole import: a failed import changes nothing.
 *
 * Synchronous on purpose: no other statement can run on the connection while the transaction is
 * open, so nothing else is ever rolled back with a failed import. Meant for the CLI (it blocks the
 * event loop for the duration of the import).
 * @throws InputError naming the file, the line and the field
 * @example importItemsFromJsonl(repos, 'support', 'items.jsonl', { map: { input: 'question' } })
 */
export function importItemsFromJsonl(repos: Repositories, datasetName: string, file: string, opts: StreamImportOptions = {}): ItemImportResult {
  try { if (!statSync(file).isFile()) throw new Error('not a file'); } catch { throw new InputError(file, null, null, 'file not found'); }
  const map = opts.map ?? {};
  const db = repos.db;
  const seen = importIdsRepository(db);
  const every = opts.progressEvery ?? 10_000;
  const warnings = new ImportWarningList();

  const run = db.transaction((): ItemImportResult => {
    seen.clear();
    const dataset = repos.datasets.byName(datasetName) ?? repos.datasets.create(datasetName, '', checkSplits(datasetName, null, opts.splits));
    let created = 0, total = 0;
    const ignoredFields = new Set<string>();
    // every line's problem is collected (up to MAX_LISTED_ERRORS listed); any problem rolls the whole import back
    const problems = new ProblemCollector();
    forEachLine(file, opts.chunkBytes ?? 1 << 20, (text, line, invalidUtf8) => problems.record(() => {
      const trimmed = text.trim();
      if (!trimmed) return;
      let value: unknown;
      try { value = JSON.parse(trimmed); } catch (e) {
        throw new InputError(file, line, null, `not valid JSON (${(e as Error).message})`);
      }
      if (!isObject(value)) throw new InputError(file, line, null, 'expected a JSON object');
      checkDepth(value, file, line);
      const record = { line, fields: value };
      if (invalidUtf8) {
        const fields = Object.keys(value).filter((k) => k.includes('\uFFFD') || (JSON.stringify(value[k]) ?? '').includes('\uFFFD'));
        warnings.add(line, fields.length ? fields.join(', ') : null, INVALID_UTF8);
      }
      const item = parseItems({ name: file, records: [record], warnings, ignoredFields }, map)[0]!;
      const firstLine = seen.remember(item.externalId, line);
      if (firstLine !== null) throw new InputError(file, line, map.id ?? 'id', `duplicate id "${item.externalId}" (also on line ${firstLine})`);
      item.split = assignSplit(item.externalId, dataset.splits);
      if (repos.items.upsert(dataset.id, item).created) created++;
      if (++total % every === 0) opts.onProgress?.(total);
    }));
    problems.done();
    if (!total) throw new InputError(file, null, null, 'no records found');
    seen.clear();
    return { dataset: repos.datasets.get(dataset.id)!, created, updated: total - created, total, ...warnings.summary() };
  });
  return run.immediate();
}

/**
 * Calls `fn(lineText, lineNumber, invalidUtf8)` for every line of a file, reading `chunkBytes` at a
 * time. Lines are split on bytes and decoded one by one, so invalid UTF-8 is replaced by U+FFFD
 * and reported for the line that held it.
 */
function forEachLine(file: string, chunkBytes: number, fn: (text: string, line: number, invalidUtf8: boolean) => void) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let carry: Buffer = Buffer.alloc(0), line = 0, first = true;
    const emit = (bytes: Buffer) => {
      let invalid = false;
      let text = decodeLine(bytes, () => { invalid = true; });
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
      fn(text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text, ++line, invalid);
    };
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, null);
      if (n <= 0) {
        if (carry.length) emit(carry);
        return;
      }
      const bytes = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let start = 0;
      for (;;) {
        const nl = bytes.indexOf(10, start);
        if (nl < 0) break;
        emit(bytes.subarray(start, nl));
        start = nl + 1;
      }
      // copied: `buf` is overwritten by the next read
      carry = Buffer.from(bytes.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
}
