/**
 * Two moments of decision on the Dashboard: a run whose every dev judgment failed (the judge
 * answered no verdict), and a criterion whose principal annotator has no labels while another has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chooseFile, startWorkbench, type Workbench } from './support/harness.ts';
import { seed, source, jsonl, TEMPLATE } from '../support/seed.ts';

let wb: Workbench;
let page: Page;
const failed: string[] = [];

beforeAll(async () => {
  // the judge never answers a verdict: every judgment is an error
  wb = await startWorkbench({ respond: () => 'I would rather not say.' });
  page = await wb.page();
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
});
afterAll(async () => { await wb?.close(); });

describe('the Dashboard at a moment of decision', () => {
  it('shows "—" and "all N judgments … failed: see the errors" for a run whose every dev judgment failed, never undefined or a conclusion', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ id: `f${i}`, verdict: (i % 3 ? 'pass' : 'fail') as 'pass' | 'fail' }));
    const { criterion, dataset } = seed(wb.ws, items, { dataset: 'failing', criterion: 'correct' });
    const v = wb.ws.addVersion(criterion, { template: TEMPLATE, model: 'fake', baseUrl: wb.fake.url });
    const run = await wb.ws.engine.execute(wb.ws.engine.plan({ criterion, version: v, split: 'dev', concurrency: 4 }).id);
    const dev = wb.ws.repos.items.all(dataset.id).filter((i) => i.split === 'dev').length;
    expect(dev).toBeGreaterThan(0);
    expect(wb.ws.repos.runs.get(run.id)!.errors).toBe(dev);

    await page.goto(`${wb.url}/#/c/${criterion.id}/dashboard`);
    const none = page.getByTestId('no-dev-points');
    await none.waitFor();
    expect(await none.innerText()).toContain(`all ${dev} judgments of dev items failed: see the errors`);
    // the confusion panel says nothing was compared, and why
    const nothing = page.getByTestId('nothing-compared');
    await nothing.waitFor();
    expect(await nothing.innerText()).toMatch(new RegExp(`^Nothing compared: .* on dev — all ${dev} judgments of dev items failed: see the errors\\.$`));
    // the versions × metrics row shows "—" where a figure would be
    expect(await page.getByTestId('metrics-table').innerText()).toContain('—');
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/\bundefined\b|\bNaN\b/);
    expect(text).not.toContain('No run has dev items with expert labels yet');
    // no sentence concludes anything from no data
    expect(text).not.toMatch(/agrees with the expert on every|as lenient as|stricter than|more lenient than/);
    expect(failed).toEqual([]);
    expect(wb.errors).toEqual([]);
  });

  it('says the principal annotator has no labels and makes the one who has labels principal with a button', async () => {
    const items = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}` }));
    const { criterion } = seed(wb.ws, items, { dataset: 'principal', criterion: 'helpful', principal: 'boss' });
    wb.ws.importLabels(criterion, source('alice.jsonl', jsonl(items.map((it, i) => ({ id: it.id, verdict: i % 2 ? 'pass' : 'fail', critique: 'c' })))), 'alice');
    // a run of the criterion (its judgments fail here; what matters is that the dashboard asks for its figures)
    const v = wb.ws.addVersion(criterion, { template: TEMPLATE, model: 'fake', baseUrl: wb.fake.url });
    await wb.ws.engine.execute(wb.ws.engine.plan({ criterion, version: v, split: 'all', scope: 'all', concurrency: 4 }).id);

    await page.goto(`${wb.url}/#/c/${criterion.id}/dashboard`);
    await page.reload(); // the criterion was made behind the open page's back
    const banner = page.getByTestId('make-principal');
    await banner.waitFor();
    expect(await banner.innerText()).toContain('the principal annotator "boss" has no labels on criterion "helpful"; annotators with labels: alice');
    await banner.getByRole('button', { name: 'Make alice the principal' }).click();
    await page.getByTestId('principal-made').filter({ hasText: '“alice” is now the principal annotator' }).waitFor();
    expect(wb.ws.criterionById(criterion.id).principalAnnotator).toBe('alice');
    // the dashboard loads on its own afterwards, measured against alice
    await page.getByText('measured against alice').waitFor();
    await page.getByTestId('no-dev-points').waitFor();
    // the report's deliberate 400 (annotator_has_no_labels) is the only console line: the page handled it
    expect(wb.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('offers to make the annotator of imported labels the principal when the principal has none', async () => {
    const items = Array.from({ length: 6 }, (_, i) => ({ id: `q${i}` }));
    const { criterion } = seed(wb.ws, items, { dataset: 'imported', criterion: 'kind', principal: 'boss' });
    await page.goto(`${wb.url}/#/import?holds=labels&criterion=${criterion.id}`);
    await page.reload(); // the criterion was made behind the open page's back
    await chooseFile(page, 'carol.jsonl', jsonl(items.map((it, i) => ({ id: it.id, verdict: i % 2 ? 'pass' : 'fail', critique: 'c', annotator: 'carol' }))));
    await page.getByRole('button', { name: 'Import labels' }).click();
    const banner = page.getByTestId('make-principal');
    await banner.waitFor();
    expect(await banner.innerText()).toContain('The principal annotator “boss” has no labels on this criterion');
    await banner.getByRole('button', { name: 'Make carol the principal' }).click();
    await banner.filter({ hasText: '“carol” is now the principal annotator' }).waitFor();
    expect(wb.ws.criterionById(criterion.id).principalAnnotator).toBe('carol');
  });
});
