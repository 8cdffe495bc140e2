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
});
