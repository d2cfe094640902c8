/**
 * `samsa topic consume -g GROUP`: consuming as a member of a classic consumer
 * group (src/client/group-consumer.ts): the group assigns the partitions,
 * each starts at the group's committed offset, or where -o says (start or
 * end) when there is none, and what was printed is committed at the next
 * poll and when the command stops (--num, Ctrl-C, a closed pipe), after
 * which the member leaves so the others take its partitions at once.
 */
import { GroupConsumer } from '../client/group-consumer.js';
import type { ParsedFlags } from './cli-flags.js';
import { UsageError } from './client-options.js';
import type { CliIo } from './cli-output.js';
import type { OffsetSpec } from './consume-offsets.js';
import { printable, type ConsumeSettings } from './topic-consume.js';
import { requireTopics, withClient } from './topic-client.js';
import { RecordOutput } from './topic-output.js';
import type { RecordStreams } from './topic-streams.js';

const PAGE = 500;
const POLL_WAIT_MS = 1000;

/** -o in group mode is auto.offset.reset: where a partition without a commit starts. */
export function groupOffsetReset(spec: OffsetSpec): 'earliest' | 'latest' {
  const { from } = spec;
  if (from.kind === 'start' && from.delta === 0) return 'earliest';
  if (from.kind === 'end' && from.delta === 0) return 'latest';
  throw new UsageError('with --group, -o says where partitions without a committed offset start: start or end');
}

export async function consumeAsGroup(f: ParsedFlags, s: ConsumeSettings, _io: CliIo, streams: RecordStreams): Promise<number> {
  const groupId = f.value('group')!;
  if (!groupId) throw new UsageError('--group needs a group id');
  const autoOffsetReset = groupOffsetReset(s.spec);
  return withClient(f, async (c) => {
    await requireTopics(c, s.topics);
    const member = await GroupConsumer.join(c, { groupId, topics: s.topics, autoOffsetReset, isolation: s.committed ? 'read_committed' : 'read_uncommitted' });
    const out = new RecordOutput(streams.stdout, s.format);
    const restoreSignals = out.stopOnInterrupt();
    try {
      while (!out.stopped) {
        const left = s.num ? s.num - out.printed : PAGE;
        if (left <= 0) break;
        // poll() hands over at most `left` records and commits them at the next poll or at close().
        const records = await member.poll({ maxRecords: Math.min(PAGE, left), maxWaitMs: POLL_WAIT_MS });
        for (const r of records) await out.print(printable(r.topic, r));
        await out.flush();
      }
    } finally {
      restoreSignals();
      await out.flush();
      await member.close();
    }
    return 0;
  });
}
