/**
 * A group id names one group of either protocol: classic (JoinGroup /
 * SyncGroup, classic-group.ts) or consumer (KIP-848 ConsumerGroupHeartbeat,
 * consumer-group.ts). Both carry the group's committed offsets, so commits
 * and fetches work whatever the type, and an empty group changes type when a
 * member of the other protocol joins, its offsets kept.
 */
import type { ClassicGroup } from './classic-group.js';
import type { ConsumerGroup } from './consumer-group.js';

export type Group = ClassicGroup | ConsumerGroup;

/** ListGroups' group types (v5 types filter, groupType). */
export type GroupType = Group['type'];
