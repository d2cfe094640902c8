/**
 * Driving the consumer protocol (KIP-848) of a GroupCoordinator in unit
 * tests: topics the test creates and deletes (GroupTopics, with change
 * notices), heartbeat requests with a client's defaults, and a member that
 * remembers its epoch and assignment between heartbeats as a client does.
 */
import { randomUUID } from 'node:crypto';
import type { GroupCoordinator, GroupLimits } from '../../src/coordinator/group/group-coordinator.js';
import type { ConsumerHeartbeatRequest, ConsumerHeartbeatResult } from '../../src/coordinator/group/consumer-heartbeat.js';
import type { GroupTopic, GroupTopics } from '../../src/coordinator/group/group-topics.js';
import { randomUuid } from '../../src/wire/protocol/uuid.js';
import { host, leadingGroups, type FakeHost } from './helpers/fake-host.js';

interface Teardown { teardown(fn: () => unknown): void }

export class TestTopics implements GroupTopics {
  private readonly byName = new Map<string, GroupTopic>();
  private readonly listeners = new Set<(name: string) => void>();
  add(name: string, partitions: number, internal = false): GroupTopic {
    const t = { id: randomUuid(), name, partitions, internal };
    this.byName.set(name, t);
    for (const l of this.listeners) l(name);
    return t;
  }
  remove(name: string): void { this.byName.delete(name); for (const l of this.listeners) l(name); }
  id(name: string): string { return this.byName.get(name)!.id; }
  topic(name: string) { return this.byName.get(name); }
  topicById(id: string) { return [...this.byName.values()].find((t) => t.id === id); }
  all() { return [...this.byName.values()]; }
  onChange(fn: (name: string) => void) { this.listeners.add(fn); return () => { this.listeners.delete(fn); }; }
}

export const consumerLimits: GroupLimits = {
  minSessionTimeoutMs: 10, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 10,
  consumer: { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 5000 },
};

/** A coordinator leading every partition, with test topics. */
export async function consumerCoordinator(t: Teardown, limits: GroupLimits = consumerLimits, h: FakeHost = host(t)): Promise<{ c: GroupCoordinator; topics: TestTopics; h: FakeHost }> {
  const c = await leadingGroups(t, limits, h);
  const topics = new TestTopics();
  c.useTopics(topics);
  return { c, topics, h };
}

export function hbRequest(over: Partial<ConsumerHeartbeatRequest> = {}): ConsumerHeartbeatRequest {
  return {
    groupId: 'g', memberId: randomUUID(), memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [],
    clientId: 'client', clientHost: '/127.0.0.1', apiVersion: 1, ...over,
  };
}

/** Partitions by topic id as a plain object of sorted arrays (easy to compare). */
export type Owned = Record<string, number[]>;

export class TestMember {
  epoch = 0;
  owned: Owned = {};
  last?: ConsumerHeartbeatResult;
  constructor(readonly c: GroupCoordinator, readonly memberId: string = randomUUID(), readonly base: Partial<ConsumerHeartbeatRequest> = {}) {}

  async join(over: Partial<ConsumerHeartbeatRequest> = {}): Promise<ConsumerHeartbeatResult> {
    return this.take(await this.c.consumerHeartbeat(hbRequest({ memberId: this.memberId, ...this.base, ...over, memberEpoch: 0, topicPartitions: [] })));
  }

  /** A heartbeat reporting what the member owns; `keep` false drops what the last answer no longer gave it. */
  async beat(over: Partial<ConsumerHeartbeatRequest> = {}): Promise<ConsumerHeartbeatResult> {
    return this.take(await this.c.consumerHeartbeat(hbRequest({
      memberId: this.memberId, ...this.base, memberEpoch: this.epoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null,
      topicPartitions: Object.entries(this.owned).map(([topicId, partitions]) => ({ topicId, partitions })), ...over,
    })));
  }

  async leave(epoch = -1): Promise<ConsumerHeartbeatResult> {
    return this.c.consumerHeartbeat(hbRequest({ memberId: this.memberId, ...this.base, memberEpoch: epoch, topicPartitions: null, rebalanceTimeoutMs: -1 }));
  }

  private take(r: ConsumerHeartbeatResult): ConsumerHeartbeatResult {
    this.last = r;
    if (r.errorCode !== 0) return r;
    this.epoch = r.memberEpoch;
    if (r.assignment) this.owned = Object.fromEntries(r.assignment.filter((a) => a.partitions.length > 0).map((a) => [a.topicId, [...a.partitions].sort((x, y) => x - y)]));
    return r;
  }

  count(): number { return Object.values(this.owned).reduce((n, p) => n + p.length, 0); }
}

/** Heartbeats every member until `done` holds, at most `rounds` times each. */
export async function settle(members: TestMember[], done: () => boolean, rounds = 20): Promise<boolean> {
  for (let i = 0; i < rounds && !done(); i++) for (const m of members) await m.beat();
  return done();
}

export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
