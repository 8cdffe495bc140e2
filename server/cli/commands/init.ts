import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { installSamples } from '../../services/samples.ts';
import { dbPath, leaf, openDb, type CliContext, type DbOption } from '../common.ts';

interface Opts extends DbOption { samples?: boolean }

export function register(program: Command, ctx: CliContext) {
  leaf<Opts>(program, ctx, 'init', 'create a workspace (with the samples)',
    (c) => c.option('--samples', 'install the built-in sample datasets'),
    (o) => {
      const path = dbPath(o.db);
      const fresh = !existsSync(path);
      const ws = openDb(o.db);
      const installed = o.samples ? installSamples(ws) : [];
      console.log(`${fresh ? 'created' : 'opened'} workspace ${path}${installed.length ? `; installed samples: ${installed.join(', ')}` : ''}`);
      return 0;
    });
}
