import type { Command } from 'commander';

/** Every runnable command (a command without subcommands), with its full name ("labels import"). */
export function leafCommands(program: Command): Array<{ name: string; command: Command }> {
  const out: Array<{ name: string; command: Command }> = [];
  const walk = (c: Command, prefix: string) => {
    for (const sub of c.commands) {
      const name = prefix ? `${prefix} ${sub.name()}` : sub.name();
      if (sub.commands.length) walk(sub, name); else out.push({ name, command: sub });
    }
  };
  walk(program, '');
  return out;
}

/** `report --dataset <name> … [--out <file>]`: arguments, then required options, then optional ones (all but --db). */
export function synopsis(name: string, c: Command): string {
  const args = c.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));
  const opts = c.options.filter((o) => o.long !== '--db');
  const flag = (o: (typeof opts)[number]) => o.flags.replace(/^-\w, /, '');
  return [name, ...args, ...opts.filter((o) => o.mandatory).map(flag), ...opts.filter((o) => !o.mandatory).map((o) => `[${flag(o)}]`)].join(' ');
}

/** The README's command table, generated from the same definitions as `--help`. */
export function cliReferenceTable(program: Command): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = leafCommands(program).map(({ name, command }) => `| \`${cell(synopsis(name, command))}\` | ${cell(command.description())} |`);
  return ['| command | what it does |', '| --- | --- |', ...rows].join('\n');
}
