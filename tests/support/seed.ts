/**
 * Small builders shared by the core test suites: import sources from text, a labelled
 * dataset in one call, row counts of every table (to prove a failed operation wrote
 * nothing), and an in-process CLI runner that captures what `main()` prints.
 */
import { vi } from 'vitest';
import { parseRecords, type FileFormat } from '../../server/services/records.ts';
import type { ImportSource } from '../../server/services/imports.ts';
import type { Workspace } from '../../server/services/workspace.ts';
import type { Criterion, Dataset, Item } from '../../shared/types.ts';
import type { DB } from '../../server/db/index.ts';

export const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function formatOf(name: string): FileFormat {
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.json')) return 'json';
  return 'jsonl';
}

/** Import records from text, as the API and CLI build them. */
export function source(name: string, text: string, format: FileFormat = formatOf(name)): ImportSource {
  return { name, records: parseRecords(text, format, name) };
}

/** Row count of every table in the workspace (sqlite_* and the seeded price list included). */
export function rowCounts(db: DB): Record<string, number> {
  const tables = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all();
  return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]));
}

export interface SeedItem {
  id: string;
  /** the principal expert's verdict; undefined = unlabelled */
  verdict?: 'pass' | 'fail' | null;
  ambiguous?: boolean;
  critique?: string;
  input?: string;
  output?: string;
  context?: Record<string, unknown>;
  dimensions?: Record<string, string>;
}

/** The marker the fake judge reads to know which item it is judging. */
export const marker = (id: string) => `[item:${id}]`;
/** The first item marker in a rendered prompt (the judged item comes before any examples in our templates). */
export function markedId(text: string): string {
  const m = /\[item:([^\]]+)\]/.exec(text);
  if (!m) throw new Error(`no item marker in: ${text.slice(0, 200)}`);
  return m[1]!;
}

export const TEMPLATE = 'Criterion: {{criterion}}\n\nInput:\n{{input}}\n\nOutput:\n{{output}}\n';

/** Imports items (input carries a marker with the id) and the expert's labels for them. */
export function seed(ws: Workspace, items: SeedItem[], opts: { dataset?: string; criterion?: string; principal?: string } = {}): {
  dataset: Dataset; criterion: Criterion; byId: Map<string, Item>;
} {
  const datasetName = opts.dataset ?? 'ds';
  ws.importItems(datasetName, source(`${datasetName}.jsonl`, jsonl(items.map((i) => ({
    id: i.id, input: i.input ?? `${marker(i.id)} question ${i.id}`, output: i.output ?? `answer to ${i.id}`,
    ...(i.context ? { context: i.context } : {}), ...(i.dimensions ? { dimensions: i.dimensions } : {}),
  })))));
  const criterion = ws.repos.criteria.byName(ws.dataset(datasetName).id, opts.criterion ?? 'correct')
    ?? ws.addCriterion(datasetName, { name: opts.criterion ?? 'correct', description: 'The answer is correct', principalAnnotator: opts.principal ?? 'expert' });
  const labelled = items.filter((i) => i.verdict !== undefined || i.ambiguous);
  if (labelled.length) {
    ws.importLabels(criterion, source('labels.jsonl', jsonl(labelled.map((i) => ({
      id: i.id, verdict: i.verdict ?? '', critique: i.critique ?? `critique of ${i.id}`, ...(i.ambiguous ? { ambiguous: true } : {}),
    })))));
  }
  const dataset = ws.dataset(datasetName);
  return { dataset, criterion, byId: new Map(ws.repos.items.all(dataset.id).map((i) => [i.externalId, i])) };
}

export interface CliResult { code: number | null; stdout: string; stderr: string; error: Error | null }

/**
 * Runs `main(argv)` of the CLI in this process and captures what it prints
 * (console.log / console.error and direct process.stdout/stderr writes).
 * A thrown error (usage errors) is returned, not rethrown.
 */
export async function runMain(argv: string[]): Promise<CliResult> {
  const { main } = await import('../../server/cli/index.ts');
  let stdout = '', stderr = '';
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { stdout += a.map(String).join(' ') + '\n'; }),
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { stderr += a.map(String).join(' ') + '\n'; }),
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => { stdout += String(chunk); return true; }) as typeof process.stdout.write),
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write),
  ];
  try {
    const code = await main(argv);
    return { code, stdout, stderr, error: null };
  } catch (e) {
    return { code: null, stdout, stderr, error: e as Error };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

/** Polls `check` on the event loop until it holds (the test's own timeout bounds it). */
export async function until(check: () => boolean, stepMs = 5): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, stepMs));
}
