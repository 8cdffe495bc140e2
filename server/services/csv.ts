import { stringify } from 'csv-stringify/sync';

/**
 * A cell a spreadsheet would run as a formula (OWASP CSV injection: `=`, `+`, `-`, `@`, tab, CR
 * first), after any run of `'`. The `'`s are included so that a cell which already starts with the
 * protecting quote is protected too, and stripping exactly one `'` on import is always right.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

/** The cell as written to a CSV file: `'` in front when a spreadsheet could read it as a formula. */
export function protectCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Undoes protectCell: drops the leading `'` only where protectCell would have added it. */
export function unprotectCell(text: string): string {
  return text.charCodeAt(0) === 39 /* ' */ && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}

/**
 * Rows as RFC 4180 CSV (CRLF records; cells quoted when they hold a comma, quote or line break;
 * objects as JSON, booleans as true/false), written by csv-stringify with every cell passed
 * through protectCell. Columns: `columns`, else the keys of the first row; with no rows and no
 * columns, the empty string.
 */
export function toCsv(rows: ReadonlyArray<object>, columns?: string[]): string {
  const cols = columns ?? (rows.length ? Object.keys(rows[0]!) : []);
  if (!cols.length) return '';
  return stringify(rows as object[], {
    header: true,
    columns: cols,
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
    cast: {
      string: (v) => protectCell(v),
      boolean: (v) => String(v),
      number: (v) => String(v),
      bigint: (v) => String(v),
      date: (v) => v.toISOString(),
      object: (v) => protectCell(JSON.stringify(v)),
    },
  });
}
