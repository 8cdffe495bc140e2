import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkbench, type Workbench } from './support/harness.ts';
import { parseRecords } from '../support/workspace.ts';

/** A 5,000-item dataset: lists page through the server, the review queue starts with unlabelled items. */
describe('a 5,000-item dataset in the browser', () => {
  let wb: Workbench;
  let datasetId = 0;
  let criterionId = 0;
  const N = 5000;

  beforeAll(async () => {
    wb = await startWorkbench();
    const text = Array.from({ length: N }, (_, i) => JSON.stringify({
      id: `big-${i}`, input: `Question ${i} about invoice ${i * 7}`, output: `Answer ${i}${i === 4321 ? ' needle-in-haystack' : ''}`,
      dimensions: { feature: ['refunds', 'tax', 'plans', 'invoices'][i % 4] },
    })).join('\n');
    const { dataset } = wb.ws.importItems('big', { name: 'big.jsonl', records: parseRecords(text, 'jsonl', 'big.jsonl') });
    datasetId = dataset.id;
    const c = wb.ws.addCriterion(dataset.id, { name: 'Correct', principalAnnotator: 'expert' });
    criterionId = c.id;
    // the first 100 items are labelled, so "unlabelled first" must skip past them
    for (const item of wb.ws.repos.items.all(dataset.id).slice(0, 100)) {
      wb.ws.saveLabel(c, { itemId: item.id, verdict: 'pass', critique: '', ambiguous: false, expectedId: null });
    }
  });
  afterAll(async () => { await wb?.close(); });

  it('pages the item table and filters it on the server', async () => {
    const page = await wb.page({ width: 1920, height: 1080 });
    await page.goto(`${wb.url}/#/datasets/${datasetId}`);
    const rows = page.getByTestId('items-table').locator('tbody tr');
    await page.getByText('1–50 of 5,000').waitFor();
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Next ›' }).click();
    await page.getByText('51–100 of 5,000').waitFor();
    await page.getByLabel('Search items').fill('needle-in-haystack');
    await page.getByText('1–1 of 1').waitFor();
    expect(await rows.innerText()).toContain('big-4321');
    await page.getByLabel('Search items').fill('');
    await page.getByLabel('Label status').selectOption('unlabelled');
    await page.getByText(`1–50 of ${(N - 100).toLocaleString('en-US')}`).waitFor();
  });

  it('opens the review queue at the first unlabelled item and steps through it', async () => {
    const page = await wb.page();
    await page.goto(`${wb.url}/#/c/${criterionId}/review`);
    await page.getByTestId('queue-position').filter({ hasText: `Item 1 of ${N} · unlabelled` }).waitFor();
    expect(await page.getByText('big-100', { exact: true }).count()).toBeGreaterThan(0);
    await page.keyboard.press('n');
    await page.getByTestId('queue-position').filter({ hasText: 'Item 2 of' }).waitFor();
    await page.keyboard.press('ArrowLeft');
    await page.getByTestId('queue-position').filter({ hasText: 'Item 1 of' }).waitFor();
    expect(wb.errors).toEqual([]);
  });
});
