import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startWorkbench, type Workbench } from './support/harness.ts';
import { seed } from '../support/seed.ts';

/**
 * The Endpoints screen in chromium: add a profile pointing at the OpenAI-compatible stand-in with
 * no key, test its connection (one real call, the reply shown), write a version through that
 * profile and run it — the run records the profile and the URL it used.
 */
describe('endpoint profiles in the browser', () => {
  let wb: Workbench;
  let page: Page;
  let criterionId: number;

  beforeAll(async () => {
    wb = await startWorkbench({
      respond: (req) => (JSON.stringify(req.messages).includes('connection test') ? 'OK from the stand-in'
        : JSON.stringify({ critique: 'Follows the policy.', verdict: 'pass' })),
    });
    criterionId = seed(wb.ws, [{ id: 'a', verdict: 'pass' }, { id: 'b', verdict: 'fail' }, { id: 'c', verdict: 'pass' }]).criterion.id;
    page = await wb.page();
  });
  afterAll(async () => { await wb?.close(); });

  it('an empty results screen offers to connect an endpoint profile', async () => {
    await page.goto(`${wb.url}/#/c/${criterionId}/dashboard`);
    await page.getByTestId('empty-needs-run').waitFor();
    await page.getByTestId('connect-endpoint').click();
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
    expect(await page.getByTestId('secrets-rule').innerText()).toContain('CONCUR_KEYS');
  });

  it('adds a profile for the stand-in with key "none" and tests the connection, showing the reply', async () => {
    await page.getByRole('button', { name: 'Add a profile' }).first().click();
    await page.getByLabel('Name').fill('stand-in');
    await page.getByLabel(/^Base URL/).fill(wb.fake.url);
    await page.getByLabel(/^API key environment variable/).fill('none');
    await page.getByLabel('Default model').fill('fake-judge');
    await page.getByRole('button', { name: 'Save profile' }).click();
    const card = page.getByTestId('profile').filter({ hasText: 'stand-in' });
    await card.waitFor();
    expect(await card.innerText()).toContain('no key');
    await card.getByRole('button', { name: 'Test connection' }).click();
    const result = card.getByTestId('test-result');
    await result.waitFor();
    expect(await result.innerText()).toContain('Connected.');
    expect(await result.innerText()).toContain('OK from the stand-in');
    expect(wb.fake.count()).toBe(1);
    expect(wb.ws.repos.db.prepare(`SELECT count(*) AS n FROM model_calls WHERE task_kind = 'connection-test'`).get()).toEqual({ n: 1 });
  });

  it('writes a version with that profile and runs it', async () => {
    await page.goto(`${wb.url}/#/c/${criterionId}/prompts`);
    await page.getByRole('button', { name: 'Write version 1' }).click();
    await expect.poll(() => page.getByLabel('Endpoint profile').inputValue()).toBe('stand-in');
    expect(await page.getByLabel('Model', { exact: true }).inputValue()).toBe('fake-judge');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByRole('heading', { name: /^v1/ }).waitFor();
    const v = wb.ws.repos.versions.list(criterionId)[0]!;
    expect(wb.ws.repos.profiles.get(v.profileId!)!.name).toBe('stand-in');
    await page.getByLabel('Split', { exact: true }).selectOption('all');
    await page.getByRole('button', { name: 'Run on all' }).click();
    await page.locator('[data-testid="run-progress"][data-status="done"]').waitFor();
    const run = wb.ws.repos.runs.list(criterionId)[0]!;
    expect(run).toMatchObject({ status: 'done', done: 3, errors: 0, profileName: 'stand-in', baseUrl: wb.fake.url, model: 'fake-judge' });
    expect(wb.fake.count()).toBe(4);
    expect(wb.errors).toEqual([]);
  });
});
