/**
 * `samsa topic ...`: each sub-command's flags and help (help-spec.ts), in
 * rpk's names and one-letter aliases where rpk has them.
 */
import { OUTPUT_FORMAT_FLAG, type CommandHelp } from './help-spec.js';

export const TOPIC_CREATE: CommandHelp = {
  name: 'topic create', operands: 'TOPIC...', connection: true,
  summary: 'create topics',
  flags: [
    { long: 'partitions', short: 'p', kind: 'value', arg: 'N', help: 'partitions per topic (default: the broker\'s num.partitions)' },
    { long: 'replicas', short: 'r', kind: 'value', arg: 'N', help: 'replication factor (default: the broker\'s default.replication.factor)' },
    { long: 'topic-config', short: 'c', kind: 'value', arg: 'KEY=VALUE', help: 'a topic setting (repeatable), e.g. -c retention.ms=3600000 -c cleanup.policy=compact' },
    { long: 'config', kind: 'value', arg: 'KEY=VALUE', help: 'the same as --topic-config (the older `samsa topics` spelling)' },
    { long: 'if-not-exists', kind: 'switch', help: 'a topic that exists already is not an error' },
    OUTPUT_FORMAT_FLAG,
  ],
  examples: [
    'samsa topic create orders -p 6',
    'samsa topic create events -p 3 -r 1 -c retention.ms=86400000 -c cleanup.policy=compact',
  ],
};

export const TOPIC_LIST: CommandHelp = {
  name: 'topic list', operands: '', connection: true,
  summary: 'list topics with their partition count and replication factor',
  flags: [
    { long: 'internal', short: 'i', kind: 'switch', help: 'include internal topics (__consumer_offsets, __transaction_state)' },
    OUTPUT_FORMAT_FLAG,
  ],
  examples: ['samsa topic list', 'samsa topic list -i --format json'],
};

export const TOPIC_DESCRIBE: CommandHelp = {
  name: 'topic describe', operands: 'TOPIC...', connection: true,
  summary: 'a topic\'s summary, settings and partitions (leader, replicas, ISR, start and end offsets)',
  flags: [
    { long: 'print-summary', short: 's', kind: 'switch', help: 'print the summary section (name, id, partitions, replicas)' },
    { long: 'print-configs', short: 'c', kind: 'switch', help: 'print the settings section (every setting with its source)' },
    { long: 'print-partitions', short: 'p', kind: 'switch', help: 'print the partitions section' },
    OUTPUT_FORMAT_FLAG,
  ],
  details: 'Without -s, -c or -p every section is printed.',
  examples: ['samsa topic describe orders', 'samsa topic describe orders -p', 'samsa topic describe orders --format json'],
};

export const TOPIC_DELETE: CommandHelp = {
  name: 'topic delete', operands: 'TOPIC...', connection: true,
  summary: 'delete topics and their data',
  flags: [OUTPUT_FORMAT_FLAG],
  examples: ['samsa topic delete orders events'],
};

export const TOPIC_ALTER_CONFIG: CommandHelp = {
  name: 'topic alter-config', operands: 'TOPIC...', connection: true,
  summary: 'change topic settings (IncrementalAlterConfigs)',
  flags: [
    { long: 'set', short: 's', kind: 'value', arg: 'KEY=VALUE', help: 'set a setting (repeatable)' },
    { long: 'delete', short: 'd', kind: 'value', arg: 'KEY', help: 'return a setting to its default (repeatable)' },
    OUTPUT_FORMAT_FLAG,
  ],
  details: 'A misspelt setting is refused by the broker with a suggestion (retention.mss: did you mean retention.ms?).',
  examples: ['samsa topic alter-config orders --set retention.ms=3600000 --set max.message.bytes=2097152', 'samsa topic alter-config orders -d retention.ms'],
};

export const TOPIC_PRODUCE: CommandHelp = {
  name: 'topic produce', operands: '[TOPIC]', connection: true,
  summary: 'produce records read from stdin or a file, one per line by default',
  flags: [
    { long: 'format', short: 'f', kind: 'value', arg: 'FORMAT', help: 'how the input is split into records (default \'%v\\n\': a line is a value); json: a JSON object per line' },
    { long: 'key-separator', short: 'K', kind: 'value', arg: 'SEP', help: 'lines are KEY<SEP>VALUE (kcat -K), e.g. -K \'\\t\'; a line without SEP is a value without a key' },
    { long: 'key', short: 'k', kind: 'value', arg: 'KEY', help: 'a key for every record (a key read from the input wins)' },
    { long: 'header', short: 'H', kind: 'value', arg: 'KEY:VALUE', help: 'a header on every record (repeatable)' },
    { long: 'partition', short: 'p', kind: 'value', arg: 'N', help: 'produce to this partition (default: by key, murmur2 as the Java client; without a key spread over the partitions)' },
    { long: 'tombstone', short: 'Z', kind: 'switch', help: 'an empty value is produced as a null value (a tombstone on a compacted topic)' },
    { long: 'acks', kind: 'value', arg: '-1|1', help: 'acknowledgements to wait for: -1 (all) every in-sync replica (default), 1 the leader' },
    { long: 'compression', short: 'z', kind: 'value', arg: 'CODEC', help: 'none (default), gzip, snappy, lz4 or zstd' },
    { long: 'file', kind: 'value', arg: 'PATH', help: 'read this file instead of stdin (- is stdin)' },
    { long: 'output-format', short: 'o', kind: 'value', arg: 'FORMAT', help: 'print a line per record produced, in the consume format syntax, e.g. \'%p %o\\n\'' },
    { long: 'progress', kind: 'switch', help: 'show the progress bar and rate on stderr even when it is not a terminal' },
    { long: 'no-progress', kind: 'switch', help: 'never show the progress bar' },
  ],
  details: `INPUT FORMAT (-f, rpk's syntax for delimited text)
  %v value   %k key   %t topic (instead of TOPIC)   %p partition   %% a percent sign
  \\n \\t \\r \\\\ \\xNN escapes; %k{hex} %v{base64} %v{json} decode a field.
  The text after the last field ends a record (usually \\n); a final line
  without it is a record too. Text between fields separates them.
    -f '%k %v\\n'        key, a space, value
    -f '%t|%p|%v\\n'     topic, partition and value separated by |
JSON LINES (-f json): one object per line,
  {"key": "k1", "value": "v1", "headers": {"h": "x"}, "partition": 0}
  key, headers and partition optional; headers as an object or as
  [{"key": "h", "value": "x"}] (what consume prints); a value that is not a
  string is produced as its JSON text; "topic" overrides TOPIC.
PROGRESS: on a terminal, inputs that take more than a moment show a progress
  bar (a percentage for a file), the records and bytes sent and the rate on
  stderr; a summary line is printed at the end.`,
  examples: [
    'echo hello | samsa topic produce orders',
    'samsa topic produce orders --file orders.txt -K \'\\t\'',
    'samsa topic produce orders -f \'%k %v\\n\' -H source:cli',
    'samsa topic produce orders -f json < records.jsonl',
  ],
};

export const TOPIC_CONSUME: CommandHelp = {
  name: 'topic consume', operands: 'TOPIC...', connection: true,
  summary: 'print records from topics, from an offset, a time or a group\'s commits',
  flags: [
    { long: 'offset', short: 'o', kind: 'value', arg: 'SPEC', help: 'where to start, and optionally stop (default start; see OFFSETS)' },
    { long: 'partitions', short: 'p', kind: 'list', arg: 'N[,N]', help: 'only these partitions' },
    { long: 'group', short: 'g', kind: 'value', arg: 'GROUP', help: 'consume as a member of this group: partitions are assigned by the group, offsets committed; -o is where to start without a commit' },
    { long: 'format', short: 'f', kind: 'value', arg: 'FORMAT', help: 'how to print a record (default json: a JSON object per line; see FORMAT)' },
    { long: 'num', short: 'n', kind: 'value', arg: 'N', help: 'stop after N records' },
    { long: 'exit-at-end', short: 'e', kind: 'switch', help: 'stop at the end of every partition as it was at the start (kcat -e; the same as -o SPEC:end)' },
    { long: 'pretty-print', kind: 'switch', help: 'indent the JSON of -f json' },
    { long: 'meta-only', kind: 'switch', help: 'with -f json: leave the value out (its size as value_size)' },
    { long: 'read-committed', kind: 'switch', help: 'only records of committed transactions (read up to the last stable offset)' },
  ],
  details: `OFFSETS (-o, as rpk)
  start, oldest      from the first record (the default)
  end, newest        only records produced from now on
  -N                 the last N records of each partition, then new ones
  +N                 from N records after the start
  N                  from offset N
  N1:N2, N1-N2       offsets N1 up to N2 (exclusive), then stop
  :N                 from the start up to offset N
  SPEC:end           from SPEC to the end at start-up, then stop (e.g. -o -5:end)
  @T                 from the first record at or after time T
  @T1:T2             records from T1 up to T2; @:T2 from the start; @T1:end
  Times: 13 digits (ms since the epoch), 10 digits (seconds), YYYY-MM-DD (UTC),
  RFC 3339 (2024-05-01T12:00:00Z, 2024-05-01T14:00:00.250+02:00), or a duration
  from now (-1h, -15m, -30s, -1h30m) or, in T2, from T1 (@2024-05-01:1h).
FORMAT (-f, rpk's and kcat's escapes)
  %t topic  %p partition  %o offset  %k key  %v value (also %s)  %T timestamp (ms; also %d)
  %h headers as k=v,k=v (or %h{%k=%v;} with a format per header)  %H header count
  %K key length  %V value length (also %S)  %i records printed so far  %% percent
  %k{hex} %v{base64} encode a field; \\n \\t \\r \\\\ \\xNN escapes.
  The default, json, prints {"topic","key","value","headers":[{"key","value"}],
  "timestamp","partition","offset"} per line (what produce -f json reads back).
Without an end (N2, :end, -e) or --num, consume follows the partitions until
interrupted (Ctrl-C). With -g, the group's committed offsets win over -o, and
offsets are committed as records are printed and when it stops.`,
  examples: [
    'samsa topic consume orders -o -5 -e',
    'samsa topic consume orders -o @-1h -f \'%p:%o %k=%v\\n\'',
    'samsa topic consume orders -o @2024-05-01T00:00:00Z:1h',
    'samsa topic consume orders -p 0 -o 100:200',
    'samsa topic consume orders -g billing -n 10',
  ],
};

export const TOPIC_COMMANDS: readonly CommandHelp[] = [TOPIC_CREATE, TOPIC_LIST, TOPIC_DESCRIBE, TOPIC_DELETE, TOPIC_ALTER_CONFIG, TOPIC_PRODUCE, TOPIC_CONSUME];
