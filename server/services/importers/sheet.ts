import { extname } from 'node:path';
import { InputError, parseRecords, type SourceRecord } from '../records.ts';
import { dedupeGeneratedIds, normaliseHeader, stableHash, type ConvertedImport } from './common.ts';

/** The roles a sheet column can play. */
export type SheetRole =
  | 'id' | 'input' | 'output' | 'output_b' | 'context' | 'dimensions'
  | 'expert_verdict' | 'expert_critique' | 'ambiguous' | 'annotator'
  | 'judge_verdict' | 'judge_critique';

/** `columns` overrides: role → the sheet's header for it (matched case-insensitively). */
export type SheetColumns = Partial<Record<SheetRole, string>>;

/**
 * Header variants recognised for each role, compared after normalising (lower case, spaces,
 * dashes and dots as underscores). Order matters only within one role: the first present wins.
 */
export const SHEET_ALIASES: Record<SheetRole, string[]> = {
  id: ['id', 'item_id', 'item', 'external_id', 'example_id', 'case_id', 'trace_id', 'row_id', 'uid'],
  input: ['input', 'prompt', 'query', 'question', 'user_query', 'user_input', 'request', 'user_message', 'instruction'],
  output: ['output', 'response', 'answer', 'completion', 'model_output', 'ai_response', 'assistant_response', 'generation', 'output_a', 'response_a'],
  output_b: ['output_b', 'response_b'],
  context: ['context', 'metadata_json'],
  dimensions: ['dimensions'],
  expert_verdict: [
    'expert_verdict', 'expert_label', 'expert', 'human_verdict', 'human_label', 'human', 'label', 'gold', 'gold_label',
    'ground_truth', 'annotation', 'expert_pass_fail', 'pass_fail', 'verdict', 'expert_judgment', 'human_judgment', 'rating',
  ],
  expert_critique: [
    'expert_critique', 'critique', 'human_critique', 'expert_notes', 'expert_comment', 'expert_reason', 'expert_rationale',
    'human_notes', 'human_comment', 'notes', 'comment', 'comments', 'rationale',
  ],
  ambiguous: ['ambiguous', 'is_ambiguous', 'unsure', 'expert_ambiguous'],
  annotator: ['annotator', 'expert_name', 'labeler', 'labeller', 'reviewer', 'rater'],
  judge_verdict: [
    'judge_verdict', 'judge_label', 'judge', 'llm_verdict', 'llm_judge', 'llm_label', 'judge_pass_fail', 'model_verdict',
    'auto_verdict', 'ai_verdict', 'llm_judge_verdict', 'judge_result', 'eval_verdict',
  ],
  judge_critique: [
    'judge_critique', 'judge_reasoning', 'judge_reason', 'judge_rationale', 'judge_explanation', 'judge_notes', 'judge_comment',
    'llm_critique', 'llm_reasoning', 'llm_judge_critique', 'llm_reason', 'ai_critique', 'model_critique',
  ],
};

/** Columns recognised as slicing dimensions without a `dim.` prefix (the critique-shadowing axes). */
const DIMENSION_COLUMNS = ['feature', 'scenario', 'persona', 'segment', 'category', 'topic'];

/** Which header plays which role, from the overrides and then the aliases; throws on an unknown override. */
export function matchSheetColumns(headers: string[], fileName: string, columns: SheetColumns = {}): Map<SheetRole, string> {
  const byNorm = new Map<string, string>();
  for (const h of headers) if (!byNorm.has(normaliseHeader(h))) byNorm.set(normaliseHeader(h), h);
  const roles = new Map<SheetRole, string>();
  const taken = new Set<string>();
  for (const [role, header] of Object.entries(columns) as Array<[SheetRole, string | undefined]>) {
    if (!header) continue;
    const found = byNorm.get(normaliseHeader(header));
    if (!found) throw new InputError(fileName, 1, header, `no such column for ${role} (the header has: ${headers.join(', ')})`);
    roles.set(role, found);
    taken.add(found);
  }
  for (const role of Object.keys(SHEET_ALIASES) as SheetRole[]) {
    if (roles.has(role)) continue;
    for (const alias of SHEET_ALIASES[role]) {
      const found = byNorm.get(alias);
      if (found && !taken.has(found)) { roles.set(role, found); taken.add(found); break; }
    }
  }
  return roles;
}

/** Whether a header row looks like a review sheet (used by format detection). */
export function looksLikeSheet(headers: string[]): boolean {
  const roles = matchSheetColumns(headers, '');
  return roles.has('judge_verdict') || (roles.has('expert_verdict') && roles.has('input') && roles.has('output'));
}

function cell(rec: SourceRecord, header: string | undefined): string {
  if (!header) return '';
  const v = rec.fields[header];
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * Converts the "labels + judge verdict in one sheet" a critique-shadowing review produces
 * (CSV; JSONL/JSON with the same keys also work) into items, expert labels and an imported run.
 *
 * Columns (header variants accepted case-insensitively, see SHEET_ALIASES; `columns` overrides):
 * id, input, output (required); output_b, context (JSON), dimensions (JSON) and `dim.<name>`,
 * feature/scenario/persona/segment/category/topic columns as dimensions; the expert's verdict
 * (expert_verdict, label, human, verdict…), critique, ambiguous and annotator; the judge's
 * verdict (judge_verdict, judge, llm_verdict…) and critique. A row with a blank expert verdict is
 * not labelled (unless marked ambiguous); a row with a blank judge verdict and critique is not in
 * the run. Other columns are ignored, with a warning.
 */
export function fromSheet(text: string, fileName: string, columns: SheetColumns = {}): ConvertedImport {
  const ext = extname(fileName).toLowerCase();
  const format = ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : ext === '.json' ? 'json' : 'csv';
  const rows = parseRecords(text, format, fileName);
  if (!rows.length) throw new InputError(fileName, null, null, 'no rows found');
  const headers = [...new Set(rows.flatMap((r) => Object.keys(r.fields)))];
  const roles = matchSheetColumns(headers, fileName, columns);
  for (const role of ['input', 'output'] as const) {
    if (!roles.has(role)) {
      throw new InputError(fileName, 1, role, `no column for the item's ${role} (accepted headers: ${SHEET_ALIASES[role].join(', ')}; or name it with the columns option)`);
    }
  }
  const col = (role: SheetRole) => roles.get(role);
  const used = new Set(roles.values());
  const dimensionColumns = headers.filter((h) => !used.has(h) && (normaliseHeader(h).startsWith('dim_') || h.startsWith('dim.') || DIMENSION_COLUMNS.includes(normaliseHeader(h))));
  for (const h of dimensionColumns) used.add(h);
  const warnings: string[] = [];
  const ignored = headers.filter((h) => !used.has(h));
  if (ignored.length) warnings.push(`columns ignored: ${ignored.join(', ')}`);

  if (!col('id')) warnings.push('no id column: each item\'s id is generated from its input and output ("sheet-<hash>")');

  const items: SourceRecord[] = [];
  const labels: SourceRecord[] = [];
  const judgments: SourceRecord[] = [];
  const generated = new Set<SourceRecord>();
  const byItem = new Map<SourceRecord, SourceRecord[]>();
  for (const rec of rows) {
    const input = cell(rec, col('input')), output = cell(rec, col('output'));
    const id = col('id') ? cell(rec, col('id')) : `sheet-${stableHash([input, output, cell(rec, col('output_b'))])}`;
    const fields: Record<string, unknown> = { id, input, output };
    if (cell(rec, col('output_b')) !== '') fields.output_b = cell(rec, col('output_b'));
    if (col('context')) fields.context = rec.fields[col('context')!] ?? '';
    if (col('dimensions')) fields.dimensions = rec.fields[col('dimensions')!] ?? '';
    for (const h of dimensionColumns) {
      const name = h.startsWith('dim.') ? h.slice(4) : normaliseHeader(h).replace(/^dim_/, '');
      const v = cell(rec, h).trim();
      if (v) fields[`dim.${name}`] = v;
    }
    const item: SourceRecord = { line: rec.line, fields };
    items.push(item);
    if (!col('id')) generated.add(item);
    const attached: SourceRecord[] = [];
    byItem.set(item, attached);

    const verdict = cell(rec, col('expert_verdict')).trim();
    const ambiguous = cell(rec, col('ambiguous')).trim();
    const isAmbiguous = ['1', 'true', 'yes', 'y'].includes(ambiguous.toLowerCase());
    if (col('expert_verdict') && (verdict || isAmbiguous)) {
      const label: Record<string, unknown> = { id, verdict, critique: cell(rec, col('expert_critique')), ambiguous };
      const who = cell(rec, col('annotator')).trim();
      if (who) label.annotator = who;
      const l = { line: rec.line, fields: label };
      labels.push(l);
      attached.push(l);
    }
    const judgeVerdict = cell(rec, col('judge_verdict')).trim();
    const judgeCritique = cell(rec, col('judge_critique'));
    if (col('judge_verdict') && (judgeVerdict || judgeCritique.trim())) {
      const j = { line: rec.line, fields: { id, verdict: judgeVerdict, critique: judgeCritique, raw: judgeCritique, error: judgeVerdict ? '' : 'the sheet has a judge critique but no judge verdict' } };
      judgments.push(j);
      attached.push(j);
    }
  }
  for (const [item, id] of dedupeGeneratedIds(items, generated, warnings, 'input and output')) for (const rec of byItem.get(item) ?? []) rec.fields.id = id;
  if (col('expert_verdict') && !labels.length) warnings.push(`column "${col('expert_verdict')}" has no verdicts: no labels imported`);

  const base = { id: col('id') ?? 'id', input: col('input')!, output: col('output')!, output_b: col('output_b') ?? 'output_b', context: col('context') ?? 'context', dimensions: col('dimensions') ?? 'dimensions' };
  return {
    format: 'sheet',
    items: { name: fileName, records: items, origins: base },
    labels: labels.length ? {
      name: fileName, records: labels,
      origins: { id: base.id, verdict: col('expert_verdict')!, critique: col('expert_critique') ?? 'critique', ambiguous: col('ambiguous') ?? 'ambiguous', annotator: col('annotator') ?? 'annotator' },
    } : undefined,
    run: judgments.length ? {
      name: `judge verdicts from ${fileName.split(/[\\/]/).pop()}`,
      source: { name: fileName, records: judgments, origins: { id: base.id, verdict: col('judge_verdict')!, critique: col('judge_critique') ?? 'judge_critique' } },
    } : undefined,
    warnings,
  };
}
