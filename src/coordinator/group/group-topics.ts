/**
 * What the group coordinator needs to know of the cluster's topics for the
 * consumer protocol (it must not reach into src/controller): topics by name
 * and id (subscriptions, assignments, ConsumerGroupDescribe's topic names),
 * every topic name (regular expression subscriptions) and a notice when
 * topics appear, go or grow (the groups subscribed to them rebalance).
 * The broker passes its metadata image in through this.
 */
import type { Uuid } from '../../wire/protocol/uuid.js';

export interface GroupTopic { id: Uuid; name: string; partitions: number; internal: boolean }

export interface GroupTopics {
  topic(name: string): GroupTopic | undefined;
  topicById(id: Uuid): GroupTopic | undefined;
  /** Every topic (internal ones flagged). */
  all(): GroupTopic[];
  /** Calls `fn` with a topic's name when it is created, deleted or gets partitions; returns the unsubscribe. */
  onChange(fn: (topicName: string) => void): () => void;
}

/** No topics: a coordinator given none (unit tests of the classic protocol). */
export const NO_TOPICS: GroupTopics = {
  topic: () => undefined,
  topicById: () => undefined,
  all: () => [],
  onChange: () => () => {},
};
