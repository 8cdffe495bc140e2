import { detectFormat, parseRecordBytes, MAX_IMPORT_BYTES, InputError } from '../services/records.ts';
import { ValidationError } from '../services/errors.ts';
import { ImportWarningList } from '../services/import-warnings.ts';
import type { ImportSource } from '../services/imports.ts';

/**
 * Turns an uploaded file (its text, or its bytes in base64 when it is not valid UTF-8, with its
 * name and optional format) into import records; what decoding replaced is in `warnings`.
 */
export function sourceFromBody(body: { content?: string; contentBase64?: string; filename?: string; format?: 'jsonl' | 'csv' | 'json' }): ImportSource {
  const name = body.filename || `upload.${body.format ?? 'jsonl'}`;
  if (body.content === undefined && body.contentBase64 === undefined) throw new ValidationError('content', 'send the file as content (text) or contentBase64 (its bytes)');
  if (body.content !== undefined && body.contentBase64 !== undefined) throw new ValidationError('contentBase64', 'send either content or contentBase64, not both');
  const bytes = body.contentBase64 !== undefined ? Buffer.from(body.contentBase64, 'base64') : Buffer.from(body.content!, 'utf8');
  if (bytes.length > MAX_IMPORT_BYTES) throw new InputError(name, null, null, 'file too large');
  const warnings = new ImportWarningList();
  return { name, records: parseRecordBytes(bytes, detectFormat(name, body.format), name, warnings), warnings };
}
