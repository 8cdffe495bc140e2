import type { Command } from 'commander';
import { dbPath, leaf, num, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { port: string; host: string; samples: boolean }

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'serve', 'the workbench and the API; a new workspace file gets the samples unless --no-samples; resumes interrupted runs',
    (c) => c
      .option('--port <n>', 'port to listen on', '5174')
      .option('--host <addr>', 'address to listen on (off loopback, CONCUR_TOKEN is required)', '127.0.0.1')
      .option('--no-samples', 'do not install the samples into a new workspace'),
    async (o) => {
      const { serve } = await import('../../main.ts');
      await serve({ db: dbPath(o.db), port: num(o.port, 'port', true)!, host: o.host, samples: o.samples });
      return -1; // keep running
    });
}
