import { detectFormat, parseRecords, MAX_IMPORT_BYTES, InputError } from '../services/records.ts';
import type { ImportSource } from '../services/imports.ts';

/** Turns an uploaded file's text (with its name and optional format) into import records. */
export function sourceFromBody(body: { content: string; filename?: string; format?: 'jsonl' | 'csv' | 'json' }): ImportSource {
  const name = body.filename || `upload.${body.format ?? 'jsonl'}`;
  if (Buffer.byteLength(body.content) > MAX_IMPORT_BYTES) throw new InputError(name, null, null, 'file too large');
  return { name, records: parseRecords(body.content, detectFormat(name, body.format), name) };
}
