/**
 * Limits on how many partitions one request may add and one broker may host,
 * checked before anything is written: a CreateTopics or CreatePartitions
 * asking for hundreds of thousands of partitions would otherwise hold the
 * event loop for minutes and run the process out of file descriptors.
 *
 * - max.partitions.per.request: Kafka's controller refuses a CreateTopics
 *   request whose partitions add up to more than 10,000
 *   (ReplicationControlManager.MAX_PARTITIONS_PER_BATCH, not configurable
 *   there) with POLICY_VIOLATION "Excessively large number of partitions per
 *   request." for every topic of the request. Samsa applies the same count
 *   to CreatePartitions (partitions added), auto-created and internal topics.
 * - max.broker.partitions: KIP-578's proposed name (not in Kafka): the
 *   partitions this broker may host, internal topics included. Kafka's way of
 *   refusing a topic by a broker-side rule is a policy, so POLICY_VIOLATION.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';

export const EXCESSIVE_PARTITIONS_MESSAGE = 'Excessively large number of partitions per request.';

/** POLICY_VIOLATION when one request adds more than max.partitions.per.request partitions. */
export function partitionsPerRequestError(config: BrokerConfig, added: number): KafkaError | undefined {
  return added > config.int('max.partitions.per.request') ? new KafkaError(ErrorCode.POLICY_VIOLATION, EXCESSIVE_PARTITIONS_MESSAGE) : undefined;
}

export function checkPartitionsPerRequest(config: BrokerConfig, added: number): void {
  const err = partitionsPerRequestError(config, added);
  if (err) throw err;
}

/** Throws POLICY_VIOLATION when hosting `added` more partitions would pass max.broker.partitions. */
export function checkBrokerPartitions(config: BrokerConfig, hosted: number, added: number): void {
  const max = config.int('max.broker.partitions');
  if (hosted + added > max) {
    throw new KafkaError(ErrorCode.POLICY_VIOLATION, `Unable to add ${added} partition(s): this broker hosts ${hosted} partition(s) and max.broker.partitions is ${max}.`);
  }
}

/**
 * A CreateTopics request's partitions as Kafka's controller adds them up
 * before looking at anything else: numPartitions, or num.partitions for -1,
 * or the number of assignments; invalid counts add nothing (they fail on
 * their own). Topics named twice are left out, as Kafka drops them first.
 */
export function createTopicsPartitions(topics: readonly { name: string; numPartitions: number; assignments: readonly unknown[] }[], defaultPartitions: number): number {
  const seen = new Map<string, number>();
  for (const t of topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  let total = 0;
  for (const t of topics) {
    if (seen.get(t.name)! > 1) continue;
    if (t.assignments.length > 0) total += t.assignments.length;
    else if (t.numPartitions === -1) total += defaultPartitions;
    else if (t.numPartitions > 0) total += t.numPartitions;
  }
  return total;
}
