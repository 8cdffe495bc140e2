import type { ImportWarning, ImportWarnings } from '../../shared/types.ts';

/** How many warnings an import result lists; the rest are counted (a file of a million bad lines stays a small answer). */
export const MAX_IMPORT_WARNINGS = 50;

/**
 * Collects what an import changed or dropped without refusing the file. Keeps the first
 * MAX_IMPORT_WARNINGS and counts the rest, so a streamed import of any size uses bounded memory.
 */
export class ImportWarningList {
  readonly shown: ImportWarning[] = [];
  more = 0;

  add(line: number | null, field: string | null, message: string): void {
    if (this.shown.length < MAX_IMPORT_WARNINGS) this.shown.push({ line, field, message });
    else this.more++;
  }

  get count(): number { return this.shown.length + this.more; }

  /** The JSON form every import result carries. */
  summary(): ImportWarnings { return { warnings: [...this.shown], moreWarnings: this.more }; }
}

/** One line per warning as compilers print them, `file:line: field: message`, plus a count of those not listed. */
export function formatImportWarnings(file: string, w: ImportWarnings): string[] {
  const lines = w.warnings.map((x) => `${file}${x.line !== null ? `:${x.line}` : ''}: ${x.field !== null ? `${x.field}: ` : ''}${x.message}`);
  if (w.moreWarnings > 0) lines.push(`${file}: ${w.moreWarnings} more warning${w.moreWarnings === 1 ? '' : 's'} not shown`);
  return lines;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Decodes a file's bytes as UTF-8. Valid text is decoded at once; otherwise each line is decoded
 * on its own, invalid sequences become U+FFFD, and the lines where that happened are returned
 * (1-based), so the import can say which line (and field) it changed.
 */
export function decodeUtf8Lines(bytes: Uint8Array): { text: string; badLines: number[] } {
  try { return { text: fatalUtf8.decode(bytes), badLines: [] }; } catch { /* decoded line by line below */ }
  const parts: string[] = [];
  const badLines: number[] = [];
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let nl = bytes.indexOf(10, start);
    if (nl < 0) nl = bytes.length;
    parts.push(decodeLine(bytes.subarray(start, nl), () => badLines.push(line)));
    start = nl + 1;
  }
  return { text: parts.join('\n'), badLines };
}

/** One line's bytes as text; `onInvalid` is called when invalid UTF-8 had to be replaced by U+FFFD. */
export function decodeLine(bytes: Uint8Array, onInvalid: () => void): string {
  try { return fatalUtf8.decode(bytes); } catch {
    onInvalid();
    return lenientUtf8.decode(bytes);
  }
}

export const INVALID_UTF8 = 'invalid UTF-8 replaced by U+FFFD';
