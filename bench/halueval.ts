/**
 * Real data at realistic size: HaluEval general (4,507 ChatGPT responses with human
 * hallucination labels; read from ../shared/datasets, never shipped — its queries come from
 * Alpaca, CC BY-NC). Times the import of items and labels, an imported judge run, and the full
 * report through the workspace (SQLite reads included). Prints figures; asserts nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkspace } from '../server/db/index.ts';
import { Workspace } from '../server/services/workspace.ts';

const FILE = fileURLToPath(new URL('../../shared/datasets/halueval-general/general_data.json', import.meta.url));
if (!existsSync(FILE)) {
  console.log(`HaluEval: ${FILE} not found (it sits in ../shared beside the repository); skipped`);
  process.exit(0);
}
interface Row { ID: string; user_query: string; chatgpt_response: string; hallucination: string; hallucination_spans: string[] }
const rows = readFileSync(FILE, 'utf8').split('\n').map((l, i) => ({ l, line: i + 1 })).filter((x) => x.l.trim())
  .map(({ l, line }) => ({ ...(JSON.parse(l) as Row), line }));
const id = (r: Row & { line: number }) => (/^\d+$/.test(r.ID) ? `h${r.ID}-${r.line}` : `line-${r.line}`);
const rec = (fields: Record<string, unknown>, line: number) => ({ line, fields });

const dir = mkdtempSync(join(tmpdir(), 'concur-bench-halueval-'));
const ws = new Workspace(openWorkspace(join(dir, 'w.sqlite')));
const t0 = performance.now();
ws.importItems('halueval', { name: 'general_data.json', records: rows.map((r) => rec({ id: id(r), input: r.user_query, output: r.chatgpt_response }, r.line)) });
const t1 = performance.now();
const c = ws.addCriterion('halueval', { name: 'no hallucination' });
ws.importLabels(c, { name: 'general_data.json', records: rows.map((r) => rec({ id: id(r), verdict: r.hallucination === 'no' ? 'pass' : 'fail', critique: r.hallucination_spans.join('; ') }, r.line)) });
const t2 = performance.now();
// a simple rule judge: responses with figures in them are suspected of hallucinating
ws.importRun(c, { name: 'rule-judge.jsonl', records: rows.map((r) => rec({ id: id(r), verdict: /\d/.test(r.chatgpt_response) ? 'fail' : 'pass' }, r.line)) }, 'digits rule');
const t3 = performance.now();
const { report } = ws.report(c);
const t4 = performance.now();
console.log(`HaluEval general: ${rows.length.toLocaleString('en')} items, ${report.n.toLocaleString('en')} compared, kappa of a digits-rule judge ${report.kappa.value?.toFixed(3)}`);
console.log(`  import items ${(t1 - t0).toFixed(0)} ms (${Math.round(rows.length / ((t1 - t0) / 1000)).toLocaleString('en')} items/s), labels ${(t2 - t1).toFixed(0)} ms, run ${(t3 - t2).toFixed(0)} ms`);
console.log(`  full report (population, metrics, ${report.slices.length} slices, annotators, verbosity) from SQLite: ${(t4 - t3).toFixed(0)} ms`);
ws.repos.db.close();
rmSync(dir, { recursive: true, force: true });
