import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkspace, readOnlyReason } from './db/index.ts';
import { Workspace } from './services/workspace.ts';
import { installSamples } from './services/samples.ts';
import { buildApp } from './app.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB_OUT = join(ROOT, 'dist', 'web');

export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

/** Builds the web app when dist/web is missing or older than its sources (so `npm start` just works). */
export async function ensureWebBuild(log: (s: string) => void = console.error): Promise<void> {
  const sources = [join(ROOT, 'web'), join(ROOT, 'shared'), join(ROOT, 'vite.config.ts')].filter(existsSync);
  const index = join(WEB_OUT, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  log('building the web app (vite)…');
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

export interface ServeOptions { db: string; port: number; host: string; samples: boolean; token?: string }

/** Opens the workspace, resumes interrupted runs, and listens until SIGINT/SIGTERM. */
export async function serve(o: ServeOptions) {
  const token = o.token ?? process.env.CONCUR_TOKEN;
  if (!isLoopback(o.host) && !token) {
    throw new Error(`refusing to listen on ${o.host} without an access token: set CONCUR_TOKEN (every request must then carry it), or use --host 127.0.0.1`);
  }
  const fresh = !existsSync(o.db);
  const ws = new Workspace(openWorkspace(o.db));
  const readOnly = readOnlyReason(ws.repos.db);
  if (fresh && o.samples) {
    const installed = installSamples(ws);
    if (installed.length) console.error(`new workspace ${o.db} with samples: ${installed.join(', ')}`);
  }
  await ensureWebBuild();
  const app = await buildApp({ workspace: ws, token: isLoopback(o.host) ? undefined : token, logger: process.env.CONCUR_LOG === '1' });
  await app.listen({ port: o.port, host: o.host });
  console.error(`Concur is serving ${o.db} at http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`);

  // Runs whose executor died are taken over now and whenever one's lease goes stale later.
  const stopWatching = readOnly ? () => {} : ws.engine.watchForAbandonedRuns((line) => console.error(line));
  if (readOnly) console.error(`the workspace is read-only (${readOnly}): browsing works, changes are refused`);

  const stop = async () => {
    stopWatching();
    // Only the runs this process executes: another process's run (a CLI run) is not ours to cancel.
    for (const r of ws.repos.runs.unfinished()) if (ws.engine.isActive(r.id)) ws.engine.cancel(r.id);
    await app.close();
    ws.repos.db.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return app;
}
