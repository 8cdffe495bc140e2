import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { addProfile } from '../server/services/profiles.ts';
import { startWorkbench, chooseFile, type Workbench } from '../tests/web/support/harness.ts';
import { requireWebBuild } from '../server/main.ts';
import { installSamples } from '../server/services/samples.ts';
import { verdictFrom } from '../tests/support/openai-server.ts';
import { parseRecords } from '../tests/support/workspace.ts';
import { rubricRespond } from '../tests/support/rubric-model.ts';
import { ruleDataset, RULE_DATASET_ANNOTATOR } from '../tests/support/rule-dataset.ts';
import { source } from '../tests/support/seed.ts';

/**
 * Writes docs/screenshots/*.png (1280×800) of every screen on the built-in sample, judged by
 * the fake OpenAI server over three prompt versions, driving Debian's Chromium. It asserts
 * nothing (the browser tests in tests/web do), so it is a script, not a test:
 *   npx tsx scripts/screenshots.ts          (needs the built web app: npm install or npm run build)
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(ROOT, 'docs', 'screenshots');
const SAMPLE = join(ROOT, 'data', 'samples', 'support');

const V2_RULE = '5. Monthly plans are never refundable, not even partly: a reply that promises a monthly refund fails.';
const V3_RULE = '6. Recompute every proration and tax amount; a reply with a wrong figure fails even if the tone is perfect.';

/** Stable per-item noise in [0, 1) from its id, so the same version always errs on the same items. */
const noise = (id: string, salt: number) => {
  let h = 2166136261 ^ salt;
  for (const c of id) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return ((h >>> 0) % 1000) / 1000;
};

/** The running workbench, closed when the script ends. */
let opened: Workbench | undefined;

async function main() {
  let wb: Workbench;
  let page: Page;
  let criterionId = 0;
  let pairwiseId = 0;
  const base = () => wb.url;

  await (async () => {
    const items = readFileSync(join(SAMPLE, 'items.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; output: string });
    const expert = new Map(readFileSync(join(SAMPLE, 'labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; verdict: string }).map((l) => [l.id, l.verdict]));
    // The judge agrees with the expert except on a share of items that shrinks as the prompt improves.
    const judge = verdictFrom((text) => {
      const judged = items.map((i) => ({ i, at: text.indexOf(i.output) })).filter((x) => x.at >= 0).sort((a, b) => a.at - b.at)[0]?.i;
      if (!judged) return 'pass';
      const errorRate = text.includes(V3_RULE) ? 0.06 : text.includes(V2_RULE) ? 0.14 : 0.27;
      const truth = expert.get(judged.id) ?? 'pass';
      return noise(judged.id, text.includes(V3_RULE) ? 3 : text.includes(V2_RULE) ? 2 : 1) < errorRate ? (truth === 'pass' ? 'fail' : 'pass') : truth;
    });
    wb = await startWorkbench({ respond: judge });
    opened = wb;
    process.env.OPENAI_BASE_URL = wb.fake.url; // the sample's v1 uses the server default endpoint
    installSamples(wb.ws);
    const c = wb.ws.repos.criteria.list(wb.ws.dataset('acme-billing-support').id)[0]!;
    criterionId = c.id;
    const v1 = wb.ws.version(c, 1);
    wb.ws.addVersion(c, { template: v1.template.replace('## Examples graded', `${V2_RULE}\n\n## Examples graded`), model: v1.model, temperature: 0, examples: v1.examples.map((id) => wb.ws.item(id).externalId), note: 'v2: monthly plans are never refundable (most v1 misses)' });
    wb.ws.addVersion(c, { template: wb.ws.version(c, 2).template.replace('## Examples graded', `${V3_RULE}\n\n## Examples graded`), model: v1.model, temperature: 0, examples: v1.examples.map((id) => wb.ws.item(id).externalId), note: 'v3: recompute proration and tax figures' });
    for (const version of [1, 2, 3]) {
      const res = await fetch(`${wb.url}/api/criteria/${c.id}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version, split: 'all' }) });
      const run = (await res.json()) as { id: number };
      for (;;) {
        const r = (await (await fetch(`${wb.url}/api/runs/${run.id}`)).json()) as { status: string };
        if (!['queued', 'running'].includes(r.status)) break;
        await new Promise((done) => setTimeout(done, 100));
      }
    }
    // a few root-cause tags for error analysis
    const labels = wb.ws.repos.labels.currentByItem(c.id, c.principalAnnotator);
    const tags = ['promised a refund the policy forbids', 'wrong proration amount', 'ignored the customer question', 'wrong tax rate'];
    let n = 0;
    for (const item of wb.ws.repos.items.all(c.datasetId)) {
      if (labels.get(item.id)?.verdict !== 'fail') continue;
      wb.ws.repos.rootCauses.add(c.id, item.id, tags[Math.floor(noise(item.externalId, 9) * (n++ % 3 === 0 ? 2 : 4))]!);
    }
    // the PandaLM pairwise set (installed with the samples; imported here when it is not)
    const installed = wb.ws.repos.datasets.list().find((d) => wb.ws.repos.criteria.list(d.id).some((x) => x.scale === 'pairwise'));
    if (installed) pairwiseId = wb.ws.repos.criteria.list(installed.id).find((x) => x.scale === 'pairwise')!.id;
    else {
      const pandalm = join(ROOT, 'data', 'pandalm');
      const records = (file: string) => ({ name: file, records: parseRecords(readFileSync(join(pandalm, file), 'utf8'), 'jsonl', file) });
      wb.ws.importItems('pandalm-testset', records('items.jsonl'));
      const pc = wb.ws.addCriterion('pandalm-testset', { name: 'Which response follows the instruction better', scale: 'pairwise', principalAnnotator: 'annotator1', targetAgreement: 0.7 });
      pairwiseId = pc.id;
      wb.ws.importLabels(pc, records('labels-annotator1.jsonl'), 'annotator1');
      wb.ws.importRun(pc, records('run-gpt-3.5-turbo.jsonl'), 'gpt-3.5-turbo (published)');
      wb.ws.importRun(pc, records('run-pandalm-7b.jsonl'), 'PandaLM-7B (published)');
    }
    page = await wb.page({ width: 1280, height: 800 });
  })();

  /** Starts a run through the API and waits until it ends. */
  async function runAndWait(criterion: number, body: Record<string, unknown>) {
    const res = await fetch(`${wb.url}/api/criteria/${criterion}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const run = (await res.json()) as { id: number };
    for (;;) {
      const r = (await (await fetch(`${wb.url}/api/runs/${run.id}`)).json()) as { status: string };
      if (!['queued', 'running'].includes(r.status)) return run.id;
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  async function shot(name: string, path: string, ready: (p: Page) => Promise<unknown>) {
    await page.goto(`${base()}/#${path}`);
    await ready(page);
    await page.waitForTimeout(150); // let transitions settle
    await page.screenshot({ path: join(OUT, `${name}.png`) });
  }

  await step('datasets, import and items', async () => {
    await shot('datasets', '/', async (p) => { await p.getByRole('heading', { name: 'Datasets' }).waitFor(); await p.getByTestId('dev-labelled').nth(1).waitFor(); });
    await page.goto(`${base()}/#/import`);
    await chooseFile(page, 'tickets-march.csv', readFileSync(join(SAMPLE, 'items.jsonl'), 'utf8').trim().split('\n').slice(0, 12)
      .map((l) => JSON.parse(l) as { id: string; input: string; output: string; dimensions: Record<string, string> })
      .reduce((csv, r) => `${csv}${[r.id, r.input, r.output, r.dimensions.feature, r.dimensions.persona].map((v) => `"${String(v).replace(/"/g, '""')}"`).join(',')}\n`, 'ticket,customer_message,reply,feature,persona\n'));
    await page.getByLabel('Column for id', { exact: true }).selectOption('ticket');
    await page.getByLabel('Column for input', { exact: true }).selectOption('customer_message');
    await page.getByLabel('Column for output', { exact: true }).selectOption('reply');
    await page.getByLabel('feature', { exact: true }).check();
    await page.getByLabel('persona', { exact: true }).check();
    await page.getByTestId('import-preview').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0)); // ticking the checkboxes may have scrolled
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(OUT, 'import.png') });
    await chooseFile(page, 'tickets-broken.jsonl', '{"id":"t1","input":"Refund?","output":"Yes."}\n{"id":"t2","input":"Invoice?"}\n');
    await page.getByTestId('import-error').waitFor();
    await page.screenshot({ path: join(OUT, 'import-error.png') });
    // labels for a criterion, from the same screen
    await page.getByTestId('holds-choice').getByText('labels for a criterion').click();
    await page.getByLabel('Criterion the file is for').selectOption({ index: 1 });
    await chooseFile(page, 'second-annotator.jsonl', readFileSync(join(SAMPLE, 'labels-second-annotator.jsonl'), 'utf8'));
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(OUT, 'import-labels.png') });
    await page.getByTestId('holds-choice').getByText('items (a dataset)').click();
    const datasetId = wb.ws.dataset('acme-billing-support').id;
    await shot('dataset-items', `/datasets/${datasetId}`, (p) => p.getByTestId('items-table').waitFor());
  });

  await step('expert review, binary and pairwise', async () => {
    const item = wb.ws.repos.items.byExternalId(wb.ws.dataset('acme-billing-support').id, 'sup-002')!;
    await shot('review', `/c/${criterionId}/review?item=${item.id}`, (p) => p.getByTestId('save-state').waitFor());
    await shot('review-pairwise', `/c/${pairwiseId}/review`, (p) => p.getByTestId('save-state').waitFor());
  });

  await step('prompt versions: detail, diff and editor with live preview', async () => {
    const v3 = wb.ws.version(wb.ws.criterionById(criterionId), 3);
    await shot('prompt-version', `/c/${criterionId}/prompts?v=${v3.id}`, (p) => p.getByRole('heading', { name: /^v3/ }).waitFor());
    await page.getByRole('button', { name: /Diff vs parent/ }).click();
    await page.getByTestId('diff').waitFor();
    await page.screenshot({ path: join(OUT, 'prompt-diff.png') });
    await shot('prompt-editor', `/c/${criterionId}/prompts?v=${v3.id}&edit=${v3.id}`, (p) => p.getByTestId('prompt-preview').getByText('User (your template)').waitFor());
  });

  await step('endpoints: profiles, key presence and test connection', async () => {
    // a second endpoint next to the sample's default one (the stand-in, which needs no key)
    addProfile(wb.ws, { name: 'local stand-in', baseUrl: wb.fake.url, apiKeyEnv: 'none', model: 'stand-in-judge', rpm: 600 });
    await shot('endpoints', '/endpoints', (p) => p.getByTestId('profile').first().waitFor());
    const card = page.getByTestId('profile').filter({ hasText: 'local stand-in' });
    await card.getByRole('button', { name: 'Test connection' }).click();
    await card.getByTestId('test-result').waitFor();
    await page.screenshot({ path: join(OUT, 'endpoints-test.png') });
  });

  await step('dashboard, disagreements, compare and error analysis', async () => {
    await shot('dashboard', `/c/${criterionId}/dashboard`, (p) => p.getByTestId('confusion-matrix').waitFor());
    await shot('dashboard-test', `/c/${criterionId}/dashboard?test=1`, (p) => p.getByTestId('confusion-matrix').waitFor());
    const v1Run = wb.ws.repos.runs.list(criterionId).find((r) => r.versionNumber === 1)!;
    await shot('disagreements', `/c/${criterionId}/disagreements?run=${v1Run.id}`, (p) => p.getByTestId('disagreement').first().getByText('Input').waitFor());
    await shot('compare', `/c/${criterionId}/compare`, (p) => p.getByTestId('compare-metrics').waitFor());
    // a fixed item opened from Compare: the expert's critique beside both judges'
    await page.locator('.changes.fixed').getByTestId('open-change').first().click();
    await page.getByRole('dialog').waitFor();
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(OUT, 'compare-item.png') });
    await page.keyboard.press('Escape');
    await shot('error-analysis', `/c/${criterionId}/errors`, (p) => p.getByTestId('failure-by-dimension').waitFor());
    await shot('dashboard-pairwise', `/c/${pairwiseId}/dashboard`, (p) => p.getByTestId('confusion-matrix').waitFor());
  });

  await step('trust report: binary with a corrected pass rate, and pairwise against each annotator', async () => {
    // a month of unlabelled traffic (the sample's outputs under new ids), judged by v3 for the corrected pass rate
    const sample = readFileSync(join(SAMPLE, 'items.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const march = sample.slice(0, 48).map((r, i) => JSON.stringify({ ...r, id: `mar-${String(i + 1).padStart(3, '0')}` })).join('\n');
    wb.ws.importItems('acme-billing-march', { name: 'march.jsonl', records: parseRecords(march, 'jsonl', 'march.jsonl') });
    await runAndWait(criterionId, { version: 3, split: 'all', scope: 'all', on: 'acme-billing-march' });
    await shot('trust', `/c/${criterionId}/trust`, async (p) => {
      await p.getByTestId('trust-headline').waitFor();
      await p.getByTestId('corrected-rate-value').waitFor();
      await p.getByTestId('gate-result').waitFor();
    });
    // the lower part: governance and the CI gate with its thresholds (max error rate included) and the command
    await page.getByRole('heading', { name: 'Confirmation on test and publication' }).evaluate((h) => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 16));
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(OUT, 'trust-gate.png') });
    const gpt = wb.ws.repos.runs.list(pairwiseId).find((r) => r.name.startsWith('gpt-3.5'))!;
    await shot('trust-pairwise', `/c/${pairwiseId}/trust?run=${gpt.id}&split=all`, async (p) => {
      await p.getByTestId('judge-vs-annotators').waitFor();
      await p.getByTestId('gate-result').waitFor();
    });
  });

  await step('imports a promptfoo results file: items, an expert label and the judge run', async () => {
    await page.goto(`${base()}/#/import`);
    await chooseFile(page, 'promptfoo-results.json', readFileSync(join(ROOT, 'tests', 'fixtures', 'importers', 'promptfoo-results.json'), 'utf8'));
    await page.getByLabel('Dataset name').fill('northwind-support-evals');
    await page.locator('#foreign-criterion').fill('Answers within store policy');
    await page.getByTestId('foreign-import').click();
    await page.getByTestId('foreign-result').waitFor();
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(OUT, 'import-foreign.png') });
  });

  await step('Converge against the rubric stand-in: failure modes grouped through a profile, the optimizer form, progress, candidates and the convergence chart', async () => {
    // A second workbench: the rubric stand-in (a deterministic rule-follower, docs/stand-in.md) on the seeded rule dataset.
    const rb = await startWorkbench({ respond: rubricRespond, latencyMs: 15 });
    try {
      const data = ruleDataset();
      rb.ws.importItems('billing-rules', source('items.jsonl', data.itemsJsonl));
      const c = rb.ws.addCriterion('billing-rules', { name: 'policy', description: 'The reply follows the billing policy', principalAnnotator: RULE_DATASET_ANNOTATOR, targetAgreement: 0.9 });
      rb.ws.importLabels(c, source('labels.jsonl', data.labelsJsonl));
      rb.ws.addVersion(c, { template: data.naiveTemplate, model: 'stand-in', baseUrl: rb.fake.url, apiKeyEnv: 'none', temperature: 0, note: 'naive: passes everything' });
      addProfile(rb.ws, { name: 'rubric stand-in', baseUrl: rb.fake.url, apiKeyEnv: 'none', model: 'stand-in' });
      const p = await rb.page({ width: 1280, height: 800 });
      await p.goto(`${rb.url}/#/c/${c.id}/converge`);
      const form = p.getByRole('form', { name: 'Group critiques' });
      await form.getByLabel('with a model').check();
      await form.getByLabel('Grouping endpoint profile').selectOption('rubric stand-in');
      await form.getByRole('button', { name: 'Group critiques' }).click();
      await p.getByRole('button', { name: /^Accept \d+ failure modes?$/ }).click();
      await p.getByText('Accepted modes, with rates by slice').waitFor();
      await p.evaluate(() => window.scrollTo(0, 0));
      await p.waitForTimeout(150);
      await p.screenshot({ path: join(OUT, 'converge-failure-modes.png') });

      const panel = p.locator('section', { has: p.locator('#h-optimizer') });
      await panel.getByLabel('Candidates').fill('3');
      await panel.getByLabel('Proposer endpoint profile').selectOption('rubric stand-in');
      await panel.getByRole('button', { name: 'Cost preview' }).click();
      await panel.getByTestId('optimizer-preview').waitFor();
      await panel.scrollIntoViewIfNeeded();
      await p.waitForTimeout(150);
      await panel.screenshot({ path: join(OUT, 'converge-optimizer-form.png') });
      await panel.getByRole('button', { name: 'Start optimization' }).click();
      await panel.getByTestId('optimizer-status').getByText(/: running · /).waitFor();
      await panel.screenshot({ path: join(OUT, 'converge-optimizer-progress.png') });
      await panel.getByTestId('optimizer-status').getByText(/: (done|stopped-by-budget|failed)/).waitFor({ timeout: 120_000 });
      await panel.getByTestId('candidates').locator('tbody tr', { hasText: /^v2/ }).getByRole('button', { name: /^Diff vs/ }).click();
      await panel.getByTestId('candidate-diff').waitFor();
      await p.waitForTimeout(150);
      await panel.screenshot({ path: join(OUT, 'converge-optimizer-candidates.png') });
      await panel.getByTestId('candidates').locator('tbody tr', { hasText: /^v2/ }).getByRole('button', { name: /^Diff vs/ }).click();
      const chart = panel.locator('figure.chart');
      await chart.scrollIntoViewIfNeeded();
      await p.waitForTimeout(150);
      await chart.screenshot({ path: join(OUT, 'converge-optimizer-chart.png') });
    } finally {
      await rb.close();
    }
  });

  await step('the big screens also look right at 1920×1080 (written to .tmp/wide, not committed)', async () => {
    const wide = await wb.page({ width: 1920, height: 1080 });
    const item = wb.ws.repos.items.byExternalId(wb.ws.dataset('acme-billing-support').id, 'sup-002')!;
    for (const [name, path, testId] of [['review', `/c/${criterionId}/review?item=${item.id}`, 'save-state'], ['dashboard', `/c/${criterionId}/dashboard?test=1`, 'confusion-matrix'], ['disagreements', `/c/${criterionId}/disagreements`, 'disagreement']] as const) {
      await wide.goto(`${base()}/#${path}`);
      await wide.getByTestId(testId).first().waitFor();
      await wide.waitForTimeout(150);
      await wide.screenshot({ path: join(ROOT, '.tmp', 'wide', `${name}.png`) });
    }
  });
}

/** One group of screenshots, named on stdout as it completes. */
async function step(name: string, shots: () => Promise<void>) {
  await shots();
  console.log(`ok  ${name}`);
}

requireWebBuild();
mkdirSync(OUT, { recursive: true });
mkdirSync(join(ROOT, '.tmp', 'wide'), { recursive: true });
try {
  await main();
  console.log(`wrote ${OUT}`);
} finally {
  delete process.env.OPENAI_BASE_URL;
  await opened?.close();
}
