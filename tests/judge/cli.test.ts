import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../server/cli/index.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { judgeWorkspace, testEnv } from './helpers.ts';
import { openWorkspace } from '../../server/db/index.ts';

let fake: FakeOpenAI | undefined;
let s: ReturnType<typeof judgeWorkspace>;
let stdout: string[];
let stderr: string[];
const savedEnv = { ...process.env };

beforeEach(async () => {
  fake = await startFakeOpenAI();
  s = judgeWorkspace({ baseUrl: fake.url, items: 6 });
  s.ws.repos.db.close(); // the CLI opens the file itself
  Object.assign(process.env, testEnv(fake.url), { CONCUR_BATCH_POLL_MS: '5' });
  stdout = []; stderr = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { stdout.push(a.join(' ')); });
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string) => { stderr.push(String(chunk)); return true; }) as typeof process.stderr.write);
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const k of ['TEST_KEY', 'CONCUR_KEYS', 'CONCUR_BATCH_POLL_MS']) if (savedEnv[k] === undefined) delete process.env[k]; else process.env[k] = savedEnv[k];
  await fake?.close();
  fake = undefined;
  s.cleanup();
});

const concur = (...argv: string[]) => main([...argv, '--db', s.path]);
const target = ['--dataset', 'ds', '--criterion', 'ok', '--split', 'all'];
const look = () => openWorkspace(s.path);

describe('concur run', () => {
  it('--dry-run prints requests, tokens and cost, and neither plans a run nor calls the endpoint', async () => {
    expect(await concur('run', ...target, '--samples', '2', '--dry-run')).toBe(0);
    expect(stdout.join('\n')).toMatch(/^cost preview: 12 requests × ~\d+ prompt \+ ≤200 completion tokens = \d+ tokens ≈ \$0\.\d{4} \(gpt-4o-mini\)$/);
    expect(await concur('run', ...target, '--dry-run', '--json')).toBe(0);
    expect(JSON.parse(stdout.slice(1).join('\n'))).toMatchObject({ requests: 6, billableRequests: 6 });
    const repos = look();
    expect(repos.runs.list(repos.criteria.byName(repos.datasets.byName('ds')!.id, 'ok')!.id)).toHaveLength(0);
    repos.db.close();
    expect(fake!.count()).toBe(0);
  });

  it('prints the estimate first, runs with samples, limits and a permuted order, and summarises tokens, cost and cache hits', async () => {
    expect(await concur('run', ...target, '--samples', '2', '--rpm', '100000', '--tpm', '50000000', '--permute-seed', '3', '--concurrency', '2')).toBe(0);
    expect(stderr.join('')).toMatch(/^cost preview: 12 requests/);
    expect(stdout.at(-1)).toMatch(/^run 1 done: 12\/12 judged, 0 errors, 0 cached, \d+ tokens \(\d+ prompt \+ \d+ completion\), \$0\.\d{4}$/);
    const repos = look();
    expect(repos.runs.options(1)).toEqual({ rpm: 100000, tpm: 50000000 });
    expect(repos.runs.get(1)).toMatchObject({ samples: 2, concurrency: 2, variant: { permuteSeed: 3 } });
    repos.db.close();
    expect(await concur('run', ...target, '--samples', '2', '--permute-seed', '3')).toBe(0);
    expect(stdout.at(-1)).toMatch(/12 cached/);
  });

  it('--batch judges through the Batch API', async () => {
    expect(await concur('run', ...target, '--batch', '--no-cache', '--json')).toBe(0);
    expect(JSON.parse(stdout.join('\n'))).toMatchObject({ status: 'done', done: 6 });
    expect(fake!.batches.size).toBe(1);
  });

  it('refuses to resume a finished run, a swap on a binary criterion, and a non-positive limit', async () => {
    await concur('run', ...target);
    await expect(concur('run', '--resume', '1')).rejects.toThrow(/already done/);
    await expect(concur('run', ...target, '--swap')).rejects.toThrow(/pairwise/);
    await expect(concur('run', ...target, '--rpm', '0')).rejects.toThrow(/--rpm must be positive/);
  });
});

describe('concur prices', () => {
  it('sets and lists per-model prices', async () => {
    expect(await concur('prices', 'set', 'my-model', '1.5', '4')).toBe(0);
    expect(await concur('prices', 'list', '--format', 'json')).toBe(0);
    expect(JSON.parse(stdout.slice(1).join('\n'))).toContainEqual({ model: 'my-model', inputPerMTok: 1.5, outputPerMTok: 4 });
    await expect(concur('prices', 'set', 'my-model', '1')).rejects.toThrow(/missing required argument 'output'/);
  });
});
