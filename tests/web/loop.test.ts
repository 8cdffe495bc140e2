import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chooseFile, jsonl, startWorkbench, type Workbench } from './support/harness.ts';
import { DISCOUNT_RULE, expertVerdict, loopItems, naiveJudge } from './support/data.ts';

/**
 * The whole critique-shadowing loop as a new user does it in the browser: import a file,
 * add a criterion, label every item with the keyboard, write a judge prompt, run it against
 * the OpenAI-compatible fake, read the metrics and the confusion matrix, open a disagreement,
 * change the label, and watch the metrics move.
 */
describe('the workbench loop in the browser', () => {
  let wb: Workbench;
  let page: Page;
  const items = loopItems();
  const devTricky = items.filter((i) => i.split === 'dev' && i.kind === 'TRICKY').length;
  const devTotal = items.filter((i) => i.split === 'dev').length;

  beforeAll(async () => {
    wb = await startWorkbench({ respond: naiveJudge });
    page = await wb.page();
  });
  afterAll(async () => { await wb?.close(); });
  afterEach(async (ctx) => {
    if (process.env.CONCUR_DEBUG && ctx.task.result?.state === 'fail') await page.screenshot({ path: `.tmp/fail-${ctx.task.name.slice(0, 30)}.png` });
  });

  it('imports a JSONL file through the file picker, with a preview first', async () => {
    await page.goto(wb.url);
    await page.getByText('No datasets yet').waitFor();
    await page.getByRole('link', { name: 'Import a file' }).first().click();
    await chooseFile(page, 'support-tickets.jsonl', jsonl(items.map(({ id, input, output, dimensions, context }) => ({ id, input, output, dimensions, context }))));
    const preview = page.getByTestId('import-preview');
    await preview.waitFor();
    expect(await preview.locator('tbody tr').count()).toBe(10);
    expect(await page.getByLabel('Dataset name').inputValue()).toBe('support-tickets');
    await page.getByRole('button', { name: `Import ${items.length} items` }).click();
    await page.getByText(`Imported ${items.length} new items`).waitFor();
    await expect.poll(() => page.getByTestId('items-table').locator('tbody tr').count()).toBe(items.length);
  });

  it('shows an import error with its line and field, and imports nothing', async () => {
    await page.getByRole('link', { name: 'Import a file' }).first().click();
    await chooseFile(page, 'broken.jsonl', jsonl([{ id: 'x1', input: 'hi', output: 'ok' }, { id: 'x2', input: 'hi' }]));
    const error = page.getByTestId('import-error');
    await error.waitFor();
    const text = await error.innerText();
    expect(text).toContain('line 2');
    expect(text).toContain('output');
    expect(await page.getByRole('button', { name: /^Import \d+ items$/ }).count()).toBe(0);
    await page.getByRole('link', { name: 'support-tickets' }).click();
  });

  it('adds a criterion and labels every item with the keyboard', async () => {
    await page.getByLabel('What is judged').fill('Resolves the billing issue within policy');
    await page.getByLabel('Principal expert').fill('maria.chen');
    await page.getByRole('button', { name: 'Add criterion' }).click();
    await page.getByRole('heading', { name: 'Expert review' }).waitFor();
    await page.getByTestId('shortcuts').waitFor();
    for (let n = 0; n < items.length; n++) {
      await page.getByTestId('queue-position').filter({ hasText: `Item ${n + 1} of ${items.length}` }).waitFor();
      await page.getByTestId('save-state').filter({ hasText: 'not labelled' }).waitFor();
      const output = await page.locator('.block.output').innerText();
      const verdict = expertVerdict(output);
      await page.keyboard.press(verdict === 'pass' ? 'p' : 'f');
      if (verdict === 'fail') {
        await page.keyboard.press('c');
        await page.keyboard.type(output.includes('discount') ? 'Offers a discount the policy forbids.' : 'Refuses a billing question it must answer.');
        await page.keyboard.press('Escape');
      }
      await page.keyboard.press('Enter');
      await page.getByTestId('save-state').filter({ hasText: n === items.length - 1 ? 'saved' : 'not labelled' }).waitFor();
    }
    await page.getByTestId('review-progress').filter({ hasText: `${items.length} of ${items.length} labelled` }).waitFor();
    // going back shows the saved label and its history
    await page.keyboard.press('b');
    await page.getByTestId('queue-position').filter({ hasText: `Item ${items.length - 1} of` }).waitFor();
    await page.getByRole('region', { name: 'Label history' }).getByText('maria.chen').first().waitFor();
  });

  it('writes a prompt version with a few-shot example and runs it with live progress', async () => {
    await page.getByRole('link', { name: 'Prompt versions' }).click();
    await page.getByRole('button', { name: 'Write version 1' }).click();
    await page.getByTestId('prompt-preview').getByText('User (your template)').waitFor();
    await page.getByLabel('Model', { exact: true }).fill('fake-judge');
    await page.getByLabel(/Base URL/).fill(wb.fake.url);
    await page.getByRole('region', { name: 'Few-shot examples' }).getByRole('checkbox').first().check();
    await page.getByLabel('Changelog note').fill('v1: first draft with one example');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByRole('heading', { name: /^v1/ }).waitFor();
    await page.getByLabel('Split').selectOption('all');
    await page.getByRole('button', { name: 'Run on all' }).click();
    await page.locator('[data-testid="run-progress"][data-status="done"]').waitFor();
    expect(wb.fake.count()).toBe(items.length); // every labelled item (the few-shot one is judged but not measured)
    await page.getByRole('link', { name: /See the metrics/ }).click();
  });

  it('shows metrics with intervals and the confusion matrix', async () => {
    const table = page.getByTestId('metrics-table');
    await table.waitFor();
    const row = await table.locator('tbody tr').first().innerText();
    expect(row).toContain('v1');
    expect(row).toContain(String(devTotal));
    const cell = page.getByTestId('confusion-matrix').locator('[data-cell="fail:pass"] .count');
    await cell.waitFor();
    expect(await cell.innerText()).toBe(String(devTricky));
    const agreement = await page.getByTestId('summary-agreement').innerText();
    expect(agreement).toContain(`${(((devTotal - devTricky) / devTotal) * 100).toFixed(1)}%`);
  });

  it('opens a disagreement from the matrix, changes the label, and the metrics move', async () => {
    await page.getByTestId('confusion-matrix').locator('[data-cell="fail:pass"]').click();
    const cards = page.getByTestId('disagreement');
    await cards.first().waitFor();
    expect(await cards.count()).toBe(devTricky);
    const first = cards.first();
    expect(await first.innerText()).toContain('Offers a discount the policy forbids.');
    expect(await first.innerText()).toContain('The fake judge decided "pass"');
    const before = await page.getByTestId('agreement-value').innerText();
    await first.getByRole('button', { name: 'Change label' }).click();
    await first.getByRole('button', { name: 'pass' }).click();
    await first.getByLabel('New critique').fill('On reflection the discount was approved by the account manager.');
    await first.getByRole('button', { name: 'Save new label' }).click();
    await page.getByTestId('flash').waitFor();
    const after = await page.getByTestId('agreement-value').innerText();
    expect(parseFloat(after)).toBeGreaterThan(parseFloat(before));
    expect(await page.getByTestId('disagreement').count()).toBe(devTricky - 1);

    await page.getByRole('link', { name: 'Alignment dashboard' }).click();
    const cell = page.getByTestId('confusion-matrix').locator('[data-cell="fail:pass"] .count');
    await cell.waitFor();
    expect(await cell.innerText()).toBe(String(devTricky - 1));
  });

  it('compares two versions: metric deltas, template diff, fixed and regressed items', async () => {
    await page.getByRole('link', { name: 'Prompt versions' }).click();
    await page.getByRole('button', { name: 'Edit as new version' }).click();
    const template = page.getByLabel('Template', { exact: true });
    await template.fill(`${await template.inputValue()}\n\n${DISCOUNT_RULE}`);
    await page.getByLabel('Changelog note').fill('v2: discounts fail');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByRole('heading', { name: /^v2/ }).waitFor();
    await page.getByRole('button', { name: 'Diff vs parent v1' }).click();
    expect(await page.getByTestId('diff').innerText()).toContain(DISCOUNT_RULE);
    await page.getByLabel('Split').selectOption('all');
    await page.getByRole('button', { name: 'Run on all' }).click();
    await page.locator('[data-testid="run-progress"][data-status="done"]').waitFor();

    await page.getByRole('link', { name: 'Compare versions' }).click();
    await page.getByTestId('compare-metrics').waitFor();
    // v2 fails the discount promises: the one the expert still fails is fixed, the one relabelled pass regresses
    await page.getByRole('heading', { name: /^Fixed/ }).filter({ hasText: String(devTricky - 1) }).waitFor();
    await page.getByRole('heading', { name: /^Regressed/ }).filter({ hasText: '1' }).waitFor();
    expect(await page.getByTestId('diff').innerText()).toContain(DISCOUNT_RULE);
  });

  it('reports no page errors along the way', () => {
    expect(wb.errors).toEqual([]);
  });
});
