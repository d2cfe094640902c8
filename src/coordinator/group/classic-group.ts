/**
 * One consumer group of the classic protocol: its members, generation, chosen
 * protocol, and committed offsets. Kafka's states: Empty (no members),
 * PreparingRebalance (waiting for members to rejoin), CompletingRebalance
 * (waiting for the leader's assignment), Stable, Dead (deleted).
 * The coordinator owns every group and is the only one to change them.
 */
import { ErrorCode } from '../../wire/errors.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
  /** KIP-814: a static leader back with no rebalance gets the members but must not assign again. */
  skipAssignment?: boolean;
}

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  /** Set while the member waits in JoinGroup for the rebalance to complete. */
  awaitingJoin?: (r: JoinResult) => void;
  /** Set while the member waits in SyncGroup for the leader's assignment. */
  awaitingSync?: (r: { errorCode: number; assignment: Buffer }) => void;
  sessionTimer?: NodeJS.Timeout;
}

export interface CommittedOffset { offset: bigint; leaderEpoch: number; metadata: string | null; commitTimestamp: number }

export class ClassicGroup {
  readonly type = 'classic' as const;
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /**
   * Member ids handed out with MEMBER_ID_REQUIRED and not yet joined (KIP-394),
   * each with the timer that drops it after its session timeout: a rebalance
   * waits for pending members, so one that never comes back must not hold
   * every later rebalance to the full rebalance timeout.
   */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  rebalanceTimer?: NodeJS.Timeout;
  /** In the delayed first rebalance of an Empty group (Kafka: PreparingRebalance entered from Empty); joins do not complete it early. */
  initialRebalance = false;
  /** A member joined during the current initial delay, which therefore extends (Kafka's newMemberAdded). */
  newMemberAdded = false;
  /** When the group entered its current state (Kafka's currentStateTimestamp; offset expiry counts from Empty). */
  stateTimestamp = Date.now();

  /**
   * `offsets`: committed offsets; `pendingTxnOffsets`: offsets committed inside
   * open transactions (TxnOffsetCommit), by producer id, which a commit marker
   * moves into `offsets`. Both are handed over when a group changes type
   * (an empty consumer group joined by a classic member, and back).
   */
  constructor(
    readonly groupId: string,
    readonly offsets = new Map<string, Map<number, CommittedOffset>>(),
    readonly pendingTxnOffsets = new Map<number, { topic: string; partition: number; offset: CommittedOffset }[]>(),
  ) {}

  /** The current member id of a static member (group.instance.id). */
  staticMemberId(groupInstanceId: string): string | undefined {
    for (const m of this.members.values()) if (m.groupInstanceId === groupInstanceId) return m.memberId;
    return undefined;
  }

  /**
   * Kafka's ClassicGroup.validateMember, for requests that name a member:
   * with an instance id, an unknown instance is UNKNOWN_MEMBER_ID and a member
   * id other than the instance's current one is FENCED_INSTANCE_ID (a replaced
   * static member); without one, only the member id is checked.
   */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /** The protocol every member supports that most members prefer (Kafka's vote). */
  selectProtocol(): string | null {
    const all = [...this.members.values()];
    const candidates = this.commonProtocols();
    if (candidates.length === 0) return null;
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const m of all) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))!.name;
      votes.set(choice, votes.get(choice)! + 1);
    }
    return [...votes].sort((a, b) => b[1] - a[1])[0]![0];
  }

  /** Whether a joining member's protocols fit the group's type and current members. */
  supports(protocolType: string, protocols: { name: string }[]): boolean {
    if (this.members.size === 0) return protocols.length > 0;
    if (this.protocolType !== null && protocolType !== this.protocolType) return false;
    const common = this.commonProtocols();
    return protocols.some((p) => common.includes(p.name));
  }

  /** Protocol names every member supports, in the first member's order of preference. */
  private commonProtocols(): string[] {
    const all = [...this.members.values()];
    if (all.length === 0) return [];
    return all[0]!.protocols.map((p) => p.name).filter((name) => all.every((m) => m.protocols.some((p) => p.name === name)));
  }

}
