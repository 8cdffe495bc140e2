import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkbench, type Workbench } from './support/harness.ts';
import { parseRecords } from '../support/workspace.ts';

/**
 * The keyboard loop at full speed: labels and critiques typed with no delay and no waits
 * between keys across 20 items (keys land while the next item loads and while a save is in
 * flight). Every saved label and critique is then read back through the API, exactly.
 */
describe('the review keyboard loop at typing speed', () => {
  let wb: Workbench;
  let criterionId: number;
  const N = 20;

  beforeAll(async () => {
    wb = await startWorkbench();
    const text = Array.from({ length: N + 2 }, (_, i) => JSON.stringify({ id: `t${String(i).padStart(2, '0')}`, input: `Question ${i}`, output: `Answer ${i}` })).join('\n');
    const { dataset } = wb.ws.importItems('speed', { name: 'speed.jsonl', records: parseRecords(text, 'jsonl', 'speed.jsonl') });
    criterionId = wb.ws.addCriterion(dataset.id, { name: 'Correct', principalAnnotator: 'maria.chen' }).id;
  });
  afterAll(async () => { await wb?.close(); });

  it('saves every label and critique typed across 20 items exactly as typed', async () => {
    const api = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${wb.url}/api${path}`);
      expect(res.status).toBe(200);
      return (await res.json()) as T;
    };
    const { items: queue } = await api<{ items: { id: number }[] }>(`/criteria/${criterionId}/queue?order=unlabelled`);
    expect(queue.length).toBe(N + 2);

    // What the expert means to save on queue position i. Critiques are full of shortcut letters
    // (p f a n b c s t) so a critique key taken for a shortcut changes a verdict or the item.
    type Want = { verdict: string; critique: string; ambiguous: boolean };
    const want: Want[] = [];
    for (let i = 0; i < N; i++) {
      const verdict = i % 3 === 0 ? 'pass' : 'fail';
      const critique = i % 5 === 4 ? '' : `Item ${i}: fails to cite the refund policy; asks a back-and-forth question, says "no" (s/n/b/c/a/p/f).`;
      want.push({ verdict, critique, ambiguous: i % 7 === 6 });
    }

    const page = await wb.page();
    await page.goto(`${wb.url}/#/c/${criterionId}/review`);
    // No wait for the first item: the keys below start while it is still loading.
    await page.getByRole('heading', { name: 'Expert review' }).waitFor();
    const k = page.keyboard;
    for (let i = 0; i < N; i++) {
      const w = want[i]!;
      await k.press(w.verdict === 'pass' ? 'p' : 'f');
      if (w.ambiguous) await k.press('a');
      if (!w.critique) { await k.press('Enter'); continue; }
      await k.press('c');
      if (i % 4 === 1) {
        // a typo corrected on the way
        await k.type(w.critique.slice(0, 10) + 'xx');
        await k.press('Backspace');
        await k.press('Backspace');
        await k.type(w.critique.slice(10));
      } else {
        await k.type(w.critique);
      }
      if (i % 2 === 0) await k.press('Control+Enter');
      else { await k.press('Escape'); await k.press('Enter'); }
    }

    // Now wait: saves run one after another, so the screen resting on item N + 1 means all are done.
    await page.getByTestId('queue-position').filter({ hasText: `Item ${N + 1} of ${N + 2}` }).waitFor();

    for (let i = 0; i < N; i++) {
      const history = await api<{ verdict: string | null; critique: string; ambiguous: boolean; annotator: string }[]>(`/criteria/${criterionId}/items/${queue[i]!.id}/labels`);
      expect(history.map((l) => ({ verdict: l.verdict, critique: l.critique, ambiguous: l.ambiguous })), `queue position ${i + 1}`).toEqual([want[i]]);
      expect(history[0]!.annotator).toBe('maria.chen');
    }
    // nothing leaked onto the items after the last one typed
    for (const q of queue.slice(N)) expect(await api<unknown[]>(`/criteria/${criterionId}/items/${q.id}/labels`)).toEqual([]);
    // and focus rests on a known place, not in the critique box of the next item
    expect(await page.evaluate(() => document.activeElement?.id ?? '')).not.toBe('critique');
    expect(wb.errors).toEqual([]);
  });

  it('refuses, visibly, the keys typed after a save that failed, and types none into another item', async () => {
    const { items: queue } = (await (await fetch(`${wb.url}/api/criteria/${criterionId}/queue?order=dataset`)).json()) as { items: { id: number }[] };
    const [here, next] = [queue[queue.length - 2]!, queue[queue.length - 1]!];
    const page = await wb.page();
    await page.goto(`${wb.url}/#/c/${criterionId}/review?order=dataset&item=${here.id}`);
    await page.getByTestId('save-state').filter({ hasText: 'not labelled' }).waitFor();
    // another tab labels the item meanwhile, so this save answers 409; the request is held until
    // the next keys are typed, so they are pressed while it is in flight
    wb.ws.saveLabel(wb.ws.criterionById(criterionId), { itemId: here.id, verdict: 'pass', critique: 'theirs', ambiguous: false, expectedId: null });
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    await page.route('**/api/criteria/*/labels', async (route) => { await held; await route.continue(); });
    await page.keyboard.press('f');
    await page.keyboard.press('Enter');
    await page.keyboard.type('pcabc');
    release();
    await page.getByTestId('conflict').waitFor();
    const refused = page.getByTestId('keys-refused');
    await refused.waitFor();
    expect(await refused.innerText()).toContain('5 keys typed after that were not applied');
    expect(await page.getByTestId('queue-position').innerText()).toContain(`Item ${queue.length - 1} of`);
    expect(await page.getByLabel(/^Critique/).inputValue()).toBe('');
    expect(wb.ws.repos.labels.history(criterionId, here.id).map((l) => l.critique)).toEqual(['theirs']);
    expect(wb.ws.repos.labels.history(criterionId, next.id)).toEqual([]);
  });
});
