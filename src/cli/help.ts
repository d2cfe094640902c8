/**
 * `samsa --help`, `samsa help [COMMAND...]` and each command's --help: every
 * command with every flag and an example, from the same declarations the
 * parsers use (help-spec.ts).
 */
import { CONNECTION_FLAGS, type CommandHelp, type FlagHelp } from './help-spec.js';
import { TOPIC_COMMANDS } from './help-topic.js';
import { CLUSTER_INFO, GROUP_COMMANDS } from './help-group.js';
import { ACLS, API_TABLE, CLUSTER_CONTROL, DEV_CERTS, QUOTAS, START, USERS } from './help-other.js';
import { didYouMean } from '../config/did-you-mean.js';

const SECTIONS: readonly { title: string; commands: readonly CommandHelp[] }[] = [
  { title: 'BROKER', commands: [START, CLUSTER_CONTROL, CLUSTER_INFO] },
  { title: 'TOPICS AND RECORDS', commands: TOPIC_COMMANDS },
  { title: 'CONSUMER GROUPS', commands: GROUP_COMMANDS },
  { title: 'SECURITY', commands: [USERS, ACLS, QUOTAS, DEV_CERTS] },
  { title: 'OTHER', commands: [API_TABLE] },
];

export const ALL_COMMANDS: readonly CommandHelp[] = SECTIONS.flatMap((s) => s.commands);

function flagUsage(f: FlagHelp): string {
  const name = f.short ? `-${f.short}|--${f.long}` : `--${f.long}`;
  return `[${name}${f.arg ? ` ${f.arg}` : ''}]`;
}

/** One line naming every flag of the command, as in `usage:` lines. */
export function usageLine(c: CommandHelp): string {
  const flags = c.flags.map(flagUsage);
  if (c.connection) flags.push('[connection flags]');
  return ['samsa', c.name, c.operands, ...flags].filter(Boolean).join(' ');
}

function flagTable(flags: readonly FlagHelp[]): string[] {
  const left = flags.map((f) => `${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.arg ? ` ${f.arg}` : ''}`);
  const width = Math.min(34, Math.max(...left.map((l) => l.length)));
  return flags.map((f, i) => {
    const l = left[i]!;
    return l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${f.help}` : `  ${l.padEnd(width)}  ${f.help}`;
  });
}

/** A command's whole help: usage, every flag (the connection flags too), details, examples. */
export function commandHelp(c: CommandHelp): string {
  const lines = [`usage: samsa ${c.name}${c.operands ? ` ${c.operands}` : ''}${c.flags.length || c.connection ? ' [flags]' : ''}`, '', c.summary];
  if (c.flags.length) lines.push('', 'FLAGS', ...flagTable(c.flags));
  if (c.connection) lines.push('', 'CONNECTION', ...flagTable(CONNECTION_FLAGS));
  if (c.details) lines.push('', c.details);
  lines.push('', 'EXAMPLES', ...c.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** `samsa --help`: every command with all its flags and an example. */
export function overview(): string {
  const lines = [
    'samsa: a Kafka-compatible broker, and a command line for any Kafka cluster',
    '',
    'usage: samsa COMMAND [flags]          samsa help COMMAND (or COMMAND --help) for the details',
  ];
  for (const s of SECTIONS) {
    lines.push('', s.title);
    for (const c of s.commands) lines.push(`  ${usageLine(c)}`, `      ${c.summary}; e.g. ${c.examples[0]}`);
  }
  lines.push('', 'CONNECTION FLAGS (every command that talks to a broker over the Kafka protocol)', ...flagTable(CONNECTION_FLAGS));
  lines.push('', 'Exit codes: 0 done, 1 the broker or the network refused, 2 a usage mistake.', '`samsa topics ...` is the same as `samsa topic ...`.');
  return lines.join('\n');
}

/** The help for `samsa help WORDS...`: a command and the sub-commands under it (topic, group, cluster), or undefined. */
export function helpFor(words: readonly string[]): string | undefined {
  const name = words.map((w) => (w === 'topics' ? 'topic' : w)).join(' ');
  // `samsa help cluster`: the control API commands and `cluster info`.
  const found = ALL_COMMANDS.filter((c) => c.name === name || c.name.startsWith(`${name} `));
  if (found.length === 0) return undefined;
  return found.map(commandHelp).join(`\n\n${'-'.repeat(72)}\n\n`);
}

/** `samsa help [WORDS...]`: prints to stdout; exit 2 for a command it does not know. */
export function helpCommand(words: readonly string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): number {
  if (words.length === 0) {
    out(overview());
    return 0;
  }
  const text = helpFor(words);
  if (text !== undefined) {
    out(text);
    return 0;
  }
  const names = [...new Set(ALL_COMMANDS.flatMap((c) => [c.name, c.name.split(' ')[0]!]))];
  err(`samsa: no command ${words.join(' ')}${didYouMean(words.join(' '), names)}; \`samsa --help\` lists them`);
  return 2;
}

/** `samsa frobnicate`: the nearest command, and where the list is (exit 2). */
export function unknownCommand(cmd: string, err: (s: string) => void = console.error): number {
  const names = [...new Set([...ALL_COMMANDS.map((c) => c.name.split(' ')[0]!), 'topics', 'help'])];
  err(`samsa: unknown command ${cmd}${didYouMean(cmd, names)}; \`samsa --help\` lists every command`);
  return 2;
}
