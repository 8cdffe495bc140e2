import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository (package) root: the nearest directory above this module with a package.json.
 * Found by walking up, so it is the same whether this runs from server/*.ts (tsx, tests) or from
 * the compiled bundle in dist/server/.
 */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
})();

/** The built web app (vite build → dist/web). */
export const WEB_OUT = join(ROOT, 'dist', 'web');
