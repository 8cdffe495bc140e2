/**
 * Command hints quote their arguments for the shell: each value, quoted by shellQuote and read
 * back by a real POSIX shell (/bin/sh), is the same single argument — spaces, quotes, `$`, `;`,
 * backticks and newlines included. And the hints Concur prints carry names quoted that way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { shellQuote } from '../../shared/shell.ts';
import { tempWorkspace } from '../support/workspace.ts';
import { ValidationError } from '../../server/services/errors.ts';
import { resolveEndpoint } from '../../server/judge/secrets.ts';

const NASTY = ['billing v2', "it's", 'say "hi"', '$HOME', 'a;rm -rf x', '`id`', '$(id)', 'new\nline', '', '-dash', 'back\\slash', "'", "''", 'ünïcode naïve', '*', 'a|b&c>d<e'];

/** The arguments /bin/sh sees for a command line (printed NUL-separated by printf). */
function shellArgs(commandLine: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${commandLine}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

let t: ReturnType<typeof tempWorkspace> | undefined;
afterEach(() => { t?.cleanup(); t = undefined; });

describe('shellQuote', () => {
  it.each(NASTY)('%j reaches the shell as one unchanged argument', (value) => {
    expect(shellArgs(shellQuote(value))).toEqual([value]);
  });

  it('leaves plain words bare and quotes the rest', () => {
    expect(shellQuote('support')).toBe('support');
    expect(shellQuote('gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(shellQuote('https://x.example/v1')).toBe('https://x.example/v1');
    expect(shellQuote('billing v2')).toBe("'billing v2'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
  });
});

describe('command hints in errors', () => {
  it('the corrected-pass-rate hint names dataset and criterion so the shell reads them back exactly', () => {
    t = tempWorkspace();
    const dataset = "Tom's data $HOME; echo pwned";
    const criterion = 'says "sorry" `twice`';
    t.ws.importItems(dataset, { name: 'i.jsonl', records: [{ line: 1, fields: { id: 'a', input: 'i', output: 'o' } }] });
    const c = t.ws.addCriterion(dataset, { name: criterion });
    t.ws.addVersion(c, { template: 'Judge {{input}} {{output}}', model: 'm', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: '' });
    let message = '';
    try { t.ws.correctedPassRate(c, 1); } catch (e) { expect(e).toBeInstanceOf(ValidationError); message = (e as Error).message; }
    const hint = /run it first: concur (.*)$/.exec(message)?.[1];
    expect(hint).toBeDefined();
    expect(shellArgs(hint!)).toEqual(['run', '--dataset', dataset, '--criterion', criterion, '--version', '1', '--split', 'test']);
  });

  it('the CONCUR_KEYS hint quotes the binding', () => {
    const r = resolveEndpoint({ baseUrl: 'http://127.0.0.1:8000/v1?x=$HOME;y', apiKeyEnv: 'MY_KEY' }, { MY_KEY: 'k' });
    const hint = /set (CONCUR_KEYS=.*) when starting Concur/.exec(r.problem ?? '')?.[1];
    expect(hint).toBeDefined();
    expect(shellArgs(hint!.replace(/^CONCUR_KEYS=/, ''))).toEqual(['MY_KEY=http://127.0.0.1:8000/v1?x=$HOME;y']);
  });
});
