import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startWorkbench, type Workbench, runEnded } from './support/harness.ts';
import { DISCOUNT_RULE, expertVerdict, loopItems, naiveJudge } from './support/data.ts';
import { installSamples } from '../../server/services/samples.ts';
import { parseRecords } from '../support/workspace.ts';

/**
 * Compare tells the whole change: settings and few-shot examples beside the template, both
 * judges' critiques beside the expert's for a fixed or regressed item, and pairwise rows named
 * A-recall / B-recall / tie-recall.
 */
describe('compare in the browser', () => {
  let wb: Workbench;
  let page: Page;
  let criterionId = 0;
  const items = loopItems();

  const post = async (path: string, body: object) => {
    const res = await fetch(`${wb.url}/api${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return (await res.json()) as { id: number };
  };
  async function runDone(version: number) {
    const run = await post(`/criteria/${criterionId}/runs`, { version, split: 'dev' });
    expect(await runEnded(wb, run.id)).toBe('done');
    return run.id;
  }

  beforeAll(async () => {
    wb = await startWorkbench({ respond: naiveJudge });
    const text = items.map(({ id, input, output }) => JSON.stringify({ id, input, output })).join('\n');
    const { dataset } = wb.ws.importItems('tickets', { name: 't.jsonl', records: parseRecords(text, 'jsonl', 't.jsonl') });
    const c = wb.ws.addCriterion(dataset.id, { name: 'Within policy', principalAnnotator: 'maria.chen' });
    criterionId = c.id;
    const labels = items.map((i) => JSON.stringify({ id: i.id, verdict: expertVerdict(i.output), critique: `Expert on ${i.id}: ${expertVerdict(i.output) === 'fail' ? 'breaks the policy' : 'fine'}.` })).join('\n');
    wb.ws.importLabels(c, { name: 'l.jsonl', records: parseRecords(labels, 'jsonl', 'l.jsonl') });
    const train = items.find((i) => i.split === 'train')!;
    await post(`/criteria/${c.id}/versions`, { template: 'Judge this:\nOutput: {{output}}', model: 'fake-judge', baseUrl: wb.fake.url });
    await post(`/criteria/${c.id}/versions`, {
      template: `Judge this:\n${DISCOUNT_RULE}\nOutput: {{output}}`, model: 'fake-judge-2', baseUrl: wb.fake.url, temperature: 0.2, seed: 7, examples: [train.id],
    });
    await runDone(1);
    await runDone(2);
    installSamples(wb.ws);
    page = await wb.page();
  }, 120_000);
  afterAll(async () => { await wb?.close(); });

  it('diffs settings and few-shot examples as well as the template', async () => {
    await page.goto(`${wb.url}/#/c/${criterionId}/compare`);
    const settings = page.getByTestId('settings-diff');
    await settings.waitFor();
    const changed = await settings.locator('tr[data-changed="true"] td:first-child').allInnerTexts();
    expect(changed).toEqual(['Model', 'Temperature', 'Seed', 'Few-shot examples']);
    expect(await settings.locator('tr', { hasText: 'Model' }).innerText()).toBe('Model\tfake-judge\tfake-judge-2');
    expect(await settings.locator('tr', { hasText: 'Temperature' }).innerText()).toBe('Temperature\tdefault\t0.2');
    const train = items.find((i) => i.split === 'train')!;
    await page.getByTestId('examples-diff').locator('.ex.added').filter({ hasText: `+${train.id}` }).waitFor();
    // only v2 has an example: nothing is listed as in both (the cell spans both versions' columns)
    expect(await page.getByTestId('examples-diff').innerText()).toBe(`Few-shot examples\t+${train.id}`);
    expect(await page.getByTestId('diff').innerText()).toContain(DISCOUNT_RULE);
  });

  it('opens a fixed item in a drawer with the expert\'s critique beside both judges\' (not the review screen)', async () => {
    const fixed = page.locator('.changes.fixed').getByTestId('open-change').first();
    const id = await fixed.innerText();
    await fixed.click();
    const critiques = page.getByTestId('change-critiques');
    await critiques.waitFor();
    const text = await critiques.innerText();
    expect(text).toContain(`Expert on ${id}: breaks the policy.`);
    expect(text).toContain('The fake judge decided "pass" for this output.');
    expect(text).toContain('The fake judge decided "fail" for this output.');
    await page.getByRole('dialog', { name: `Item ${id}` }).waitFor();
    expect(page.url()).toContain('/compare');
    await page.keyboard.press('Escape');
    await critiques.waitFor({ state: 'detached' });
  });

  it('names the pairwise rows A-recall, B-recall and tie-recall', async () => {
    const pandalm = wb.ws.repos.criteria.list(wb.ws.dataset('pandalm-human-judgments').id)[0]!.id;
    await page.goto(`${wb.url}/#/c/${pandalm}/compare?split=all`);
    const table = page.getByTestId('compare-metrics');
    await table.waitFor();
    const rows = await table.locator('tbody tr td:first-child').allInnerTexts();
    expect(rows).toEqual(expect.arrayContaining(['A-recall (judge A | expert A, no ties)', 'B-recall (judge B | expert B, no ties)', 'tie-recall (judge tie | expert tie)']));
    expect(rows.join('\n')).not.toMatch(/TPR|TNR/);
    expect(wb.errors).toEqual([]);
  });
});
