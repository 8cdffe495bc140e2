import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chooseFile, jsonl, startWorkbench, type Workbench } from './support/harness.ts';

/** The import screen lists every problem of a file (up to 50, with the count of the rest) and the hint that fits them. */
describe('import problems in the browser', () => {
  let wb: Workbench;
  let page: Page;
  beforeAll(async () => { wb = await startWorkbench(); page = await wb.page(); });
  afterAll(async () => { await wb?.close(); });

  it('lists every missing field with its line, counts the rest, and offers the mapping', async () => {
    await page.goto(`${wb.url}/#/import`);
    // 55 records without "output": 50 listed, 5 counted
    await chooseFile(page, 'no-output.jsonl', jsonl(Array.from({ length: 55 }, (_, i) => ({ id: `n${i}`, input: `q${i}` }))));
    const error = page.getByTestId('import-error');
    await error.waitFor();
    expect(await error.innerText()).toContain('Cannot import no-output.jsonl — 55 problems; nothing was imported.');
    const rows = page.getByTestId('import-problems').locator('tbody tr');
    expect(await rows.count()).toBe(50);
    expect(await rows.nth(0).innerText()).toBe('line 1\toutput\tis missing or empty');
    expect(await rows.nth(49).innerText()).toBe('line 50\toutput\tis missing or empty');
    expect(await page.getByTestId('more-problems').innerText()).toContain('5 more problems');
    expect(await page.getByTestId('import-hint').innerText()).toMatch(/^Map the field/);
  });

  it('says a file that does not parse is fixed in the file, listing each bad line, with no mapping hint', async () => {
    await page.goto(`${wb.url}/#/import`);
    await chooseFile(page, 'syntax.jsonl', '{"id": "a", "input": "q", "output": "x"}\n{"id": "b", "input": \n{"id": "c"\n');
    const error = page.getByTestId('import-error');
    await error.waitFor();
    const rows = page.getByTestId('import-problems').locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).innerText()).toMatch(/^line 2\t—\tnot valid JSON/);
    expect(await rows.nth(1).innerText()).toMatch(/^line 3\t—\tnot valid JSON/);
    const hint = await page.getByTestId('import-hint').innerText();
    expect(hint).toContain('does not parse');
    expect(hint).not.toMatch(/map/i);
    expect(wb.ws.repos.datasets.list()).toEqual([]);
  });

  it('sets the split shares of a new dataset before importing, and shows an existing one\'s', async () => {
    await page.goto(`${wb.url}/#/import`);
    const items = Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, input: `q${i}`, output: `a${i}` }));
    await chooseFile(page, 'shares.jsonl', jsonl(items));
    await page.getByTestId('import-preview').waitFor();
    await page.getByLabel('Dataset name').fill('shares');
    const shares = page.getByTestId('split-shares');
    expect(await page.getByLabel('Train %').inputValue()).toBe('20');
    expect(await page.getByLabel('Dev %').inputValue()).toBe('50');
    expect(await page.getByLabel('Test %').inputValue()).toBe('30');
    await page.getByLabel('Train %').fill('10');
    await shares.getByText('train + dev + test add up to 90, not 100').waitFor();
    expect(await page.getByRole('button', { name: 'Import 40 items' }).isDisabled()).toBe(true);
    await page.getByLabel('Test %').fill('40');
    await page.getByRole('button', { name: 'Import 40 items' }).click();
    await page.getByText('Imported 40 new items').waitFor();
    expect(wb.ws.dataset('shares').splits).toEqual({ train: 10, dev: 50, test: 40 });

    await page.goto(`${wb.url}/#/import`);
    await chooseFile(page, 'shares.jsonl', jsonl(items));
    await page.getByTestId('import-preview').waitFor();
    await page.getByLabel('Dataset name').fill('shares');
    expect(await shares.innerText()).toContain('Splits of “shares”: 10% train · 50% dev · 40% test');
  });

  it('imports labels and judge verdicts from the screen, listing every problem of a bad file first', async () => {
    const c = wb.ws.addCriterion('shares', { name: 'Correct', principalAnnotator: 'maria' });
    await page.goto(`${wb.url}/#/import`);
    await page.reload(); // the criterion was added behind the page's back
    await page.getByTestId('holds-choice').getByText('labels for a criterion').click();
    await page.getByLabel('Criterion the file is for').selectOption({ label: 'shares · Correct' });
    await chooseFile(page, 'labels.jsonl', jsonl([{ id: 's1', verdict: 'pass' }, { id: 'zz', verdict: 'pass' }, { id: 's2', verdict: 'meh' }]));
    await page.getByRole('button', { name: 'Import labels' }).click();
    const rows = page.getByTestId('import-problems').locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).innerText()).toBe('line 2\tid\tno item "zz" in this dataset');
    expect(await rows.nth(1).innerText()).toMatch(/^line 3\tverdict\t"meh" is not a verdict/);
    expect(wb.ws.repos.labels.currentByItem(c.id, 'maria').size).toBe(0);

    await chooseFile(page, 'labels.jsonl', jsonl([{ id: 's1', verdict: 'pass', critique: 'fine' }, { id: 's2', verdict: 'fail' }]));
    await page.getByRole('button', { name: 'Import labels' }).click();
    await page.getByTestId('import-other-result').filter({ hasText: 'Imported 2 labels for “Correct”: 2 added, 0 unchanged.' }).waitFor();
    expect([...wb.ws.repos.labels.currentByItem(c.id, 'maria').values()].map((l) => l.verdict).sort()).toEqual(['fail', 'pass']);

    await page.getByTestId('holds-choice').getByText('judge verdicts, as a run').click();
    await page.getByLabel('Run name').fill('outside judge');
    await chooseFile(page, 'verdicts.jsonl', jsonl([{ id: 's1', verdict: 'pass' }, { id: 's2', verdict: 'pass' }, { id: 's3', verdict: '', error: 'timeout' }]));
    await page.getByRole('button', { name: 'Import as a run' }).click();
    await page.getByTestId('import-other-result').filter({ hasText: '“outside judge” for “Correct”: 3 verdicts, 1 unparseable' }).waitFor();
    const run = wb.ws.repos.runs.list(c.id)[0]!;
    expect(run).toMatchObject({ kind: 'imported', name: 'outside judge', errors: 1 });
    expect(wb.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
