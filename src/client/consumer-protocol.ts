/**
 * The "consumer" protocol's group payloads: a member's subscription (its
 * JoinGroup metadata) and its assignment (what SyncGroup hands it), each an
 * int16 version then the fields of that version. We write version 0, which
 * every client reads (kafkajs only knows 0); we read any version up to 3.
 */
import { Reader } from '../wire/protocol/reader.js';
import { Writer } from '../wire/protocol/writer.js';
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from '../wire/generated/consumer-protocol-assignment.js';
import { decodeConsumerProtocolSubscription, encodeConsumerProtocolSubscription } from '../wire/generated/consumer-protocol-subscription.js';

export interface TopicPartitions { topic: string; partitions: number[] }

const newest = (buf: Buffer) => Math.min(buf.readInt16BE(0), 3);

/** A member's assignment, sorted by topic and partition; [] for none (an empty buffer during a rebalance) or bytes we cannot read. */
export function decodeAssignment(buf: Buffer | null | undefined): TopicPartitions[] {
  if (!buf || buf.length < 2) return [];
  try {
    return decodeConsumerProtocolAssignment(new Reader(buf, 2), newest(buf)).assignedPartitions
      .map((a) => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  } catch {
    return [];
  }
}

export function encodeAssignment(assignment: TopicPartitions[]): Buffer {
  const w = new Writer(64);
  w.int16(0);
  encodeConsumerProtocolAssignment(w, { assignedPartitions: assignment, userData: null }, 0);
  return w.toBuffer();
}

/** The topics a member subscribes to ([] for bytes we cannot read). */
export function decodeSubscription(buf: Buffer | null | undefined): string[] {
  if (!buf || buf.length < 2) return [];
  try {
    return decodeConsumerProtocolSubscription(new Reader(buf, 2), newest(buf)).topics;
  } catch {
    return [];
  }
}

export function encodeSubscription(topics: string[]): Buffer {
  const w = new Writer(64);
  w.int16(0);
  encodeConsumerProtocolSubscription(w, { topics, userData: null }, 0);
  return w.toBuffer();
}
