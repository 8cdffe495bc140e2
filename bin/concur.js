#!/usr/bin/env node
// Runs the CLI compiled at install (npm install → prepare → scripts/build.ts → dist/server).
let cli;
try {
  ({ cli } = await import('../dist/server/cli.js'));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/server/cli.js')) throw e;
  process.stderr.write('concur: the CLI is not compiled (dist/server/cli.js is missing): run npm install (or npm run build)\n');
  process.exit(2);
}
await cli(process.argv.slice(2));
