/**
 * Server-side assignors of the KIP-848 consumer group protocol: the group
 * coordinator, not a client leader, decides which member owns which partition.
 * A client picks one by name (ConsumerGroupHeartbeat's ServerAssignor);
 * `uniform` is the default, as in Kafka (group.consumer.assignors).
 *
 * An assignor is a pure function of the members' subscriptions and their
 * current target assignment: it keeps partitions where they are when it can
 * (sticky), so that a rebalance moves as few partitions as possible.
 */
import type { Uuid } from '../../../wire/protocol/uuid.js';

/** Partitions of each topic (by topic id). */
export type TopicPartitions = Map<Uuid, Set<number>>;

/** A topic the group subscribes to, as the metadata image knows it. */
export interface AssignableTopic {
  id: Uuid;
  name: string;
  /** Partitions 0 .. partitions-1. */
  partitions: number;
}

/** One member as an assignor sees it. */
export interface AssignorMember {
  memberId: string;
  /** Static membership (group.instance.id); null for a dynamic member. */
  instanceId: string | null;
  rackId: string | null;
  /** Ids of the topics this member subscribes to (names and regex already resolved), existing topics only. */
  subscribedTopicIds: ReadonlySet<Uuid>;
  /** The member's current target assignment (empty for a new member); the assignor keeps it where it can. */
  current: ReadonlyMap<Uuid, ReadonlySet<number>>;
}

export interface ServerAssignor {
  readonly name: string;
  /**
   * The new target assignment: an entry for every member (possibly empty).
   * Every partition of a subscribed topic goes to exactly one member that
   * subscribes to the topic; topics nobody subscribes to are not assigned.
   */
  assign(members: readonly AssignorMember[], topics: ReadonlyMap<Uuid, AssignableTopic>): Map<string, TopicPartitions>;
}
