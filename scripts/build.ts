/**
 * The install-time build (`npm install` runs it as `prepare`; also `npm run build`):
 *  - the web app, with Vite, into dist/web;
 *  - the server and CLI, bundled by esbuild into dist/server (npm packages stay external
 *    imports but for a few small pure-JS ones, see INLINED; each dynamic import(), e.g. `serve`'s Fastify app, becomes its own chunk so
 *    `concur datasets list` does not load the web server).
 * bin/concur.js runs dist/server/cli.js: no TypeScript is transpiled when the CLI starts.
 *
 * Usage: npx tsx scripts/build.ts [--server-only | --web-only]
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { ROOT, WEB_OUT } from '../server/paths.ts';

export const SERVER_OUT = join(ROOT, 'dist', 'server');

/** Pure-JS packages compiled into the bundle; every other dependency (native, Fastify, Vite) stays an external import. */
const INLINED = new Set(['openai', 'commander', 'csv-parse', 'csv-stringify', 'simple-statistics', 'diff']);

function externalPackages(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].filter((n) => !INLINED.has(n));
  return names.flatMap((n) => [n, `${n}/*`]);
}

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
    // npm packages stay external imports except the small pure-JS ones every CLI start loads:
    // inlined, node resolves and compiles one file instead of hundreds (openai alone is ~200 modules),
    // which halves `concur`'s start-up CPU (bench/cli-startup.ts, bench/run-e2e.ts)
    external: externalPackages(),
    // commander is CommonJS: its require() of node built-ins needs a require in the ES module
    banner: { js: "import { createRequire as __concurCreateRequire } from 'node:module'; const require = __concurCreateRequire(import.meta.url);" },
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
  const built = statSync(index).mtimeMs;
  return sources.some((source) => newestMtime(source) > built);
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
