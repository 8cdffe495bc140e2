#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so there is no separate server build step.
import { register } from 'tsx/esm/api';

register();
const { cli } = await import('../server/cli.ts');
await cli(process.argv.slice(2));
