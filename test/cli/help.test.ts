/**
 * `samsa --help` and `samsa help COMMAND`: every command with every flag it
 * accepts and an example. The topic, group and cluster info commands parse
 * with the spec their help declares; for the commands that parse their own
 * flags (start, cluster, users, acls, quotas, dev-certs) the flags are read
 * out of their sources, so a flag added there without help fails here.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { ALL_COMMANDS, commandHelp, helpCommand, helpFor, overview } from '../../src/cli/help.js';
import { CONNECTION_FLAGS, flagSpec, parseCommandFlags } from '../../src/cli/help-spec.js';
import { TOPIC_ALTER_CONFIG, TOPIC_CONSUME } from '../../src/cli/help-topic.js';
import { CLIENT_FLAGS } from '../../src/cli/client-options.js';
import { topicCommand } from '../../src/cli/topic.js';
import { groupCommand } from '../../src/cli/group.js';

const source = (f: string) => readFileSync(new URL(`../../src/cli/${f}`, import.meta.url), 'utf8');
const capture = () => {
  const out: string[] = [], err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
};

t.test('samsa --help names every command, every flag and an example', async (t) => {
  const text = overview();
  for (const c of ALL_COMMANDS) {
    t.ok(text.includes(`samsa ${c.name}`), `${c.name} is listed`);
    for (const f of c.flags) {
      t.ok(text.includes(`--${f.long}`), `${c.name}: --${f.long}`);
      if (f.short) t.ok(text.includes(`-${f.short}|--${f.long}`), `${c.name}: -${f.short}`);
    }
    t.ok(c.examples.length > 0 && text.includes(c.examples[0]!), `${c.name}: an example`);
  }
  for (const f of CONNECTION_FLAGS) t.ok(text.includes(`--${f.long}`), `connection flag --${f.long}`);
});

t.test('samsa help COMMAND: every flag with its help, the connection flags, examples', async (t) => {
  for (const c of ALL_COMMANDS) {
    const text = helpFor(c.name.split(' '))!;
    t.ok(text, `samsa help ${c.name}`);
    const { spec, short } = flagSpec(c);
    for (const name of Object.keys(spec)) t.match(text, new RegExp(`--${name}\\b`), `${c.name}: --${name} is documented`);
    for (const [s, long] of Object.entries(short)) t.ok(text.includes(`-${s}, --${long}`), `${c.name}: -${s}`);
    t.match(text, /^EXAMPLES$/m);
    for (const e of c.examples) t.ok(text.includes(`  ${e}`), `${c.name}: ${e}`);
  }
  const topic = helpFor(['topic'])!;
  for (const sub of ['create', 'list', 'describe', 'delete', 'alter-config', 'produce', 'consume']) t.ok(topic.includes(`usage: samsa topic ${sub}`), `samsa help topic covers ${sub}`);
  t.equal(helpFor(['topics', 'consume']), helpFor(['topic', 'consume']), 'topics is topic');
  t.match(helpFor(['topic', 'consume'])!, /^OFFSETS/m);
  t.match(helpFor(['topic', 'consume'])!, /^FORMAT/m);
  t.match(helpFor(['topic', 'produce'])!, /^INPUT FORMAT/m);
  const err: string[] = [];
  t.equal(helpCommand(['topc'], () => undefined, (l) => err.push(l)), 2);
  t.match(err[0], /no command topc \(did you mean topic\?\)/);
  t.equal(helpCommand([], () => undefined), 0);
});

/** The --flags a command's source accepts: quoted '--name' literals, and the keys of its FLAGS object. */
function flagsInSource(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/'--([a-z][a-z-]*)'/g)) found.add(m[1]!);
  const block = /const FLAGS = \{([\s\S]*?)\} as const;/.exec(text)?.[1] ?? '';
  for (const m of block.matchAll(/'?([a-z][a-z-]*)'?: '(?:value|switch|list)'/g)) found.add(m[1]!);
  if (block.includes('...CLIENT_FLAGS')) for (const k of Object.keys(CLIENT_FLAGS)) found.add(k);
  return [...found];
}

t.test('the commands with their own parsers: every flag they accept is in their help', async (t) => {
  const cases: [string, string][] = [['start-args.ts', 'start'], ['cluster.ts', 'cluster'], ['users.ts', 'users'], ['acls.ts', 'acls'], ['quotas.ts', 'quotas'], ['dev-certs.ts', 'dev-certs']];
  for (const [file, name] of cases) {
    const flags = flagsInSource(source(file));
    t.ok(flags.length > 0, `${file}: flags found`);
    const text = helpFor([name])!;
    for (const f of flags) t.match(text, new RegExp(`--${f}\\b`), `samsa help ${name} documents --${f} (${file})`);
    // And the help offers nothing the command would refuse.
    const documented = ALL_COMMANDS.find((c) => c.name === name)!;
    for (const f of documented.flags) t.ok(flags.includes(f.long), `${file} accepts --${f.long}`);
  }
});

t.test('flags: rpk\'s one-letter aliases, values starting with a dash, did-you-mean', async (t) => {
  let f = parseCommandFlags(TOPIC_CONSUME, ['orders', '-o', '-5', '-n5', '-f', '%v\\n', '-p', '0,2', '--bootstrap=h:1']);
  t.equal(f.value('offset'), '-5', 'a value may start with a dash');
  t.equal(f.value('num'), '5', '-n5');
  t.same(f.list('partitions'), ['0', '2']);
  t.equal(f.value('bootstrap'), 'h:1');
  t.same(f.operands, ['orders']);
  t.throws(() => parseCommandFlags(TOPIC_CONSUME, ['-x']), /unknown option -x \(short options: -o \(--offset\)/);
  t.throws(() => parseCommandFlags(TOPIC_CONSUME, ['--offest', '1']), /unknown option --offest \(did you mean --offset\?\)/);
  t.throws(() => parseCommandFlags(TOPIC_ALTER_CONFIG, ['--sett', 'a=b']), /did you mean --set\?/);
  f = parseCommandFlags(TOPIC_ALTER_CONFIG, ['t', '-s', 'a=b,c', '-s', 'd=e']);
  t.same(f.list('set'), ['a=b,c', 'd=e'], 'a repeatable KEY=VALUE keeps its commas');
});

t.test('sub-command dispatch: --help, unknown sub-commands, exit codes', async (t) => {
  let c = capture();
  t.equal(await topicCommand(['consume', '--help'], c.io), 0);
  t.match(c.out.join('\n'), /^usage: samsa topic consume TOPIC\.\.\. \[flags\]/);
  c = capture();
  t.equal(await topicCommand(['consum'], c.io), 2);
  t.match(c.err.join('\n'), /unknown topic command consum \(did you mean consume\?\)/);
  c = capture();
  t.equal(await groupCommand(['seek', '--to'], c.io), 2, 'a flag without its value');
  t.match(c.err.join('\n'), /--to needs a value\nusage: samsa group seek GROUP/);
  c = capture();
  t.equal(await topicCommand(['produce', 'x', '--acks', '0'], c.io), 2, 'refused before connecting');
  t.match(c.err.join('\n'), /--acks 0 is not offered/);
  c = capture();
  t.equal(await topicCommand(['consume', 'x', '--pretty-print', '-f', '%v'], c.io), 2);
  c = capture();
  t.equal(await topicCommand(['create', 'x', '-p', 'many'], c.io), 2);
  t.match(c.err.join('\n'), /--partitions takes a whole number >= 1, not many/);
});
