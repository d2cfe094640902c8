/**
 * What the Kafka-protocol commands (topic, group, cluster info) share: how a
 * command runs (its --help, exit codes 0/1/2 through cli-output's runner,
 * an unexpected failure as one line rather than a stack), the client opened
 * from the connection flags, and "unknown topic" with a suggestion from the
 * topics that exist.
 */
import { didYouMean } from '../config/did-you-mean.js';
import { ErrorCode } from '../wire/errors.js';
import { KafkaClient } from '../client/kafka-client.js';
import { KafkaClientError } from '../client/errors.js';
import { listTopics } from '../client/topics.js';
import { AdminError } from './admin-connection.js';
import type { ParsedFlags } from './cli-flags.js';
import { connectionSettings } from './client-options.js';
import { runCommand, type CliIo } from './cli-output.js';
import { commandHelp, usageLine } from './help.js';
import { parseCommandFlags, type CommandHelp } from './help-spec.js';

/**
 * Runs a command: --help prints its whole help; a usage mistake prints the
 * mistake and the usage line (exit 2); a refusal or a lost connection its
 * sentence (exit 1).
 */
export function runKafkaCommand(io: CliIo, cmd: CommandHelp, args: readonly string[], body: (f: ParsedFlags) => Promise<number>): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(commandHelp(cmd));
    return Promise.resolve(0);
  }
  const usage = `usage: ${usageLine(cmd)}\n(samsa help ${cmd.name} for every flag and examples)`;
  return runCommand(io, usage, args, async () => {
    const f = parseCommandFlags(cmd, args);
    try {
      return await body(f);
    } catch (e) {
      // Socket errors and the like reach here unwrapped: a sentence, not a stack.
      if (e instanceof Error && !(e instanceof AdminError) && (e as NodeJS.ErrnoException).code) throw new AdminError(e.message);
      throw e;
    }
  });
}

export async function openClient(f: ParsedFlags): Promise<KafkaClient> {
  return KafkaClient.open({ ...(await connectionSettings(f)), clientId: 'samsa-cli' });
}

export async function withClient<T>(f: ParsedFlags, fn: (c: KafkaClient) => Promise<T>): Promise<T> {
  const c = await openClient(f);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

export function isUnknownTopic(e: unknown): boolean {
  return e instanceof KafkaClientError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}

/** "unknown topic ordrs (did you mean orders?)", from the topics the cluster has. */
export async function unknownTopicMessage(client: KafkaClient, topic: string): Promise<string> {
  let names: string[] = [];
  try {
    names = (await listTopics(client, { internal: true })).map((t) => t.name);
  } catch {
    // The suggestion is a nicety: without the list, the plain message.
  }
  return `unknown topic ${topic}${didYouMean(topic, names)}`;
}

/** Throws "unknown topic X (did you mean Y?)" for the first of `topics` the cluster does not have. */
export async function requireTopics(client: KafkaClient, topics: readonly string[]): Promise<void> {
  const md = await client.metadata([...topics]);
  for (const t of topics) {
    const found = md.topics.find((x) => x.name === t);
    if (!found || found.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new AdminError(await unknownTopicMessage(client, t));
    if (found.errorCode !== ErrorCode.NONE) throw new KafkaClientError(found.errorCode, `topic ${t}`);
  }
}

/** --format json output: indented, as the other admin commands print it. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
