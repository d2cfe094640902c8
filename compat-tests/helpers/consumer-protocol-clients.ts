/**
 * What the consumer-protocol client tests (node-rdkafka and
 * @platformatic/kafka) share: a broker whose consumer groups fail over in
 * seconds, a kafkajs admin and producer beside the clients under test, the
 * exactly-once check of a feed read by several members, and waits on
 * ConsumerGroupDescribe.
 */
import type { Test } from 'tap';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { testBroker, type TestBroker } from './broker.js';
import { GroupWire } from './consumer-group-wire.js';
import { setTimeout as sleep } from 'node:timers/promises';

export type Described = Awaited<ReturnType<GroupWire['describeOne']>>;

/**
 * group.consumer.* lowered so that a killed member is dropped within 6 s
 * rather than Kafka's 45 s, with heartbeats every half second; the minimums
 * are lowered too because Kafka checks the values against them.
 */
export const FAST_CONSUMER_GROUPS: Record<string, string> = {
  'group.consumer.session.timeout.ms': '6000',
  'group.consumer.min.session.timeout.ms': '1000',
  'group.consumer.heartbeat.interval.ms': '500',
  'group.consumer.min.heartbeat.interval.ms': '100',
};

export const SESSION_TIMEOUT_MS = Number(FAST_CONSUMER_GROUPS['group.consumer.session.timeout.ms']);

export interface Setup {
  b: TestBroker;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  /** A bare connection for ConsumerGroupDescribe and ListGroups v5. */
  g: GroupWire;
}

/** A broker with FAST_CONSUMER_GROUPS (plus `flags`), a kafkajs admin and producer, and a GroupWire connection, all closed in teardown. */
export async function setup(t: Test, flags: Record<string, string> = {}): Promise<Setup> {
  const b = await testBroker(t, { ...FAST_CONSUMER_GROUPS, ...flags });
  const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'cp-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const g = await GroupWire.connect(t, b.host, b.port);
  return { b, kafka, admin, producer, g };
}

export async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
}

/** Sends `values` round robin over `partitions` partitions, one acks=all request. */
export async function sendValues(producer: Producer, topic: string, partitions: number, values: string[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ partition: i % partitions, value })) });
}

/** `prefix0` .. `prefix{n-1}` */
export const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Every value of `sent` read exactly once in `read`, and nothing else read; the first offenders are named. */
export function checkExactlyOnce(t: Test, sent: Iterable<string>, read: string[], what: string): void {
  const want = new Set(sent);
  const count = new Map<string, number>();
  for (const v of read) count.set(v, (count.get(v) ?? 0) + 1);
  const missing = [...want].filter((v) => !count.has(v));
  const twice = [...count].filter(([, n]) => n > 1).map(([v, n]) => `${v} x${n}`);
  const unknown = [...count.keys()].filter((v) => !want.has(v));
  t.same({ missing: missing.slice(0, 10), twice: twice.slice(0, 10), unknown: unknown.slice(0, 10) }, { missing: [], twice: [], unknown: [] },
    `${what}: all ${want.size} records read exactly once (${missing.length} missing, ${twice.length} twice, ${unknown.length} never sent)`);
}

/** Waits (up to `ms`) until `cond` holds for the group's ConsumerGroupDescribe answer; returns that answer. */
export async function describedWhen(g: GroupWire, groupId: string, cond: (d: Described) => boolean, ms: number, what: string): Promise<Described> {
  const end = Date.now() + ms;
  for (;;) {
    const d = await g.describeOne(groupId);
    if (cond(d)) return d;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last described: ${JSON.stringify(d)}`);
    await sleep(100);
  }
}

/** A stable group: every member at the group epoch with its target assignment reached. */
export const settled = (n: number) => (d: Described): boolean =>
  d.errorCode === 0 && d.groupState === 'Stable' && d.members.length === n && d.members.every((m) => m.memberEpoch === d.groupEpoch);

let markerRound = 0;

/**
 * Sends one marker record to each partition and waits until `read()` holds
 * them all: a consumer that has read a partition's marker has read everything
 * before it there, so what it read is then final. Returns what was read
 * without the markers.
 */
export async function readThrough(producer: Producer, topic: string, partitions: number, read: () => string[], ms: number, what: string): Promise<string[]> {
  const markers = names(`${topic}-marker-${++markerRound}-`, partitions);
  await sendValues(producer, topic, partitions, markers);
  const end = Date.now() + ms;
  while (!markers.every((m) => read().includes(m))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} to read through to its markers`);
    await sleep(50);
  }
  return read().filter((v) => !v.includes('-marker-'));
}

/** Committed offsets of `topic` in `groupId` (admin view: OffsetFetch without a member), by "topic-partition". */
export async function committedOffsets(g: GroupWire, groupId: string, topic: string, partitions: number): Promise<Record<string, number>> {
  const res = await g.fetchOffsets(groupId, null, -1, topic, Array.from({ length: partitions }, (_, p) => p));
  if (res.errorCode !== 0) throw new Error(`OffsetFetch ${groupId}: error ${res.errorCode}`);
  return Object.fromEntries(Object.entries(res.offsets).map(([k, v]) => [k, Number(v)]));
}
