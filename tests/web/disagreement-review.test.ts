import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkbench, type Workbench } from './support/harness.ts';
import { jsonl, seed, source } from '../support/seed.ts';

/**
 * Disagreement cards show the item's context and every annotator's vote, and "Keep label —
 * judge wrong" is a decision stored in the workspace: another browser sees it (who, when) and the
 * error analysis counts it.
 */
describe('disagreement cards in the browser', () => {
  let wb: Workbench;
  let criterionId: number;

  beforeAll(async () => {
    wb = await startWorkbench();
    const s = seed(wb.ws, [
      { id: 'split-vote', verdict: 'fail', critique: 'Cites a policy that does not exist.', context: { policy: 'Refunds within 30 days only.', ticket: 'T-1' } },
      { id: 'unanimous', verdict: 'fail', critique: 'Promises a discount.', context: { policy: 'No discounts.' } },
      { id: 'agreed', verdict: 'pass' },
    ], { principal: 'maria' });
    criterionId = s.criterion.id;
    // every item in dev, so the Disagreements screen (dev by default) shows them
    wb.ws.repos.db.prepare(`UPDATE items SET split = 'dev' WHERE dataset_id = ?`).run(s.dataset.id);
    wb.ws.importLabels(s.criterion, source('joe.jsonl', jsonl([{ id: 'split-vote', verdict: 'pass' }, { id: 'unanimous', verdict: 'fail' }])), 'joe');
    wb.ws.importLabels(s.criterion, source('li.jsonl', jsonl([{ id: 'split-vote', verdict: 'fail' }, { id: 'unanimous', verdict: 'fail' }])), 'li');
    wb.ws.importRun(s.criterion, source('v.jsonl', jsonl([{ id: 'split-vote', verdict: 'pass' }, { id: 'unanimous', verdict: 'pass' }, { id: 'agreed', verdict: 'pass' }])), 'other-judge');
  });
  afterAll(async () => { await wb?.close(); });

  it('shows context and votes, and a kept label is seen by another browser and counted in the error analysis', async () => {
    const first = await wb.page();
    await first.goto(`${wb.url}/#/c/${criterionId}/disagreements`);
    const card = (p: typeof first, id: string) => p.locator(`[data-testid="disagreement"][data-item="${id}"]`);
    await card(first, 'split-vote').waitFor();
    const votes = card(first, 'split-vote').getByTestId('annotator-votes');
    await votes.waitFor();
    expect(await votes.innerText()).toContain('3 annotators: 2 fail – 1 pass');
    await card(first, 'unanimous').getByTestId('annotator-votes').filter({ hasText: '3 annotators: 3 fail' }).waitFor();
    const context = card(first, 'split-vote').getByTestId('disagreement-context');
    await context.locator('summary').click();
    await context.getByText('Refunds within 30 days only.').waitFor();

    await card(first, 'split-vote').getByRole('button', { name: 'Keep label — judge wrong' }).click();
    await card(first, 'split-vote').waitFor({ state: 'detached' }); // drops out of the to-do list

    // another browser (its own storage) sees the decision
    const other = await wb.browser.newContext().then((c) => c.newPage());
    await other.goto(`${wb.url}/#/c/${criterionId}/disagreements`);
    await card(other, 'unanimous').waitFor();
    expect(await card(other, 'split-vote').count()).toBe(0);
    await other.getByLabel(/show 1 kept/).check();
    const kept = card(other, 'split-vote');
    await kept.getByTestId('kept-by').filter({ hasText: 'by maria' }).waitFor();
    expect(await kept.getByRole('button', { name: 'Kept (judge wrong)' }).isDisabled()).toBe(true);

    await other.goto(`${wb.url}/#/c/${criterionId}/errors`);
    const panel = other.getByTestId('judge-wrong');
    await panel.getByText(/1 item where the expert kept the label/).waitFor();
    expect(wb.errors).toEqual([]);
  });
});
