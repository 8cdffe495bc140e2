import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Workspace } from '../../server/services/workspace.ts';
import { InputError } from '../../server/services/records.ts';

export const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/importers/${name}`, import.meta.url)), 'utf8');

/** Row counts of every table an import writes: a failed import must leave them all unchanged. */
export function counts(ws: Workspace) {
  const n = (table: string) => (ws.repos.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { datasets: n('datasets'), items: n('items'), criteria: n('criteria'), labels: n('labels'), runs: n('runs'), judgments: n('judgments') };
}

/** Runs fn, expecting an InputError; returns it for inspection. */
export function inputError(fn: () => unknown): InputError {
  try { fn(); } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}
