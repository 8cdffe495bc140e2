import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startWorkbench, type Workbench, runEnded } from './support/harness.ts';
import { installSamples } from '../../server/services/samples.ts';
import { rubricRespond } from '../support/rubric-model.ts';

/**
 * A new user's first walk: a fresh workspace with the built-in samples (the installer the server
 * uses for new workspaces), every screen of every sample dataset and criterion. No request answers
 * 4xx/5xx, no page error, console error or warning (Svelte's included). Then a version pointed at
 * the stand-in model runs on dev and then on test, and Dashboard, Disagreements and Compare still
 * show dev metrics with n > 0 (not the test run under a dev heading).
 */
const SCREENS = ['review', 'prompts', 'dashboard', 'disagreements', 'compare', 'errors', 'trust', 'converge'];

describe('a fresh workspace, walked screen by screen', () => {
  let wb: Workbench;
  let page: Page;
  const bad: string[] = [];
  const consoleProblems: string[] = [];
  /** raw undefined/NaN/null on a screen, with where */
  const rawText: string[] = [];
  let inflight = 0;

  /** Waits until no request has been open for a moment (the screens load in several steps). */
  async function settle() {
    let quiet = 0;
    while (quiet < 4) {
      await page.waitForTimeout(60);
      quiet = inflight === 0 ? quiet + 1 : 0;
    }
  }
  async function visit(hash: string) {
    await page.goto(`${wb.url}/#${hash}`);
    await page.locator('main h1').first().waitFor();
    await settle();
    // nothing raw reaches the screen
    const text = await page.locator('main').innerText();
    const raw = /.{0,60}(\bundefined\b|\bNaN\b|\bnull\b|\[object Object\]).{0,20}/.exec(text);
    if (raw) rawText.push(`${hash}: ${raw[0]}`);
    return text;
  }
  const waitForRun = (id: number) => runEnded(wb, id);

  beforeAll(async () => {
    wb = await startWorkbench({ respond: rubricRespond });
    installSamples(wb.ws);
    page = await wb.page();
    page.on('request', () => { inflight++; });
    const finished = () => { inflight = Math.max(0, inflight - 1); };
    page.on('requestfinished', finished);
    page.on('requestfailed', finished);
    page.on('response', (r) => { if (r.status() >= 400) bad.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
    page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') consoleProblems.push(`${m.type()}: ${m.text()}`); });
  }, 120_000);
  afterAll(async () => { await wb?.close(); });

  it('visits every screen of every sample with no 4xx/5xx, no page error and no console warning', async () => {
    const datasets = wb.ws.repos.datasets.list();
    expect(datasets.length).toBeGreaterThanOrEqual(2);
    await visit('/');
    // home: per criterion its labelling progress and the next step
    const criteria = datasets.flatMap((d) => wb.ws.repos.criteria.list(d.id));
    await expect.poll(() => page.getByTestId('next-step').count()).toBe(criteria.length);
    const billing = page.getByTestId('criterion-progress').filter({ has: page.getByTestId('next-step').filter({ hasText: 'run v1 on dev' }) });
    expect(await billing.first().getByTestId('dev-labelled').innerText()).toMatch(/^dev labelled \d+ of \d+$/);
    await visit('/import');
    for (const d of datasets) {
      await visit(`/datasets/${d.id}`);
      // the sidebar's criterion follows the dataset viewed
      expect(await page.getByLabel('Criterion', { exact: true }).inputValue()).toBe(String(wb.ws.repos.criteria.list(d.id)[0]!.id));
      for (const c of wb.ws.repos.criteria.list(d.id)) {
        for (const s of SCREENS) await visit(`/c/${c.id}/${s}`);
      }
    }
    expect(bad).toEqual([]);
    expect(rawText).toEqual([]);
    expect(wb.errors).toEqual([]);
    expect(consoleProblems).toEqual([]);
  }, 300_000);

  it('says what each empty screen of the billing sample will show, and offers the step that fills it', async () => {
    const c = wb.ws.repos.criteria.list(wb.ws.dataset('acme-billing-support').id)[0]!;
    for (const s of ['dashboard', 'disagreements', 'compare', 'trust']) {
      await visit(`/c/${c.id}/${s}`);
      const empty = page.getByTestId('empty-needs-run');
      await empty.waitFor();
      expect(await empty.innerText(), s).toMatch(/stand-in/);
      expect(await empty.getByRole('link', { name: /prompt versions/i }).count(), s).toBe(1);
    }
  });

  it('writes a version against the stand-in, runs it on dev then test, and the screens still show dev', async () => {
    const c = wb.ws.repos.criteria.list(wb.ws.dataset('acme-billing-support').id)[0]!;
    await visit(`/c/${c.id}/prompts`);
    for (const [number, splits] of [[2, ['dev']], [3, ['dev', 'test']]] as const) {
      await page.getByRole('button', { name: 'Edit as new version' }).click();
      await page.getByLabel('Base URL').fill(wb.fake.url);
      // v1 names OPENAI_API_KEY, which may not go to another URL (the secrets rule): the stand-in needs no key
      await page.getByLabel('API key environment variable').fill('none');
      if (number === 3) {
        const template = page.getByLabel('Template', { exact: true });
        await template.fill(`${await template.inputValue()}\nBe strict about invented discounts.`);
      }
      await page.getByLabel('Changelog note').fill(`v${number}: against the stand-in`);
      await page.getByRole('button', { name: 'Save version' }).click();
      await page.getByRole('heading', { name: new RegExp(`^v${number}`) }).waitFor();
      for (const split of splits) {
        await page.getByLabel('Split', { exact: true }).selectOption(split);
        const before = wb.ws.repos.runs.list(c.id).length;
        await page.getByRole('button', { name: `Run on ${split}` }).click();
        await expect.poll(() => wb.ws.repos.runs.list(c.id).length).toBe(before + 1);
        const run = wb.ws.repos.runs.list(c.id).reduce((a, b) => (b.id > a.id ? b : a));
        expect(run.split).toBe(split);
        expect(await waitForRun(run.id)).toBe('done');
        await page.getByRole('link', { name: 'See the metrics on the dashboard →' }).waitFor();
      }
    }

    // the run panel's link names the test run: the dashboard switches to test with it (not test run under "dev")
    await page.getByRole('link', { name: 'See the metrics on the dashboard →' }).click();
    await page.getByTestId('summary-n').waitFor();
    expect(await page.getByTestId('confusion-split').innerText()).toMatch(/on test$/);
    expect(Number(await page.getByTestId('summary-n').innerText())).toBeGreaterThan(0);

    const dash = await visit(`/c/${c.id}/dashboard`);
    expect(dash).toContain('Confusion');
    const n = Number(await page.getByTestId('summary-n').innerText());
    expect(n).toBeGreaterThan(0);
    expect(await page.getByTestId('confusion-split').innerText()).toContain('dev');
    // one row per version: v3's dev and test runs side by side, v2 on dev alone
    await page.getByTestId('toggle-test').click();
    const rows = page.getByTestId('metrics-table').locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.last().innerText()).not.toMatch(/not judged/);

    await visit(`/c/${c.id}/disagreements`);
    const dn = Number(await page.getByTestId('disagreement-n').innerText());
    expect(dn).toBeGreaterThan(0);
    expect(await page.getByLabel('Split', { exact: true }).inputValue()).toBe('dev');

    await visit(`/c/${c.id}/compare`);
    // the newest two runs that cover dev: v2 on dev → v3 on dev (not v3-dev against v3-test "on dev")
    expect(await page.getByLabel('on', { exact: true }).inputValue()).toBe('dev');
    const cells = await page.getByTestId('compare-metrics').locator('tbody tr').first().locator('td').allInnerTexts();
    expect(cells[0]).toBe('n compared');
    expect(Number(cells[1])).toBeGreaterThan(0);
    expect(Number(cells[2])).toBeGreaterThan(0);
    expect(await page.locator('#run-a option:checked').innerText()).toMatch(/· dev$/);
    expect(await page.locator('#run-b option:checked').innerText()).toMatch(/· dev$/);
    expect(bad).toEqual([]);
    expect(rawText).toEqual([]);
    expect(wb.errors).toEqual([]);
    expect(consoleProblems).toEqual([]);
  }, 300_000);
});
