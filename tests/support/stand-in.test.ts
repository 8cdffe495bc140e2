import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { buildMessages } from '../../shared/template.ts';
import { verdictSchema } from '../../server/judge/parse.ts';
import type { Item } from '../../shared/types.ts';
import { parseStandInArgs, startStandIn } from './stand-in.ts';

const TSX = 'node_modules/.bin/tsx';
let child: ChildProcess | null = null;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
});

function launch(args: string[]) {
  const proc = spawn(TSX, ['scripts/stand-in.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stdout = '', stderr = '';
  proc.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
  proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const url = new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', () => { const m = /^(http:\/\/\S+)$/m.exec(stdout); if (m) resolve(m[1]!); });
    proc.once('exit', (code) => reject(new Error(`stand-in exited with ${code}: ${stderr}`)));
  });
  url.catch(() => { /* awaited only by the tests that expect a URL */ });
  return { proc, url, output: () => ({ stdout, stderr }) };
}

const item: Item = { id: 1, datasetId: 1, externalId: 'a', input: 'Cancel my plan.', output: 'Cancelled effective today.', outputB: null, context: {}, dimensions: {}, split: 'dev' };
const criterion = { name: 'policy', description: '', scale: 'binary' as const, levels: null, passAt: null };

describe('scripts/stand-in.ts', () => {
  it('prints a 127.0.0.1 base URL, judges by the rules in the prompt over the real client, and stops cleanly on Ctrl-C', async () => {
    const { proc, url, output } = launch(['--mode', 'rubric', '--port', '0']);
    const base = await url;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const client = new OpenAI({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
    const template = '## Customer message\n{{input}}\n\n## Assistant reply\n{{output}}\n\n## Rules\nFAIL if the response mentions "effective today"';
    const res = await client.chat.completions.create({ model: 'stand-in', messages: buildMessages(template, item, { criterion, examples: [] }), response_format: verdictSchema(['pass', 'fail']) });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ verdict: 'fail', critique: expect.stringContaining('Rule 1 decided') });
    // streaming passes through the proxy too
    const stream = await client.chat.completions.create({ model: 'stand-in', stream: true, messages: buildMessages(template.replace('FAIL', 'PASS'), item, { criterion, examples: [] }) });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(JSON.parse(text).verdict).toBe('pass');
    proc.kill('SIGINT');
    const [code] = await once(proc, 'exit');
    expect(code).toBe(0);
    expect(output().stderr).toContain('judge: verdict fail');
  });

  it('refuses a bad option with the flag named and exit code 2', async () => {
    const { proc, output } = launch(['--latency-ms', 'soon']);
    const [code] = await once(proc, 'exit');
    expect(code).toBe(2);
    expect(output().stderr).toContain('--latency-ms must be an integer from 0 to 600000, got "soon"');
    expect(output().stdout).toBe('');
  });

  it('names the port when it is already taken', async () => {
    const first = await startStandIn(parseStandInArgs(['--port', '0']));
    try {
      const port = new URL(first.url).port;
      await expect(startStandIn(parseStandInArgs(['--port', port]))).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await first.close();
    }
  });
});
