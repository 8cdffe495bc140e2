import { isAbsolute, join, relative, resolve } from 'node:path';
import { ROOT } from '../paths.ts';

/** The workspace a command uses without --db when run in the repository (`npm run concur` runs there) and CONCUR_DB is unset. */
export const DEFAULT_DB = join(ROOT, 'data', 'concur.sqlite');

/**
 * The `--db` argument a command pasted in the repository needs to reach the workspace file
 * `file`: null for the default workspace, a path relative to the repository when the file is
 * inside it, else the absolute path. A path, never a secret.
 */
export function commandDbArg(file: string): string | null {
  const abs = resolve(file);
  if (abs === DEFAULT_DB) return null;
  const rel = relative(ROOT, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}
