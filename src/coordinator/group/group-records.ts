/**
 * The records of __consumer_offsets, in Kafka's own layouts so Kafka tools
 * (kafka-console-consumer with its offsets formatter) could read them:
 *
 * - OffsetCommitKey v1: group, topic, partition; value OffsetCommitValue v3:
 *   offset int64, leader epoch int32, metadata string, commit timestamp int64.
 * - GroupMetadataKey v2: group; value GroupMetadataValue v3: protocol type,
 *   generation, protocol, leader, current state timestamp, members (member id,
 *   group instance id, client id, client host, rebalance and session timeouts,
 *   subscription, assignment).
 *
 * - Key versions 3..8: the records of consumer-protocol groups
 *   (consumer-group-records.ts).
 *
 * Keys and values open with an int16 version. A null value is a tombstone
 * (offset deleted or expired, group deleted). Older value versions (offset
 * v0-v2, group v0-v2) are read too.
 */
import { Writer } from '../../wire/protocol/writer.js';
import { Reader } from '../../wire/protocol/reader.js';
import { isConsumerKeyVersion, readConsumerKey, type ConsumerRecordKey } from './consumer-group-records.js';

export interface OffsetRecordValue { offset: bigint; leaderEpoch: number; metadata: string | null; commitTimestamp: number }

export interface GroupRecordMember {
  memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string;
  rebalanceTimeoutMs: number; sessionTimeoutMs: number; subscription: Buffer; assignment: Buffer;
}

export interface GroupRecordValue {
  protocolType: string; generationId: number; protocolName: string | null; leaderId: string | null;
  currentStateTimestamp: number; members: GroupRecordMember[];
}

export type GroupRecordKey =
  | { kind: 'offset'; groupId: string; topic: string; partition: number }
  | { kind: 'group'; groupId: string }
  | ConsumerRecordKey;

export function offsetKey(groupId: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.int16(1);
  w.string(groupId);
  w.string(topic);
  w.int32(partition);
  return w.toBuffer();
}

export function groupKey(groupId: string): Buffer {
  const w = new Writer(32);
  w.int16(2);
  w.string(groupId);
  return w.toBuffer();
}

export function offsetValue(v: OffsetRecordValue): Buffer {
  const w = new Writer(64);
  w.int16(3);
  w.int64(v.offset);
  w.int32(v.leaderEpoch);
  w.string(v.metadata ?? '');
  w.int64(BigInt(v.commitTimestamp));
  return w.toBuffer();
}

export function groupValue(v: GroupRecordValue): Buffer {
  const w = new Writer(256);
  w.int16(3);
  w.string(v.protocolType);
  w.int32(v.generationId);
  w.nullableString(v.protocolName);
  w.nullableString(v.leaderId);
  w.int64(BigInt(v.currentStateTimestamp));
  w.arrayLength(v.members.length);
  for (const m of v.members) {
    w.string(m.memberId);
    w.nullableString(m.groupInstanceId);
    w.string(m.clientId);
    w.string(m.clientHost);
    w.int32(m.rebalanceTimeoutMs);
    w.int32(m.sessionTimeoutMs);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return w.toBuffer();
}

/** The key's kind and fields; undefined for a key version this broker does not know (skipped on replay). */
export function readKey(key: Buffer): GroupRecordKey | undefined {
  const r = new Reader(key);
  const version = r.int16();
  if (version === 0 || version === 1) return { kind: 'offset', groupId: r.string(), topic: r.string(), partition: r.int32() };
  if (version === 2) return { kind: 'group', groupId: r.string() };
  if (isConsumerKeyVersion(version)) return readConsumerKey(version, r);
  return undefined;
}

export function readOffsetValue(value: Buffer): OffsetRecordValue {
  const r = new Reader(value);
  const version = r.int16();
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = Number(r.int64());
  return { offset, leaderEpoch, metadata, commitTimestamp };
}

export function readGroupValue(value: Buffer): GroupRecordValue {
  const r = new Reader(value);
  const version = r.int16();
  const protocolType = r.string();
  const generationId = r.int32();
  const protocolName = r.nullableString();
  const leaderId = r.nullableString();
  const currentStateTimestamp = version >= 2 ? Number(r.int64()) : -1;
  const n = r.int32();
  const members: GroupRecordMember[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    const subscription = r.bytes();
    const assignment = r.bytes();
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs, sessionTimeoutMs, subscription: Buffer.from(subscription), assignment: Buffer.from(assignment) });
  }
  return { protocolType, generationId, protocolName, leaderId, currentStateTimestamp, members };
}

export { partitionFor } from '../internal-topic.js';
