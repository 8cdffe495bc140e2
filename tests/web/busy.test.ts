import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkbench, type Workbench } from './support/harness.ts';
import { parseRecords } from '../support/workspace.ts';
import { holdWriteLock } from '../support/lock.ts';

/** A label save while another process holds the workspace's write lock: a clear, retryable error beside the kept draft. */
describe('saving a label while the workspace is locked by another process', () => {
  let wb: Workbench;
  let criterionId: number;

  beforeAll(async () => {
    wb = await startWorkbench();
    const text = JSON.stringify({ id: 'busy-1', input: 'Where is my invoice?', output: 'In Settings → Billing.' }) + '\n';
    const { dataset } = wb.ws.importItems('busy', { name: 'busy.jsonl', records: parseRecords(text, 'jsonl', 'busy.jsonl') });
    criterionId = wb.ws.addCriterion(dataset.id, { name: 'Correct', principalAnnotator: 'maria.chen' }).id;
  });
  afterAll(async () => { await wb?.close(); });

  it('shows "busy" with a Retry beside the kept draft, and Retry saves it once the lock is gone', async () => {
    const datasetId = wb.ws.repos.criteria.get(criterionId)!.datasetId;
    const item = wb.ws.repos.items.byExternalId(datasetId, 'busy-1')!;
    const page = await wb.page();
    await page.goto(`${wb.url}/#/c/${criterionId}/review?item=${item.id}`);
    await page.getByTestId('save-state').filter({ hasText: 'not labelled' }).waitFor();
    await page.keyboard.press('p');
    await page.getByLabel(/^Critique/).fill('Points to the right page.');

    const lock = await holdWriteLock(wb.ws.repos.db.name, 6000);
    try {
      await page.getByRole('button', { name: /^Save s$/ }).click();
      const banner = page.getByTestId('save-error');
      await banner.waitFor();
      expect(await banner.innerText()).toMatch(/is busy: another process holds its write lock.*Your draft is kept\./s);
      expect(await page.getByLabel(/^Critique/).inputValue()).toBe('Points to the right page.');
      expect(wb.ws.repos.labels.history(criterionId, item.id)).toEqual([]);
      expect(await lock.exited).toBe(0);
    } finally {
      lock.child.kill('SIGKILL');
    }

    await page.getByTestId('save-error').getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('save-state').filter({ hasText: 'saved' }).waitFor();
    expect(await page.getByTestId('save-error').count()).toBe(0);
    expect(wb.ws.repos.labels.history(criterionId, item.id).map((l) => [l.verdict, l.critique])).toEqual([['pass', 'Points to the right page.']]);
  });
});
