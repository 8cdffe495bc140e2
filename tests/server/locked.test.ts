/**
 * Faults of the storage under a running server: another process holding the workspace's write
 * lock for 10 s, a full database, and a run whose executor was killed just before `serve` started.
 * The server must keep answering, lose nothing, judge nothing twice, and record what failed on
 * the run (never die of it). Real parts throughout: `concur serve` and `concur run` as child
 * processes, a child process holding a real SQLite lock, the stand-in OpenAI server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { CONCUR_BIN, childEnv, concur, startConcur } from '../support/cli.ts';
import { holdWriteLock } from '../support/lock.ts';
import { FAST_PROVIDER, itemOf, judgeWorkspace, testEnv, waitFor } from '../judge/helpers.ts';
import { buildTestApp } from '../support/app.ts';
import type { Run } from '../../shared/types.ts';
import { freePort } from '../support/ports.ts';

const LOCK_MS = 10_000;

let fake: FakeOpenAI | undefined;
const children: ChildProcess[] = [];
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await fake?.close();
  fake = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

function track<T extends { child: ChildProcess }>(p: T): T { children.push(p.child); return p; }

/** `concur serve` on the workspace; resolves once it listens. */
async function serve(path: string, baseUrl: string) {
  const port = await freePort();
  const s = track(startConcur(['serve', '--db', path, '--port', String(port), '--no-samples'], testEnv(baseUrl)));
  let stderr = '';
  s.child.stderr!.on('data', (d: Buffer) => { stderr += d; });
  await waitFor(() => /Concur is serving/.test(stderr), `the server to start (stderr: ${stderr})`, 60_000);
  return { ...s, base: `http://127.0.0.1:${port}/api`, stderr: () => stderr };
}

function judgmentsIn(path: string): Array<{ item_id: number; sample: number }> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try { return db.prepare(`SELECT item_id, sample FROM judgments`).all() as Array<{ item_id: number; sample: number }>; } finally { db.close(); }
}

async function json<T>(res: Response): Promise<T> { return (await res.json()) as T; }

describe('another process holds the write lock for 10 s while `concur serve` runs a judge run', () => {
  it('keeps answering, answers a label save 503 (retryable) and saves it on retry, finishes the run with every item judged once', async () => {
    fake = await startFakeOpenAI({ latencyMs: 40 });
    const s = judgeWorkspace({ baseUrl: fake.url, items: 120 });
    cleanups.push(s.cleanup);
    const criterionId = s.criterion.id;
    const [labelledItem, current] = [...s.ws.repos.labels.currentByItem(criterionId, s.criterion.principalAnnotator)][0]!;
    s.ws.repos.db.close();
    const server = await serve(s.path, fake.url);

    const started = await fetch(`${server.base}/criteria/${criterionId}/runs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 'latest', split: 'all', concurrency: 2 }),
    });
    expect(started.status).toBe(202);
    const runId = (await json<Run>(started)).id;
    await waitFor(() => judgmentsIn(s.path).length >= 20, 'the first judgments');

    const lock = await holdWriteLock(s.path, LOCK_MS);
    children.push(lock.child);
    const events: string[] = [];
    void lock.exited.then(() => events.push('lock released'));
    const save = () => fetch(`${server.base}/criteria/${criterionId}/labels`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ itemId: labelledItem, verdict: 'fail', critique: 'saved despite the lock', expectedId: current.id }),
    });

    // During the lock: health requests one after another, and a label save.
    const busy = await save();
    events.push(`label save ${busy.status}`);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toEqual({ error: expect.stringMatching(/^workspace .* is busy: another process holds its write lock/), code: 'workspace_busy', retryable: true });
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.base}/health`);
      events.push(`health ${res.status}`);
      const read = await fetch(`${server.base}/runs/${runId}`); // a read of the workspace: WAL readers do not wait for the writer
      events.push(`run read ${read.status}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(await lock.exited).toBe(0);
    expect(events).toEqual(['label save 503', ...Array(5).fill(['health 200', 'run read 200']).flat(), 'lock released']);

    // After the lock: the same save succeeds, the run finishes with nothing lost and nothing twice.
    const retried = await save();
    expect(retried.status).toBe(201);
    expect(await retried.json()).toMatchObject({ itemId: labelledItem, verdict: 'fail', critique: 'saved despite the lock' });
    let run: Run | undefined;
    await waitFor(async () => { run = await json<Run>(await fetch(`${server.base}/runs/${runId}`)); return run.status !== 'running' && run.status !== 'queued'; }, 'the run to finish');
    expect(run).toMatchObject({ status: 'done', total: 120, done: 120, errors: 0 });
    const rows = judgmentsIn(s.path);
    expect(rows).toHaveLength(120);
    expect(new Set(rows.map((j) => j.item_id)).size).toBe(120);
    const asked = fake.requests.map(itemOf);
    expect(asked).toHaveLength(120);
    expect(new Set(asked).size).toBe(120);
    expect(server.child.exitCode).toBe(null);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
  });
});

/** Fills the file system holding `file` (written until ENOSPC), then gives back `leave` bytes. */
function fillLeaving(file: string, leave: number) {
  const fd = openSync(file, 'w');
  let size = 0;
  try {
    for (const chunk of [Buffer.alloc(1 << 20), Buffer.alloc(4096)]) {
      for (;;) {
        try { size += writeSync(fd, chunk); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break; throw e; }
      }
    }
    ftruncateSync(fd, Math.max(0, size - leave));
  } finally { closeSync(fd); }
}

describe('the file system is full (a small tmpfs, filled while `concur serve` runs a judge run)', () => {
  it('fails that run with the error recorded, keeps serving, and `run --resume` judges the rest once', async (ctx) => {
    const mnt = mkdtempSync(join(tmpdir(), 'concur-full-'));
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]).status !== 0) {
      rmSync(mnt, { recursive: true, force: true });
      ctx.skip(); // no mount here (not root): the max_page_count test below is the injected variant
      return;
    }
    cleanups.push(() => { spawnSync('umount', ['-l', mnt]); rmSync(mnt, { recursive: true, force: true }); });
    // Every reply is ~200 KB, so one judgment cannot fit in the 64 KB left free, while a status update can.
    const big = 'x'.repeat(200_000);
    fake = await startFakeOpenAI({ latencyMs: 30, respond: () => JSON.stringify({ critique: big, verdict: 'pass' }) });
    const s = judgeWorkspace({ baseUrl: fake.url, items: 40 });
    cleanups.push(s.cleanup);
    s.ws.repos.db.close();
    const path = join(mnt, 'workspace.sqlite');
    copyFileSync(s.path, path);
    const server = await serve(path, fake.url);

    const started = await fetch(`${server.base}/criteria/${s.criterion.id}/runs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 'latest', split: 'all', concurrency: 1 }),
    });
    expect(started.status).toBe(202);
    const runId = (await json<Run>(started)).id;
    await waitFor(() => judgmentsIn(path).length >= 3, 'the first judgments');
    fillLeaving(join(mnt, 'filler'), 64 * 1024);

    let run: Run | undefined;
    await waitFor(async () => { run = await json<Run>(await fetch(`${server.base}/runs/${runId}`)); return run.status === 'failed'; },
      `the run to fail (stderr: ${server.stderr()})`);
    expect(run!.message).toMatch(/^could not record judgments .*database or disk is full/);
    expect(run!.done).toBeLessThan(40);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    expect(server.child.exitCode).toBe(null);
    const listed = await concur(['runs', 'list', '--db', path, '--dataset', 'ds', '--criterion', 'ok']);
    expect(listed.stdout).toMatch(/failed .*could not record judgments/);

    // Room again: `run --resume` (while the server is still up: the failed run has no executor)
    // judges exactly the unrecorded items, each once.
    rmSync(join(mnt, 'filler'));
    const recorded = new Set(judgmentsIn(path).map((j) => j.item_id));
    const from = fake.count();
    const resumed = await concur(['run', '--resume', String(runId), '--db', path], testEnv(fake.url));
    expect(resumed.code, resumed.stderr).toBe(0);
    // (a request aborted when the run failed may still reach the stand-in late: compare sets, not counts)
    const askedAgain = new Set(fake.requests.slice(from).map(itemOf));
    expect(askedAgain.size).toBe(40 - recorded.size);
    const rows = judgmentsIn(path);
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((j) => j.item_id)).size).toBe(40);
    server.child.kill('SIGTERM');
    await server.done;
  });
});

describe('the database is full (SQLITE_FULL from a real max_page_count limit)', () => {
  it('fails that run with the error recorded, keeps serving, and a resume judges exactly the unrecorded items', async () => {
    fake = await startFakeOpenAI({ latencyMs: 2, respond: () => JSON.stringify({ critique: 'x'.repeat(2000), verdict: 'pass' }) });
    // A generous request timeout: on a loaded machine a 1.5 s one (FAST_PROVIDER) can record transport errors.
    const s = judgeWorkspace({ baseUrl: fake.url, items: 60, engine: { writeDeadlineMs: 2000, provider: { ...FAST_PROVIDER, timeoutMs: 30_000 } } });
    cleanups.push(s.cleanup);
    const app = await buildTestApp({ workspace: s.ws });
    cleanups.push(() => app.close());
    const db = s.ws.repos.db;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 2}`); // a few more pages, then SQLITE_FULL

    const started = await app.inject({ method: 'POST', url: `/api/criteria/${s.criterion.id}/runs`, payload: { version: 'latest', split: 'all', concurrency: 4 } });
    expect(started.statusCode).toBe(202);
    const runId = started.json<Run>().id;
    await waitFor(() => { const st = s.ws.run(runId).status; return st !== 'running' && st !== 'queued'; }, 'the run to end');
    const failed = (await app.inject({ method: 'GET', url: `/api/runs/${runId}` })).json<Run>();
    expect(failed.status).toBe('failed');
    expect(failed.message).toMatch(/^could not record judgments .*database or disk is full/);
    expect(failed.done).toBeLessThan(60);
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);

    // Room again: the resume asks only for what was not recorded, and records each item once.
    db.pragma('max_page_count = 1073741823');
    const recorded = new Set(s.ws.repos.runs.judgments(runId).map((j) => s.ws.item(j.itemId).externalId));
    const from = fake.count();
    const resumed = await s.ws.engine.execute(runId);
    expect(resumed).toMatchObject({ status: 'done', done: 60, errors: 0 });
    // (a request aborted when the run failed may still reach the stand-in late: compare sets, not counts)
    const askedAgain = new Set(fake.requests.slice(from).map(itemOf));
    expect(askedAgain.size).toBe(60 - recorded.size);
    for (const id of askedAgain) expect(recorded.has(id)).toBe(false);
    expect(new Set(s.ws.repos.runs.judgments(runId).map((j) => j.itemId)).size).toBe(60);
  });
});

describe('serve started 0.3 s after a `concur run` was killed with kill -9', () => {
  it('takes the run over once its lease goes stale, and finishes it with every item judged once', async () => {
    fake = await startFakeOpenAI({ latencyMs: 40 });
    const s = judgeWorkspace({ baseUrl: fake.url, items: 120 });
    cleanups.push(s.cleanup);
    s.ws.repos.db.close();

    // The CLI runs under a parent that never reaps it: after kill -9 its pid still exists (a zombie),
    // as when the owner's pid cannot be checked (another host, a container, a reused pid).
    // Only its lease going stale can tell that it is gone.
    const parentScript = 'import subprocess, sys\np = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nprint(p.pid, flush=True)\nsys.stdin.read()\n';
    const parent = spawn('/usr/bin/python3', ['-c', parentScript, process.execPath, CONCUR_BIN,
      'run', '--db', s.path, '--dataset', 'ds', '--criterion', 'ok', '--split', 'all', '--concurrency', '2'], { env: childEnv(testEnv(fake.url)), stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(parent);
    let out = '';
    parent.stdout!.on('data', (d: Buffer) => { out += d; });
    await waitFor(() => /^\d+\n/.test(out), 'the CLI to start');
    const cliPid = Number(out.trim());
    await waitFor(() => judgmentsIn(s.path).length >= 20, 'judgments from the CLI');
    process.kill(cliPid, 'SIGKILL');
    const beforeKill = judgmentsIn(s.path).length;
    await new Promise((r) => setTimeout(r, 300));

    const server = await serve(s.path, fake.url);
    const runId = 1;
    let run: Run | undefined;
    await waitFor(async () => { run = await json<Run>(await fetch(`${server.base}/runs/${runId}`)); return run.status === 'done'; },
      `the server to take the run over and finish it (stderr: ${server.stderr()})`, 45_000);
    expect(server.stderr()).toMatch(new RegExp(`resuming run ${runId} \\(\\d+/120 already judged\\)`));
    expect(run).toMatchObject({ status: 'done', total: 120, done: 120, errors: 0 });
    const rows = judgmentsIn(s.path);
    expect(rows).toHaveLength(120);
    expect(new Set(rows.map((j) => j.item_id)).size).toBe(120);
    expect(beforeKill).toBeLessThan(120);
    parent.stdin!.end();
  });
});
