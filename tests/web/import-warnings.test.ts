/**
 * The import screen shows what an import changed: a file with bytes that are not UTF-8 and a
 * field Concur does not read is previewed with those warnings, imported, and the warnings stay
 * on screen (line and field) until the user opens the dataset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkbench, type Workbench } from './support/harness.ts';

let wb: Workbench;
beforeAll(async () => { wb = await startWorkbench(); }, 60_000);
afterAll(async () => { await wb?.close(); });

describe('import view warnings', () => {
  it('lists invalid UTF-8 and an ignored field with their lines, before and after the import', async () => {
    const page = await wb.page();
    await page.goto(`${wb.url}/#/import`);
    const file = Buffer.concat([
      Buffer.from('{"id":"a","input":"hello","output":"fine"}\n{"id":"b","input":"hello","output":"caf'),
      Buffer.from([0xff]),
      Buffer.from('","ouptut":"typo"}\n'),
    ]);
    await page.getByTestId('file-input').setInputFiles({ name: 'mixed.jsonl', mimeType: 'application/octet-stream', buffer: file });
    const previewWarnings = page.getByTestId('import-warnings');
    await previewWarnings.waitFor();
    expect(await previewWarnings.locator('li').allInnerTexts()).toEqual([
      'line 2 · output: invalid UTF-8 replaced by U+FFFD',
      'line 2 · ouptut: is not a field Concur reads; ignored (this line and every later one)',
    ]);
    await page.getByRole('button', { name: 'Import 2 items' }).click();
    await page.getByRole('button', { name: 'Open the dataset' }).waitFor();
    const after = page.getByTestId('import-warnings');
    expect(await after.innerText()).toContain('The import changed or left out these values');
    expect(await after.locator('li').count()).toBe(2);
    const ds = wb.ws.repos.datasets.byName('mixed')!;
    expect(wb.ws.repos.items.all(ds.id).find((i) => i.externalId === 'b')!.output).toBe('caf\uFFFD');
    await page.getByRole('button', { name: 'Open the dataset' }).click();
    await page.waitForURL(`${wb.url}/#/datasets/${ds.id}*`);
    expect(wb.errors).toEqual([]);
  }, 60_000);
});
