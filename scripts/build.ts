/**
 * The install-time build (`npm install` runs it as `prepare`; also `npm run build`):
 *  - the web app, with Vite, into dist/web;
 *  - the server and CLI, bundled by esbuild into dist/server (npm packages stay external
 *    imports; each dynamic import(), e.g. `serve`'s Fastify app, becomes its own chunk so
 *    `concur datasets list` does not load the web server).
 * bin/concur.js runs dist/server/cli.js: no TypeScript is transpiled when the CLI starts.
 *
 * Usage: npx tsx scripts/build.ts [--server-only | --web-only]
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { ROOT, WEB_OUT } from '../server/paths.ts';

export const SERVER_OUT = join(ROOT, 'dist', 'server');

/** Bundles the server and CLI (takes well under a second, so it is always redone, never checked for staleness). */
export async function buildServer(): Promise<void> {
  rmSync(SERVER_OUT, { recursive: true, force: true });
  await esbuild({
    // the report worker is its own entry: services/reports.ts starts it as ./report-worker.js beside the bundle's chunks
    entryPoints: { cli: join(ROOT, 'server', 'cli', 'index.ts'), 'report-worker': join(ROOT, 'server', 'services', 'report-worker.ts') },
    outdir: SERVER_OUT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const f of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, f)));
  return newest;
}

/** True when dist/web is missing or older than any of its sources. */
export function webBuildIsStale(): boolean {
  const index = join(WEB_OUT, 'index.html');
  if (!existsSync(index)) return true;
  const sources = [join(ROOT, 'web'), join(ROOT, 'shared'), join(ROOT, 'vite.config.ts'), join(ROOT, 'package-lock.json')].filter(existsSync);
  return statSync(index).mtimeMs < Math.max(...sources.map(newestMtime));
}

export async function buildWeb(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv[2];
  if (only !== '--server-only') { process.stderr.write('building the web app (vite)…\n'); await buildWeb(); }
  if (only !== '--web-only') { process.stderr.write('compiling the server and CLI (esbuild)…\n'); await buildServer(); }
}
