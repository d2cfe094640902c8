/**
 * The KIP-848 consumer group protocol end to end over real sockets, with our
 * own codecs: two members join a group on a 4-partition topic and split it,
 * one leaves (epoch -1), the other ends up with every partition. Each member
 * heartbeats as a client's membership manager does: it reports the
 * partitions it owns, takes a new assignment when one comes, and gives up
 * revoked partitions on its next heartbeat.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { testBroker } from './helpers/broker.js';
import { WireClient } from './helpers/wire-client.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { ErrorCode } from '../src/wire/errors.js';
import { encodeConsumerGroupHeartbeatRequest, decodeConsumerGroupHeartbeatResponse, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse } from '../src/wire/generated/consumer-group-heartbeat.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse } from '../src/wire/generated/create-topics.js';

const VERSION = 1;

class Member {
  readonly memberId = randomUUID();
  epoch = 0;
  owned = new Map<string, number[]>();
  constructor(private readonly c: WireClient, private readonly groupId: string, private readonly topics: string[]) {}

  private async send(req: Partial<ConsumerGroupHeartbeatRequest>): Promise<ConsumerGroupHeartbeatResponse> {
    const full: ConsumerGroupHeartbeatRequest = {
      groupId: this.groupId, memberId: this.memberId, memberEpoch: this.epoch, instanceId: null, rackId: null, rebalanceTimeoutMs: -1,
      subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...req,
    };
    return this.c.request(ApiKey.ConsumerGroupHeartbeat, VERSION, (w) => encodeConsumerGroupHeartbeatRequest(w, full, VERSION), (r) => decodeConsumerGroupHeartbeatResponse(r, VERSION));
  }

  async join(): Promise<ConsumerGroupHeartbeatResponse> {
    const r = await this.send({ memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: this.topics, topicPartitions: [] });
    this.take(r);
    return r;
  }

  /** One heartbeat reporting what the member owns (a full request, as clients send when their assignment changed). */
  async beat(): Promise<ConsumerGroupHeartbeatResponse> {
    const r = await this.send({ topicPartitions: [...this.owned].map(([topicId, partitions]) => ({ topicId, partitions })) });
    this.take(r);
    return r;
  }

  async leave(): Promise<ConsumerGroupHeartbeatResponse> {
    return this.send({ memberEpoch: -1 });
  }

  private take(r: ConsumerGroupHeartbeatResponse): void {
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`heartbeat failed: ${r.errorCode} ${r.errorMessage}`);
    this.epoch = r.memberEpoch;
    if (r.assignment) this.owned = new Map(r.assignment.topicPartitions.filter((tp) => tp.partitions.length > 0).map((tp) => [tp.topicId, [...tp.partitions].sort()]));
  }

  count(): number { return [...this.owned.values()].reduce((n, p) => n + p.length, 0); }
}

/** Heartbeats every member until `done` holds (bounded by rounds, not time). */
async function settle(members: Member[], done: () => boolean): Promise<boolean> {
  for (let round = 0; round < 50 && !done(); round++) for (const m of members) await m.beat();
  return done();
}

t.test('two members split a topic; when one leaves the other gets every partition', async (t) => {
  const b = await testBroker(t, { 'group.consumer.session.timeout.ms': '6000', 'group.consumer.min.session.timeout.ms': '1000', 'group.consumer.heartbeat.interval.ms': '500', 'group.consumer.min.heartbeat.interval.ms': '100' });
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());
  const created = await c.request(ApiKey.CreateTopics, 5, (w) => encodeCreateTopicsRequest(w, { topics: [{ name: 'smoke', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 }, 5), (r) => decodeCreateTopicsResponse(r, 5));
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE, 'topic created');

  const a = new Member(c, 'smoke-group', ['smoke']);
  const first = await a.join();
  t.equal(first.memberId, a.memberId, 'v1: the member id is the one the client chose');
  t.ok(first.memberEpoch >= 1, 'the join bumps the group epoch and the member gets it');
  t.equal(first.heartbeatIntervalMs, 500, 'heartbeat interval from group.consumer.heartbeat.interval.ms');
  t.equal(a.count(), 4, 'a lone member gets every partition');

  const bm = new Member(c, 'smoke-group', ['smoke']);
  await bm.join();
  t.ok(await settle([a, bm], () => a.count() === 2 && bm.count() === 2 && a.epoch === bm.epoch), 'two members settle on 2 partitions each at one epoch');
  const all = [...a.owned.values(), ...bm.owned.values()].flat().sort();
  t.same(all, [0, 1, 2, 3], 'each partition owned by exactly one member');

  const left = await bm.leave();
  t.equal(left.errorCode, ErrorCode.NONE);
  t.equal(left.memberEpoch, -1, 'the leave is acknowledged with epoch -1');
  t.ok(await settle([a], () => a.count() === 4), 'the remaining member gets every partition');

  const stranger = new Member(c, 'smoke-group', ['smoke']);
  stranger.epoch = 3;
  t.match(await stranger.beat().catch((e: Error) => e.message), /heartbeat failed: 25 /, 'a member id the group does not know: UNKNOWN_MEMBER_ID');
});
