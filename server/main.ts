import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readOnlyReason } from './db/index.ts';
import { buildApp } from './app.ts';
import { parseAllowedHosts } from './http/origin-policy.ts';
import { WEB_OUT } from './paths.ts';
import { UserError } from './services/errors.ts';
import { openWorkspaceFile } from './services/open-workspace.ts';
import { installSamples } from './services/samples.ts';
import { optimizerOf } from './services/optimizer.ts';

export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** The web app is built at install (`npm install` runs `prepare`), never at serve. */
export function requireWebBuild(dir = WEB_OUT): void {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new UserError(`the web app is not built (${dir} is missing): run npm install (or npm run build)`, { code: 'web_not_built' });
  }
}

export interface ServeOptions {
  db: string; port: number; host: string; samples: boolean; token?: string;
  /** names it is also served as (`--allowed-host`), added to CONCUR_ALLOWED_HOSTS (comma-separated) */
  allowedHosts?: string[];
  /** trust X-Forwarded-Host/-Proto (`--trust-proxy`, behind a reverse proxy only) */
  trustProxy?: boolean;
}

/** The names from `--allowed-host` and CONCUR_ALLOWED_HOSTS, checked (a bad one throws naming its source). */
export function allowedHostsOf(flags: readonly string[] = [], env = process.env): string[] {
  const fromEnv = (env.CONCUR_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  return [...parseAllowedHosts(flags, '--allowed-host'), ...parseAllowedHosts(fromEnv, 'CONCUR_ALLOWED_HOSTS')];
}

/** Opens the workspace, resumes interrupted runs, and listens until SIGINT/SIGTERM. */
export async function serve(o: ServeOptions) {
  const token = o.token ?? process.env.CONCUR_TOKEN;
  if (!isLoopback(o.host) && !token) {
    throw new UserError(`refusing to listen on ${o.host} without an access token: set CONCUR_TOKEN (every request must then carry it), or use --host 127.0.0.1`, { code: 'token_required', field: 'host' });
  }
  const allowedHosts = allowedHostsOf(o.allowedHosts);
  const fresh = !existsSync(o.db);
  requireWebBuild();
  const ws = openWorkspaceFile(o.db);
  const readOnly = readOnlyReason(ws.repos.db);
  if (fresh && o.samples) {
    const installed = installSamples(ws);
    if (installed.length) console.error(`new workspace ${o.db} with samples: ${installed.join(', ')}`);
  }
  const app = await buildApp({
    workspace: ws, token: isLoopback(o.host) ? undefined : token, logger: process.env.CONCUR_LOG === '1',
    host: o.host, port: o.port || undefined, allowedHosts, trustProxy: o.trustProxy,
  });
  await app.listen({ port: o.port, host: o.host });
  console.error(`Concur is serving ${o.db} at http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`);

  // Runs whose executor died are taken over now and whenever one's lease goes stale later.
  const stopWatchingRuns = readOnly ? () => {} : ws.engine.watchForAbandonedRuns((line) => console.error(line));
  // Optimizations too (after the runs, so an optimization waits for its run the engine took over).
  const stopWatchingOptimizations = readOnly ? () => {} : optimizerOf(ws).watchForAbandoned((line) => console.error(line));
  const stopWatching = () => { stopWatchingRuns(); stopWatchingOptimizations(); };
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
