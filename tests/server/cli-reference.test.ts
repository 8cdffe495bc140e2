import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildProgram } from '../../server/cli/index.ts';
import { cliReferenceTable, leafCommands } from '../../server/cli/reference.ts';
import { README, START, END } from '../../scripts/cli-reference.ts';
import { runMain } from '../support/seed.ts';
import { concur } from '../support/cli.ts';

const readme = readFileSync(README, 'utf8');
const section = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
/** README rows: command name (words before the first argument or option) → the options the row names. */
const rows = new Map(section.split('\n').slice(2).map((row) => {
  const syn = /^\| `([^`]+)`/.exec(row)![1]!;
  const name = syn.split(' ').filter((_, i, w) => !w.slice(0, i + 1).some((x) => /^[<[-]/.test(x))).join(' ');
  return [name, new Set(syn.match(/--[a-z][a-z-]*/g) ?? [])] as const;
}));
const optionsIn = (help: string) => new Set([...help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((o) => o !== '--help' && o !== '--db'));

describe("the README's CLI table and `concur <command> --help`", () => {
  it('the README table is the one generated from the command definitions (npx tsx scripts/cli-reference.ts --write)', () => {
    expect(section).toBe(cliReferenceTable(buildProgram()));
  });

  it('documents every command, and every command has --help listing exactly the documented options plus --db', async () => {
    const commands = leafCommands(buildProgram()).map((c) => c.name);
    expect([...rows.keys()]).toEqual(commands);
    expect(commands).toEqual(expect.arrayContaining(['serve', 'import', 'labels import', 'run', 'report', 'corrected-pass-rate', 'gate']));
    for (const name of commands) {
      const r = await runMain([...name.split(' '), '--help']);
      expect(r.error, name).toBeNull();
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(new RegExp(`^Usage: concur ${name} `));
      expect(r.stdout, name).toMatch(/^ {2}--db <path>/m);
      expect(optionsIn(r.stdout), name).toEqual(rows.get(name));
    }
    // the once-undocumented estimate options
    expect(rows.get('corrected-pass-rate')).toEqual(new Set(['--dataset', '--criterion', '--version', '--on', '--iterations', '--seed', '--format']));
  });

  it('`concur --help` (the real executable) lists every command; `concur report --help` prints help, not "missing --dataset"', async () => {
    const top = await concur(['--help']);
    expect(top.code).toBe(0);
    for (const group of new Set([...rows.keys()].map((n) => n.split(' ')[0]!))) expect(top.stdout).toMatch(new RegExp(`^ {2}${group} `, 'm'));
    const report = await concur(['report', '--help']);
    expect(report).toMatchObject({ code: 0, stderr: '' });
    expect(report.stdout).toMatch(/^Usage: concur report \[options\]/);
    expect(report.stdout).toContain('--annotator <name|majority>');
  });

  it('an unknown command, a missing subcommand and an unknown option each exit 2 with one line', async () => {
    const unknown = await concur(['repot']);
    expect(unknown).toMatchObject({ code: 2, stdout: '', stderr: "concur: unknown command 'repot' (Did you mean report?)\n" });
    const group = await concur(['datasets']);
    expect(group.code).toBe(2);
    expect(group.stderr).toMatch(/^Usage: concur datasets[^]*\nconcur: missing subcommand; see the help above\n$/);
    const option = await concur(['gate', '--dataset', 'd', '--criterion', 'c', '--min-kapa', '0.5']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^concur: unknown option '--min-kapa' \(Did you mean --min-kappa\?\)\n$/);
  });
});
