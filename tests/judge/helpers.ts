/** Shared set-up for the judge tests: a temp workspace with a labelled dataset and a version aimed at a fake endpoint. */
import type { Criterion, PromptVersion, Scale } from '../../shared/types.ts';
import type { EngineOptions } from '../../server/judge/engine.ts';
import { tempWorkspace } from '../support/workspace.ts';
import type { ChatRequest } from '../support/openai-server.ts';

export interface JudgeSetup {
  items?: number;
  scale?: Scale;
  baseUrl: string;
  maxTokens?: number | null;
  /** number of train items used as few-shot examples */
  examples?: number;
  engine?: EngineOptions;
  template?: string;
}

/** Fast retries and a short timeout, so fault tests take milliseconds, not minutes. */
export const FAST_PROVIDER = { baseBackoffMs: 1, maxBackoffMs: 20, timeoutMs: 1500 };
export const TEST_ENV = { TEST_KEY: 'test-key' };
/** TEST_ENV with TEST_KEY bound to the endpoint under test, as the secrets rule requires (server/judge/secrets.ts). */
export function testEnv(baseUrl: string): Record<string, string> {
  return { ...TEST_ENV, CONCUR_KEYS: `TEST_KEY=${baseUrl}` };
}

export function judgeWorkspace(o: JudgeSetup) {
  const t = tempWorkspace({ env: testEnv(o.baseUrl), provider: FAST_PROVIDER, batchPolling: { initialMs: 2, maxMs: 10 }, ...o.engine });
  const n = o.items ?? 20;
  const scale = o.scale ?? 'binary';
  const records = Array.from({ length: n }, (_, i) => ({
    line: i + 1,
    fields: { id: `item-${i}`, input: `question [item-${i}]`, output: `answer ${i}`, ...(scale === 'pairwise' ? { output_b: `other answer ${i}` } : {}) },
  }));
  t.ws.importItems('ds', { name: 'items.jsonl', records });
  const criterion: Criterion = t.ws.addCriterion('ds', { name: 'ok', scale });
  const verdict = (i: number) => (scale === 'pairwise' ? ['A', 'B', 'tie'][i % 3]! : i % 2 ? 'fail' : 'pass');
  t.ws.importLabels(criterion, { name: 'labels.jsonl', records: records.map((r, i) => ({ line: r.line, fields: { id: r.fields.id, verdict: verdict(i), critique: `critique ${i}` } })) });
  const examples = t.ws.repos.items.all(criterion.datasetId).slice(0, o.examples ?? 0).map((i) => i.externalId);
  const template = o.template ?? (scale === 'pairwise'
    ? 'Which is better for {{input}}?\nA: {{output}}\nB: {{output_b}}\n{{examples}}'
    : 'Judge the answer to {{input}}:\n{{output}}\n{{examples}}');
  const version: PromptVersion = t.ws.addVersion(criterion, {
    template, model: 'gpt-4o-mini', baseUrl: o.baseUrl, apiKeyEnv: 'TEST_KEY', maxTokens: o.maxTokens === undefined ? 200 : o.maxTokens, examples,
  });
  return { ...t, criterion, version, n };
}

/** The item marker ("item-7") a chat request is about, from its user message. */
export function itemOf(req: ChatRequest): string {
  const user = req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  const m = /\[(item-\d+)\]/.exec(user);
  return m ? m[1]! : '?';
}

/** Polls until `check()` is true (for child processes); fails after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
