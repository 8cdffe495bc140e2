import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startWorkbench, type Workbench } from './support/harness.ts';
import { installSamples } from '../../server/services/samples.ts';
import { isPass } from '../../shared/verdicts.ts';
import type { Criterion, Item } from '../../shared/types.ts';

/**
 * The converge loop in the browser on the billing-support sample: tag a failing item in Expert
 * review (shortcuts stay quiet while typing), group the critiques, rename and merge, accept, read
 * the rates by slice, make a criterion of a mode and confirm a suggested label, then confirm a
 * version on test and publish it. The judge is the fake OpenAI server (it always says pass), so
 * the figures are the fake's. Screenshots go to docs/screenshots with CONCUR_SCREENSHOTS=1.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = process.env.CONCUR_SCREENSHOTS ? join(ROOT, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'concur-converge-'));
const TAGS = ['refund policy', 'wrong amount', 'Refund  Policy', 'tone'];

describe('Converge in the browser', () => {
  let wb: Workbench;
  let page: Page;
  let criterion: Criterion;
  let uiItem: Item;
  /** responses with an error status: only the expected ones may appear */
  const failed: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    wb = await startWorkbench({ respond: () => JSON.stringify({ critique: 'Looks fine to me.', verdict: 'pass' }) });
    installSamples(wb.ws);
    const dataset = wb.ws.dataset('acme-billing-support');
    criterion = wb.ws.repos.criteria.list(dataset.id)[0]!;
    const labels = wb.ws.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
    const failing = wb.ws.repos.items.all(dataset.id).filter((i) => {
      const l = labels.get(i.id);
      return l && !l.ambiguous && l.verdict && isPass(l.verdict, criterion) === false;
    });
    const trainDev = failing.filter((i) => i.split !== 'test');
    uiItem = trainDev[0]!;
    // the expert has tagged the other failing items already (test ones too: grouping must skip them)
    failing.filter((i) => i.id !== uiItem.id).forEach((i, n) => wb.ws.repos.failureModes.addTag(criterion.id, i.id, TAGS[n % TAGS.length]!, criterion.principalAnnotator));
    // a version measured on dev and test with the fake judge
    const v = wb.ws.addVersion(criterion, { template: wb.ws.version(criterion, 'latest').template, model: 'fake', baseUrl: wb.fake.url, note: 'fake judge' });
    for (const split of ['dev', 'test'] as const) await wb.ws.engine.execute(wb.ws.engine.plan({ criterion, version: v, split, concurrency: 4 }).id);
    page = await wb.page({ width: 1400, height: 1000 });
    page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`); });
  });
  afterAll(async () => { await wb?.close(); });

  it('tags a failing item in Expert review without firing review shortcuts', async () => {
    await page.goto(`${wb.url}/#/c/${criterion.id}/review?item=${uiItem.id}&order=dataset`);
    const box = page.getByLabel('Failure-mode tag');
    await box.waitFor();
    const before = wb.ws.repos.labels.history(criterion.id, uiItem.id).length;
    await box.click();
    await box.pressSequentially('wrong amount');
    await expect(page.locator('[data-testid=failure-tags] datalist option').count()).resolves.toBeGreaterThan(0);
    await box.fill('missing data-loss warning');
    await box.press('Enter');
    await page.locator('[data-testid=failure-tags] .fail-chip', { hasText: 'missing data-loss warning' }).waitFor();
    // typing "p", "s", "n" and Enter in the box changed no label and did not move on
    expect(wb.ws.repos.labels.history(criterion.id, uiItem.id)).toHaveLength(before);
    expect(page.url()).toContain(`item=${uiItem.id}`);
    expect(wb.ws.repos.failureModes.tagsOfItem(criterion.id, uiItem.id).map((t) => t.tag)).toEqual(['missing data-loss warning']);
    await page.screenshot({ path: join(OUT, 'review-failure-tags.png') });
  });

  it('groups critiques, renames and merges modes, accepts them and shows rates by slice', async () => {
    await page.goto(`${wb.url}/#/c/${criterion.id}/converge`);
    await page.getByText('No failure modes yet').waitFor();
    await page.getByRole('button', { name: 'Group critiques' }).click();
    await page.locator('[data-testid=proposal]').waitFor();
    const names = page.getByLabel('Mode name');
    const proposed = await names.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(proposed.map((n) => n.toLowerCase())).toEqual(expect.arrayContaining(['refund policy', 'wrong amount', 'tone', 'missing data-loss warning']));
    expect(proposed).toHaveLength(4);
    await page.screenshot({ path: join(OUT, 'converge-proposal.png'), fullPage: true });
    // rename "tone" and merge "wrong amount" into "refund policy"
    const idx = (n: string) => proposed.findIndex((p) => p.toLowerCase() === n);
    await names.nth(idx('tone')).fill('Tone and wording');
    await page.getByLabel(/^Select .* to merge$/).nth(idx('refund policy')).check();
    await page.getByLabel(/^Select .* to merge$/).nth(idx('wrong amount')).check();
    await page.getByRole('button', { name: 'Merge selected (2)' }).click();
    await expect(names.count()).resolves.toBe(3);
    await page.getByRole('button', { name: 'Accept 3 failure modes' }).click();
    await page.locator('[data-testid=failure-mode]').first().waitFor();
    const accepted = wb.ws.repos.failureModes.accepted(criterion.id);
    expect(accepted.map((m) => m.name.toLowerCase()).sort()).toEqual(['missing data-loss warning', 'refund policy', 'tone and wording']);
    for (const m of accepted) {
      expect(m.builtFromSplits).toEqual(['train', 'dev']);
      for (const id of m.items) expect(wb.ws.item(id).split).not.toBe('test');
    }
    await expect(page.locator('[data-testid=mode-overall]').first().textContent()).resolves.toMatch(/of \d+ labelled items \(\d+ assigned\) — population: items with a current, non-ambiguous expert label in train\+dev/);
    // drill down from the top slice to its items
    const card = page.locator('[data-testid=failure-mode]').first();
    await card.locator('tbody tr').first().getByRole('button').click();
    await card.locator('summary', { hasText: /^Items of / }).waitFor();
    await page.screenshot({ path: join(OUT, 'converge-modes.png'), fullPage: true });
  });

  it('makes a criterion of a mode whose suggested labels an expert confirms in review', async () => {
    const mode = wb.ws.repos.failureModes.accepted(criterion.id).find((m) => m.name === 'Tone and wording')!;
    const card = page.locator('[data-testid=failure-mode]', { hasText: 'Tone and wording' });
    await card.getByRole('button', { name: 'Make a criterion of it' }).click();
    await page.waitForURL(/#\/c\/\d+\/review/);
    const made = wb.ws.repos.criteria.byName(criterion.datasetId, 'Tone and wording')!;
    expect(made).toBeTruthy();
    expect(wb.ws.repos.labels.allCurrent(made.id)).toEqual([]);
    await page.goto(`${wb.url}/#/c/${made.id}/review?item=${mode.items[0]}&order=dataset`);
    await page.reload(); // a hash change alone keeps the review session of the same criterion
    const banner = page.locator('[data-testid=suggested-label]');
    await banner.getByText('suggested: fail').waitFor();
    await banner.getByRole('button', { name: 'Confirm fail' }).click();
    await banner.waitFor({ state: 'detached' });
    expect(wb.ws.repos.labels.allCurrent(made.id).map((l) => [l.itemId, l.verdict])).toEqual([[mode.items[0], 'fail']]);
  });

  it('confirms a version on test and publishes it, with the history', async () => {
    await page.goto(`${wb.url}/#/c/${criterion.id}/converge`);
    const panel = page.locator('[data-testid=confirm-publish]');
    const row = panel.locator('tbody tr', { hasText: 'fake judge' });
    await row.waitFor();
    // v1 of the sample has no test run: confirming it says what to run
    await panel.locator('tbody tr', { hasText: /^v1/ }).getByRole('button', { name: 'Confirm on test' }).click();
    await panel.getByRole('alert').getByText(/run v1 on test first/).waitFor();
    await row.getByRole('button', { name: 'Confirm on test' }).click();
    await panel.locator('[data-testid=confirmations]').getByText(/1st confirmation on this test split: v2/).waitFor();
    await row.getByRole('button', { name: 'Publish' }).click();
    await panel.getByText('published: v2').waitFor();
    expect(wb.ws.repos.confirmations.active(criterion.id)).toMatchObject({ versionNumber: 2 });
    await page.locator('section', { has: panel }).screenshot({ path: join(OUT, 'converge-confirm.png') });
    // the trust report names it
    await page.goto(`${wb.url}/#/c/${criterion.id}/trust`);
    await page.locator('[data-testid=trust-governance]').getByText('published: v2').waitFor();
    // the expected refusal only: confirming v1 without a test run
    expect(failed).toEqual([`409 /api/versions/${wb.ws.version(criterion, 1).id}/confirm`]);
    // the browser logs the refused request once; nothing else went wrong
    expect(wb.errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
  });
});
