/**
 * KIP-951: a Produce (v10+) or Fetch (v16+, current_leader from v12) answer
 * for a partition this broker does not lead names the leader it knows and
 * that leader's endpoint, so the client can go there before it refreshes its
 * metadata. One collector per response: each leader's endpoint is listed once.
 */
import { ErrorCode } from '../../wire/errors.js';
import type { DataPathContext } from './data-path-context.js';

const MOVED = new Set<number>([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH]);

export class LeaderHints {
  private readonly endpoints = new Map<number, { nodeId: number; host: string; port: number; rack: string | null }>();

  constructor(private readonly ctx: DataPathContext) {}

  /** `{ currentLeader }` for a partition answered with a moved-leader error, else nothing to add. */
  for(topic: string, partition: number, errorCode: number): { currentLeader?: { leaderId: number; leaderEpoch: number } } {
    if (!MOVED.has(errorCode)) return {};
    const l = this.ctx.replicaManager.notLeader(topic, partition);
    const at = l && l.leaderId >= 0 ? this.ctx.brokerEndpoint?.(l.leaderId) : undefined;
    if (!l || !at) return {};
    this.endpoints.set(l.leaderId, { nodeId: l.leaderId, host: at.host, port: at.port, rack: at.rack });
    return { currentLeader: { leaderId: l.leaderId, leaderEpoch: l.leaderEpoch } };
  }

  /** `{ nodeEndpoints }` of the leaders named, else nothing to add. */
  nodeEndpoints(): { nodeEndpoints?: { nodeId: number; host: string; port: number; rack: string | null }[] } {
    return this.endpoints.size ? { nodeEndpoints: [...this.endpoints.values()] } : {};
  }
}
