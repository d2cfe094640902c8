/**
 * `samsa group ...` and `samsa cluster info`: flags and help (help-spec.ts),
 * in rpk's names.
 */
import { OUTPUT_FORMAT_FLAG, type CommandHelp } from './help-spec.js';

export const GROUP_LIST: CommandHelp = {
  name: 'group list', operands: '', connection: true,
  summary: 'list consumer groups (from every broker) with their state and type',
  flags: [
    { long: 'type', kind: 'list', arg: 'TYPE[,TYPE]', help: 'only groups of these types: classic (JoinGroup/SyncGroup) or consumer (KIP-848, group.protocol=consumer)' },
    OUTPUT_FORMAT_FLAG,
  ],
  details: 'TYPE is classic or consumer (the KIP-848 protocol); brokers before ListGroups v5 have only classic groups.',
  examples: ['samsa group list', 'samsa group list --type consumer'],
};

export const GROUP_DESCRIBE: CommandHelp = {
  name: 'group describe', operands: 'GROUP...', connection: true,
  summary: 'a group\'s state, members, committed offsets and lag per partition',
  flags: [OUTPUT_FORMAT_FLAG],
  details: `LAG is the partition's end offset minus the committed offset; TOTAL-LAG sums it.
A consumer group (TYPE consumer, KIP-848) also shows its GROUP-EPOCH and
ASSIGNMENT-EPOCH, the broker's ASSIGNOR, and its members with their
MEMBER-EPOCH, RACK, ASSIGNMENT and TARGET-ASSIGNMENT (the two differ while
partitions move between members).`,
  examples: ['samsa group describe billing', 'samsa group describe billing --format json'],
};

export const GROUP_DELETE: CommandHelp = {
  name: 'group delete', operands: 'GROUP...', connection: true,
  summary: 'delete groups with no members, and their committed offsets',
  flags: [OUTPUT_FORMAT_FLAG],
  examples: ['samsa group delete billing'],
};

export const GROUP_SEEK: CommandHelp = {
  name: 'group seek', operands: 'GROUP', connection: true,
  summary: 'move a group\'s committed offsets (the group must have no members)',
  flags: [
    { long: 'to', kind: 'value', arg: 'WHERE', help: 'start, end, an offset N, @TIMESTAMP (ms, RFC 3339, YYYY-MM-DD or a duration such as @-1h)' },
    { long: 'topics', kind: 'list', arg: 'T[,T]', help: 'only these topics (default: every topic the group has commits for)' },
    { long: 'partitions', short: 'p', kind: 'list', arg: 'N[,N]', help: 'only these partitions (with one topic)' },
    OUTPUT_FORMAT_FLAG,
  ],
  details: 'A group that has no commits yet needs --topics. Members must leave first: a group with members refuses (NON_EMPTY_GROUP).',
  examples: ['samsa group seek billing --to start', 'samsa group seek billing --to @2024-05-01T00:00:00Z --topics orders', 'samsa group seek billing --to 1200 --topics orders -p 0'],
};

export const CLUSTER_INFO: CommandHelp = {
  name: 'cluster info', operands: '', connection: true,
  summary: 'the cluster id, the controller and the brokers (over the Kafka protocol)',
  flags: [
    { long: 'print-topics', short: 't', kind: 'switch', help: 'also list the topics' },
    { long: 'print-internal-topics', short: 'i', kind: 'switch', help: 'list the internal topics too (implies -t)' },
    OUTPUT_FORMAT_FLAG,
  ],
  examples: ['samsa cluster info', 'samsa cluster info -t --bootstrap 127.0.0.1:9092'],
};

export const GROUP_COMMANDS: readonly CommandHelp[] = [GROUP_LIST, GROUP_DESCRIBE, GROUP_DELETE, GROUP_SEEK];
