/**
 * Quotes a value for a POSIX shell, so a command hint printed with a user's names can be pasted
 * as it is. Words made only of safe characters (letters, digits and `@%+=:,./_-`) stay bare;
 * anything else is wrapped in single quotes, inside which the shell interprets nothing, and each
 * `'` becomes `'\''` (close the quote, an escaped quote, reopen). The empty string is `''`.
 * @example shellQuote('billing v2') // → "'billing v2'"
 * @example shellQuote("it's $HOME; rm") // → "'it'\\''s $HOME; rm'"
 */
export function shellQuote(value: string): string {
  if (value !== '' && /^[\w@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
