import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { childEnv } from '../support/cli.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { chooseFile, startWorkbench, type Workbench, runEnded } from './support/harness.ts';
import { installSamples } from '../../server/services/samples.ts';
import { parseRecords } from '../support/workspace.ts';
import { guessImportFormat } from '../../web/src/lib/import-format.ts';
import { gateCommand, humanCeiling, shellQuote } from '../../web/src/lib/trust.ts';
import { KAPPA_PARADOX } from '../../shared/metrics/explain.ts';

/**
 * The trust report, the dashboard's kappa companions and the foreign importers in the browser,
 * on the built-in samples: PandaLM (pairwise, three annotators, two imported judges) and the
 * billing-support set judged by the fake OpenAI server.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'data', 'samples', 'support');
const PROMPTFOO = readFileSync(join(ROOT, 'tests', 'fixtures', 'importers', 'promptfoo-results.json'), 'utf8');

const HOSTILE_ANNOTATOR = '<img src=x onerror="window.__xss=1">';
const HOSTILE_CRITIQUE = 'Looks fine <script>window.__xss=2</script><img src=y onerror="window.__xss=3"> to me';

interface SampleItem { id: string; input: string; output: string }
const sampleItems = readFileSync(join(SAMPLE, 'items.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SampleItem);
const expert = new Map(readFileSync(join(SAMPLE, 'labels.jsonl'), 'utf8').trim().split('\n')
  .map((l) => JSON.parse(l) as { id: string; verdict: string }).map((l) => [l.id, l.verdict]));

/**
 * The fake judge: finds the judged output in the prompt (the first one: the sample's template puts
 * the few-shot examples after it) and gives the expert's verdict, except on ids ending in 3, where
 * it flips.
 * Its critique carries markup that must never run.
 */
function judge(req: { messages: Array<{ role: string; content: string }> }): string {
  const text = req.messages.filter((m) => m.role === 'user').map((m) => String(m.content)).join('\n');
  const hit = sampleItems.map((i) => ({ i, at: text.indexOf(i.output) })).filter((x) => x.at >= 0).sort((a, b) => a.at - b.at)[0]?.i;
  const truth = hit ? expert.get(hit.id) ?? 'pass' : 'pass';
  const verdict = hit?.id.endsWith('3') ? (truth === 'pass' ? 'fail' : 'pass') : truth;
  return JSON.stringify({ critique: HOSTILE_CRITIQUE, verdict });
}

describe('the trust report in the browser', () => {
  let wb: Workbench;
  let page: Page;
  let billing = 0;
  let pandalm = 0;
  let billingRun = 0;
  let gptRun = 0;
  let ordinal = 0;

  const waitForRun = (id: number) => runEnded(wb, id);

  beforeAll(async () => {
    wb = await startWorkbench({ respond: judge });
    process.env.OPENAI_BASE_URL = wb.fake.url; // the sample's v1 uses the server's default endpoint
    installSamples(wb.ws);
    const ds = wb.ws.dataset('acme-billing-support');
    const c = wb.ws.repos.criteria.list(ds.id)[0]!;
    billing = c.id;
    pandalm = wb.ws.repos.criteria.list(wb.ws.dataset('pandalm-human-judgments').id)[0]!.id;
    gptRun = wb.ws.repos.runs.list(pandalm).find((r) => r.name.startsWith('gpt-3.5-turbo'))!.id;
    // a third annotator whose name is markup: it shows up in the human–human tables
    const labels = sampleItems.map((i) => JSON.stringify({ id: i.id, verdict: expert.get(i.id), critique: HOSTILE_CRITIQUE })).join('\n');
    wb.ws.importLabels(c, { name: 'hostile.jsonl', records: parseRecords(labels, 'jsonl', 'hostile.jsonl') }, HOSTILE_ANNOTATOR);
    // an ordinal criterion (1–5, pass at 4) with a second annotator and an imported judge one level low on every third item
    const oc = wb.ws.addCriterion(ds.id, { name: 'Helpfulness 1-5', scale: 'ordinal', levels: 5, passAt: 4, principalAnnotator: 'maria.chen' });
    ordinal = oc.id;
    const grade = (id: string) => 1 + ([...id].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7) % 5);
    const rows = (f: (i: SampleItem, n: number) => object) => sampleItems.map((i, n) => JSON.stringify(f(i, n))).join('\n');
    const src = (name: string, text: string) => ({ name, records: parseRecords(text, 'jsonl', name) });
    wb.ws.importLabels(oc, src('o1.jsonl', rows((i) => ({ id: i.id, verdict: grade(i.id), critique: '' }))), 'maria.chen');
    wb.ws.importLabels(oc, src('o2.jsonl', rows((i, n) => ({ id: i.id, verdict: n % 4 ? grade(i.id) : Math.min(5, grade(i.id) + 1), critique: '' }))), 'sam.okafor');
    wb.ws.importRun(oc, src('o-run.jsonl', rows((i, n) => ({ id: i.id, verdict: n % 3 ? grade(i.id) : Math.max(1, grade(i.id) - 1), critique: '' }))), 'ordinal judge');
    // unlabelled traffic for the corrected pass rate: the sample's outputs under new ids
    const march = sampleItems.slice(0, 40).map((i, n) => JSON.stringify({ id: `mar-${n}`, input: i.input, output: i.output })).join('\n');
    wb.ws.importItems('billing-march', { name: 'march.jsonl', records: parseRecords(march, 'jsonl', 'march.jsonl') });
    const res = await fetch(`${wb.url}/api/criteria/${billing}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 1, split: 'all' }) });
    billingRun = ((await res.json()) as { id: number }).id;
    expect(await waitForRun(billingRun)).toBe('done');
    page = await wb.page();
  }, 120_000);
  afterAll(async () => { delete process.env.OPENAI_BASE_URL; await wb?.close(); });
  afterEach(async (ctx) => {
    if (process.env.CONCUR_DEBUG && ctx.task.result?.state === 'fail') await page.screenshot({ path: `.tmp/fail-trust-${ctx.task.name.slice(0, 30)}.png`, fullPage: true });
  });

  it('shows the PandaLM annotators as the ceiling, and GPT-3.5 against the majority and each annotator, with and without ties', async () => {
    await page.goto(`${wb.url}/#/c/${pandalm}/trust`);
    await page.getByTestId('held-out-note').filter({ hasText: 'Held-out test split' }).waitFor();
    await page.getByTestId('trust-headline').waitFor();
    await page.getByLabel('Run', { exact: true }).selectOption({ label: `gpt-3.5-turbo (PandaLM paper) · #${gptRun} · imported` });
    await page.getByRole('button', { name: 'all items' }).click();
    await page.getByTestId('held-out-note').filter({ hasText: 'All items' }).waitFor();
    await page.getByText('Agreement with majority · gpt-3.5-turbo (PandaLM paper) on all').waitFor();

    // the published annotator agreement (PandaLM README: 0.85 / 0.88 / 0.86), over all 999 items
    const pairs = page.getByTestId('annotator-pairs').locator('tbody tr');
    expect(await pairs.allInnerTexts()).toEqual([
      expect.stringMatching(/annotator1\s+annotator2\s+999\s+91\.3%\s+0\.852/),
      expect.stringMatching(/annotator1\s+annotator3\s+999\s+92\.9%\s+0\.879/),
      expect.stringMatching(/annotator2\s+annotator3\s+999\s+91\.8%\s+0\.862/),
    ]);
    expect(await page.getByTestId('fleiss').innerText()).toContain('0.864');

    const judge = page.getByTestId('judge-vs-annotators');
    const row = (who: string) => judge.locator(`tr[data-annotator="${who}"]`).innerText();
    expect(await row('majority')).toMatch(/majority\s+reference\s+974\s+71\.6%.*0\.493/s);
    expect(await row('annotator1')).toMatch(/974.*0\.479/s);
    expect(await row('annotator2')).toMatch(/974.*0\.471/s);
    expect(await row('annotator3')).toMatch(/974.*0\.483/s);

    expect(await page.getByTestId('kappa-with-ties').innerText()).toContain('0.493');
    expect(await page.getByTestId('kappa-without-ties').innerText()).toContain('0.630');
    expect(await page.getByTestId('pabak-ac1').innerText()).toMatch(/PABAK \d\.\d{3} · Gwet's AC1 \d\.\d{3} \(q = 3 categories\)/);
    // the 25 unparseable outputs, beside n, as the rate a gate checks (README: "How Concur's figures differ")
    expect(await page.getByTestId('trust-error-rate').innerText()).toBe('error rate 2.5% (25 errors + 0 not judged of 999 labelled)');
    expect(await page.getByTestId('kappa-paradox').innerText()).toBe(KAPPA_PARADOX);
    expect(await page.getByTestId('position-consistency').innerText()).toContain('not measurable for an imported run');
    expect(await page.getByTestId('corrected-rate-not-applicable').count()).toBe(1);
    expect(await page.getByTestId('download-html').getAttribute('href')).toBe(`/api/criteria/${pandalm}/report?run=${gptRun}&split=all&format=html`);
  });

  it('puts PABAK, AC1, the kappa paradox and the human ceiling on the dashboard', async () => {
    await page.goto(`${wb.url}/#/c/${pandalm}/dashboard?run=${gptRun}`);
    await page.getByTestId('confusion-matrix').waitFor();
    await page.getByTestId('summary-kappa').filter({ hasText: 'PABAK' }).waitFor();
    expect(await page.getByTestId('summary-kappa').innerText()).toMatch(/PABAK \d\.\d{3} · AC1 \d\.\d{3}/);
    expect(await page.getByTestId('kappa-note').innerText()).toBe(KAPPA_PARADOX);
    expect(await page.getByTestId('summary-without-ties').innerText()).toMatch(/kappa 0\.\d{3} \(95% CI /);
    expect(await page.getByTestId('ceiling-line').innerText()).toMatch(/^Ceiling: human–human kappa 0\.\d{3} \(Fleiss' kappa, 3 annotators/);

    // the same numbers read the same on screen and in the Markdown report (one formatting, shared/format.ts)
    const md = await (await fetch(`${wb.url}/api/criteria/${pandalm}/report?run=${gptRun}&split=dev&format=md`)).text();
    const mdRow = (label: string) => new RegExp(`^\\| ${label} \\| (.+) \\|$`, 'm').exec(md)?.[1];
    const agreement = mdRow('Agreement');
    expect(agreement).toMatch(/^\d+\.\d% \(95% CI \d+\.\d%–\d+\.\d%\)$/);
    expect(await page.getByTestId('summary-agreement').innerText()).toBe(agreement);
    const kappa = mdRow("Cohen's kappa \\(3 categories\\)");
    const [pabak, ac1] = mdRow('PABAK / Gwet AC1 \\(q = 3 categories\\)')!.split(' / ');
    expect(kappa).toMatch(/^0\.\d{3} \(95% CI /);
    expect(await page.getByTestId('summary-kappa').innerText()).toBe(`${kappa} · PABAK ${pabak} · AC1 ${ac1} (q = 3)`); // q: the categories PABAK and AC1 are computed over
  });

  it('shows the weighted kappas and the pass/fail view of an ordinal criterion, and fits its 5×5 matrix', async () => {
    await page.goto(`${wb.url}/#/c/${ordinal}/trust`);
    await page.getByTestId('trust-headline').waitFor();
    const report = (await (await fetch(`${wb.url}/api/criteria/${ordinal}/report?split=test`)).json()) as { weightedKappa: { linear: { value: number }; quadratic: { value: number } }; binary: { kappa: { value: number } } };
    expect(await page.getByTestId('weighted-linear').innerText()).toContain(report.weightedKappa.linear.value.toFixed(3));
    expect(await page.getByTestId('weighted-quadratic').innerText()).toContain(report.weightedKappa.quadratic.value.toFixed(3));
    expect(await page.getByTestId('trust-headline').innerText()).toContain('Pass/fail view (a verdict ≥ 4 passes)');
    expect(await page.getByTestId('kappa-with-ties').innerText()).toMatch(/\d\.\d{3}/);

    await page.goto(`${wb.url}/#/c/${ordinal}/dashboard`);
    await page.getByTestId('confusion-matrix').waitFor();
    expect(await page.getByTestId('confusion-matrix').locator('button.cell').count()).toBe(25);
    // the matrix stays inside its panel: the page does not scroll sideways
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  });

  it('turns the gate red or green with the reasons, and gives the same check as a command line', async () => {
    await page.goto(`${wb.url}/#/c/${billing}/trust`);
    await page.getByTestId('held-out-note').filter({ hasText: 'Held-out test split' }).waitFor();
    const result = page.getByTestId('gate-result');
    await result.waitFor();
    await page.getByLabel('Min agreement').fill('');
    await page.getByLabel('Min kappa').fill('0.99');
    await page.locator('[data-testid="gate-result"][data-pass="false"]').filter({ hasText: '0.990' }).waitFor();
    expect(await result.innerText()).toMatch(/✗ Gate fails[\s\S]*✗ kappa 0\.\d{3} < 0\.990 \(95% CI/);

    await page.getByLabel('Min kappa').fill('0.1');
    await page.getByLabel('Min TNR').fill('0.5');
    await page.locator('[data-testid="gate-result"][data-pass="true"]').waitFor();
    expect(await result.innerText()).toMatch(/✓ Gate passes[\s\S]*✓ kappa 0\.\d{3} ≥ 0\.100[\s\S]*✓ TNR 0\.\d{3} ≥ 0\.500/);

    await page.getByLabel('use the lower 95% bound').check();
    await result.filter({ hasText: 'lower 95% bound' }).waitFor();
    const command = await page.getByTestId('gate-command').innerText();
    // names the version and split (not the local run id), and the workspace, which is not the default one
    expect(command).toBe(`npm run --silent concur -- gate --db ${wb.ws.repos.db.name} --dataset acme-billing-support --criterion 'Resolves the customer'\\''s billing issue correctly and safely' --version 1 --split test --min-kappa 0.1 --min-tnr 0.5 --max-error-rate 0.05 --lower-bound`);
    // and works pasted into a shell in the repository: the same verdict as the panel, on the same run
    const pasted = spawnSync('/bin/sh', ['-c', command], { cwd: ROOT, env: childEnv(), encoding: 'utf8' });
    expect(pasted.stderr).toBe('');
    expect(pasted.status).toBe(0);
    expect(pasted.stdout).toMatch(new RegExp(`^gate passed \\(run ${billingRun}, n = \\d+\\)$`, 'm'));

    // the error-rate bar is the panel's too: sent to the server and written into the command
    await page.getByLabel('Max error rate').fill('0.2');
    await result.filter({ hasText: /error rate \d+\.\d% ≤ 20\.0%/ }).waitFor();
    expect(await page.getByTestId('gate-command').innerText()).toContain('--max-error-rate 0.2 --lower-bound');

    await page.getByLabel('Min TPR').fill('2');
    await page.getByText('Min TPR must be a number from 0 to 1').waitFor();
  });

  it('refuses a corrected pass rate in words until the version judged unlabelled items, then shows it', async () => {
    const failed: string[] = [];
    page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
    await page.goto(`${wb.url}/#/c/${billing}/trust`);
    // the sample is fully labelled, so the panel starts on the dataset of unlabelled traffic, which v1 never judged
    const refused = page.getByTestId('corrected-rate-refused');
    await refused.filter({ hasText: 'v1 has not judged the items of "billing-march" yet' }).waitFor();
    expect(await page.getByLabel('Unlabelled items of').inputValue()).toBe('billing-march');
    await page.getByTestId('run-cost').filter({ hasText: '40 requests' }).waitFor();
    expect(await refused.innerText()).not.toMatch(/\bon:/);

    // the criterion's own dataset has nothing unlabelled: said, and nothing asked of the server
    await page.getByLabel('Unlabelled items of').selectOption('acme-billing-support');
    await refused.filter({ hasText: '“acme-billing-support” has no unlabelled items' }).waitFor();
    expect(await page.getByTestId('judge-unlabelled').count()).toBe(0);
    expect(failed).toEqual([]); // no 4xx/5xx on the way

    await page.getByLabel('Unlabelled items of').selectOption('billing-march');
    await page.getByTestId('run-cost').filter({ hasText: '40 requests' }).waitFor();
    const button = page.getByTestId('judge-unlabelled');
    expect(await button.innerText()).toBe('Judge the 40 items of billing-march with v1');
    await button.click();
    const value = page.getByTestId('corrected-rate-value');
    await value.waitFor();
    const text = await page.getByTestId('pass-rate').innerText();
    expect(text).toMatch(/Corrected pass rate\s+\d+\.\d%/);
    expect(text).toMatch(/The judge passes \d+\.\d% of 40 unlabelled items of “billing-march”; with its TPR \d+\.\d% and TNR \d+\.\d% on \d+ labelled test items/);
    const api = (await (await fetch(`${wb.url}/api/criteria/${billing}/corrected-pass-rate?version=1&on=billing-march`)).json()) as { estimate: number };
    expect(await value.innerText()).toContain(`${(api.estimate * 100).toFixed(1)}%`);
  });

  it('renders annotator names and judge critiques as text, never as HTML', async () => {
    await page.goto(`${wb.url}/#/c/${billing}/trust`);
    const row = page.getByTestId('judge-vs-annotators').locator('tbody tr').filter({ hasText: HOSTILE_ANNOTATOR });
    await row.waitFor();
    expect(await page.getByTestId('annotator-pairs').innerText()).toContain(HOSTILE_ANNOTATOR);
    expect(await page.locator('main img').count()).toBe(0);
    await page.goto(`${wb.url}/#/c/${billing}/disagreements?run=${billingRun}`);
    await page.getByTestId('disagreement').first().getByText(HOSTILE_CRITIQUE).waitFor();
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('imports a promptfoo results file through the import screen, and shows the line and field of a broken one', async () => {
    await page.goto(`${wb.url}/#/import`);
    await chooseFile(page, 'promptfoo-results.json', PROMPTFOO);
    const promptfoo = page.getByLabel('promptfoo results');
    await expect.poll(() => promptfoo.isChecked()).toBe(true);
    expect(await page.getByTestId('format-detected').innerText()).toBe('promptfoo-results.json looks like promptfoo results.');
    await page.getByLabel('Dataset name').fill('northwind');
    expect(await page.getByTestId('foreign-import').isDisabled()).toBe(true); // the file has verdicts: a criterion is needed
    await page.locator('#foreign-criterion').fill('Answers within store policy');
    await page.getByTestId('foreign-import').click();
    const result = page.getByTestId('foreign-result');
    await result.waitFor();
    expect(await page.getByTestId('result-items').innerText()).toBe('8 items · 8 new, 0 updated');
    expect(await page.getByTestId('result-labels').innerText()).toContain('2 expert labels added');
    expect(await page.getByTestId('result-run').innerText()).toMatch(/judge run “promptfoo llm-rubric.*” \(#\d+\) · 7 verdicts and 1 unparseable/);
    await page.getByRole('link', { name: 'northwind', exact: true }).waitFor(); // the sidebar knows the new dataset

    const broken = PROMPTFOO.replace('"output": "We do ship to Canada. Orders usually arrive in 3-5 business days with free customs clearance."', '"output": null');
    expect(broken).not.toBe(PROMPTFOO);
    await chooseFile(page, 'broken-results.json', broken);
    await page.getByLabel('Dataset name').fill('northwind-broken');
    await page.locator('#foreign-criterion').fill('Answers within store policy');
    await page.getByTestId('foreign-import').click();
    const error = page.getByTestId('import-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/Cannot import broken-results\.json — line 385, field “results\.results\[3\]\.response\.output”/);
    expect(await error.innerText()).toContain('Nothing was imported');
    expect(wb.ws.repos.datasets.byName('northwind-broken')).toBeFalsy();
  });

  it('runs self-agreement from the screen: the cost first, then progress, then the k-sample figures', async () => {
    const before = wb.fake.count();
    await page.goto(`${wb.url}/#/c/${billing}/trust`);
    const samples = page.getByTestId('rerun-samples');
    await samples.getByRole('button', { name: /Run v1 on test with 3 samples per item/ }).click();
    const cost = samples.getByTestId('rerun-cost');
    await cost.waitFor();
    const testItems = wb.ws.repos.items.all(wb.ws.dataset('acme-billing-support').id).filter((i) => i.split === 'test').length;
    expect(await cost.innerText()).toContain(`${testItems * 3} requests`);
    expect(wb.fake.count()).toBe(before); // nothing sent before "Start"
    await cost.getByRole('button', { name: 'Start' }).click();
    // the screen moves to the new run, which judged every test item three times
    await page.getByTestId('self-agreement').filter({ hasText: 'over 3 samples per item' }).waitFor();
    const newest = wb.ws.repos.runs.list(billing).sort((a, b) => b.id - a.id)[0]!;
    expect(newest).toMatchObject({ samples: 3, split: 'test', status: 'done' });
    expect(page.url()).toContain(`run=${newest.id}`);
  });

  it('reports no page errors along the way', () => {
    // a 400 is how the server refuses a corrected pass rate (the UI shows its reason); the browser logs it anyway
    expect(wb.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});

describe('trust and import helpers', () => {
  it('recognises the importer fixtures by name and content, and anything else as Concur items', () => {
    const fixture = (f: string) => readFileSync(join(ROOT, 'tests', 'fixtures', 'importers', f), 'utf8');
    expect(guessImportFormat('promptfoo-results.json', fixture('promptfoo-results.json'))).toBe('promptfoo');
    expect(guessImportFormat('review-sheet.csv', fixture('review-sheet.csv'))).toBe('sheet');
    expect(guessImportFormat('chat.jsonl', fixture('chat.jsonl'))).toBe('chat');
    expect(guessImportFormat('items.jsonl', readFileSync(join(SAMPLE, 'items.jsonl'), 'utf8'))).toBe('items');
    expect(guessImportFormat('tickets.csv', 'ticket,customer_message,reply\n1,a,b\n')).toBe('items');
    expect(guessImportFormat('broken.json', '{"results": {')).toBe('items'); // the items importer then names the line
  });

  it('writes a gate command a POSIX shell reads back as the same words', () => {
    expect(shellQuote('acme-billing')).toBe('acme-billing');
    // shared/shell.ts (POSIX single quotes; read back through /bin/sh in tests/shared/shell.test.ts)
    expect(shellQuote("the customer's bill")).toBe(`'the customer'\\''s bill'`);
    expect(shellQuote('costs $5 "today"')).toBe(`'costs $5 "today"'`);
    expect(gateCommand({ dataset: 'd', criterion: 'c', version: 3, runId: 4, split: 'test', thresholds: { minAgreement: 0.9, minTnr: 0.8 }, lowerBound: true, dbArg: null }))
      .toBe('npm run --silent concur -- gate --dataset d --criterion c --version 3 --split test --min-agreement 0.9 --min-tnr 0.8 --lower-bound');
    // an imported run is named by its id; a workspace that is not the default by --db
    expect(gateCommand({ dataset: 'd', criterion: 'c', version: null, runId: 4, split: 'all', thresholds: { minKappa: 0.6 }, lowerBound: false, dbArg: 'data/my ws.sqlite' }))
      .toBe("npm run --silent concur -- gate --db 'data/my ws.sqlite' --dataset d --criterion c --run 4 --split all --min-kappa 0.6");
  });

  it("quotes the pair's kappa as the ceiling with two annotators and Fleiss' kappa with three", () => {
    const pair = (a: string, b: string, kappa: number) => ({ a, b, n: 10, kappa, agreement: 0.9 });
    expect(humanCeiling({ annotators: ['x'], pairwise: [], fleissKappa: null, fleissItems: 0, judge: [] })).toBeNull();
    expect(humanCeiling({ annotators: ['x', 'y'], pairwise: [pair('x', 'y', 0.7)], fleissKappa: 0.69, fleissItems: 10, judge: [] }))
      .toEqual({ kappa: 0.7, what: 'x vs y, 10 items', range: null });
    expect(humanCeiling({ annotators: ['x', 'y', 'z'], pairwise: [pair('x', 'y', 0.7), pair('x', 'z', 0.8), pair('y', 'z', 0.75)], fleissKappa: 0.74, fleissItems: 10, judge: [] }))
      .toEqual({ kappa: 0.74, what: "Fleiss' kappa, 3 annotators, 10 items", range: [0.7, 0.8] });
  });
});
