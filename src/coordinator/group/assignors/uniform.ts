/**
 * The `uniform` server-side assignor (Kafka's UniformAssignor, the default of
 * group.consumer.assignors): spreads the subscribed partitions evenly over the
 * members and keeps each partition with its current owner unless balance
 * needs it elsewhere. Balance comes first, stickiness second, as in Kafka.
 *
 * Two strategies, chosen as Kafka chooses them:
 * - homogeneous (every member subscribes to the same topics): quotas of
 *   floor(P/M) or that plus one; members keep what fits in their quota and
 *   the rest is dealt out to the members with room.
 * - heterogeneous: Kafka's three phases (drop partitions of topics a member no
 *   longer subscribes to, deal the unowned partitions topic by topic to the
 *   least loaded subscribers, then move partitions of each topic from its most
 *   to its least loaded subscribers until no single move helps), followed by
 *   one phase of our own: moves along chains of members (A gives B a partition
 *   of one topic, B gives C one of another) until no chain can even counts
 *   out further. Kafka stops after its per-topic pass, which can leave counts
 *   like 9/10/11 where 10/10/10 was possible; the chains make the balance
 *   "as even as the subscriptions allow" in the strict sense.
 *
 * Differences from Kafka, all about determinism or fewer moves: members are
 * ordered by member id and topics by Kafka's topic id order wherever Kafka
 * iterates a hash map or set (so the output never depends on the order of the
 * input); in the homogeneous case the "plus one" quotas go first to members
 * that already hold more than floor(P/M), which keeps a partition in place for
 * each of them where Kafka (handing them out in member order) may move one;
 * invalid current assignments (a partition claimed twice, beyond the topic's
 * partition count, of a deleted topic) are cleaned up rather than trusted.
 *
 * Rack ids are accepted and ignored: Kafka's uniform assignor in the 4.0
 * snapshot mentions rack awareness in its comment but neither of its builders
 * reads the members' racks.
 */
import type { Uuid } from '../../../wire/protocol/uuid.js';
import type { AssignableTopic, AssignorMember, ServerAssignor, TopicPartitions } from './assignor.js';

export const UNIFORM_ASSIGNOR_NAME = 'uniform';

/** Kafka's cap on rounds of its per-topic balancing pass; the chain phase finishes whatever it leaves. */
const MAX_TOPIC_BALANCING_ROUNDS = 16;

export const uniformAssignor: ServerAssignor = {
  name: UNIFORM_ASSIGNOR_NAME,
  assign(members, topics) {
    if (members.length === 0) return new Map();
    const group = new GroupState(members, topics);
    if (group.topicIds.length > 0) {
      if (group.homogeneous) assignHomogeneous(group);
      else new HeterogeneousBuilder(group).build();
    }
    return group.result();
  },
};

/**
 * Kafka orders topic ids (Uuid.compareTo) as two signed 64-bit integers. Hex
 * of the 16 bytes with each half's sign bit flipped sorts the same way as a
 * plain string; an id that is not a Kafka UUID sorts after all real ones.
 */
function kafkaUuidSortKey(id: Uuid): string {
  const bytes = Buffer.from(id, 'base64url');
  if (bytes.length !== 16) return `~${id}`;
  bytes[0] = bytes[0]! ^ 0x80;
  bytes[8] = bytes[8]! ^ 0x80;
  return bytes.toString('hex');
}

/** Java's String.compareTo (UTF-16 code units), which JS's < also is; never localeCompare. */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The members, their subscriptions and partition ownership by index, which
 * both strategies work on: owners[t][p] is the index (in memberIds) of the
 * member that holds partition p of topicIds[t], or -1.
 */
class GroupState {
  readonly memberIds: string[];
  /** Subscribed topics that exist, sorted by Kafka's topic id order. */
  readonly topicIds: Uuid[];
  readonly partitionCounts: Int32Array;
  /** Per topic index, the indexes of its subscribers, ascending. */
  readonly subscribers: number[][];
  readonly owners: Int32Array[];
  /** Partitions each member holds. */
  readonly sizes: Int32Array;
  readonly homogeneous: boolean;

  constructor(members: readonly AssignorMember[], topics: ReadonlyMap<Uuid, AssignableTopic>) {
    const sorted = [...members].sort((a, b) => compareStrings(a.memberId, b.memberId));
    this.memberIds = sorted.map((m) => m.memberId);

    const subscribed = new Set<Uuid>();
    for (const m of sorted) for (const id of m.subscribedTopicIds) if (topics.has(id)) subscribed.add(id);
    const keys = new Map([...subscribed].map((id) => [id, kafkaUuidSortKey(id)]));
    this.topicIds = [...subscribed].sort((a, b) => compareStrings(keys.get(a)!, keys.get(b)!));
    const topicIndex = new Map(this.topicIds.map((id, i) => [id, i]));
    this.partitionCounts = Int32Array.from(this.topicIds, (id) => Math.max(0, topics.get(id)!.partitions));

    this.subscribers = this.topicIds.map(() => []);
    const first = sorted[0]!.subscribedTopicIds;
    const firstCount = countExisting(first, topicIndex);
    let homogeneous = true;
    sorted.forEach((m, i) => {
      let count = 0;
      for (const id of m.subscribedTopicIds) {
        const t = topicIndex.get(id);
        if (t === undefined) continue;
        this.subscribers[t]!.push(i);
        count++;
        if (!first.has(id)) homogeneous = false;
      }
      // As many existing topics as the first member, all of them in its set: the same subscription.
      if (count !== firstCount) homogeneous = false;
    });
    this.homogeneous = homogeneous;

    this.owners = Array.from(this.partitionCounts, (n) => new Int32Array(n).fill(-1));
    this.sizes = new Int32Array(sorted.length);
    sorted.forEach((m, i) => this.claimCurrent(i, m, topicIndex));
  }

  /**
   * What a member keeps of its current assignment before any balancing:
   * partitions of topics it still subscribes to, that exist, and that no
   * member before it in id order already claimed.
   */
  private claimCurrent(member: number, { current, subscribedTopicIds }: AssignorMember, topicIndex: Map<Uuid, number>): void {
    for (const [id, partitions] of current) {
      const t = topicIndex.get(id);
      if (t === undefined || !subscribedTopicIds.has(id)) continue;
      const owners = this.owners[t]!;
      for (const p of partitions) {
        if (Number.isInteger(p) && p >= 0 && p < owners.length && owners[p] === -1) {
          owners[p] = member;
          this.sizes[member]!++;
        }
      }
    }
  }

  /** The assignment as the interface returns it: every member, topics in Kafka's order, partitions ascending. */
  result(): Map<string, TopicPartitions> {
    const out = new Map<string, TopicPartitions>(this.memberIds.map((id) => [id, new Map()]));
    const byIndex = this.memberIds.map((id) => out.get(id)!);
    this.topicIds.forEach((id, t) => {
      const owners = this.owners[t]!;
      for (let p = 0; p < owners.length; p++) {
        const assignment = byIndex[owners[p]!];
        if (!assignment) continue; // cannot happen: every subscribed partition has an owner by now
        let set = assignment.get(id);
        if (!set) assignment.set(id, (set = new Set()));
        set.add(p);
      }
    });
    return out;
  }
}

function countExisting(ids: ReadonlySet<Uuid>, topicIndex: Map<Uuid, number>): number {
  let n = 0;
  for (const id of ids) if (topicIndex.has(id)) n++;
  return n;
}

/**
 * Every member has the same topics: each gets a quota of floor(P/M), P%M of
 * them one more; a member keeps its current partitions (in topic order,
 * partition order) up to its quota, and the partitions nobody keeps go, in
 * order, to the members still under quota, member by member.
 */
function assignHomogeneous(group: GroupState): void {
  const { owners, sizes, partitionCounts } = group;
  const memberCount = group.memberIds.length;
  let total = 0;
  for (const n of partitionCounts) total += n;
  const minQuota = Math.floor(total / memberCount);
  let extras = total % memberCount;
  const quota = new Int32Array(memberCount).fill(minQuota);
  // A member holding more than the minimum keeps one more partition in place if it gets a "plus one" quota.
  for (const holdsMore of [true, false]) {
    for (let m = 0; m < memberCount && extras > 0; m++) {
      if (sizes[m]! > minQuota === holdsMore) {
        quota[m]!++;
        extras--;
      }
    }
  }

  // Kafka deals partitions nobody held before those taken from members over quota.
  const kept = new Int32Array(memberCount);
  const unownedTopics: number[] = [];
  const unownedPartitions: number[] = [];
  const revokedTopics: number[] = [];
  const revokedPartitions: number[] = [];
  owners.forEach((topicOwners, t) => {
    for (let p = 0; p < topicOwners.length; p++) {
      const owner = topicOwners[p]!;
      if (owner === -1) {
        unownedTopics.push(t);
        unownedPartitions.push(p);
      } else if (kept[owner]! < quota[owner]!) {
        kept[owner]!++;
      } else {
        topicOwners[p] = -1;
        revokedTopics.push(t);
        revokedPartitions.push(p);
      }
    }
  });

  const topicsToDeal = unownedTopics.concat(revokedTopics);
  const partitionsToDeal = unownedPartitions.concat(revokedPartitions);
  let next = 0;
  for (let m = 0; m < memberCount; m++) {
    for (let room = quota[m]! - kept[m]!; room > 0 && next < partitionsToDeal.length; room--, next++) {
      owners[topicsToDeal[next]!]![partitionsToDeal[next]!] = m;
    }
    sizes[m] = quota[m]!;
  }
}

/**
 * Members have different subscriptions. Kafka's UniformHeterogeneousAssignmentBuilder
 * step by step (same orders, same tie-breaks, so the same answers), then the
 * chain phase described at the top of this file.
 */
class HeterogeneousBuilder {
  private readonly owners: Int32Array[];
  private readonly sizes: Int32Array;
  private readonly subscribers: number[][];
  private readonly partitionCounts: Int32Array;
  private readonly balancer: MemberBalancer;
  /** Topic indexes in Kafka's balancing order: most partitions per subscriber first, then fewest subscribers, then topic id. */
  private readonly topicOrder: number[];

  constructor(private readonly group: GroupState) {
    ({ owners: this.owners, sizes: this.sizes, subscribers: this.subscribers, partitionCounts: this.partitionCounts } = group);
    this.balancer = new MemberBalancer(this.sizes);
    // topicIds are already in id order, so a stable sort on the other two keys gives Kafka's order.
    const perSubscriber = (t: number) => this.partitionCounts[t]! / this.subscribers[t]!.length;
    this.topicOrder = [...this.partitionCounts.keys()].sort((a, b) => perSubscriber(b) - perSubscriber(a) || this.subscribers[a]!.length - this.subscribers[b]!.length);
  }

  build(): void {
    this.assignUnowned();
    this.balanceTopics();
    new ChainBalancer(this.group).run();
  }

  /** Deals each topic's unowned partitions, in ascending order, to its least loaded subscribers. */
  private assignUnowned(): void {
    for (const t of this.topicOrder) {
      const owners = this.owners[t]!;
      let initialized = false;
      for (let p = 0; p < owners.length; p++) {
        if (owners[p] !== -1) continue;
        if (!initialized) {
          this.balancer.initialize(this.subscribers[t]!);
          initialized = true;
        }
        this.move(t, p, this.balancer.nextLeastLoaded());
      }
    }
  }

  /**
   * Rounds over the topics with two or more subscribers until one full round
   * moves nothing (or Kafka's round cap): each topic's partitions go from its
   * most loaded subscribers to its least loaded ones while that helps.
   */
  private balanceTopics(): void {
    const movable = this.topicOrder.filter((t) => this.subscribers[t]!.length >= 2);
    let lastMoved = -1;
    for (let round = 0; round < MAX_TOPIC_BALANCING_ROUNDS; round++) {
      for (let i = 0; i < movable.length; i++) {
        if (i === lastMoved) return; // a whole round since the last move
        const moved = this.balanceTopic(movable[i]!);
        if (moved > 0 || lastMoved === -1) lastMoved = i;
      }
    }
  }

  private balanceTopic(t: number): number {
    const balancer = this.balancer;
    if (balancer.initialize(this.subscribers[t]!) <= 1) return 0;
    const owners = this.owners[t]!;
    // The topic's partitions grouped by owner, so each owner's can be taken from the end of its run.
    const partitions = Array.from(owners.keys()).sort((a, b) => owners[a]! - owners[b]! || a - b);
    const runStart = new Map<number, number>();
    const runEnd = new Map<number, number>();
    partitions.forEach((p, i) => {
      const owner = owners[p]!;
      if (!runStart.has(owner)) runStart.set(owner, i);
      runEnd.set(owner, i + 1);
    });

    let moved = 0;
    while (!balancer.isBalanced()) {
      let from: number;
      for (;;) {
        from = balancer.nextMostLoaded();
        if (from === -1) break;
        const end = runEnd.get(from);
        if (end !== undefined && end > runStart.get(from)!) break;
        balancer.excludeMostLoaded(); // loaded, but with nothing of this topic to give
      }
      if (from === -1) break;
      const end = runEnd.get(from)! - 1;
      runEnd.set(from, end);
      const to = balancer.nextLeastLoaded();
      if (balancer.isBalanced()) break;
      this.move(t, partitions[end]!, to);
      moved++;
    }
    return moved;
  }

  private move(t: number, p: number, to: number): void {
    const owners = this.owners[t]!;
    const from = owners[p]!;
    if (from !== -1) this.sizes[from]!--;
    owners[p] = to;
    this.sizes[to]!++;
  }
}

/**
 * Kafka's MemberAssignmentBalancer: over one topic's subscribers sorted by
 * load, hands out the least loaded member (filling the lowest level across
 * all members at that level before going up a level) and the most loaded one
 * (the mirror image, from the top), and says when the two levels are within
 * one of each other.
 */
class MemberBalancer {
  private sorted: number[] = [];
  private leastEnd = 0;
  private leastLevel = -1;
  private nextLeast = 0;
  private mostStart = 0;
  private mostEnd = 0;
  private mostLevel = 1;
  private nextMost = -1;

  constructor(private readonly sizes: Int32Array) {}

  /** Starts over on these members; returns the spread between the most and least loaded. */
  initialize(members: readonly number[]): number {
    const sizes = this.sizes;
    this.sorted = members.slice().sort((a, b) => sizes[a]! - sizes[b]! || a - b);
    const n = this.sorted.length;
    const least = sizes[this.sorted[0]!]!;
    const most = sizes[this.sorted[n - 1]!]!;
    this.leastEnd = 0;
    this.leastLevel = least - 1;
    this.nextLeast = 0;
    this.mostStart = n;
    this.mostEnd = n;
    this.mostLevel = most + 1;
    this.nextMost = n - 1;
    return most - least;
  }

  /** The member to give the next partition to (assumed given). */
  nextLeastLoaded(): number {
    const { sizes, sorted } = this;
    if (this.nextLeast >= this.leastEnd) {
      // Everyone at this level got one: go up a level, taking in the members already there.
      this.leastLevel++;
      while (this.leastEnd < sorted.length && sizes[sorted[this.leastEnd]!] === this.leastLevel) this.leastEnd++;
      this.nextLeast = 0;
    }
    return sorted[this.nextLeast++]!;
  }

  /** The member to take the next partition from (assumed taken), or -1 when none is left. */
  nextMostLoaded(): number {
    const { sizes, sorted } = this;
    if (this.nextMost < this.mostStart) {
      if (this.mostEnd <= this.mostStart && this.mostStart > 0) {
        // Every member of the range was excluded: restart from the next member down, whatever its level.
        this.mostLevel = sizes[sorted[this.mostStart - 1]!]!;
      } else {
        this.mostLevel--;
      }
      while (this.mostStart > 0 && sizes[sorted[this.mostStart - 1]!] === this.mostLevel) this.mostStart--;
      this.nextMost = this.mostEnd - 1;
    }
    if (this.nextMost < 0) return -1;
    return sorted[this.nextMost--]!;
  }

  /** Drops the member nextMostLoaded just returned from the most loaded range. */
  excludeMostLoaded(): void {
    const sorted = this.sorted;
    const i = this.nextMost + 1;
    const member = sorted[i]!;
    sorted[i] = sorted[this.mostEnd - 1]!;
    sorted[this.mostEnd - 1] = member;
    this.mostEnd--;
  }

  isBalanced(): boolean {
    return this.mostLevel - this.leastLevel <= 1;
  }
}

/**
 * Evens counts out through chains of members. Member A "reaches" B when A
 * holds a partition of a topic B subscribes to; a path A -> B -> ... -> Z with
 * count(A) >= count(Z) + 2 can move one partition along each step, which
 * leaves the middle members' counts as they were and brings A and Z closer.
 * When no such path exists the counts are as even as the subscriptions allow
 * (the sum of squared counts is minimal).
 *
 * Search: a breadth-first search from all the most loaded members finds the
 * nearest member at least two below them; if there is none, everything the
 * search reached is within one of the top and can never be part of an
 * improving path again (it only reaches members at that level, and the
 * levels above it only come down), so it is set aside and the search goes on
 * with the rest. Each move lowers the sum of squares, so it ends.
 */
class ChainBalancer {
  private readonly owners: Int32Array[];
  private readonly sizes: Int32Array;
  private readonly subscribers: number[][];
  /** Per member, the topics it holds partitions of, with how many (no entry at zero). */
  private readonly held: Map<number, number>[];

  constructor(group: GroupState) {
    ({ owners: this.owners, sizes: this.sizes, subscribers: this.subscribers } = group);
    this.held = group.memberIds.map(() => new Map());
    this.owners.forEach((owners, t) => {
      for (const owner of owners) if (owner !== -1) this.held[owner]!.set(t, (this.held[owner]!.get(t) ?? 0) + 1);
    });
  }

  run(): void {
    const memberCount = this.sizes.length;
    const active = new Uint8Array(memberCount).fill(1);
    const seen = new Int32Array(memberCount);
    const topicSeen = new Int32Array(this.owners.length);
    const parent = new Int32Array(memberCount);
    const via = new Int32Array(memberCount);
    const queue = new Int32Array(memberCount);
    for (let search = 1; ; search++) {
      let top = -1;
      for (let m = 0; m < memberCount; m++) if (active[m] && this.sizes[m]! > top) top = this.sizes[m]!;
      if (top < 0) return;

      let head = 0;
      let tail = 0;
      for (let m = 0; m < memberCount; m++) {
        if (active[m] && this.sizes[m] === top) {
          seen[m] = search;
          parent[m] = -1;
          queue[tail++] = m;
        }
      }
      let target = -1;
      bfs: while (head < tail) {
        const from = queue[head++]!;
        for (const t of this.held[from]!.keys()) {
          // A topic expanded once has put all its subscribers in the queue already.
          if (topicSeen[t] === search) continue;
          topicSeen[t] = search;
          for (const to of this.subscribers[t]!) {
            if (!active[to] || seen[to] === search) continue;
            seen[to] = search;
            parent[to] = from;
            via[to] = t;
            queue[tail++] = to;
            if (this.sizes[to]! <= top - 2) {
              target = to;
              break bfs;
            }
          }
        }
      }
      if (target === -1) {
        for (let i = 0; i < tail; i++) active[queue[i]!] = 0;
      } else {
        this.shiftAlong(target, parent, via);
      }
    }
  }

  /** Each member on the path from the root to `to` gives the next one a partition (its highest) of the linking topic. */
  private shiftAlong(to: number, parent: Int32Array, via: Int32Array): void {
    for (let member = to; parent[member] !== -1; member = parent[member]!) {
      const from = parent[member]!;
      const t = via[member]!;
      const owners = this.owners[t]!;
      let p = owners.length - 1;
      while (owners[p] !== from) p--;
      owners[p] = member;
      this.sizes[from]!--;
      this.sizes[member]!++;
      const held = this.held[from]!;
      const left = held.get(t)! - 1;
      if (left === 0) held.delete(t);
      else held.set(t, left);
      this.held[member]!.set(t, (this.held[member]!.get(t) ?? 0) + 1);
    }
  }
}
