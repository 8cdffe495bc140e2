/**
 * Crash safety: `concur run` in a child process is killed with SIGKILL mid-run; the workspace
 * file must reopen (WAL), keep every judgment written so far, and `concur run --resume ID` must
 * finish the rest with no duplicates and no lost items.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { tempWorkspace } from '../support/workspace.ts';
import { startFakeOpenAI, verdictFrom, type ChatRequest, type FakeOpenAI } from '../support/openai-server.ts';
import { TEMPLATE, markedId, seed, until } from '../support/seed.ts';
import { concur, startConcur } from '../support/cli.ts';
import { openWorkspace } from '../../server/db/index.ts';
import { Workspace } from '../../server/services/workspace.ts';

const ANSWERED_BEFORE_KILL = 9;
const TOTAL = 24;
const idOf = (req: ChatRequest) => markedId(req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'));
const judgeSays = (id: string) => (Number(id.slice(2)) % 4 === 0 ? 'fail' : 'pass');

let t: ReturnType<typeof tempWorkspace>;
let server: FakeOpenAI;
let phase: 'first' | 'second' = 'first';

beforeAll(async () => {
  // A slow judge: every request waits a little; in the first phase, requests after the first few never answer.
  server = await startFakeOpenAI({
    latencyMs: 3,
    respond: verdictFrom((text) => judgeSays(markedId(text))),
    fault: (_req, i) => (phase === 'first' && i >= ANSWERED_BEFORE_KILL ? { kind: 'hang' } : undefined),
  });
  t = tempWorkspace();
  const s = seed(t.ws, Array.from({ length: TOTAL }, (_, i) => ({ id: `k-${String(i).padStart(2, '0')}`, verdict: i % 3 === 0 ? 'fail' : 'pass' })));
  t.ws.addVersion(s.criterion, { template: TEMPLATE, model: 'gpt-4o-mini', baseUrl: server.url });
  t.ws.repos.db.close(); // only the child processes hold the file from now on
});

afterAll(async () => {
  await server?.close();
  t?.cleanup();
});

/** A read-only look at the file while another process writes it. */
function peek<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(t.path, { readonly: true, fileMustExist: true });
  try { return fn(db); } finally { db.close(); }
}

describe('crash safety: SIGKILL mid-run, reopen, resume', () => {
  it('keeps every finished judgment and resumes the rest exactly once', async () => {
    const first = startConcur(['run', '--db', t.path, '--dataset', 'ds', '--criterion', 'correct', '--split', 'all', '--concurrency', '3', '--json']);
    // wait until the child has recorded the answered judgments and has requests hanging
    await until(() => server.count() >= ANSWERED_BEFORE_KILL + 3, 10);
    await until(() => peek((db) => (db.prepare('SELECT count(*) AS n FROM judgments').get() as { n: number }).n) >= ANSWERED_BEFORE_KILL, 10);
    expect(first.child.kill('SIGKILL')).toBe(true);
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const answered = server.requests.slice(0, ANSWERED_BEFORE_KILL).map(idOf);

    // The file reopens cleanly, still in WAL mode, with the judgments written before the kill.
    const ws = new Workspace(openWorkspace(t.path));
    let runId: number;
    try {
      expect(ws.repos.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(ws.repos.db.pragma('journal_mode', { simple: true })).toBe('wal');
      const [run] = ws.repos.runs.list(ws.criterion('ds', 'correct').id);
      runId = run!.id;
      expect(run).toMatchObject({ status: 'running', total: TOTAL, done: ANSWERED_BEFORE_KILL, errors: 0 });
      const ext = new Map(ws.repos.items.all(run!.datasetId).map((i) => [i.id, i.externalId]));
      const kept = ws.repos.runs.judgments(runId).map((j) => ({ ...j, ext: ext.get(j.itemId)! }));
      expect(kept.map((j) => j.ext).sort()).toEqual([...answered].sort());
      for (const j of kept) expect(j).toMatchObject({ verdict: judgeSays(j.ext), error: null });
      expect(ws.engine.resumable().map((r) => r.id)).toEqual([runId]);
    } finally {
      ws.repos.db.close();
    }

    // Resume in a new process against a judge that answers again.
    phase = 'second';
    const before = server.count();
    const resumed = await concur(['run', '--resume', String(runId), '--db', t.path, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ run: runId, status: 'done', total: TOTAL, done: TOTAL, errors: 0 });
    const second = server.requests.slice(before).map(idOf);
    expect(second).toHaveLength(TOTAL - ANSWERED_BEFORE_KILL);
    expect(new Set(second).size).toBe(second.length);
    for (const id of answered) expect(second).not.toContain(id);

    const after = new Workspace(openWorkspace(t.path));
    try {
      const ext = new Map(after.repos.items.all(1).map((i) => [i.id, i.externalId]));
      const all = after.repos.runs.judgments(runId);
      expect(all).toHaveLength(TOTAL);
      expect(new Set(all.map((j) => j.itemId)).size).toBe(TOTAL);
      for (const j of all) expect(j).toMatchObject({ verdict: judgeSays(ext.get(j.itemId)!), error: null, sample: 0 });
      expect(after.run(runId).status).toBe('done');
      const { report } = after.report(after.criterion('ds', 'correct'), { runId });
      expect(report.n).toBe(TOTAL);
    } finally {
      after.repos.db.close();
    }
  });
});
