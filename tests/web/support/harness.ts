/**
 * Browser-test harness: the real app on a temp workspace (random port), the fake
 * OpenAI-compatible judge, and Debian's chromium driven by playwright-core.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../../server/app.ts';
import { tempWorkspace } from '../../support/workspace.ts';
import { startFakeOpenAI, type FakeOpenAIOptions, type FakeOpenAI } from '../../support/openai-server.ts';
import type { Workspace } from '../../../server/services/workspace.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Workbench {
  url: string;
  ws: Workspace;
  fake: FakeOpenAI;
  browser: Browser;
  /** the app serving `url` (its `server` shows every request that reached it) */
  app: FastifyInstance;
  /** a new tab at 1280×800 (or the given size); page errors are collected in `errors` */
  page(size?: { width: number; height: number }): Promise<Page>;
  /** uncaught errors and console errors seen on any page */
  errors: string[];
  close(): Promise<void>;
}

export async function startWorkbench(judge: FakeOpenAIOptions = {}): Promise<Workbench> {
  const fake = await startFakeOpenAI(judge);
  const tmp = tempWorkspace();
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;
  try {
    app = await buildApp({ workspace: tmp.ws });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // launch() gives every browser a fresh temporary profile (user-data-dir)
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  } catch (e) {
    await browser?.close();
    await app?.close();
    await fake.close();
    tmp.cleanup();
    throw e;
  }
  const errors: string[] = [];
  const b = browser;
  const a = app;
  return {
    url: `http://127.0.0.1:${(a.server.address() as AddressInfo).port}`,
    ws: tmp.ws,
    fake,
    browser: b,
    app: a,
    errors,
    async page(size = { width: 1280, height: 800 }) {
      const context = await b.newContext({ viewport: size });
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        // a 409 is the label-conflict answer the UI handles; the browser logs it anyway
        if (m.type() === 'error' && !/status of 409/.test(m.text())) errors.push(`console: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await b.close();
      // stop any run still going before the database closes under it
      for (const r of tmp.ws.repos.runs.unfinished()) tmp.ws.engine.cancel(r.id);
      await a.close();
      await fake.close();
      tmp.cleanup();
    },
  };
}

/** JSONL text from records. */
export const jsonl = (records: object[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Sets a file on the page's file input (the picker) as if the user chose it. */
export async function chooseFile(page: Page, name: string, text: string) {
  await page.getByTestId('file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(text) });
}

/** Polls GET /api/runs/:id of the workbench until the run has ended; its final status. */
export async function runEnded(wb: Pick<Workbench, 'url'>, id: number): Promise<string> {
  for (;;) {
    const r = (await (await fetch(`${wb.url}/api/runs/${id}`)).json()) as { status: string };
    if (!['queued', 'running'].includes(r.status)) return r.status;
    await new Promise((done) => setTimeout(done, 50));
  }
}
