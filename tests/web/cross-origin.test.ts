/**
 * A web page on another origin, in a real chromium, tries to drive Concur: a no-cors text/plain
 * fetch and a form POST that would cancel a run, framing the app (clickjacking), and a DNS-rebound
 * name that resolves to Concur's own address. And the app's CSP lets every screen run without a
 * single violation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM, startWorkbench, type Workbench } from './support/harness.ts';
import { installSamples } from '../../server/services/samples.ts';

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('a page on another origin cannot drive or frame Concur', () => {
  let wb: Workbench;
  let attacker: Server;
  let attackerUrl = '';
  let runId = 0;
  /** every request that reached Concur, as "METHOD path" */
  const reached: string[] = [];
  let concurPort = 0;

  beforeAll(async () => {
    wb = await startWorkbench();
    process.env.OPENAI_BASE_URL = wb.fake.url; // the sample's v1 uses the server's default endpoint
    installSamples(wb.ws);
    const criterion = wb.ws.repos.criteria.list(wb.ws.dataset('acme-billing-support').id)[0]!;
    // a queued run: cancelling it is exactly what the attack tries
    runId = wb.ws.engine.plan({ criterion, version: wb.ws.version(criterion, 1), split: 'dev' }).id;
    wb.app.server.on('request', (req: IncomingMessage) => reached.push(`${req.method} ${req.url}`));
    concurPort = (wb.app.server.address() as AddressInfo).port;
    const concur = `http://127.0.0.1:${concurPort}`;
    const page = `<!doctype html><title>free prizes</title>
<form id="form" method="POST" action="${concur}/api/runs/${runId}/cancel" target="sink"><input name="x" value="y"></form>
<iframe name="sink"></iframe>
<script>
  window.attempts = fetch('${concur}/api/runs/${runId}/cancel', { method: 'POST', mode: 'no-cors', body: 'x' })
    .then(() => 'sent', (e) => 'failed: ' + e)
    .then((fetchResult) => { document.getElementById('form').submit(); return fetchResult; });
</script>`;
    const framing = `<!doctype html><title>frame</title><iframe id="victim" src="${concur}/" width="800" height="600"></iframe>`;
    attacker = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(req.url === '/frame' ? framing : page);
    });
    await new Promise<void>((ok) => attacker.listen(0, '127.0.0.1', ok));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await wb?.close();
    await new Promise((done) => attacker?.close(done));
  });

  it('a no-cors text/plain fetch and a form POST reach the server and cancel nothing', async () => {
    const context = await wb.browser.newContext();
    const page = await context.newPage();
    await page.goto(attackerUrl);
    // settled either way: a no-cors response is opaque (or a network error), the attack never reads it
    await page.evaluate(() => (window as unknown as { attempts: Promise<string> }).attempts);
    const cancel = `POST /api/runs/${runId}/cancel`;
    // both requests arrived (the test would pass vacuously otherwise)
    await expect.poll(() => reached.filter((r) => r === cancel).length).toBe(2);
    const run = (await (await fetch(`http://127.0.0.1:${concurPort}/api/runs/${runId}`)).json()) as { status: string };
    expect(run.status).toBe('queued');
    expect(wb.ws.run(runId).status).toBe('queued');
    await context.close();
  });

  it('the app refuses to be framed: the frame gets no app document and loads none of its scripts', async () => {
    const before = reached.length;
    const context = await wb.browser.newContext();
    const page = await context.newPage();
    const refusals: string[] = [];
    page.on('console', (m) => { if (/frame-ancestors|X-Frame-Options/i.test(m.text())) refusals.push(m.text()); });
    await page.goto(`${attackerUrl}/frame`);
    // the frame's navigation reached Concur…
    await expect.poll(() => reached.slice(before).includes('GET /')).toBe(true);
    await expect.poll(() => refusals.length).toBeGreaterThan(0);
    // …but chromium showed its error page instead of the app: no #app, no app script requested
    const frame = page.frames().find((f) => f !== page.mainFrame())!;
    expect(frame.url()).not.toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${concurPort}/`));
    expect(reached.slice(before).filter((r) => r.startsWith('GET /assets/'))).toEqual([]);
    await context.close();
  });

  it('DNS rebinding: attacker.example resolved to 127.0.0.1 gets 421 for the page and the API', async () => {
    // a browser whose resolver sends attacker.example to Concur's address, as a rebinding DNS server would
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, '--host-resolver-rules=MAP attacker.example 127.0.0.1'] });
    try {
      const page = await browser.newPage();
      const origin = `http://attacker.example:${concurPort}`;
      const response = await page.goto(`${origin}/`);
      expect(response?.status()).toBe(421);
      // a script on that origin reads and writes nothing
      const api = await page.evaluate(async (id) => {
        const config = await fetch('/api/config');
        const cancel = await fetch(`/api/runs/${id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        return { config: config.status, configBody: await config.text(), cancel: cancel.status };
      }, runId);
      expect(api.config).toBe(421);
      expect(api.configBody).not.toMatch(/keyPresent|baseUrl/);
      expect(api.cancel).toBe(421);
      expect(wb.ws.run(runId).status).toBe('queued');
    } finally {
      await browser.close();
    }
  });
});

describe('the CSP fits the built app', () => {
  let wb: Workbench;
  let page: Page;
  const violations: string[] = [];

  beforeAll(async () => {
    wb = await startWorkbench();
    process.env.OPENAI_BASE_URL = wb.fake.url;
    installSamples(wb.ws);
    page = await wb.page();
    await page.exposeFunction('reportViolation', (v: string) => { violations.push(v); });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { reportViolation(v: string): void }).reportViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
      });
    });
  });
  afterAll(async () => { await wb?.close(); });

  it('every screen renders with no CSP violation and no console error', async () => {
    const billing = wb.ws.repos.criteria.list(wb.ws.dataset('acme-billing-support').id)[0]!;
    const pandalmDataset = wb.ws.dataset('pandalm-human-judgments');
    const pandalm = wb.ws.repos.criteria.list(pandalmDataset.id)[0]!;
    const gpt = wb.ws.repos.runs.list(pandalm.id).find((r) => r.name.startsWith('gpt-3.5'))!;
    const v1 = wb.ws.version(billing, 1);
    const screens: Array<[string, (p: Page) => Promise<unknown>]> = [
      ['/', (p) => p.getByRole('heading', { name: 'Datasets' }).waitFor()],
      ['/import', (p) => p.getByTestId('file-input').waitFor({ state: 'attached' })],
      [`/datasets/${pandalmDataset.id}`, (p) => p.getByTestId('items-table').waitFor()],
      [`/c/${billing.id}/review`, (p) => p.getByTestId('save-state').waitFor()],
      [`/c/${pandalm.id}/review`, (p) => p.getByTestId('save-state').waitFor()],
      [`/c/${billing.id}/prompts?v=${v1.id}`, (p) => p.getByRole('heading', { name: /^v1/ }).waitFor()],
      [`/c/${billing.id}/prompts?v=${v1.id}&edit=${v1.id}`, (p) => p.getByTestId('prompt-preview').waitFor()],
      [`/c/${pandalm.id}/dashboard`, (p) => p.getByTestId('confusion-matrix').waitFor()],
      [`/c/${pandalm.id}/disagreements?run=${gpt.id}`, (p) => p.getByTestId('disagreement').first().waitFor()],
      [`/c/${pandalm.id}/compare`, (p) => p.getByTestId('compare-metrics').waitFor()],
      [`/c/${pandalm.id}/errors`, (p) => p.locator('main').getByRole('heading').first().waitFor()],
      [`/c/${pandalm.id}/trust?run=${gpt.id}&split=all`, (p) => p.getByTestId('judge-vs-annotators').waitFor()],
    ];
    for (const [path, ready] of screens) {
      await page.goto(`${wb.url}/#${path}`);
      await page.reload(); // a fresh document per screen, so each one is loaded under the CSP
      await ready(page);
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 50))));
      expect(violations, path).toEqual([]);
    }
    expect(wb.errors).toEqual([]);
  });
});
