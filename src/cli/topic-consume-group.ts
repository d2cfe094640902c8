/**
 * `samsa topic consume -g GROUP`: consuming as a member of a group (placeholder until src/client/group-consumer.ts lands).
 */
import type { ParsedFlags } from './cli-flags.js';
import type { CliIo } from './cli-output.js';
import type { ConsumeSettings } from './topic-consume.js';
import type { RecordStreams } from './topic-streams.js';
import { AdminError } from './admin-connection.js';

export async function consumeAsGroup(_f: ParsedFlags, _s: ConsumeSettings, _io: CliIo, _streams: RecordStreams): Promise<number> {
  throw new AdminError('group mode is not available yet');
}
