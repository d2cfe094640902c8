/**
 * The records of consumer-protocol groups in __consumer_offsets, in Kafka's
 * layouts (group-coordinator/src/main/resources/common/message):
 *
 * | key version | key                                      | value (version 0, flexible)           |
 * |---:|---|---|
 * | 3 | ConsumerGroupMetadataKey (group)                   | epoch                                   |
 * | 4 | ConsumerGroupPartitionMetadataKey (group)          | topics: id, name, partitions, racks     |
 * | 5 | ConsumerGroupMemberMetadataKey (group, member)     | instance, rack, client id/host, topics, regex, rebalance timeout, assignor |
 * | 6 | ConsumerGroupTargetAssignmentMetadataKey (group)   | assignment epoch                        |
 * | 7 | ConsumerGroupTargetAssignmentMemberKey (group, member) | topic partitions                    |
 * | 8 | ConsumerGroupCurrentMemberAssignmentKey (group, member) | member epoch, previous epoch, state, assigned, pending revocation |
 *
 * Keys are not flexible (int16 version, int16-length strings); values open
 * with their int16 version and then use compact strings, compact arrays and
 * a tagged-field section (MemberMetadata's tag 0: the classic member
 * metadata of a member that speaks the classic protocol inside the group).
 * A null value is a tombstone.
 */
import { Writer } from '../../wire/protocol/writer.js';
import { Reader } from '../../wire/protocol/reader.js';
import type { Uuid } from '../../wire/protocol/uuid.js';
import type { StoredRecord } from '../internal-topic.js';
import { groupKey } from './group-records.js';
import type { Assignment, ClassicMemberMetadata, MemberState, SubscribedTopic } from './consumer-group.js';

/** The key versions of consumer group records. */
export const ConsumerRecordType = {
  GroupEpoch: 3, SubscriptionMetadata: 4, MemberMetadata: 5, TargetAssignmentEpoch: 6, TargetAssignmentMember: 7, CurrentAssignment: 8,
} as const;
export type ConsumerRecordType = (typeof ConsumerRecordType)[keyof typeof ConsumerRecordType];

export interface MemberMetadataValue {
  instanceId: string | null; rackId: string | null; clientId: string; clientHost: string;
  subscribedTopicNames: string[]; subscribedTopicRegex: string | null; rebalanceTimeoutMs: number; serverAssignor: string | null;
  /** Tagged field 0: set for a classic member of the group (its session timeout and JoinGroup protocols). */
  classicMemberMetadata?: ClassicMemberMetadata | null;
}

export interface CurrentAssignmentValue {
  memberEpoch: number; previousMemberEpoch: number; state: MemberState; assigned: Assignment; pendingRevocation: Assignment;
}

/** One record of a consumer group (or the classic group tombstone a conversion writes), typed. */
export type ConsumerGroupRecord =
  | { type: 'GroupEpoch'; groupId: string; value: { epoch: number } | null }
  | { type: 'SubscriptionMetadata'; groupId: string; value: { topics: SubscribedTopic[] } | null }
  | { type: 'MemberMetadata'; groupId: string; memberId: string; value: MemberMetadataValue | null }
  | { type: 'TargetAssignmentEpoch'; groupId: string; value: { assignmentEpoch: number } | null }
  | { type: 'TargetAssignmentMember'; groupId: string; memberId: string; value: { partitions: Assignment } | null }
  | { type: 'CurrentAssignment'; groupId: string; memberId: string; value: CurrentAssignmentValue | null }
  /** The classic group's GroupMetadataKey tombstone (an empty classic group becoming a consumer group). */
  | { type: 'ClassicGroupTombstone'; groupId: string };

/** A consumer group key as group-records.ts reads it. */
export interface ConsumerRecordKey { kind: 'consumer'; groupId: string; recordType: ConsumerRecordType; memberId: string }

const TYPE_OF: Record<ConsumerRecordType, Exclude<ConsumerGroupRecord['type'], 'ClassicGroupTombstone'>> = {
  3: 'GroupEpoch', 4: 'SubscriptionMetadata', 5: 'MemberMetadata', 6: 'TargetAssignmentEpoch', 7: 'TargetAssignmentMember', 8: 'CurrentAssignment',
};

const WITH_MEMBER = new Set<number>([ConsumerRecordType.MemberMetadata, ConsumerRecordType.TargetAssignmentMember, ConsumerRecordType.CurrentAssignment]);

/** The rest of a key whose int16 version (3..8) was read. */
export function readConsumerKey(version: ConsumerRecordType, r: Reader): ConsumerRecordKey {
  const groupId = r.string();
  const memberId = WITH_MEMBER.has(version) ? r.string() : '';
  return { kind: 'consumer', groupId, recordType: version, memberId };
}

export function isConsumerKeyVersion(version: number): version is ConsumerRecordType {
  return version >= 3 && version <= 8;
}

function key(version: ConsumerRecordType, groupId: string, memberId?: string): Buffer {
  const w = new Writer(64);
  w.int16(version);
  w.string(groupId);
  if (memberId !== undefined) w.string(memberId);
  return w.toBuffer();
}

/** Topic partitions sorted (topic id, then partition), so the same assignment always encodes the same way. */
function writeTopicPartitions(w: Writer, a: Assignment): void {
  const topics = [...a].filter(([, p]) => p.size > 0).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  w.compactArrayLength(topics.length);
  for (const [topicId, parts] of topics) {
    w.uuid(topicId);
    const list = [...parts].sort((x, y) => x - y);
    w.compactArrayLength(list.length);
    for (const p of list) w.int32(p);
    w.uvarint(0);
  }
}

function readTopicPartitions(r: Reader): Assignment {
  const a: Assignment = new Map();
  const n = r.compactArrayLength();
  for (let i = 0; i < n; i++) {
    const topicId: Uuid = r.uuid();
    const m = r.compactArrayLength();
    const parts = new Set<number>();
    for (let j = 0; j < m; j++) parts.add(r.int32());
    skipTaggedFields(r);
    if (parts.size > 0) a.set(topicId, parts);
  }
  return a;
}

function skipTaggedFields(r: Reader): void {
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    r.uvarint();
    r.skip(r.uvarint());
  }
}

function value(write: (w: Writer) => void, tagged?: Map<number, Buffer>): Buffer {
  const w = new Writer(128);
  w.int16(0);
  write(w);
  w.uvarint(tagged?.size ?? 0);
  for (const [tag, bytes] of tagged ?? []) { w.uvarint(tag); w.uvarint(bytes.length); w.raw(bytes); }
  return w.toBuffer();
}

function writeClassicMemberMetadata(c: ClassicMemberMetadata): Buffer {
  const w = new Writer(64);
  w.int32(c.sessionTimeoutMs);
  w.compactArrayLength(c.protocols.length);
  for (const p of c.protocols) { w.compactString(p.name); w.compactBytes(p.metadata); w.uvarint(0); }
  w.uvarint(0);
  return w.toBuffer();
}

function readClassicMemberMetadata(r: Reader): ClassicMemberMetadata {
  const sessionTimeoutMs = r.int32();
  const n = r.compactArrayLength();
  const protocols: { name: string; metadata: Buffer }[] = [];
  for (let i = 0; i < n; i++) {
    const name = r.compactString();
    const metadata = Buffer.from(r.compactBytes());
    skipTaggedFields(r);
    protocols.push({ name, metadata });
  }
  skipTaggedFields(r);
  return { sessionTimeoutMs, protocols };
}

/** The record as __consumer_offsets stores it. */
export function encodeConsumerRecord(rec: ConsumerGroupRecord): StoredRecord {
  switch (rec.type) {
    case 'ClassicGroupTombstone':
      return { key: groupKey(rec.groupId), value: null };
    case 'GroupEpoch':
      return { key: key(3, rec.groupId), value: rec.value && value((w) => w.int32(rec.value!.epoch)) };
    case 'SubscriptionMetadata':
      return {
        key: key(4, rec.groupId),
        value: rec.value && value((w) => {
          const topics = [...rec.value!.topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          w.compactArrayLength(topics.length);
          for (const t of topics) {
            w.uuid(t.id);
            w.compactString(t.name);
            w.int32(t.partitions);
            w.compactArrayLength(0); // PartitionMetadata (racks): unused since Kafka 4.0
            w.uvarint(0);
          }
        }),
      };
    case 'MemberMetadata':
      return {
        key: key(5, rec.groupId, rec.memberId),
        value: rec.value && value((w) => {
          const v = rec.value!;
          w.compactNullableString(v.instanceId);
          w.compactNullableString(v.rackId);
          w.compactString(v.clientId);
          w.compactString(v.clientHost);
          w.compactArrayLength(v.subscribedTopicNames.length);
          for (const t of v.subscribedTopicNames) w.compactString(t);
          w.compactNullableString(v.subscribedTopicRegex);
          w.int32(v.rebalanceTimeoutMs);
          w.compactNullableString(v.serverAssignor);
        }, rec.value.classicMemberMetadata ? new Map([[0, writeClassicMemberMetadata(rec.value.classicMemberMetadata)]]) : undefined),
      };
    case 'TargetAssignmentEpoch':
      return { key: key(6, rec.groupId), value: rec.value && value((w) => w.int32(rec.value!.assignmentEpoch)) };
    case 'TargetAssignmentMember':
      return { key: key(7, rec.groupId, rec.memberId), value: rec.value && value((w) => writeTopicPartitions(w, rec.value!.partitions)) };
    case 'CurrentAssignment':
      return {
        key: key(8, rec.groupId, rec.memberId),
        value: rec.value && value((w) => {
          const v = rec.value!;
          w.int32(v.memberEpoch);
          w.int32(v.previousMemberEpoch);
          w.int8(v.state);
          writeTopicPartitions(w, v.assigned);
          writeTopicPartitions(w, v.pendingRevocation);
        }),
      };
  }
}

/** The typed record of a stored key and value (a null value: tombstone). */
export function decodeConsumerRecord(k: ConsumerRecordKey, v: Buffer | null): ConsumerGroupRecord {
  const type = TYPE_OF[k.recordType];
  const { groupId, memberId } = k;
  if (v === null) {
    switch (type) {
      case 'MemberMetadata': case 'TargetAssignmentMember': case 'CurrentAssignment': return { type, groupId, memberId, value: null };
      default: return { type, groupId, value: null };
    }
  }
  const r = new Reader(v);
  r.int16(); // value version 0; later versions only add tagged fields
  switch (type) {
    case 'GroupEpoch': return { type, groupId, value: { epoch: r.int32() } };
    case 'TargetAssignmentEpoch': return { type, groupId, value: { assignmentEpoch: r.int32() } };
    case 'SubscriptionMetadata': {
      const topics: SubscribedTopic[] = [];
      const n = r.compactArrayLength();
      for (let i = 0; i < n; i++) {
        const id = r.uuid();
        const name = r.compactString();
        const partitions = r.int32();
        const racks = r.compactArrayLength();
        for (let j = 0; j < racks; j++) {
          r.int32();
          const m = r.compactArrayLength();
          for (let x = 0; x < m; x++) r.compactString();
          skipTaggedFields(r);
        }
        skipTaggedFields(r);
        topics.push({ id, name, partitions });
      }
      return { type, groupId, value: { topics } };
    }
    case 'MemberMetadata': {
      const instanceId = r.compactNullableString();
      const rackId = r.compactNullableString();
      const clientId = r.compactString();
      const clientHost = r.compactString();
      const n = r.compactArrayLength();
      const subscribedTopicNames: string[] = [];
      for (let i = 0; i < n; i++) subscribedTopicNames.push(r.compactString());
      const subscribedTopicRegex = r.compactNullableString();
      const rebalanceTimeoutMs = r.int32();
      const serverAssignor = r.compactNullableString();
      let classicMemberMetadata: ClassicMemberMetadata | null = null;
      const tags = r.uvarint();
      for (let i = 0; i < tags; i++) {
        const tag = r.uvarint();
        const size = r.uvarint();
        if (tag === 0) classicMemberMetadata = readClassicMemberMetadata(r.sub(size)); else r.skip(size);
      }
      return { type, groupId, memberId, value: { instanceId, rackId, clientId, clientHost, subscribedTopicNames, subscribedTopicRegex, rebalanceTimeoutMs, serverAssignor, ...(classicMemberMetadata ? { classicMemberMetadata } : {}) } };
    }
    case 'TargetAssignmentMember': return { type, groupId, memberId, value: { partitions: readTopicPartitions(r) } };
    case 'CurrentAssignment': {
      const memberEpoch = r.int32();
      const previousMemberEpoch = r.int32();
      const state = r.int8() as MemberState;
      const assigned = readTopicPartitions(r);
      const pendingRevocation = readTopicPartitions(r);
      return { type, groupId, memberId, value: { memberEpoch, previousMemberEpoch, state, assigned, pendingRevocation } };
    }
  }
}
