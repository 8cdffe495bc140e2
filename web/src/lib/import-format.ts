/**
 * Which kind of file the user dropped on the import screen: Concur's own items, or one of the
 * foreign formats the server converts (POST /api/import/foreign). The guess only preselects the
 * choice; the user can change it, and the server validates whatever is sent.
 */
import type { ForeignFormat } from './types.ts';

export type ImportFormat = 'items' | ForeignFormat;

export interface FormatInfo {
  value: ImportFormat;
  label: string;
  /** what the file is and what Concur makes of it */
  hint: string;
  /** whether the file brings expert labels or judge verdicts, so a criterion must be named */
  needsCriterion: boolean;
}

export const IMPORT_FORMATS: FormatInfo[] = [
  { value: 'items', label: 'Concur items', hint: 'JSONL, CSV or JSON records with id, input, output: items only, with a preview and column mapping.', needsCriterion: false },
  { value: 'promptfoo', label: 'promptfoo results', hint: 'The JSON from promptfoo eval -o results.json: each graded output becomes an item, its llm-rubric verdicts an imported run (manual ratings become expert labels).', needsCriterion: true },
  { value: 'sheet', label: 'Review sheet', hint: 'A CSV with input, output, the expert verdict and critique, and the judge verdict (the spreadsheet a critique-shadowing review produces): items, labels and an imported run.', needsCriterion: true },
  { value: 'chat', label: 'Chat JSONL', hint: 'OpenAI chat format, one {"messages": [...]} per line: the last assistant message is the output, the conversation before it the input. Items only.', needsCriterion: false },
];

export const formatInfo = (f: ImportFormat): FormatInfo => IMPORT_FORMATS.find((x) => x.value === f)!;

/** Header words that mark a review sheet: a judge's verdict, or an expert's beside the data. */
const JUDGE_WORDS = /(^|_)(judge|llm)(_|$)|^(model|ai|auto|eval)_verdict$/;
const EXPERT_WORDS = /^(expert|human|gold)(_|$)|^(label|verdict|pass_fail|ground_truth|rating|annotation)$/;

const norm = (h: string) => h.trim().toLowerCase().replace(/[\s\-./]+/g, '_').replace(/^_+|_+$/g, '');

function looksLikeSheet(headers: string[]): boolean {
  const h = headers.map(norm);
  if (h.some((x) => JUDGE_WORDS.test(x))) return true;
  return h.some((x) => EXPERT_WORDS.test(x)) && h.some((x) => /input|prompt|question|query|request|instruction/.test(x)) && h.some((x) => /output|response|answer|completion/.test(x));
}

/** The first row of a CSV, split on commas outside quotes (enough for a header line). */
function csvHeader(text: string): string[] {
  const line = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"') { if (quoted && line[i + 1] === '"') { cur += '"'; i++; } else quoted = !quoted; }
    else if (ch === ',' && !quoted) { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Guesses the format from the file name and content; 'items' when nothing foreign is recognised. */
export function guessImportFormat(fileName: string, text: string): ImportFormat {
  const ext = fileName.toLowerCase().match(/\.(jsonl|ndjson|csv|json)$/)?.[1];
  try {
    if (ext === 'json') {
      const doc: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
      if (isObject(doc) && (isObject(doc.results) && Array.isArray(doc.results.results))) return 'promptfoo';
      if (isObject(doc) && Array.isArray(doc.results) && doc.results.some((r) => isObject(r) && ('gradingResult' in r || 'promptIdx' in r))) return 'promptfoo';
      if (Array.isArray(doc) && isObject(doc[0]) && looksLikeSheet(Object.keys(doc[0]))) return 'sheet';
      return 'items';
    }
    if (ext === 'jsonl' || ext === 'ndjson') {
      const first = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '');
      const row: unknown = first ? JSON.parse(first) : null;
      if (isObject(row) && Array.isArray(row.messages)) return 'chat';
      if (isObject(row) && looksLikeSheet(Object.keys(row))) return 'sheet';
      return 'items';
    }
    if (ext === 'csv') return looksLikeSheet(csvHeader(text)) ? 'sheet' : 'items';
  } catch {
    // unparseable: let the chosen importer report the line
  }
  return 'items';
}
