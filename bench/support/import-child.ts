/**
 * One import in a fresh process, so its peak RSS is its own. argv: mode (stream | whole), file, db.
 * Prints one JSON line: { seconds, total, peakRssMB, baseRssMB }.
 */
import { openWorkspace } from '../../server/db/index.ts';
import { importItemsFromJsonl } from '../../server/services/stream-import.ts';
import { importItems } from '../../server/services/imports.ts';
import { readRecordsFromFile } from '../../server/services/records.ts';

const [mode, file, db] = process.argv.slice(2) as [string, string, string];
const repos = openWorkspace(db);
const baseRssMB = process.resourceUsage().maxRSS / 1024;
const t0 = performance.now();
const r = mode === 'stream'
  ? importItemsFromJsonl(repos, 'bench', file)
  : importItems(repos, 'bench', { name: file, records: readRecordsFromFile(file) });
const seconds = (performance.now() - t0) / 1000;
repos.db.close();
console.log(JSON.stringify({ seconds, total: r.total, peakRssMB: process.resourceUsage().maxRSS / 1024, baseRssMB }));
