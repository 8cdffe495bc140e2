import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { redactSecrets } from '../../server/judge/provider.ts';

const KEY = 'sk-live-0123456789abcdefghijklmnop';

describe('API keys in endpoint error messages', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    // an endpoint that echoes the rejected key in its error, as some proxies do
    fake = await startFakeOpenAI({ fault: () => ({ kind: 'status', status: 401, message: `Incorrect API key provided: ${KEY}. You can find your API key at ...` }) });
  });
  afterAll(() => fake.close());

  it('are redacted before a judgment error is stored, and never reach the workspace file', async () => {
    const t = tempWorkspace({ env: { OPENAI_BASE_URL: fake.url, JUDGE_KEY: KEY, CONCUR_KEYS: `JUDGE_KEY=${fake.url}` }, errorBudget: 2 });
    try {
      const { ws } = t;
      ws.importItems('d', { name: 'i.jsonl', records: [1, 2, 3].map((n) => ({ line: n, fields: { id: `a${n}`, input: 'q', output: 'a' } })) });
      const c = ws.addCriterion('d', { name: 'ok' });
      ws.importLabels(c, { name: 'l.jsonl', records: [1, 2, 3].map((n) => ({ line: n, fields: { id: `a${n}`, verdict: 'pass' } })) });
      const v = ws.addVersion(c, { template: '{{output}}', model: 'm', apiKeyEnv: 'JUDGE_KEY' });
      const run = await ws.engine.execute(ws.engine.plan({ criterion: c, version: v, split: 'all' }).id);
      expect(run.status).toBe('failed');
      const errors = ws.repos.runs.judgments(run.id).map((j) => j.error!);
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e).toContain('HTTP 401: Incorrect API key provided:');
        expect(e).not.toContain(KEY);
      }
      expect(run.message).not.toContain(KEY);
      ws.repos.db.pragma('wal_checkpoint(TRUNCATE)');
      expect(readFileSync(t.path).includes(Buffer.from(KEY))).toBe(false);
    } finally { t.cleanup(); }
  });

  it('redacts the configured key and anything shaped like a secret key', () => {
    expect(redactSecrets('bad key abc123xyz789 here', 'abc123xyz789')).toBe('bad key [redacted key] here');
    expect(redactSecrets('key sk-proj-AAAAbbbbCCCCdddd1234 rejected')).toBe('key sk-[redacted] rejected');
    expect(redactSecrets('no secrets in this message')).toBe('no secrets in this message');
  });
});
