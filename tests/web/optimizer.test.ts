import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startWorkbench, type Workbench } from './support/harness.ts';
import { PROPOSAL_SCHEMA, FAILURE_MODES_SCHEMA, rubricRespond, LEARNED_RULES_HEADING, schemaName } from '../support/rubric-model.ts';
import { ruleDataset, RULE_DATASET_ANNOTATOR } from '../support/rule-dataset.ts';
import { source } from '../support/seed.ts';
import type { ChatRequest } from '../support/openai-server.ts';
import type { Criterion } from '../../shared/types.ts';

/**
 * The Converge loop in the browser against the rubric stand-in (tests/support/rubric-model.ts) on
 * the seeded rule dataset: group critiques with a model through an endpoint profile (key 'none'),
 * cost preview, start an optimization with the proposer on that profile, candidates with train/dev
 * intervals and dev peeks, a candidate's diff, accept, confirm on test, publish. Every figure is the
 * stand-in's (a deterministic rule-follower), not a real model's judgment.
 */
const schemaOf = schemaName;

describe('the optimizer on the Converge screen', () => {
  let wb: Workbench;
  let page: Page;
  let criterion: Criterion;
  /** responses with an error status: none is expected */
  const failed: string[] = [];

  beforeAll(async () => {
    wb = await startWorkbench({ respond: rubricRespond });
    const data = ruleDataset();
    wb.ws.importItems('billing', source('items.jsonl', data.itemsJsonl));
    criterion = wb.ws.addCriterion('billing', { name: 'policy', description: 'The reply follows the billing policy', principalAnnotator: RULE_DATASET_ANNOTATOR, targetAgreement: 0.9 });
    wb.ws.importLabels(criterion, source('labels.jsonl', data.labelsJsonl));
    wb.ws.addVersion(criterion, { template: data.naiveTemplate, model: 'stand-in', baseUrl: wb.fake.url, apiKeyEnv: 'none', temperature: 0, note: 'naive' });
    wb.ws.repos.profiles.create({ name: 'standin', baseUrl: wb.fake.url, apiKeyEnv: '', model: 'proposer-model', rpm: null, tpm: null, maxReplyBytes: null });
    page = await wb.page({ width: 1400, height: 1000 });
    page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  }, 60_000);
  afterAll(async () => { await wb?.close(); });

  it('groups the critiques with a model through an endpoint profile', async () => {
    await page.goto(`${wb.url}/#/c/${criterion.id}/converge`);
    const form = page.getByRole('form', { name: 'Group critiques' });
    await form.getByLabel('with a model').check();
    await form.getByLabel('Grouping endpoint profile').selectOption('standin');
    await form.getByRole('button', { name: 'Group critiques' }).click();
    await page.getByRole('button', { name: /^Accept \d+ failure modes?$/ }).waitFor();
    const grouping = wb.fake.requests.filter((r) => schemaOf(r) === FAILURE_MODES_SCHEMA);
    expect(grouping.map((r) => r.model)).toEqual(['proposer-model']);
  });

  it('previews the cost, optimizes with the proposer on the profile, shows candidates with intervals, a diff, and accepts one', async () => {
    const panel = page.locator('section', { has: page.locator('#h-optimizer') });
    await panel.getByLabel('few-shot selection').uncheck();
    await panel.getByLabel('combined').uncheck();
    await panel.getByLabel('Candidates').fill('2');
    await panel.getByLabel('Proposer endpoint profile').selectOption('standin');
    await panel.getByRole('button', { name: 'Cost preview' }).click();
    const preview = panel.locator('[data-testid=optimizer-preview]');
    await preview.getByText(/^\d+ judge calls \(stand-in\) \+ \d+ proposer calls \(proposer-model\)/).waitFor();
    expect(wb.fake.requests.filter((r) => schemaOf(r) === PROPOSAL_SCHEMA)).toEqual([]);
    await panel.getByRole('button', { name: 'Start optimization' }).click();
    const status = panel.locator('[data-testid=optimizer-status]');
    await status.getByText(/: done/).waitFor({ timeout: 60_000 });
    await status.getByText(/dev peeks [1-9]/).waitFor();
    const proposer = wb.fake.requests.filter((r) => schemaOf(r) === PROPOSAL_SCHEMA);
    expect(proposer.length).toBeGreaterThan(0);
    for (const r of proposer) expect(r.model).toBe('proposer-model');

    const row = panel.locator('[data-testid=candidates] tbody tr', { hasText: /^v2/ });
    // train and dev agreement with their intervals (the stand-in's figures)
    await expect(row.locator('td').nth(3).textContent()).resolves.toMatch(/\d+\.\d% \(95% CI \d+\.\d%–\d+\.\d%\) n = \d+/);
    await expect(row.locator('td').nth(4).textContent()).resolves.toMatch(/\d+\.\d% \(95% CI \d+\.\d%–\d+\.\d%\) n = \d+/);
    await row.getByRole('button', { name: 'Diff vs v1' }).click();
    const diff = panel.locator('[data-testid=candidate-diff]');
    await diff.getByText(LEARNED_RULES_HEADING).first().waitFor();
    await diff.getByText(/Few-shot examples:/).waitFor();
    await row.getByRole('button', { name: 'Accept v2' }).click();
    await row.getByText('(accepted)').waitFor();
    expect(wb.ws.version(criterion, 'latest').number).toBe(2);
  });

  it('confirms the accepted version on test and publishes it', async () => {
    // the test run is a deliberate, separate act (concur run … --split test); the optimizer never sends a test item
    const v2 = wb.ws.version(criterion, 2);
    await wb.ws.engine.execute(wb.ws.engine.plan({ criterion, version: v2, split: 'test', concurrency: 4 }).id);
    await page.reload();
    const panel = page.locator('[data-testid=confirm-publish]');
    const row = panel.locator('tbody tr', { hasText: /^v2/ });
    await row.getByRole('button', { name: 'Confirm on test' }).click();
    await panel.locator('[data-testid=confirmations]').getByText(/1st confirmation on this test split: v2/).waitFor();
    await row.getByRole('button', { name: 'Publish' }).click();
    await panel.getByText('published: v2').waitFor();
    expect(wb.ws.repos.confirmations.active(criterion.id)).toMatchObject({ versionNumber: 2 });
    expect(failed).toEqual([]);
    expect(wb.errors).toEqual([]);
  });
});
