/**
 * `samsa cluster info`: the cluster as any Kafka client sees it (Metadata):
 * its id, the controller, the brokers and, with -t, the topics. Unlike the
 * other `samsa cluster` commands it needs no control API, so it works
 * against any Kafka cluster.
 */
import { clusterInfo, listTopics } from '../client/topics.js';
import { outputFormat, UsageError } from './client-options.js';
import { STDIO, table, type CliIo } from './cli-output.js';
import { CLUSTER_INFO } from './help-group.js';
import { printJson, runKafkaCommand, withClient } from './topic-client.js';

export function clusterInfoCommand(args: string[], io: CliIo = STDIO): Promise<number> {
  return runKafkaCommand(io, CLUSTER_INFO, args, async (f) => {
    const format = outputFormat(f);
    if (f.operands.length) throw new UsageError(`cluster info takes no operands (got ${f.operands.join(' ')})`);
    const internal = f.has('print-internal-topics');
    const withTopics = internal || f.has('print-topics');
    return withClient(f, async (c) => {
      const info = await clusterInfo(c);
      const topics = withTopics ? await listTopics(c, { internal }) : undefined;
      if (format === 'json') {
        printJson(io, { ...info, ...(topics ? { topics } : {}) });
        return 0;
      }
      const blocks = [
        `CLUSTER\n=======\n${table(['ID', 'CONTROLLER', 'TOPICS', 'PARTITIONS', 'UNDER-REPLICATED', 'OFFLINE'], [[info.clusterId ?? '-', String(info.controllerId), String(info.topicCount), String(info.partitionCount), String(info.underReplicatedPartitions), String(info.offlinePartitions)]])}`,
        `BROKERS\n=======\n${table(['ID', 'HOST', 'PORT', 'RACK', 'LEADERS'], info.brokers.map((b) => [`${b.nodeId}${b.isController ? '*' : ''}`, b.host, String(b.port), b.rack ?? '-', String(b.leaderCount)]))}`,
      ];
      if (topics) blocks.push(`TOPICS\n======\n${table(['NAME', 'PARTITIONS', 'REPLICAS', ...(internal ? ['INTERNAL'] : [])], topics.map((t) => [t.name, String(t.partitions), String(t.replicationFactor), ...(internal ? [String(t.internal)] : [])]))}`);
      io.out(blocks.join('\n\n'));
      return 0;
    });
  });
}
