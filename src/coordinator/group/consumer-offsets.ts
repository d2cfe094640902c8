/**
 * Offsets of consumer-protocol groups, as Kafka's ConsumerGroup validates
 * and expires them:
 *
 * - OffsetCommit / TxnOffsetCommit (validateOffsetCommit): epoch -1 with no
 *   member commits only while the group has no members (admin tools,
 *   consumers assigning partitions themselves); otherwise the member id must
 *   be a member (UNKNOWN_MEMBER_ID) and the epoch its current one
 *   (STALE_MEMBER_EPOCH; ILLEGAL_GENERATION for a classic member, whose
 *   generation is its epoch, with any version). A consumer-protocol member must commit with
 *   OffsetCommit v9+ (UNSUPPORTED_VERSION), which carries the member epoch.
 * - OffsetFetch v9 (validateOffsetFetch): no member id and epoch -1 reads
 *   freely; otherwise the same member and epoch checks.
 * - Expiry: an offset expires once offsets.retention.minutes have passed
 *   since it was committed, unless a member subscribes to its topic or a
 *   transaction has an offset pending for it.
 */
import { ErrorCode } from '../../wire/errors.js';
import type { ConsumerGroup } from './consumer-group.js';

export function consumerOffsetCommitError(g: ConsumerGroup, memberId: string, memberEpoch: number, transactional: boolean, apiVersion: number): number {
  if (memberEpoch < 0 && g.members.size === 0) return ErrorCode.NONE;
  const m = g.members.get(memberId);
  if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
  // A classic member of the group commits with its generation, which is its member epoch.
  if (m.classic !== null) return memberEpoch === m.memberEpoch ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
  if (!transactional && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
  return memberEpoch === m.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
}

export function consumerOffsetFetchError(g: ConsumerGroup, memberId: string | null, memberEpoch: number): number {
  if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
  const m = memberId === null ? undefined : g.members.get(memberId);
  if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
  return memberEpoch === m.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
}

/** The offsets of the group that have expired at `now`. */
export function expirableOffsets(g: ConsumerGroup, now: number, retentionMs: number): { topic: string; partition: number }[] {
  const subscribed = g.subscribedTopicNames();
  const pending = new Set<string>();
  for (const list of g.pendingTxnOffsets.values()) for (const o of list) pending.add(`${o.topic}\0${o.partition}`);
  const out: { topic: string; partition: number }[] = [];
  for (const [topic, parts] of g.offsets) {
    if (subscribed.has(topic)) continue;
    for (const [partition, o] of parts) {
      if (now - o.commitTimestamp >= retentionMs && !pending.has(`${topic}\0${partition}`)) out.push({ topic, partition });
    }
  }
  return out;
}
