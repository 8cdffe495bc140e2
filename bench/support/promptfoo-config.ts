/**
 * The peer for bench/run-e2e.ts: finding a promptfoo executable (it is not a dependency) and
 * writing a promptfoo config that grades the same items as the Concur bench with `llm-rubric`
 * against the same stand-in. The output under test is each item's support reply, returned as is
 * by promptfoo's `echo` provider, so the only model call per item is the rubric grader's — one
 * request per item, as in `concur run`.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Promptfoo { argv: string[]; version: string; how: string }

/** PROMPTFOO_BIN, else `npx --no-install promptfoo`; null when neither runs. */
export function findPromptfoo(env = process.env): Promptfoo | null {
  const candidates: Array<[string[], string]> = env.PROMPTFOO_BIN ? [[[env.PROMPTFOO_BIN], `PROMPTFOO_BIN=${env.PROMPTFOO_BIN}`]] : [[['npx', '--no-install', 'promptfoo'], 'npx --no-install promptfoo']];
  for (const [argv, how] of candidates) {
    const r = spawnSync(argv[0]!, [...argv.slice(1), '--version'], { encoding: 'utf8', env: { ...env, PROMPTFOO_DISABLE_TELEMETRY: '1', PROMPTFOO_DISABLE_UPDATE: '1' }, timeout: 120_000 });
    const version = r.status === 0 ? r.stdout.trim().split('\n').at(-1) : undefined;
    if (version) return { argv, version, how };
  }
  return null;
}

/** Writes promptfooconfig.json in `dir` for the bench's `n` items (the same texts as benchWorkspace) and returns its path. */
export function writePromptfooConfig(dir: string, baseUrl: string, n: number): string {
  const tests = Array.from({ length: n }, (_, i) => ({
    vars: {
      input: `Customer ${i} asks: why was I charged twice for my subscription this month, and can I get a refund?`,
      output: `Hi! I checked account ${i}: the second charge is a pending authorisation that drops off within 3 days. No refund is needed; contact us if it stays.`,
    },
  }));
  const config = {
    description: 'concur bench: llm-rubric over the bench items',
    prompts: ['{{output}}'],
    providers: ['echo'],
    defaultTest: {
      assert: [{
        type: 'llm-rubric',
        value: 'Criterion: correct. The customer asked: {{input}}. Is the reply correct and safe?',
        provider: { id: 'openai:chat:gpt-4o-mini', config: { apiBaseUrl: baseUrl, apiKey: 'k', temperature: 0, max_tokens: 200 } },
      }],
    },
    tests,
  };
  const path = join(dir, 'promptfooconfig.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}
