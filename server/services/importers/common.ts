import { createHash } from 'node:crypto';
import { isObject, type SourceRecord } from '../records.ts';
export { jsonArrayElementLines } from '../records.ts';
import type { ImportSource } from '../imports.ts';

/** The foreign formats Concur converts into its own items, labels and imported runs. */
export type ForeignFormat = 'promptfoo' | 'sheet' | 'chat';

/**
 * Records already in Concur's own field names (so the normal validators run), with line
 * numbers in the ORIGINAL file. `origins` says where each Concur field came from in that
 * file, so a validator's complaint about "verdict" is reported as e.g. "judge_verdict".
 */
export interface ConvertedSource extends ImportSource {
  origins?: Record<string, string>;
}

/** A foreign file converted to what Concur imports: items, optional expert labels, an optional imported run. */
export interface ConvertedImport {
  /** which converter produced it */
  format?: ForeignFormat;
  items: ConvertedSource;
  labels?: ConvertedSource;
  run?: { name: string; source: ConvertedSource };
  /** things the user should know that did not stop the import (duplicates renamed, rows skipped, columns ignored) */
  warnings?: string[];
}

/** A short stable hash of any JSON value (12 hex digits of SHA-256). */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value) ?? 'undefined').digest('hex').slice(0, 12);
}

/** Any value as text: strings as they are, numbers/booleans printed, objects as indented JSON. */
export function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, null, 2);
}

/** Scalar metadata as dimensions (objects and arrays are not slices; they are skipped). */
export function scalarDimensions(meta: unknown, into: Record<string, string> = Object.create(null), keep = false): Record<string, string> {
  if (!isObject(meta)) return into;
  for (const [k, v] of Object.entries(meta)) {
    if (keep && Object.hasOwn(into, k)) continue;
    if (typeof v === 'string' && v.trim() !== '') into[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') into[k] = String(v);
  }
  return into;
}

/**
 * Makes generated ids unique within one file: the second record with id X becomes "X-2", and
 * so on, with a warning naming the lines. Ids given explicitly by the file are left to the
 * validator, which rejects duplicates with both lines.
 */
export function dedupeGeneratedIds(records: SourceRecord[], generated: Set<SourceRecord>, warnings: string[], what: string): Map<SourceRecord, string> {
  const renamed = new Map<SourceRecord, string>();
  const seen = new Map<string, number>();
  for (const rec of records) {
    const id = String(rec.fields.id);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (n > 1 && generated.has(rec)) {
      const next = `${id}-${n}`;
      renamed.set(rec, next);
      rec.fields.id = next;
      warnings.push(`line ${rec.line}: identical ${what} seen before; imported as "${next}"`);
    }
  }
  return renamed;
}

/** Normalises a column header for matching: case-insensitive, spaces/dashes/dots as underscores. */
export function normaliseHeader(h: string): string {
  return h.trim().toLowerCase().replace(/[\s\-./]+/g, '_').replace(/^_+|_+$/g, '');
}

