import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkbench, type Workbench } from './support/harness.ts';
import { parseRecords } from '../support/workspace.ts';

/** Saving never silently overwrites another tab's label; model and user text never runs as HTML. */
describe('label conflicts and hostile text in the browser', () => {
  let wb: Workbench;
  let criterionId: number;
  const XSS_OUTPUT = 'Sure! <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> done';
  const XSS_INPUT = '<b onmouseover="window.__xss=3">bold?</b>';

  beforeAll(async () => {
    wb = await startWorkbench();
    const text = [
      { id: 'plain-1', input: 'Where is my invoice?', output: 'It is in Settings → Billing.' },
      { id: 'evil-1', input: XSS_INPUT, output: XSS_OUTPUT, context: { note: '<svg onload="window.__xss=4">' }, dimensions: { feature: '<i>x</i>' } },
    ].map((r) => JSON.stringify(r)).join('\n');
    const { dataset } = wb.ws.importItems('hostile', { name: 'hostile.jsonl', records: parseRecords(text, 'jsonl', 'hostile.jsonl') });
    criterionId = wb.ws.addCriterion(dataset.id, { name: 'Correct', principalAnnotator: 'maria.chen' }).id;
  });
  afterAll(async () => { await wb?.close(); });

  it('shows a clear conflict to the second tab that saves the same label, and keeps its text', async () => {
    const plain = wb.ws.repos.items.byExternalId(wb.ws.repos.criteria.get(criterionId)!.datasetId, 'plain-1')!;
    const reviewUrl = `${wb.url}/#/c/${criterionId}/review?item=${plain.id}`;
    const [first, second] = [await wb.page(), await wb.page()];
    for (const p of [first, second]) {
      await p.goto(reviewUrl);
      await p.getByTestId('save-state').filter({ hasText: 'not labelled' }).waitFor();
    }
    await first.keyboard.press('p');
    await first.getByLabel(/^Critique/).fill('Points to the right page.');
    await first.getByRole('button', { name: /^Save s$/ }).click();
    await first.getByTestId('save-state').filter({ hasText: 'saved' }).waitFor();

    await second.keyboard.press('f');
    await second.getByLabel(/^Critique/).fill('Should link to the invoice directly.');
    await second.keyboard.press('Control+Enter');
    const conflict = second.getByTestId('conflict');
    await conflict.waitFor();
    const text = await conflict.innerText();
    expect(text).toContain('Someone else saved this label');
    expect(text).toContain('Points to the right page.');
    expect(text).toContain('pass');
    expect(await second.getByLabel(/^Critique/).inputValue()).toBe('Should link to the invoice directly.');
    expect(wb.ws.repos.labels.history(criterionId, plain.id).map((l) => l.verdict)).toEqual(['pass']);

    await second.getByRole('button', { name: 'Save mine over theirs' }).click();
    await second.getByTestId('save-state').filter({ hasText: 'saved' }).waitFor();
    expect(wb.ws.repos.labels.history(criterionId, plain.id).map((l) => l.verdict)).toEqual(['pass', 'fail']);
    await second.getByRole('region', { name: 'Label history' }).getByText('Points to the right page.').waitFor();
  });

  it('keeps unsaved text when the expert leaves the screen or reloads the tab', async () => {
    const datasetId = wb.ws.repos.criteria.get(criterionId)!.datasetId;
    const evil = wb.ws.repos.items.byExternalId(datasetId, 'evil-1')!;
    const page = await wb.page();
    await page.goto(`${wb.url}/#/c/${criterionId}/review?item=${evil.id}`);
    await page.getByTestId('save-state').filter({ hasText: 'not labelled' }).waitFor();
    await page.keyboard.press('c');
    await page.keyboard.type('Half-written thought about the markup');
    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('heading', { name: 'Datasets' }).waitFor();
    await page.goBack();
    await page.getByTestId('save-state').filter({ hasText: 'unsaved' }).waitFor();
    expect(await page.getByLabel(/^Critique/).inputValue()).toBe('Half-written thought about the markup');
    await page.reload();
    await page.getByTestId('save-state').filter({ hasText: 'unsaved' }).waitFor();
    expect(await page.getByLabel(/^Critique/).inputValue()).toBe('Half-written thought about the markup');
    expect(wb.ws.repos.labels.history(criterionId, evil.id)).toEqual([]);
  });

  it.skipIf(!!process.env.OPENAI_BASE_URL)('says plainly when a version has no judge endpoint, and offers no run', async () => {
    const c = wb.ws.criterionById(criterionId);
    // saved before the secrets rule (a save now refuses an unbound variable), so written directly
    const v = wb.ws.repos.versions.create(c.id, { template: 'Judge this:\n{{output}}', model: 'gpt-4o-mini', baseUrl: null, apiKeyEnv: 'CONCUR_TEST_KEY_THAT_IS_NOT_SET',
      temperature: null, maxTokens: null, seed: null, examples: [], note: '' });
    const page = await wb.page();
    await page.goto(`${wb.url}/#/c/${criterionId}/prompts?v=${v.id}`);
    const notice = page.getByTestId('no-endpoint');
    await notice.waitFor();
    expect(await notice.innerText()).toContain('CONCUR_TEST_KEY_THAT_IS_NOT_SET');
    expect(await page.getByRole('button', { name: 'Run on dev' }).isDisabled()).toBe(true);
  });

  it('renders markup in item text as text: nothing runs, everywhere the item appears', async () => {
    const page = await wb.page();
    const datasetId = wb.ws.repos.criteria.get(criterionId)!.datasetId;
    const evil = wb.ws.repos.items.byExternalId(datasetId, 'evil-1')!;
    await page.goto(`${wb.url}/#/c/${criterionId}/review?item=${evil.id}`);
    await page.locator('.block.output').getByText('<script>window.__xss=2</script>', { exact: false }).waitFor();
    expect(await page.locator('.block.output').innerText()).toContain(XSS_OUTPUT);
    expect(await page.getByText(XSS_INPUT).count()).toBeGreaterThan(0);
    expect(await page.getByText('<svg onload="window.__xss=4">').count()).toBe(1);
    expect(await page.locator('main img, main script, main svg[onload], main b[onmouseover]').count()).toBe(0);

    await page.goto(`${wb.url}/#/datasets/${datasetId}`);
    await page.getByTestId('items-table').getByText('evil-1').click();
    await page.getByRole('dialog').getByText('<script>window.__xss=2</script>', { exact: false }).waitFor();
    await page.getByRole('dialog').getByText(XSS_INPUT).hover();
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(wb.errors).toEqual([]);
  });
});
