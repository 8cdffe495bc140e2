/**
 * Opening a workspace never writes to it; a read-only workspace file opens read-only (reads work,
 * writes fail with one clear line); a file SQLite cannot open at all gets one clear line, exit 2.
 * Every case runs the real `concur` executable against a real file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempWorkspace } from '../support/workspace.ts';
import { jsonl, seed, source } from '../support/seed.ts';
import { concur, startConcur } from '../support/cli.ts';
import { openWorkspace } from '../../server/db/index.ts';
import { Workspace } from '../../server/services/workspace.ts';
import { buildTestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';

let t: ReturnType<typeof tempWorkspace>;
const hash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const report = (path: string) => concur(['report', '--db', path, '--dataset', 'ds', '--criterion', 'correct', '--format', 'json']);

beforeAll(() => {
  t = tempWorkspace();
  const s = seed(t.ws, Array.from({ length: 12 }, (_, i) => ({ id: `r-${i}`, verdict: i % 3 ? 'pass' as const : 'fail' as const })));
  t.ws.importRun(s.criterion, source('verdicts.jsonl', jsonl(Array.from({ length: 12 }, (_, i) => ({ id: `r-${i}`, verdict: i % 4 ? 'pass' : 'fail' })))), 'external');
  // A user removed a default price: opening the workspace must not put it back.
  t.ws.repos.db.prepare(`DELETE FROM model_prices WHERE model = 'o3'`).run();
  t.ws.repos.db.close(); // checkpoints the WAL into the main file and removes it
});

afterAll(() => {
  try { chmodSync(t.path, 0o644); } catch { /* already gone */ }
  t?.cleanup();
});

describe('opening a workspace writes nothing', () => {
  it('`concur report` leaves the workspace file byte-identical (no price defaults, no WAL switch)', async () => {
    const before = hash(t.path);
    const r = await report(t.path);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ n: 12 });
    expect(hash(t.path)).toBe(before);
    expect(existsSync(`${t.path}-wal`)).toBe(false);
    const db = new Database(t.path, { readonly: true });
    try { expect(db.prepare(`SELECT count(*) AS n FROM model_prices WHERE model = 'o3'`).get()).toEqual({ n: 0 }); } finally { db.close(); }
  });
});

describe('a read-only workspace file (chmod 444)', () => {
  beforeAll(() => chmodSync(t.path, 0o444));
  afterAll(() => chmodSync(t.path, 0o644));

  it('`datasets list` and `report` work and change nothing', async () => {
    const before = hash(t.path);
    const list = await concur(['datasets', 'list', '--db', t.path, '--format', 'json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'ds', items: 12 }]);
    const r = await report(t.path);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ n: 12 });
    expect(hash(t.path)).toBe(before);
  });

  it('a write command prints one line naming the workspace and why, exit 2, and writes nothing', async () => {
    const before = hash(t.path);
    const r = await concur(['prices', 'set', 'my-model', '1', '2', '--db', t.path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`concur: workspace ${t.path} is read-only: the file is not writable (chmod u+w to allow changes)`]);
    expect(hash(t.path)).toBe(before);
  });

  it('serve answers reads, and a write gets a JSON error with that message (409, code workspace_read_only)', async () => {
    const ws = new Workspace(openWorkspace(t.path));
    const app = await buildTestApp({ workspace: ws });
    try {
      const datasets = await app.inject({ method: 'GET', url: '/api/datasets' });
      expect(datasets.statusCode).toBe(200);
      expect(datasets.json()).toMatchObject([{ name: 'ds', items: 12 }]);
      const criterion = ws.criterion('ds', 'correct');
      const [itemId, current] = [...ws.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator)][0]!;
      const save = await app.inject({ method: 'POST', url: `/api/criteria/${criterion.id}/labels`, payload: { itemId, verdict: 'pass', critique: 'x', expectedId: current.id } });
      expect(save.statusCode).toBe(409);
      expect(save.json()).toEqual({ error: `workspace ${t.path} is read-only: the file is not writable (chmod u+w to allow changes)`, code: 'workspace_read_only' });
    } finally {
      await app.close();
      ws.repos.db.close();
    }
  });
});

describe('`concur serve` on a read-only workspace file', () => {
  beforeAll(() => chmodSync(t.path, 0o444));
  afterAll(() => chmodSync(t.path, 0o644));

  it('serves reads, refuses writes with the read-only message, and leaves the file unchanged', async () => {
    const before = hash(t.path);
    const port = await freePort();
    const server = startConcur(['serve', '--db', t.path, '--port', String(port), '--no-samples']);
    let stderr = '';
    server.child.stderr!.on('data', (d: Buffer) => { stderr += d; });
    try {
      for (let i = 0; !/Concur is serving/.test(stderr); i++) {
        if (server.child.exitCode !== null || i > 2400) throw new Error(`serve did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      const api = `http://127.0.0.1:${port}/api`;
      const datasets = await fetch(`${api}/datasets`);
      expect(datasets.status).toBe(200);
      expect(await datasets.json()).toMatchObject([{ name: 'ds', items: 12 }]);
      const created = await fetch(`${api}/datasets/1/criteria`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'tone' }) });
      expect(created.status).toBe(409);
      expect(await created.json()).toMatchObject({ error: `workspace ${t.path} is read-only: the file is not writable (chmod u+w to allow changes)`, code: 'workspace_read_only' });
      expect(stderr).toMatch(/the workspace is read-only \(the file is not writable/);
    } finally {
      server.child.kill('SIGTERM');
      await server.done;
    }
    expect(hash(t.path)).toBe(before);
  });
});

describe('a file SQLite cannot open', () => {
  it('a file that is not a database: one line, exit 2, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concur-garbage-'));
    try {
      const path = join(dir, 'notes.sqlite');
      writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
      const before = hash(path);
      const r = await concur(['datasets', 'list', '--db', path]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`concur: cannot open workspace ${path}: the file is not a Concur workspace (not an SQLite database)`]);
      expect(hash(path)).toBe(before);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('a WAL workspace on a read-only file system: one line says SQLite cannot read it there, exit 2', async (ctx) => {
    const mnt = mkdtempSync(join(tmpdir(), 'concur-rofs-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    if (mounted.status !== 0) { rmSync(mnt, { recursive: true, force: true }); ctx.skip(); return; }
    try {
      mkdirSync(join(mnt, 'ws'));
      const path = join(mnt, 'ws', 'workspace.sqlite');
      copyFileSync(t.path, path); // a WAL-mode file with no -wal/-shm beside it
      expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0);
      const r = await concur(['datasets', 'list', '--db', path, '--format', 'json']);
      // SQLite needs the -shm index to read a WAL database and cannot create it here.
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^concur: cannot open workspace ${path}: it is on a read-only file system, and SQLite cannot read a WAL-mode workspace there`));
    } finally {
      spawnSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });
});
