/**
 * GET /api/overview: the brokers and the controller, topic and partition
 * counts (internal topics left out, as the topic list leaves them out by
 * default), partitions under-replicated or offline (internal ones included:
 * they matter as much), and produce/fetch throughput now and over the last
 * 15 minutes.
 */
import type { KafkaClient } from '../client/kafka-client.js';
import { clusterInfo, listTopics } from '../client/topics.js';
import type { Overview } from './console-api-types.js';
import type { ThroughputHistory } from './console-throughput.js';

export async function overview(client: KafkaClient, throughput: ThroughputHistory): Promise<Overview> {
  const [info, topics] = await Promise.all([clusterInfo(client), listTopics(client, { internal: true })]);
  const shown = topics.filter((t) => !t.internal);
  return {
    clusterId: info.clusterId,
    controllerId: info.controllerId,
    brokers: info.brokers,
    topicCount: shown.length,
    partitionCount: shown.reduce((n, t) => n + t.partitions, 0),
    underReplicatedPartitions: info.underReplicatedPartitions,
    offlinePartitions: info.offlinePartitions,
    throughput: throughput.now(),
    history: throughput.history(),
  };
}
