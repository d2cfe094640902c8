/**
 * `samsa topic create|list|describe|delete|alter-config|produce|consume`
 * (and `samsa topics ...`, the same): the sub-command's module is loaded on
 * demand, so listing topics does not load the record codecs.
 */
import { UsageError } from './cluster.js';
import { STDIO, type CliIo } from './cli-output.js';
import { didYouMean } from '../config/did-you-mean.js';
import { helpFor } from './help.js';
import type { RecordStreams } from './topic-streams.js';

const SUBCOMMANDS = ['create', 'list', 'describe', 'delete', 'alter-config', 'produce', 'consume'];

export async function topicCommand(args: string[], io: CliIo = STDIO, streams?: RecordStreams): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': return (await import('./topic-admin.js')).topicCreate(rest, io);
    case 'list': case 'ls': return (await import('./topic-admin.js')).topicList(rest, io);
    case 'describe': return (await import('./topic-admin.js')).topicDescribe(rest, io);
    case 'delete': return (await import('./topic-admin.js')).topicDelete(rest, io);
    case 'alter-config': return (await import('./topic-admin.js')).topicAlterConfig(rest, io);
    case 'produce': return (await import('./topic-produce.js')).topicProduce(rest, io, streams);
    case 'consume': return (await import('./topic-consume.js')).topicConsume(rest, io, streams);
  }
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(helpFor(['topic'])!);
    return sub === undefined ? 2 : 0;
  }
  const e = new UsageError(`unknown topic command ${sub}${didYouMean(sub, SUBCOMMANDS)} (commands: ${SUBCOMMANDS.join(', ')})`);
  io.err(`samsa: ${e.message}`);
  return 2;
}
