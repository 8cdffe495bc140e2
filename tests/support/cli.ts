/** Runs the real `concur` executable (bin/concur.js through tsx) in a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CONCUR_BIN = fileURLToPath(new URL('../../bin/concur.js', import.meta.url));

export interface SpawnResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** The environment for a child: no workspace, key or endpoint leaking in from the developer's shell. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['CONCUR_DB', 'CONCUR_TOKEN', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) delete env[k];
  return { ...env, ...extra };
}

/** Starts `node bin/concur.js ...args`; collect its output with `collect()`. */
export function startConcur(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<SpawnResult> } {
  const child = spawn(process.execPath, [CONCUR_BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const done = new Promise<SpawnResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function concur(args: string[], env: Record<string, string> = {}): Promise<SpawnResult> {
  return startConcur(args, env).done;
}
