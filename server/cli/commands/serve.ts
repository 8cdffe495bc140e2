import type { Command } from 'commander';
import { dbPath, leaf, num, usageError, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { port: string; host: string; samples: boolean; allowedHost?: string[]; trustProxy?: boolean }

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'serve', 'the workbench and the API; a new workspace file gets the samples unless --no-samples; resumes interrupted runs',
    (c) => c
      .option('--port <n>', 'port to listen on', '5174')
      .option('--host <addr>', 'address to listen on (off loopback, CONCUR_TOKEN is required)', '127.0.0.1')
      .option('--no-samples', 'do not install the samples into a new workspace')
      .option('--allowed-host <name>', 'also answer requests addressed to NAME (repeatable; or CONCUR_ALLOWED_HOSTS=a,b), e.g. a reverse proxy\'s public name', (v: string, prev: string[] = []) => [...prev, v])
      .option('--trust-proxy', 'trust X-Forwarded-Host/-Proto from a reverse proxy'),
    async (o) => {
      const { serve, allowedHostsOf } = await import('../../main.ts');
      try { allowedHostsOf(o.allowedHost); } catch (e) { throw usageError((e as Error).message, 'allowed-host'); }
      await serve({
        db: dbPath(o.db), port: num(o.port, 'port', true)!, host: o.host, samples: o.samples,
        allowedHosts: o.allowedHost, trustProxy: Boolean(o.trustProxy),
      });
      return -1; // keep running
    });
}
