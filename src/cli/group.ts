/**
 * `samsa group list|describe|delete|seek` (and `samsa groups ...`): consumer
 * groups over the Kafka protocol (src/client/groups.ts), as rpk shows them;
 * classic groups and KIP-848 consumer groups alike, with a consumer group's
 * epochs, assignor and members' current and target assignments.
 */
import { didYouMean } from '../config/did-you-mean.js';
import { ErrorCode } from '../wire/errors.js';
import type { KafkaClient } from '../client/kafka-client.js';
import { KafkaClientError } from '../client/errors.js';
import {
  deleteGroups, describeGroup, groupOffsets, listGroups, resetGroupOffsets, totalLag,
  type GroupDescription, type GroupOffset, type ResetOffset, type ResetTarget, type TopicPartitions,
} from '../client/groups.js';
import { UsageError, outputFormat } from './client-options.js';
import { STDIO, table, type CliIo } from './cli-output.js';
import { AdminError } from './admin-connection.js';
import { parseTime } from './consume-offsets.js';
import { GROUP_DELETE, GROUP_DESCRIBE, GROUP_LIST, GROUP_SEEK } from './help-group.js';
import { helpFor } from './help.js';
import { isUnknownTopic, printJson, requireTopics, runKafkaCommand, withClient } from './topic-client.js';

const SUBCOMMANDS = ['list', 'describe', 'delete', 'seek'];
const GROUP_TYPES = ['classic', 'consumer'];

export async function groupCommand(args: string[], io: CliIo = STDIO): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': case 'ls': return groupList(rest, io);
    case 'describe': return groupDescribe(rest, io);
    case 'delete': return groupDelete(rest, io);
    case 'seek': return groupSeek(rest, io);
  }
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(helpFor(['group'])!);
    return sub === undefined ? 2 : 0;
  }
  io.err(`samsa: unknown group command ${sub}${didYouMean(sub, SUBCOMMANDS)} (commands: ${SUBCOMMANDS.join(', ')})`);
  return 2;
}

function groupList(args: string[], io: CliIo): Promise<number> {
  return runKafkaCommand(io, GROUP_LIST, args, async (f) => {
    const format = outputFormat(f);
    if (f.operands.length) throw new UsageError(`group list takes no names (got ${f.operands.join(' ')})`);
    const types = f.list('type').map((x) => x.toLowerCase());
    for (const x of types) if (!GROUP_TYPES.includes(x)) throw new UsageError(`--type ${x}: expected ${GROUP_TYPES.join(' or ')}${didYouMean(x, GROUP_TYPES)}`);
    return withClient(f, async (c) => {
      const groups = await listGroups(c, types.length ? { types } : {});
      if (format === 'json') printJson(io, groups);
      else io.out(table(['GROUP', 'COORDINATOR', 'STATE', 'TYPE', 'PROTOCOL-TYPE'], groups.map((g) => [g.groupId, String(g.coordinator), g.state || '-', g.type, g.protocolType || '-'])));
      return 0;
    });
  });
}

/** "no group x (did you mean y?)" from the groups the cluster has. */
async function unknownGroupMessage(c: KafkaClient, group: string): Promise<string> {
  let names: string[] = [];
  try {
    names = (await listGroups(c)).map((g) => g.groupId);
  } catch {
    // Only the suggestion is lost.
  }
  return `no group ${group}${didYouMean(group, names)}`;
}

interface DescribedGroup extends GroupDescription {
  totalLag: number | null;
  offsets: GroupOffset[];
}

/** An assignment as kafka-consumer-groups prints it: topic(0,1),other(2); "-" for none. */
const assignmentText = (a: TopicPartitions[] | undefined) => (a?.length ? a.map((x) => `${x.topic}(${x.partitions.join(',')})`).join(',') : '-');

/** A consumer group's members with their epochs and assignments (a classic group's show in the partition table). */
function membersText(g: DescribedGroup): string {
  return table(['MEMBER-ID', 'INSTANCE-ID', 'CLIENT-ID', 'HOST', 'RACK', 'MEMBER-EPOCH', 'ASSIGNMENT', 'TARGET-ASSIGNMENT'], g.members.map((m) => [
    m.memberId, m.groupInstanceId ?? '-', m.clientId || '-', m.clientHost || '-', m.rackId ?? '-', String(m.memberEpoch ?? '-'),
    assignmentText(m.assignment), assignmentText(m.targetAssignment),
  ]));
}

function describeText(g: DescribedGroup): string {
  const client = new Map(g.members.map((m) => [m.memberId, m]));
  const consumer = g.type === 'consumer';
  const summary = table(['GROUP', g.groupId], [
    ['COORDINATOR', String(g.coordinator)],
    ['TYPE', g.type],
    ['STATE', g.state],
    ['PROTOCOL-TYPE', g.protocolType || '-'],
    ...consumer
      ? [['ASSIGNOR', g.protocol || '-'], ['GROUP-EPOCH', String(g.groupEpoch ?? '-')], ['ASSIGNMENT-EPOCH', String(g.assignmentEpoch ?? '-')]]
      : [['PROTOCOL', g.protocol || '-']],
    ['MEMBERS', String(g.members.length)],
    ['TOTAL-LAG', g.totalLag === null ? '-' : String(g.totalLag)],
  ]);
  const rows = g.offsets.map((o) => {
    const m = o.memberId ? client.get(o.memberId) : undefined;
    return [o.topic, String(o.partition), o.committed < 0 ? '-' : String(o.committed), o.endOffset < 0 ? '-' : String(o.endOffset), String(o.lag), o.memberId ?? '-', m?.clientId ?? '-', m?.clientHost ?? '-'];
  });
  // Members without partitions still show who is in the group.
  const idle = g.members.filter((m) => !g.offsets.some((o) => o.memberId === m.memberId)).map((m) => ['-', '-', '-', '-', '-', m.memberId, m.clientId, m.clientHost]);
  const all = [...rows, ...idle];
  const parts = [summary];
  if (all.length) parts.push(table(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'MEMBER-ID', 'CLIENT-ID', 'HOST'], all));
  if (consumer && g.members.length) parts.push(membersText(g));
  return parts.join('\n\n');
}

function groupDescribe(args: string[], io: CliIo): Promise<number> {
  return runKafkaCommand(io, GROUP_DESCRIBE, args, async (f) => {
    const format = outputFormat(f);
    if (f.operands.length === 0) throw new UsageError('which group to describe?');
    return withClient(f, async (c) => {
      const found: DescribedGroup[] = [];
      let failed = false;
      for (const id of f.operands) {
        let g: GroupDescription;
        try {
          g = await describeGroup(c, id);
        } catch (e) {
          if (!(e instanceof KafkaClientError && e.code === ErrorCode.GROUP_ID_NOT_FOUND)) throw e;
          io.err(`samsa: ${await unknownGroupMessage(c, id)}`);
          failed = true;
          continue;
        }
        const offsets = await groupOffsets(c, id);
        found.push({ ...g, totalLag: totalLag(offsets), offsets });
      }
      if (format === 'json') printJson(io, found);
      else if (found.length) io.out(found.map(describeText).join('\n\n'));
      return failed ? 1 : 0;
    });
  });
}

function groupDelete(args: string[], io: CliIo): Promise<number> {
  return runKafkaCommand(io, GROUP_DELETE, args, async (f) => {
    const format = outputFormat(f);
    if (f.operands.length === 0) throw new UsageError('which groups to delete?');
    return withClient(f, async (c) => {
      const results = await deleteGroups(c, f.operands);
      const rows = await Promise.all(results.map(async (r) => ({
        group: r.groupId,
        status: r.error ? 'error' : 'deleted',
        error: !r.error ? null : r.error.code === ErrorCode.GROUP_ID_NOT_FOUND ? await unknownGroupMessage(c, r.groupId) : r.error.message.replace(/^group \S+: /, ''),
      })));
      if (format === 'json') printJson(io, rows);
      else io.out(table(['GROUP', 'STATUS'], rows.map((r) => [r.group, r.error ?? 'OK'])));
      return rows.some((r) => r.error) ? 1 : 0;
    });
  });
}

/** --to as rpk takes it: start, end, an offset, or @TIME. */
export function seekTarget(to: string | undefined): ResetTarget {
  if (to === undefined) throw new UsageError('group seek needs --to start|end|OFFSET|@TIME');
  if (['start', 'earliest', 'oldest', 'beginning'].includes(to)) return { to: 'earliest' };
  if (['end', 'latest', 'newest'].includes(to)) return { to: 'latest' };
  if (/^\d+$/.test(to)) return { to: 'offset', offset: Number(to) };
  if (to.startsWith('@')) return { to: 'timestamp', timestamp: parseTime(to.slice(1)) };
  throw new UsageError(`--to ${to}: expected start, end, an offset or @TIME (ms, RFC 3339, YYYY-MM-DD, or -1h)`);
}

function groupSeek(args: string[], io: CliIo): Promise<number> {
  return runKafkaCommand(io, GROUP_SEEK, args, async (f) => {
    const format = outputFormat(f);
    if (f.operands.length !== 1) throw new UsageError(f.operands.length ? `group seek takes one group (got ${f.operands.join(' ')})` : 'which group to seek?');
    const group = f.operands[0]!;
    const target = seekTarget(f.value('to'));
    const topics = f.list('topics');
    const partitions = f.has('partitions') ? f.list('partitions').map((p) => {
      if (!/^\d+$/.test(p)) throw new UsageError(`--partitions takes partition numbers, not ${p}`);
      return Number(p);
    }) : undefined;
    if (partitions && topics.length !== 1) throw new UsageError('--partitions goes with exactly one topic in --topics');
    return withClient(f, async (c) => {
      if (topics.length) await requireTopics(c, topics);
      let moved: ResetOffset[] = [];
      try {
        if (topics.length === 0) moved = await resetGroupOffsets(c, group, {}, target);
        else for (const topic of topics) moved.push(...await resetGroupOffsets(c, group, { topic, partitions }, target));
      } catch (e) {
        if (isUnknownTopic(e)) throw new AdminError((e as Error).message);
        throw e;
      }
      if (moved.length === 0) throw new AdminError(`group ${group} has no committed offsets to move; name the topics with --topics`);
      if (format === 'json') printJson(io, moved.map((m) => ({ topic: m.topic, partition: m.partition, priorOffset: m.previous, newOffset: m.offset })));
      else io.out(table(['TOPIC', 'PARTITION', 'PRIOR-OFFSET', 'NEW-OFFSET'], moved.map((m) => [m.topic, String(m.partition), m.previous < 0 ? '-' : String(m.previous), String(m.offset)])));
      return 0;
    });
  });
}
