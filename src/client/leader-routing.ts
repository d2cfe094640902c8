/**
 * Sends per-partition requests (ListOffsets, Fetch, Produce,
 * DescribeProducers) to each partition's leader, one request per leader, in
 * parallel, and sends again what a leader refused because leadership moved
 * (or because its connection failed) after asking Metadata where the
 * partitions are now, as the Java client's metadata refresh does. Every other
 * per-partition error goes back to the caller, which knows what it means.
 */
import type { AdminConnection } from '../cli/admin-connection.js';
import { AdminError } from '../cli/admin-connection.js';
import { ErrorCode } from '../wire/errors.js';
import type { KafkaClient } from './kafka-client.js';
import { KafkaClientError } from './errors.js';

export interface TopicPartition { topic: string; partition: number }

/** One partition's answer: an error code (NONE when it worked) and what the caller decoded. */
export interface Outcome<T, R> { item: T; errorCode: number; errorMessage?: string | null; value?: R }

/** The errors that mean "ask Metadata again and send to the new leader". */
const LEADERSHIP = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH, ErrorCode.REPLICA_NOT_AVAILABLE, ErrorCode.NOT_ENOUGH_REPLICAS,
]);

/** Attempts before a leadership error reaches the caller: about 9 s of backoff, enough for a broker's session to expire and a new leader to be elected. */
const ATTEMPTS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * Groups `items` by leader and calls `send` once per leader with that
 * leader's items. Returns one outcome per item, leadership errors retried.
 * An unknown topic or partition comes back as UNKNOWN_TOPIC_OR_PARTITION.
 */
export async function routeToLeaders<T extends TopicPartition, R>(
  client: KafkaClient,
  items: T[],
  send: (conn: AdminConnection, items: T[], nodeId: number) => Promise<Outcome<T, R>[]>,
): Promise<Outcome<T, R>[]> {
  const done: Outcome<T, R>[] = [];
  let pending = items;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const refresh = attempt > 1;
    if (refresh) {
      await sleep(Math.min(100 * attempt, 500));
      await client.metadata([...new Set(pending.map((i) => i.topic))]).catch(() => undefined);
    }
    const byLeader = new Map<number, { conn: AdminConnection; items: T[] }>();
    const retry: Outcome<T, R>[] = [];
    for (const item of pending) {
      try {
        const { nodeId, conn } = await client.leader(item.topic, item.partition, false);
        const entry = byLeader.get(nodeId) ?? { conn, items: [] };
        entry.items.push(item);
        byLeader.set(nodeId, entry);
      } catch (e) {
        if (e instanceof KafkaClientError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) done.push({ item, errorCode: e.code });
        else retry.push({ item, errorCode: e instanceof KafkaClientError ? e.code : ErrorCode.NETWORK_EXCEPTION, errorMessage: (e as Error).message });
      }
    }
    const answers = await Promise.all([...byLeader].map(async ([nodeId, { conn, items: mine }]) => {
      try {
        return await send(conn, mine, nodeId);
      } catch (e) {
        // The leader went away mid-request (a stopped broker): ask again where its partitions are.
        if (!(e instanceof AdminError) || e instanceof KafkaClientError) throw e;
        client.forget(nodeId);
        return mine.map((item) => ({ item, errorCode: ErrorCode.NETWORK_EXCEPTION, errorMessage: e.message }));
      }
    }));
    for (const o of answers.flat()) (LEADERSHIP.has(o.errorCode) || o.errorCode === ErrorCode.NETWORK_EXCEPTION ? retry : done).push(o);
    if (attempt >= ATTEMPTS) { done.push(...retry); break; }
    pending = retry.map((o) => o.item);
  }
  return done;
}

/**
 * `fn` at every broker the cluster lists (ListGroups, ListTransactions,
 * DescribeLogDirs: each broker answers for itself), in node id order. A
 * broker that cannot be reached is left out, so a cluster with a broker down
 * still shows what the others hold; a refusal (a KafkaClientError) is thrown,
 * and so is the failure when no broker answered at all.
 */
export async function atEveryBroker<T>(client: KafkaClient, fn: (conn: AdminConnection, nodeId: number) => Promise<T>): Promise<T[]> {
  await client.metadata([]);
  const brokers = client.knownBrokers();
  const settled = await Promise.allSettled(brokers.map(async (b) => fn(await client.node(b.nodeId), b.nodeId)));
  const out: T[] = [];
  let unreachable: unknown;
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') { out.push(s.value); return; }
    if (s.reason instanceof KafkaClientError || !(s.reason instanceof AdminError)) throw s.reason;
    client.forget(brokers[i]!.nodeId);
    unreachable ??= s.reason;
  });
  if (out.length === 0 && unreachable !== undefined) throw unreachable;
  return out;
}
