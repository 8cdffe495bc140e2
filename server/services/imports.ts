import type { Repositories } from '../db/index.ts';
import type { Criterion, Dataset, ImportWarnings, Run } from '../../shared/types.ts';
import { describeVerdicts, normaliseVerdict } from '../../shared/verdicts.ts';
import { shellQuote } from '../../shared/shell.ts';
import { InputError, isObject, MAX_JSON_DEPTH, ProblemCollector, tooDeepField, type SourceRecord } from './records.ts';
import { assignSplit, checkSplits } from './splits.ts';
import { ImportWarningList } from './import-warnings.ts';
import type { NewItem } from '../db/items.ts';
import type { NewLabel } from '../db/labels.ts';
import type { NewJudgment } from '../db/runs.ts';

export interface ImportSource {
  name: string;
  records: SourceRecord[];
  /** what reading the file already changed (invalid UTF-8); the import adds what it changes and returns them all */
  warnings?: ImportWarningList;
  /** false for records a converter built (it reports the columns it ignored itself) */
  reportIgnoredFields?: boolean;
  /** fields already reported as ignored (shared by the calls of a streamed import, so each is reported once) */
  ignoredFields?: Set<string>;
}

/** The warning list of a source, created on first use. */
function warningsOf(src: ImportSource): ImportWarningList {
  return (src.warnings ??= new ImportWarningList());
}

/**
 * Warns once per file about each field of a record that is neither one the import reads nor a
 * mapped column: it is dropped, and the user should know (a typo such as "ouptut" loses data).
 */
function fieldReporter(src: ImportSource, map: FieldMap, known: readonly string[], prefix?: string): (rec: SourceRecord) => void {
  if (src.reportIgnoredFields === false) return () => {};
  const used = new Set<string>(known);
  for (const column of Object.values(map)) { used.add(column); used.add(column.split('.')[0]!); }
  const reported = (src.ignoredFields ??= new Set<string>());
  return (rec) => {
    for (const key of Object.keys(rec.fields)) {
      if (used.has(key) || reported.has(key) || (prefix !== undefined && key.startsWith(prefix))) continue;
      reported.add(key);
      warningsOf(src).add(rec.line, key, 'is not a field Concur reads; ignored (this line and every later one)');
    }
  };
}

const ITEM_FIELDS = ['id', 'input', 'output', 'output_b', 'context', 'dimensions'] as const;
/** label files may carry the columns Concur's own label export writes beside the label */
const LABEL_FIELDS = ['id', 'verdict', 'critique', 'ambiguous', 'annotator', 'input', 'output', 'output_b', 'split', 'labelled_at'] as const;
const RUN_FIELDS = ['id', 'verdict', 'critique', 'raw', 'error', 'sample'] as const;

/** `--map field=column`: which source column holds each Concur field. */
export type FieldMap = Record<string, string>;

export function parseFieldMap(pairs: string[]): FieldMap {
  const map: FieldMap = Object.create(null);
  for (const p of pairs) {
    const m = /^([\w.]+)=(.+)$/.exec(p);
    if (!m) throw new InputError('--map', null, null, `"${p}" is not field=column`);
    map[m[1]!] = m[2]!;
  }
  return map;
}

/** The column a Concur field is read from (own keys of the map only: a field is never an Object member). */
function columnOf(map: FieldMap, field: string): string {
  return Object.hasOwn(map, field) ? map[field]! : field;
}

function pick(rec: SourceRecord, field: string, map: FieldMap): unknown {
  return getPath(rec.fields, columnOf(map, field));
}

/** A column by name, or a dotted path into nested objects; own keys only, so "constructor" is a column, not Object's. */
function getPath(obj: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(obj, path)) return obj[path];
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(cur) || !Object.hasOwn(cur, part)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function text(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A required text field; `allowEmpty` accepts a present but empty value (a model can answer nothing, and that is judged too). */
function requireText(src: ImportSource, rec: SourceRecord, field: string, map: FieldMap, allowEmpty = false): string {
  const v = text(pick(rec, field, map));
  if (v === null || (!allowEmpty && v.trim() === '')) {
    const column = columnOf(map, field);
    throw new InputError(src.name, rec.line, column, `is missing or empty${column !== field ? ` (mapped to ${field})` : ''}`);
  }
  return v;
}

/** Validates every record into an item, or throws the problems found (every record's, up to MAX_LISTED_ERRORS); nothing is written here. */
export function parseItems(src: ImportSource, map: FieldMap = {}): NewItem[] {
  const seen = new Map<string, number>();
  const reportFields = fieldReporter(src, map, ITEM_FIELDS, 'dim.');
  const problems = new ProblemCollector();
  const items: NewItem[] = [];
  for (const rec of src.records) problems.record(() => items.push(parseItem(src, rec, map, seen, reportFields)));
  problems.done();
  return items;
}

function parseItem(src: ImportSource, rec: SourceRecord, map: FieldMap, seen: Map<string, number>, reportFields: (rec: SourceRecord) => void): NewItem {
  {
    reportFields(rec);
    const externalId = requireText(src, rec, 'id', map);
    if (seen.has(externalId)) throw new InputError(src.name, rec.line, columnOf(map, 'id'), `duplicate id "${externalId}" (also on line ${seen.get(externalId)})`);
    seen.set(externalId, rec.line);
    const input = requireText(src, rec, 'input', map);
    const output = requireText(src, rec, 'output', map, true);
    const outputB = text(pick(rec, 'output_b', map));
    return {
      externalId, input, output, outputB,
      context: parseContext(src, rec, map), dimensions: parseDimensions(src, rec, map), split: 'dev',
    };
  }
}

function parseContext(src: ImportSource, rec: SourceRecord, map: FieldMap): Record<string, unknown> {
  const v = pick(rec, 'context', map);
  if (v === undefined || v === null || v === '') return {};
  const tooDeep = (obj: Record<string, unknown>) => {
    if (tooDeepField({ context: obj }) !== null) throw new InputError(src.name, rec.line, columnOf(map, 'context'), `nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`);
    return obj;
  };
  if (isObject(v)) return tooDeep(v);
  if (typeof v === 'string') {
    let parsed: unknown;
    try { parsed = JSON.parse(v); } catch { /* reported below */ }
    if (isObject(parsed)) return tooDeep(parsed);
    throw new InputError(src.name, rec.line, columnOf(map, 'context'), 'must be a JSON object (or a string holding one)');
  }
  throw new InputError(src.name, rec.line, columnOf(map, 'context'), 'must be a JSON object');
}

function parseDimensions(src: ImportSource, rec: SourceRecord, map: FieldMap): Record<string, string> {
  // null prototype: a dimension named "__proto__" is kept as data (a plain {} would drop it silently)
  const dims: Record<string, string> = Object.create(null);
  const v = pick(rec, 'dimensions', map);
  if (v !== undefined && v !== null && v !== '') {
    let obj: unknown = v;
    if (typeof v === 'string') { try { obj = JSON.parse(v); } catch { obj = null; } }
    if (!isObject(obj)) throw new InputError(src.name, rec.line, columnOf(map, 'dimensions'), 'must be an object of name → value');
    for (const [k, val] of Object.entries(obj)) {
      if (val === null || val === undefined) { warningsOf(src).add(rec.line, `dimensions.${k}`, 'is null; no value stored'); continue; }
      if (isObject(val) || Array.isArray(val)) throw new InputError(src.name, rec.line, `dimensions.${k}`, 'must be a single value (text or number)');
      dims[k] = String(val);
    }
  }
  // a dimension given twice (in "dimensions" and as a column) keeps the later one, and says so
  const set = (name: string, val: string, from: string) => {
    if (Object.hasOwn(dims, name) && dims[name] !== val) warningsOf(src).add(rec.line, from, `overrides dimension "${name}" = "${dims[name]}" with "${val}"`);
    dims[name] = val;
  };
  for (const [key, val] of Object.entries(rec.fields)) {
    if (!key.startsWith('dim.') || val === '' || val === null || val === undefined) continue;
    if (isObject(val) || Array.isArray(val)) throw new InputError(src.name, rec.line, key, 'must be a single value (text or number)');
    set(key.slice(4), String(val), key);
  }
  for (const [field, column] of Object.entries(map)) {
    if (field.startsWith('dim.')) { const val = text(getPath(rec.fields, column)); if (val) set(field.slice(4), val, column); }
  }
  return dims;
}

export interface ItemImportResult extends ImportWarnings { dataset: Dataset; created: number; updated: number; total: number }

/**
 * Imports items into a dataset (created if missing). All records are validated first and
 * written in one transaction, so a bad file changes nothing. Re-importing an id updates it.
 */
export function importItems(repos: Repositories, datasetName: string, src: ImportSource, map: FieldMap = {}, splits?: Dataset['splits']): ItemImportResult {
  checkSplits(datasetName, repos.datasets.byName(datasetName) ?? null, splits);
  if (!src.records.length) throw new InputError(src.name, null, null, 'no records found');
  const items = parseItems(src, map);
  return repos.db.transaction(() => {
    const dataset = repos.datasets.byName(datasetName) ?? repos.datasets.create(datasetName, '', splits);
    let created = 0;
    for (const item of items) {
      item.split = assignSplit(item.externalId, dataset.splits);
      if (repos.items.upsert(dataset.id, item).created) created++;
    }
    return { dataset: repos.datasets.get(dataset.id)!, created, updated: items.length - created, total: items.length, ...warningsOf(src).summary() };
  })();
}

const TRUE_WORDS = ['1', 'true', 'yes', 'y'];
const FALSE_WORDS = ['0', 'false', 'no', 'n'];

/** A yes/no cell; anything else is read as "no" and reported, since it loses what the user wrote. */
function parseBool(v: unknown, report: (message: string) => void): boolean {
  if (v === undefined || v === null || v === '' || v === false) return false;
  if (v === true) return true;
  const word = String(v).trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (!FALSE_WORDS.includes(word)) report(`"${String(v)}" is not yes/no (${TRUE_WORDS.join(', ')} / ${FALSE_WORDS.join(', ')}); read as no`);
  return false;
}

export interface LabelImportResult extends ImportWarnings { added: number; unchanged: number; total: number; suggestedPrincipal?: string }

/**
 * Imports labels (fields id, verdict, critique, optional ambiguous and annotator) for a criterion.
 * Labels are appended to the history; a row equal to the annotator's current label is skipped.
 */
export function importLabels(repos: Repositories, criterion: Criterion, src: ImportSource, annotator?: string, map: FieldMap = {}): LabelImportResult {
  if (!src.records.length) throw new InputError(src.name, null, null, 'no records found');
  const reportFields = fieldReporter(src, map, LABEL_FIELDS);
  // item id + annotator → the line of its first row: a second row in the same file becomes the current label
  const firstRow = new Map<string, number>();
  const problems = new ProblemCollector();
  const rows: NewLabel[] = [];
  for (const rec of src.records) problems.record(() => rows.push(labelRow(rec)));
  problems.done();
  function labelRow(rec: SourceRecord): NewLabel {
    reportFields(rec);
    const id = requireText(src, rec, 'id', map);
    const item = repos.items.byExternalId(criterion.datasetId, id);
    if (!item) throw new InputError(src.name, rec.line, columnOf(map, 'id'), `no item "${id}" in this dataset`);
    const ambiguous = parseBool(pick(rec, 'ambiguous', map), (m) => warningsOf(src).add(rec.line, columnOf(map, 'ambiguous'), m));
    const raw = pick(rec, 'verdict', map);
    const verdict = normaliseVerdict(raw, criterion);
    const blank = raw === undefined || raw === null || String(raw).trim() === '';
    if (!verdict && !(ambiguous && blank)) {
      throw new InputError(src.name, rec.line, columnOf(map, 'verdict'), blank ? `is missing (expected ${describeVerdicts(criterion)})` : `"${String(raw)}" is not a verdict: expected ${describeVerdicts(criterion)}`);
    }
    const who = text(pick(rec, 'annotator', map)) || annotator || criterion.principalAnnotator;
    const key = `${item.id}\u0000${who}`;
    const before = firstRow.get(key);
    if (before !== undefined) warningsOf(src).add(rec.line, columnOf(map, 'id'), `"${id}" by ${who} is also on line ${before}; both are kept in the history and this later row is the current label`);
    else firstRow.set(key, rec.line);
    return { itemId: item.id, annotator: who, verdict, critique: text(pick(rec, 'critique', map)) ?? '', ambiguous, source: 'import' };
  }
  return repos.db.transaction(() => {
    let added = 0;
    for (const l of rows) {
      const cur = repos.labels.latest(criterion.id, l.itemId, l.annotator);
      if (cur && cur.verdict === l.verdict && cur.critique === l.critique && cur.ambiguous === l.ambiguous) continue;
      repos.labels.append(criterion.id, l);
      added++;
    }
    // labels under a new annotator while the principal has none: every report would measure against nobody
    const have = repos.alignment.annotators(criterion.id);
    const other = rows.find((l) => l.annotator !== criterion.principalAnnotator)?.annotator;
    const suggestedPrincipal = other !== undefined && !have.includes(criterion.principalAnnotator) ? other : undefined;
    if (suggestedPrincipal !== undefined) {
      warningsOf(src).add(null, 'annotator', `criterion "${criterion.name}" has no labels by its principal annotator "${criterion.principalAnnotator}", so its reports would compare with nobody; make "${suggestedPrincipal}" the principal: concur criteria set-principal --dataset ${shellQuote(repos.datasets.get(criterion.datasetId)!.name)} --criterion ${shellQuote(criterion.name)} --annotator ${shellQuote(suggestedPrincipal)}`);
    }
    return { added, unchanged: rows.length - added, total: rows.length, ...warningsOf(src).summary(), ...(suggestedPrincipal !== undefined ? { suggestedPrincipal } : {}) };
  })();
}

/**
 * Imports verdicts produced elsewhere as a finished run (fields id, verdict, critique, optional raw, error, sample).
 * A row without a usable verdict becomes a recorded error, never a verdict.
 */
export function importRun(repos: Repositories, criterion: Criterion, src: ImportSource, name: string, map: FieldMap = {}): Run & ImportWarnings {
  if (!src.records.length) throw new InputError(src.name, null, null, 'no records found');
  const judgments: NewJudgment[] = [];
  const seen = new Set<string>();
  let samples = 1;
  const reportFields = fieldReporter(src, map, RUN_FIELDS);
  const problems = new ProblemCollector();
  for (const rec of src.records) problems.record(() => {
    reportFields(rec);
    const id = requireText(src, rec, 'id', map);
    const item = repos.items.byExternalId(criterion.datasetId, id);
    if (!item) throw new InputError(src.name, rec.line, columnOf(map, 'id'), `no item "${id}" in this dataset`);
    const sampleRaw = pick(rec, 'sample', map);
    const sample = sampleRaw === undefined || sampleRaw === '' ? 0 : Number(sampleRaw);
    if (!Number.isInteger(sample) || sample < 0) throw new InputError(src.name, rec.line, 'sample', 'must be a non-negative integer');
    const key = `${item.id}:${sample}`;
    if (seen.has(key)) throw new InputError(src.name, rec.line, columnOf(map, 'id'), `duplicate verdict for "${id}" (sample ${sample})`);
    seen.add(key);
    samples = Math.max(samples, sample + 1);
    const raw = pick(rec, 'verdict', map);
    const verdict = normaliseVerdict(raw, criterion);
    const blank = raw === undefined || raw === null || String(raw).trim() === '';
    const givenError = text(pick(rec, 'error', map));
    if (!verdict && !blank && !givenError) {
      throw new InputError(src.name, rec.line, columnOf(map, 'verdict'), `"${String(raw)}" is not a verdict: expected ${describeVerdicts(criterion)} (leave it empty and set "error" for an unparseable judge output)`);
    }
    judgments.push({
      itemId: item.id, sample, verdict: verdict, critique: text(pick(rec, 'critique', map)) ?? '',
      raw: text(pick(rec, 'raw', map)) ?? text(raw) ?? '',
      error: verdict ? null : (givenError || 'no verdict in the imported row'),
      latencyMs: null, promptTokens: 0, completionTokens: 0, cost: 0, cached: false, attempts: 1,
    });
  });
  problems.done();
  return repos.db.transaction(() => {
    const itemIds = [...new Set(judgments.map((j) => j.itemId))];
    const run = repos.runs.create({
      criterionId: criterion.id, datasetId: criterion.datasetId, versionId: null, kind: 'imported', name, split: 'all',
      scope: 'all', samples, variant: {}, concurrency: 0, status: 'done', itemIds,
    });
    repos.runs.recordJudgments(run.id, judgments);
    repos.runs.setStatus(run.id, 'done', `imported from ${src.name}`);
    return { ...repos.runs.get(run.id)!, ...warningsOf(src).summary() };
  })();
}

