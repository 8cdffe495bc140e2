/**
 * Every screen of a dataset whose dimension names and values, annotators, item ids and root-cause
 * tags are Object.prototype's member names renders them as data: no page error, no "undefined",
 * no function source where a value belongs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startWorkbench, type Workbench } from './support/harness.ts';
import { parseRecords } from '../support/workspace.ts';
import { PROTO_KEYS, protoItemsJsonl, protoLabelsJsonl, protoRunJsonl } from '../support/proto-keys.ts';

describe('a dataset named with Object.prototype keys in the browser', () => {
  let wb: Workbench;
  let datasetId: number;
  let criterionId: number;
  let runs: number[];

  beforeAll(async () => {
    wb = await startWorkbench();
    const ws = wb.ws;
    const src = (name: string, text: string) => ({ name, records: parseRecords(text, 'jsonl', name) });
    datasetId = ws.importItems('protos', src('protos.jsonl', protoItemsJsonl())).dataset.id;
    const criterion = ws.addCriterion(datasetId, { name: 'correct', principalAnnotator: 'constructor' });
    criterionId = criterion.id;
    ws.importLabels(criterion, src('labels.jsonl', protoLabelsJsonl()));
    const items = ws.repos.items.all(datasetId);
    PROTO_KEYS.forEach((tag, i) => ws.repos.rootCauses.add(criterionId, items[i % items.length]!.id, tag));
    runs = ['constructor', '__proto__'].map((name) => ws.importRun(criterion, src('run.jsonl', protoRunJsonl(name)), name).id);
    ws.addVersion(criterion, { template: '{{input}}\n{{output}}\n{{dimensions.constructor}} {{context.toString}}', model: 'm', examples: [] });
  });
  afterAll(async () => { await wb?.close(); });

  async function visit(page: Page, hash: string) {
    await page.goto(`${wb.url}/#${hash}`);
    await page.waitForLoadState('networkidle');
    await page.locator('main').waitFor();
    // nothing still loading
    await page.waitForFunction(() => !document.querySelector('main [aria-busy="true"]'));
    const text = await page.locator('body').innerText();
    expect(text, hash).not.toMatch(/\bundefined\b|\[object Object\]|native code|NaN/);
    expect(await page.evaluate(() => ({}).constructor === Object && typeof Object.keys === 'function')).toBe(true);
  }

  it('walks every screen, and the dimension filters, without an error', async () => {
    const page = await wb.page();
    page.on('response', (r) => { if (r.status() >= 500) wb.errors.push(`${r.status()} ${r.url()}`); });
    const c = `/c/${criterionId}`;
    for (const hash of ['/', '/import', `/datasets/${datasetId}`, `${c}/review`, `${c}/prompts`, `${c}/dashboard`, `${c}/disagreements`,
      `${c}/compare?a=${runs[0]}&b=${runs[1]}`, `${c}/errors`, `${c}/trust?run=${runs[0]}&split=all`]) await visit(page, hash);

    // the dataset's item browser: filter by the dimension "constructor" = "keys"
    await visit(page, `/datasets/${datasetId}`);
    const dims = await page.getByLabel('Dimension', { exact: true }).locator('option').allInnerTexts();
    expect(dims.slice(1).sort()).toEqual([...PROTO_KEYS].sort());
    await page.getByLabel('Dimension', { exact: true }).selectOption('constructor');
    const values = await page.getByLabel('Dimension value').locator('option').allInnerTexts();
    expect(values).toContain('__proto__ (1)');
    await page.getByLabel('Dimension value').selectOption('keys');
    await page.waitForLoadState('networkidle');
    expect(await page.locator('body').innerText()).not.toMatch(/\bundefined\b|native code/);

    // the review queue's dimension filter
    await visit(page, `${c}/review`);
    await page.getByLabel('Queue dimension', { exact: true }).selectOption('__proto__');
    const queueValues = await page.getByLabel('Queue dimension value').locator('option').allInnerTexts();
    expect(queueValues.slice(1).sort()).toEqual([...PROTO_KEYS].sort());
    await page.getByLabel('Queue dimension value').selectOption('toString');
    await page.waitForLoadState('networkidle');
    expect(await page.locator('body').innerText()).not.toMatch(/\bundefined\b|native code/);

    // the error-analysis screen lists every tag
    await visit(page, `${c}/errors`);
    const body = await page.locator('body').innerText();
    for (const tag of ['constructor', '__proto__', 'hasOwnProperty']) expect(body).toContain(tag);
    // the trust screen's corrected pass rate answers 400 for a version that judged no unlabelled items: shown, not an error
    expect(wb.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
