/**
 * kill -9 in the middle of a run, for real: the CLI and the server run as child processes
 * (`node bin/concur.js ...`) against a fake endpoint in this process, which records every request.
 * After the kill the workspace must pass SQLite's integrity check, and the resumed run must end
 * with every item judged exactly once, without asking again for anything already recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { FAST_PROVIDER, itemOf, judgeWorkspace, testEnv, waitFor } from './helpers.ts';
import { Workspace } from '../../server/services/workspace.ts';
import { openWorkspace } from '../../server/db/index.ts';
import { freePort } from '../support/ports.ts';

const BIN = fileURLToPath(new URL('../../bin/concur.js', import.meta.url));

let fake: FakeOpenAI | undefined;
const children: ChildProcess[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await fake?.close();
  fake = undefined;
  for (const c of cleanups.splice(0)) c();
});

function concur(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...testEnv(fake!.url), CONCUR_LOG: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => { out.stdout += d; });
  child.stderr!.on('data', (d) => { out.stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, exited };
}

async function killHard(c: ReturnType<typeof concur>) {
  c.child.kill('SIGKILL');
  await c.exited; // reaped: its pid is gone, so the run's lease is recognisably dead
}

/** A read-only look at the workspace file while (or after) another process writes it. */
function peek(path: string) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      judgments: (db.prepare(`SELECT count(*) AS n FROM judgments`).get() as { n: number }).n,
      batches: db.prepare(`SELECT batch_id FROM run_batches WHERE batch_id IS NOT NULL`).all() as Array<{ batch_id: string }>,
    };
  } finally { db.close(); }
}

function integrity(path: string): string {
  const db = new Database(path);
  try { return db.pragma('integrity_check', { simple: true }) as string; } finally { db.close(); }
}

/** Items recorded for the run, by marker (item-N). */
function recordedItems(s: ReturnType<typeof judgeWorkspace>, runId: number): Set<string> {
  return new Set(s.ws.repos.runs.judgments(runId).map((j) => s.ws.item(j.itemId).externalId));
}

function checkResumed(s: ReturnType<typeof judgeWorkspace>, runId: number, beforeKill: Set<string>, requestsFrom: number) {
  const run = s.ws.run(runId);
  expect(run).toMatchObject({ status: 'done', done: s.n, total: s.n, errors: 0 });
  const rows = s.ws.repos.runs.judgments(runId);
  expect(new Set(rows.map((j) => `${j.itemId}:${j.sample}`)).size).toBe(s.n); // none twice
  const askedAfter = fake!.requests.slice(requestsFrom).map(itemOf);
  expect(askedAfter.filter((id) => beforeKill.has(id))).toEqual([]); // nothing finished was asked again
  expect(new Set([...beforeKill, ...askedAfter]).size).toBe(s.n); // nothing lost
}

describe('kill -9 mid-run, then resume', () => {
  it('concur run: killed, then `concur run --resume ID` finishes without repeating or losing a judgment', async () => {
    fake = await startFakeOpenAI({ latencyMs: 15, fault: (_r, i) => (i % 7 === 3 ? { kind: 'status', status: 429, retryAfter: '0' } : undefined) });
    const s = judgeWorkspace({ baseUrl: fake.url, items: 150 });
    cleanups.push(s.cleanup);
    s.ws.repos.db.close();

    const first = concur(['run', '--db', s.path, '--dataset', 'ds', '--criterion', 'ok', '--split', 'all', '--concurrency', '4']);
    await waitFor(() => peek(s.path).judgments >= 30, `judgments from the CLI (stderr: ${first.out.stderr})`);
    await killHard(first);
    expect(integrity(s.path)).toBe('ok');

    const reopened = judgeWorkspaceReopen(s);
    const runId = reopened.ws.repos.runs.list(reopened.criterion.id)[0]!.id;
    expect(reopened.ws.run(runId).status).toBe('running'); // left behind by the dead process
    const beforeKill = recordedItems(reopened, runId);
    expect(beforeKill.size).toBeGreaterThanOrEqual(30);
    expect(beforeKill.size).toBeLessThan(150);
    const from = fake.count();

    const second = concur(['run', '--db', s.path, '--resume', String(runId)]);
    expect(await second.exited).toBe(0);
    expect(second.out.stdout).toMatch(new RegExp(`run ${runId} done: 150/150 judged`));
    expect(second.out.stderr).toMatch(/cost preview: \d+ requests/);
    checkResumed(reopened, runId, beforeKill, from);
  });

  it('concur serve: killed mid-run, restarted, resumes the run by itself', async () => {
    fake = await startFakeOpenAI({ latencyMs: 15 });
    const s = judgeWorkspace({ baseUrl: fake.url, items: 150 });
    cleanups.push(s.cleanup);
    const criterionId = s.criterion.id;
    s.ws.repos.db.close();

    const port = await freePort();
    const server = concur(['serve', '--db', s.path, '--port', String(port), '--no-samples']);
    await waitFor(() => /Concur is serving/.test(server.out.stderr), `the server to start (stderr: ${server.out.stderr})`, 60_000);
    const res = await fetch(`http://127.0.0.1:${port}/api/criteria/${criterionId}/runs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 'latest', split: 'all', concurrency: 4 }),
    });
    expect(res.status).toBe(202);
    const runId = ((await res.json()) as { id: number }).id;
    await waitFor(() => peek(s.path).judgments >= 30, 'judgments from the server');
    await killHard(server);
    expect(integrity(s.path)).toBe('ok');

    const reopened = judgeWorkspaceReopen(s);
    const beforeKill = recordedItems(reopened, runId);
    expect(beforeKill.size).toBeLessThan(150);
    const from = fake.count();

    const port2 = await freePort();
    const restarted = concur(['serve', '--db', s.path, '--port', String(port2), '--no-samples']);
    await waitFor(() => new RegExp(`resuming run ${runId}`).test(restarted.out.stderr), `the restarted server to resume (stderr: ${restarted.out.stderr})`, 60_000);
    await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${port2}/api/runs/${runId}`);
      return ((await r.json()) as { status: string }).status === 'done';
    }, 'the resumed run to finish');
    restarted.child.kill('SIGTERM');
    await restarted.exited;
    checkResumed(reopened, runId, beforeKill, from);
  });

  it('concur run --batch: killed while polling, the resume polls the same batch instead of submitting again', async () => {
    fake = await startFakeOpenAI();
    const s = judgeWorkspace({ baseUrl: fake.url, items: 40 });
    cleanups.push(s.cleanup);
    s.ws.repos.db.close();

    const first = concur(['run', '--db', s.path, '--dataset', 'ds', '--criterion', 'ok', '--split', 'all', '--batch']);
    await waitFor(() => peek(s.path).batches.length === 1, `the batch to be submitted (stderr: ${first.out.stderr})`);
    await killHard(first); // the CLI polls every 5 s at first: it is asleep between polls
    expect(integrity(s.path)).toBe('ok');
    expect(fake.batches.size).toBe(1);

    const reopened = judgeWorkspaceReopen(s);
    const runId = reopened.ws.repos.runs.list(reopened.criterion.id)[0]!.id;
    const run = await reopened.ws.engine.execute(runId);
    expect(run).toMatchObject({ status: 'done', done: 40, errors: 0 });
    expect(fake.batches.size).toBe(1);
    expect(fake.count()).toBe(40); // each request processed once, by the one batch
  });
});

describe('Ctrl-C during concur run', () => {
  it('cancels gracefully: in-flight work stops, judgments so far are kept, and the run says how to resume', async () => {
    fake = await startFakeOpenAI({ latencyMs: 20 });
    const s = judgeWorkspace({ baseUrl: fake.url, items: 150 });
    cleanups.push(s.cleanup);
    s.ws.repos.db.close();
    const c = concur(['run', '--db', s.path, '--dataset', 'ds', '--criterion', 'ok', '--split', 'all', '--concurrency', '2']);
    await waitFor(() => peek(s.path).judgments >= 10, `judgments from the CLI (stderr: ${c.out.stderr})`);
    c.child.kill('SIGINT');
    expect(await c.exited).toBe(1);
    expect(c.out.stderr).toMatch(/cancelling/);
    expect(c.out.stdout).toMatch(/^run 1 cancelled: \d+\/150 judged.*cancelled by the user\nresume with: concur run --resume 1\n$/m);
    const reopened = judgeWorkspaceReopen(s);
    const run = reopened.ws.run(1);
    expect(run.status).toBe('cancelled');
    expect(run.done).toBeGreaterThanOrEqual(10);
    expect(run.done).toBeLessThan(150);
    expect(reopened.ws.repos.runs.judgments(1)).toHaveLength(run.done);
  });
});

/** The same set-up, reopened from its file (the original connection was closed for the child). */
function judgeWorkspaceReopen(s: ReturnType<typeof judgeWorkspace>): ReturnType<typeof judgeWorkspace> {
  const ws = reopen(s.path);
  cleanups.push(() => ws.repos.db.close());
  return { ...s, ws, criterion: ws.repos.criteria.get(s.criterion.id)! };
}

function reopen(path: string) {
  return new Workspace(openWorkspace(path), { env: testEnv(fake!.url), provider: FAST_PROVIDER, batchPolling: { initialMs: 2, maxMs: 10 } });
}
