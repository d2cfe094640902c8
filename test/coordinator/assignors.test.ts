/**
 * The KIP-848 server-side assignors, as pure functions: the invariants every
 * assignment must keep (each subscribed partition to exactly one subscriber,
 * balance, stickiness, determinism), a seeded loop of random groups checking
 * them, and cases from Kafka's own assignor tests that must give Kafka's answers.
 */
import t from 'tap';
import type { AssignableTopic, AssignorMember, TopicPartitions } from '../../src/coordinator/group/assignors/assignor.js';
import { assignorFor, DEFAULT_SERVER_ASSIGNOR, SERVER_ASSIGNOR_NAMES } from '../../src/coordinator/group/assignors/index.js';
import { rangeAssignor } from '../../src/coordinator/group/assignors/range.js';
import { uniformAssignor } from '../../src/coordinator/group/assignors/uniform.js';
import type { Uuid } from '../../src/wire/protocol/uuid.js';

// Topic ids from Kafka's assignor tests, so that its tie-breaks on topic id give the same order here.
const T1 = 'T1-A4s3VTwiI5CTbEp6POw';
const T2 = 'T2-B4s3VTwiI5YHbPp6YUe';
const T3 = 'T3-CU8fVTLCz5YMkLoDQsa';
const T4 = 'T4-Tw9fVTLCz5HbPp6YQsa';

type Current = Record<Uuid, number[]>;
/** A readable assignment: member -> topic -> partitions ascending; members with nothing map to {}. */
type Plain = Record<string, Record<Uuid, number[]>>;

function topicsOf(counts: Record<Uuid, number>): Map<Uuid, AssignableTopic> {
  return new Map(Object.entries(counts).map(([id, partitions]) => [id, { id, name: `name-${id}`, partitions }]));
}

function member(memberId: string, topics: Uuid[], current: Current = {}, instanceId: string | null = null): AssignorMember {
  return {
    memberId, instanceId, rackId: null,
    subscribedTopicIds: new Set(topics),
    current: new Map(Object.entries(current).map(([id, ps]) => [id, new Set(ps)])),
  };
}

function plain(result: Map<string, TopicPartitions>): Plain {
  const out: Plain = {};
  for (const [m, tps] of [...result].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[m] = {};
    for (const [id, ps] of [...tps].sort(([a], [b]) => (a < b ? -1 : 1))) out[m]![id] = [...ps].sort((a, b) => a - b);
  }
  return out;
}

/** The exact output, insertion orders included, for determinism checks. */
const exact = (result: Map<string, TopicPartitions>) =>
  JSON.stringify([...result].map(([m, tps]) => [m, [...tps].map(([id, ps]) => [id, [...ps]])]));

/** The members again with their current assignment set to `result`'s, as the coordinator would hand them in next time. */
function withCurrent(members: readonly AssignorMember[], result: Map<string, TopicPartitions>): AssignorMember[] {
  return members.map((m) => ({ ...m, current: result.get(m.memberId) ?? new Map() }));
}

const counts = (result: Map<string, TopicPartitions>) =>
  new Map([...result].map(([m, tps]) => [m, [...tps.values()].reduce((n, ps) => n + ps.size, 0)]));

/** "topic:partition" -> owner. */
function ownerMap(assignment: Iterable<[string, ReadonlyMap<Uuid, ReadonlySet<number>>]>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [m, tps] of assignment) for (const [id, ps] of tps) for (const p of ps) owners.set(`${id}:${p}`, m);
  return owners;
}

/** Partitions whose owner changed from `before` to `after` (a partition nobody had before does not count). */
function moves(before: Iterable<[string, ReadonlyMap<Uuid, ReadonlySet<number>>]>, after: Map<string, TopicPartitions>): number {
  const was = ownerMap(before);
  let moved = 0;
  for (const [tp, owner] of ownerMap(after)) if (was.has(tp) && was.get(tp) !== owner) moved++;
  return moved;
}

/**
 * What every assignment must be: an entry per member; every partition of a
 * topic someone subscribes to owned by exactly one member, which subscribes
 * to it; nothing else. Returns the problems found.
 */
function validity(members: readonly AssignorMember[], topics: ReadonlyMap<Uuid, AssignableTopic>, result: Map<string, TopicPartitions>): string[] {
  const problems: string[] = [];
  const ids = new Set(members.map((m) => m.memberId));
  if (result.size !== ids.size || [...result.keys()].some((m) => !ids.has(m))) problems.push('not one entry per member');
  const seen = new Set<string>();
  for (const m of members) {
    for (const [id, ps] of result.get(m.memberId) ?? new Map<Uuid, Set<number>>()) {
      if (!m.subscribedTopicIds.has(id)) problems.push(`${m.memberId} got ${id} it does not subscribe to`);
      if (ps.size === 0) problems.push(`${m.memberId} has an empty set for ${id}`);
      for (const p of ps) {
        if (!Number.isInteger(p) || p < 0 || p >= (topics.get(id)?.partitions ?? 0)) problems.push(`${m.memberId} got ${id}:${p}, no such partition`);
        if (seen.has(`${id}:${p}`)) problems.push(`${id}:${p} assigned twice`);
        seen.add(`${id}:${p}`);
      }
    }
  }
  for (const [id, topic] of topics) {
    if (!members.some((m) => m.subscribedTopicIds.has(id))) continue;
    for (let p = 0; p < topic.partitions; p++) if (!seen.has(`${id}:${p}`)) problems.push(`${id}:${p} not assigned`);
  }
  return problems;
}

/**
 * Balance "as far as subscriptions allow": no chain of members A -> B -> ... -> Z
 * (each holding a partition of a topic the next subscribes to) with
 * count(A) >= count(Z) + 2, along which moving one partition per step would
 * even counts out. For identical subscriptions that is: counts within one.
 */
function balance(members: readonly AssignorMember[], result: Map<string, TopicPartitions>): string[] {
  const n = counts(result);
  const subscribers = new Map<Uuid, string[]>();
  for (const m of members) for (const id of m.subscribedTopicIds) subscribers.set(id, [...(subscribers.get(id) ?? []), m.memberId]);
  const problems: string[] = [];
  for (const from of members) {
    const reached = new Set([from.memberId]);
    const expanded = new Set<Uuid>();
    const queue = [from.memberId];
    for (let head = 0; head < queue.length; head++) {
      for (const id of result.get(queue[head]!)!.keys()) {
        if (expanded.has(id)) continue;
        expanded.add(id);
        for (const b of subscribers.get(id) ?? []) {
          if (reached.has(b)) continue;
          reached.add(b);
          queue.push(b);
          if (n.get(from.memberId)! >= n.get(b)! + 2) problems.push(`${from.memberId} (${n.get(from.memberId)}) could pass a partition on to ${b} (${n.get(b)})`);
        }
      }
    }
  }
  return problems;
}

/** Which member validly holds each partition ("topic:partition"): subscribed, existing, and the first claimant by member id. */
function validClaims(members: readonly AssignorMember[], topics: ReadonlyMap<Uuid, AssignableTopic>): Map<string, string> {
  const claims = new Map<string, string>();
  for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
    for (const [id, ps] of m.current) {
      if (!m.subscribedTopicIds.has(id) || !topics.has(id)) continue;
      for (const p of ps) if (p >= 0 && p < topics.get(id)!.partitions && !claims.has(`${id}:${p}`)) claims.set(`${id}:${p}`, m.memberId);
    }
  }
  return claims;
}

/**
 * Homogeneous stickiness: the most partitions that can stay put. Each member
 * keeps up to floor(P/M) of what it validly holds, and P%M members (best:
 * those holding more) one more.
 */
function mostThatCanStay(members: readonly AssignorMember[], topics: ReadonlyMap<Uuid, AssignableTopic>): number {
  const held = new Map(members.map((m) => [m.memberId, 0]));
  for (const owner of validClaims(members, topics).values()) held.set(owner, held.get(owner)! + 1);
  let total = 0;
  for (const id of members[0]!.subscribedTopicIds) total += topics.get(id)?.partitions ?? 0;
  const min = Math.floor(total / members.length);
  const extras = total % members.length;
  const h = [...held.values()];
  return h.reduce((s, x) => s + Math.min(x, min), 0) + Math.min(extras, h.filter((x) => x > min).length);
}

/** Partitions that stayed with the member that validly held them. */
function stayed(members: readonly AssignorMember[], topics: ReadonlyMap<Uuid, AssignableTopic>, result: Map<string, TopicPartitions>): number {
  const after = ownerMap(result);
  let n = 0;
  for (const [tp, owner] of validClaims(members, topics)) if (after.get(tp) === owner) n++;
  return n;
}

/** Seeded PRNG (mulberry32): the random groups are the same on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const shuffle = <T>(xs: T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const uuid = () => Buffer.from(Array.from({ length: 16 }, () => int(0, 255))).toString('base64url');
  return { next, int, shuffle, uuid };
}

/** The same group with every input collection in another order. */
function shuffled(rnd: ReturnType<typeof prng>, members: readonly AssignorMember[], topics: ReadonlyMap<Uuid, AssignableTopic>) {
  const ms = rnd.shuffle([...members]).map((m) => ({
    ...m,
    subscribedTopicIds: new Set(rnd.shuffle([...m.subscribedTopicIds])),
    current: new Map(rnd.shuffle([...m.current]).map(([id, ps]) => [id, new Set(rnd.shuffle([...ps]))] as const)),
  }));
  return { members: ms, topics: new Map(rnd.shuffle([...topics])) };
}

t.test('assignors by name: uniform (the default) and range', async (t) => {
  t.equal(DEFAULT_SERVER_ASSIGNOR, 'uniform');
  t.same(SERVER_ASSIGNOR_NAMES, ['uniform', 'range']);
  t.equal(assignorFor('uniform'), uniformAssignor);
  t.equal(assignorFor('range'), rangeAssignor);
  t.equal(assignorFor('Uniform'), undefined, 'names match exactly, as in Kafka');
  t.equal(assignorFor('sticky'), undefined);
});

for (const assignor of [uniformAssignor, rangeAssignor]) {
  t.test(`${assignor.name}: empty inputs`, async (t) => {
    t.same(plain(assignor.assign([], topicsOf({ [T1]: 3 }))), {}, 'no members, no assignment');
    t.same(plain(assignor.assign([member('A', []), member('B', [])], topicsOf({ [T1]: 3 }))), { A: {}, B: {} }, 'no subscriptions: every member, nothing assigned');
    t.same(plain(assignor.assign([member('A', [T2], { [T2]: [0] })], topicsOf({ [T1]: 3 }))), { A: {} }, 'a topic that does not exist (any more) is not assigned');
    t.same(plain(assignor.assign([member('A', [T1])], new Map())), { A: {} }, 'no topics at all');
    t.same(plain(assignor.assign([member('A', [T1]), member('B', [T1])], topicsOf({ [T1]: 0 }))), { A: {}, B: {} }, 'a topic with no partitions');
    t.same(plain(assignor.assign([member('A', [T1]), member('B', [T2])], topicsOf({ [T1]: 2, [T2]: 1 }))), { A: { [T1]: [0, 1] }, B: { [T2]: [0] } }, 'one subscriber per topic gets all of it');
  });
}

t.test('uniform, same subscriptions: Kafka cases that do not hang on Java hash order', async (t) => {
  const a = uniformAssignor;
  t.same(plain(a.assign([member('A', [T3]), member('B', [T3]), member('C', [T3])], topicsOf({ [T3]: 2 }))),
    { A: { [T3]: [0] }, B: { [T3]: [1] }, C: {} }, 'more members than partitions');
  t.same(plain(a.assign([
    member('A', [T1, T2], { [T1]: [0, 1], [T2]: [0, 1] }),
    member('B', [T1, T2], { [T1]: [2], [T2]: [2] }),
  ], topicsOf({ [T1]: 3, [T2]: 3 }))), { A: { [T1]: [0, 1], [T2]: [0] }, B: { [T1]: [2], [T2]: [1, 2] } }, 'unbalanced previous assignment');
  t.same(plain(a.assign([
    member('A', [T1, T2], { [T1]: [0, 2], [T2]: [0] }),
    member('B', [T1, T2], { [T1]: [1], [T2]: [1, 2] }),
    member('C', [T1, T2]),
  ], topicsOf({ [T1]: 3, [T2]: 3 }))), { A: { [T1]: [0, 2] }, B: { [T1]: [1], [T2]: [1] }, C: { [T2]: [0, 2] } }, 'a member joins');
  t.same(plain(a.assign([
    member('A', [T2], { [T1]: [0], [T2]: [0] }),
    member('B', [T2], { [T1]: [1], [T2]: [1] }),
  ], topicsOf({ [T1]: 2, [T2]: 2 }))), { A: { [T2]: [0] }, B: { [T2]: [1] } }, 'a topic dropped from the subscription is taken away');
});

t.test('uniform, different subscriptions: the answers of Kafka\'s UniformHeterogeneousAssignmentBuilderTest', async (t) => {
  const a = uniformAssignor;
  t.same(plain(a.assign([member('A', [T1, T3]), member('B', [T3])], topicsOf({ [T1]: 3, [T3]: 6 }))),
    { A: { [T1]: [0, 1, 2], [T3]: [4] }, B: { [T3]: [0, 1, 2, 3, 5] } }, 'first assignment, two members two topics');
  t.same(plain(a.assign([member('A', [T3]), member('B', [T3]), member('C', [T1])], topicsOf({ [T3]: 1, [T1]: 2 }))),
    { A: { [T3]: [0] }, B: {}, C: { [T1]: [0, 1] } }, 'more members than partitions');
  t.same(plain(a.assign([
    member('A', [T1], { [T1]: [0, 1, 2] }),
    member('B', [T1, T2], { [T1]: [3], [T2]: [0] }),
    member('C', [T1, T2, T3], { [T1]: [4, 5], [T2]: [1, 2, 3], [T3]: [0, 1, 2, 3] }),
  ], topicsOf({ [T1]: 6, [T2]: 4, [T3]: 4 }))), {
    A: { [T1]: [0, 1, 2, 5] }, B: { [T1]: [3], [T2]: [0, 1, 2, 3] }, C: { [T1]: [4], [T3]: [0, 1, 2, 3] },
  }, 'unbalanced previous assignment, three topics');
  t.same(plain(a.assign([
    member('A', [T1, T3], { [T1]: [0, 1, 2, 3], [T3]: [0, 1] }),
    member('B', [T1, T2, T3, T4], { [T2]: [0, 1, 2], [T4]: [0, 1, 2] }),
  ], topicsOf({ [T1]: 6, [T2]: 5, [T3]: 3, [T4]: 3 }))), {
    A: { [T1]: [0, 1, 2, 3, 4, 5], [T3]: [0, 1, 2] }, B: { [T2]: [0, 1, 2, 3, 4], [T4]: [0, 1, 2] },
  }, 'partitions added');
  t.same(plain(a.assign([
    member('A', [T1], { [T1]: [0, 2], [T2]: [0] }),
    member('B', [T1, T2], { [T1]: [1], [T2]: [1, 2] }),
    member('C', [T1, T2]),
  ], topicsOf({ [T1]: 6, [T2]: 7 }))), {
    A: { [T1]: [0, 2, 3, 4, 5] }, B: { [T1]: [1], [T2]: [1, 2, 6] }, C: { [T2]: [0, 3, 4, 5] },
  }, 'a member joins and partitions are added');
  t.same(plain(a.assign([
    member('A', [T1, T3], { [T1]: [0, 1, 2], [T3]: [0, 1] }),
    member('B', [T2], { [T2]: [3, 4, 5, 6] }),
  ], topicsOf({ [T1]: 3, [T2]: 8, [T3]: 3 }))), {
    A: { [T1]: [0, 1, 2], [T3]: [0, 1, 2] }, B: { [T2]: [0, 1, 2, 3, 4, 5, 6, 7] },
  }, 'a member leaves');
  t.same(plain(a.assign([
    member('A', [T1], { [T1]: [0, 2], [T2]: [1, 3] }),
    member('B', [T1, T2], { [T1]: [1], [T2]: [0, 2, 4] }),
  ], topicsOf({ [T1]: 3, [T2]: 5 }))), { A: { [T1]: [0, 1, 2] }, B: { [T2]: [0, 1, 2, 3, 4] } }, 'a subscription removed');
  t.same(plain(a.assign([member('A', [T1]), member('B', [])], topicsOf({ [T1]: 3 }))),
    { A: { [T1]: [0, 1, 2] }, B: {} }, 'one member without subscriptions');
});

t.test('uniform: a member joining or leaving a balanced group moves only what it must', async (t) => {
  const topics = topicsOf({ [T1]: 40, [T2]: 33, [T3]: 30 }); // 103 partitions
  const all = [T1, T2, T3];
  const five = ['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => member(id, all));
  const first = uniformAssignor.assign(five, topics);
  t.same(validity(five, topics, first), []);
  t.same([...counts(first).values()].sort(), [20, 20, 21, 21, 21]);

  const six = [...withCurrent(five, first), member('m0', all)];
  const joined = uniformAssignor.assign(six, topics);
  t.same(validity(six, topics, joined), []);
  t.same([...counts(joined).values()].sort(), [17, 17, 17, 17, 17, 18]);
  t.equal(moves(first, joined), 17, 'the newcomer gets floor(103/6) partitions and nothing else moves');
  t.equal(counts(joined).get('m0'), 17);

  const left = withCurrent(six, joined).filter((m) => m.memberId !== 'm3');
  const after = uniformAssignor.assign(left, topics);
  t.same(validity(left, topics, after), []);
  t.equal(moves(joined, after), counts(joined).get('m3'), "only the leaver's partitions move");

  // Kafka hands the "plus one" quotas out in member order: A would get one and C lose one.
  const seven = topicsOf({ [T1]: 7 });
  const uneven = [member('A', [T1], { [T1]: [0, 1] }), member('B', [T1], { [T1]: [2, 3] }), member('C', [T1], { [T1]: [4, 5, 6] })];
  const again = uniformAssignor.assign(uneven, seven);
  t.same(plain(again), { A: { [T1]: [0, 1] }, B: { [T1]: [2, 3] }, C: { [T1]: [4, 5, 6] } }, 'a balanced assignment stays as it is, whoever holds the extra partition');
});

t.test('uniform: Kafka\'s per-topic balancing can leave 9/10/11; chains even it out to 10/10/10', async (t) => {
  // A and B share T1, B and C share T2: no single move helps, but C -> B (T2) and B -> A (T1) does.
  const topics = topicsOf({ [T1]: 10, [T2]: 20 });
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const members = [
    member('A', [T1], { [T1]: range(0, 9) }),
    member('B', [T1, T2], { [T1]: [9], [T2]: range(0, 9) }),
    member('C', [T2], { [T2]: range(9, 20) }),
  ];
  const result = uniformAssignor.assign(members, topics);
  t.same(validity(members, topics, result), []);
  t.same(Object.fromEntries(counts(result)), { A: 10, B: 10, C: 10 });
  t.equal(moves(members.map((m) => [m.memberId, m.current]), result), 2, 'two partitions move, one per link of the chain');
  t.same(balance(members, result), []);
});

t.test('uniform: topics and partitions come and go', async (t) => {
  const members = ['A', 'B', 'C'].map((id) => member(id, [T1, T2]));
  const before = uniformAssignor.assign(members, topicsOf({ [T1]: 6, [T2]: 6 }));

  const grown = topicsOf({ [T1]: 9, [T2]: 6 });
  const afterGrow = uniformAssignor.assign(withCurrent(members, before), grown);
  t.same(validity(members, grown, afterGrow), []);
  t.equal(moves(before, afterGrow), 0, 'partitions added: the old ones stay, the new ones are spread');
  t.same([...counts(afterGrow).values()], [5, 5, 5]);

  const withT3 = ['A', 'B', 'C'].map((id) => member(id, [T1, T2, T3]));
  const three = topicsOf({ [T1]: 6, [T2]: 6, [T3]: 3 });
  const afterAdd = uniformAssignor.assign(withCurrent(withT3, before), three);
  t.same(validity(withT3, three, afterAdd), []);
  t.equal(moves(before, afterAdd), 0, 'a topic added to everyone\'s subscription: nothing moves, its partitions are spread');
  t.same([...counts(afterAdd).values()], [5, 5, 5]);

  const onlyT2 = withCurrent(['A', 'B', 'C'].map((id) => member(id, [T2])), before);
  const two = topicsOf({ [T1]: 6, [T2]: 6 });
  const afterDrop = uniformAssignor.assign(onlyT2, two);
  t.same(validity(onlyT2, two, afterDrop), []);
  t.same([...counts(afterDrop).values()], [2, 2, 2], 'a topic dropped from the subscriptions goes');
  t.equal(stayed(onlyT2, two, afterDrop), mostThatCanStay(onlyT2, two), 'of the rest, only what balance needs moves');

  const deleted = uniformAssignor.assign(withCurrent(members, before), topicsOf({ [T2]: 6 }));
  t.same(Object.keys(plain(deleted).A!).concat(Object.keys(plain(deleted).B!), Object.keys(plain(deleted).C!)).every((id) => id === T2), true, 'a deleted topic is gone');
  t.same(validity(members, topicsOf({ [T2]: 6 }), deleted), []);

  const hetero = [member('A', [T1], { [T1]: [0, 1, 2], [T2]: [0, 1, 2] }), member('B', [T1, T2], { [T1]: [3, 4, 5], [T2]: [3, 4, 5] })];
  const out = uniformAssignor.assign(hetero, topicsOf({ [T1]: 6, [T2]: 6 }));
  t.same(validity(hetero, topicsOf({ [T1]: 6, [T2]: 6 }), out), []);
  t.notOk(plain(out).A![T2], 'a member loses the partitions of a topic it no longer subscribes to');
});

t.test('uniform: a broken current assignment is cleaned up, not trusted', async (t) => {
  const topics = topicsOf({ [T1]: 4 });
  const members = [
    member('A', [T1], { [T1]: [0, 1, 7, -1] }),
    member('B', [T1], { [T1]: [1, 2], [T3]: [0] }),
  ];
  const result = uniformAssignor.assign(members, topics);
  t.same(validity(members, topics, result), []);
  t.same(plain(result).A![T1]!.slice(0, 2), [0, 1], 'the first claimant (by member id) keeps a partition claimed twice');
  t.ok(plain(result).B![T1]!.includes(2));
});

t.test('range: the answers of Kafka\'s RangeAssignorTest', async (t) => {
  const a = rangeAssignor;
  t.same(plain(a.assign([member('A', [T1, T3]), member('B', [T1, T3])], topicsOf({ [T1]: 3, [T3]: 2 }))),
    { A: { [T1]: [0, 1], [T3]: [0] }, B: { [T1]: [2], [T3]: [1] } }, 'same subscriptions');
  t.same(plain(a.assign([member('A', [T1, T2]), member('B', [T3]), member('C', [T2, T3])], topicsOf({ [T1]: 3, [T2]: 3, [T3]: 2 }))),
    { A: { [T1]: [0, 1, 2], [T2]: [0, 1] }, B: { [T3]: [0] }, C: { [T2]: [2], [T3]: [1] } }, 'different subscriptions');
  t.same(plain(a.assign(['A', 'B', 'C'].map((id) => member(id, [T1, T3])), topicsOf({ [T1]: 3, [T3]: 2 }))),
    { A: { [T1]: [0], [T3]: [0] }, B: { [T1]: [1], [T3]: [1] }, C: { [T1]: [2] } }, 'more members than partitions of a topic');
  t.same(plain(a.assign([
    member('A', [T1, T2], { [T1]: [0], [T2]: [0] }), member('B', [T1, T2], { [T1]: [1], [T2]: [1] }), member('C', [T1, T2]),
  ], topicsOf({ [T1]: 2, [T2]: 2 }))), { A: { [T1]: [0], [T2]: [0] }, B: { [T1]: [1], [T2]: [1] }, C: {} }, 'a member joins a group with too few partitions');
  t.same(plain(a.assign([
    member('A', [T1, T2], { [T1]: [0, 1], [T2]: [0, 1] }), member('B', [T1, T2], { [T1]: [2], [T2]: [2] }), member('C', [T1]),
  ], topicsOf({ [T1]: 4, [T2]: 3 }))), { A: { [T1]: [0, 1], [T2]: [0, 1] }, B: { [T1]: [2], [T2]: [2] }, C: { [T1]: [3] } }, 'a member joins and a partition is added');
  t.same(plain(a.assign([
    member('A', [T1], { [T1]: [0, 1, 2], [T2]: [0] }), member('B', [T1, T2, T3], { [T2]: [1] }), member('C', [T2], { [T2]: [2], [T3]: [0, 1] }),
  ], topicsOf({ [T1]: 3, [T2]: 3, [T3]: 2 }))), {
    A: { [T1]: [0, 1] }, B: { [T1]: [2], [T2]: [0, 1], [T3]: [0, 1] }, C: { [T2]: [2] },
  }, 'several subscriptions removed');
});

t.test('range: static members first by instance id; a rejoin under a new member id gets the same ranges', async (t) => {
  const topics = topicsOf({ [T1]: 5 });
  const before = rangeAssignor.assign([
    member('A', [T1], {}, 'instanceA'), member('C', [T1], {}, 'instanceC'), member('B', [T1]),
  ], topics);
  t.same(plain(before), { A: { [T1]: [0, 1] }, B: { [T1]: [4] }, C: { [T1]: [2, 3] } }, 'static members first, then dynamic ones');
  const after = rangeAssignor.assign([
    member('memberA1', [T1], {}, 'instanceA'), member('C', [T1], {}, 'instanceC'), member('B', [T1]),
  ], topics);
  t.same(plain(after), { memberA1: { [T1]: [0, 1] }, B: { [T1]: [4] }, C: { [T1]: [2, 3] } });
});

t.test('range: co-partitioned across topics of the same size, whatever the current assignment', async (t) => {
  const topics = topicsOf({ [T1]: 7, [T2]: 7, [T3]: 7 });
  const members = ['m3', 'm1', 'm2'].map((id) => member(id, [T1, T2, T3], { [T2]: [6] }));
  const result = plain(rangeAssignor.assign(members, topics));
  for (const m of ['m1', 'm2', 'm3']) {
    t.same(result[m]![T2], result[m]![T1], `${m}: same partitions of T1 and T2`);
    t.same(result[m]![T3], result[m]![T1], `${m}: same partitions of T1 and T3`);
  }
  t.same(result.m1![T1], [0, 1, 2]);
  t.same(result.m3![T1], [5, 6]);
});

/**
 * A random group: a few topics, members with the same or different
 * subscriptions, and a current assignment that is either the previous
 * result after a change (members join or leave, subscriptions change,
 * partitions are added, topics are deleted) or plain garbage.
 */
function randomGroup(rnd: ReturnType<typeof prng>) {
  const topicIds = Array.from({ length: rnd.int(1, 6) }, () => rnd.uuid());
  const topics = new Map(topicIds.map((id) => [id, { id, name: id, partitions: rnd.int(1, 24) }]));
  const same = rnd.next() < 0.4;
  const shared = topicIds.filter(() => rnd.next() < 0.7);
  const subscription = () => new Set(same ? shared : topicIds.filter(() => rnd.next() < 0.5));
  let members: AssignorMember[] = Array.from({ length: rnd.int(1, 14) }, (_, i) => ({
    memberId: `member-${i}-${rnd.int(0, 999)}`, instanceId: rnd.next() < 0.3 ? `instance-${i}` : null, rackId: null,
    subscribedTopicIds: subscription(), current: new Map(),
  }));
  if (rnd.next() < 0.2) {
    // Garbage: claims on partitions that do not exist, twice, of unsubscribed or unknown topics.
    members = members.map((m) => ({
      ...m,
      current: new Map([...topicIds, rnd.uuid()].filter(() => rnd.next() < 0.6)
        .map((id) => [id, new Set(Array.from({ length: rnd.int(0, 8) }, () => rnd.int(-1, 30)))] as const)),
    }));
    return { members, topics };
  }
  if (rnd.next() < 0.7) {
    const previous = uniformAssignor.assign(members, topics);
    members = withCurrent(members, rnd.next() < 0.5 ? previous : rangeAssignor.assign(members, topics));
    const change = rnd.int(0, 4);
    if (change === 0) members = members.filter(() => rnd.next() < 0.7);
    if (change === 1) for (let i = rnd.int(1, 3); i > 0; i--) members.push({ ...members[0]!, memberId: `new-${i}`, instanceId: null, current: new Map() });
    if (change === 2 && !same) members = members.map((m) => (rnd.next() < 0.3 ? { ...m, subscribedTopicIds: subscription() } : m));
    if (change === 3) for (const topic of topics.values()) if (rnd.next() < 0.5) topic.partitions += rnd.int(1, 10);
    if (change === 4 && topics.size > 1) topics.delete(topicIds[0]!);
  }
  return { members, topics };
}

t.test('uniform: seeded random groups keep every invariant', async (t) => {
  const rnd = prng(848);
  const problems: string[] = [];
  let groups = 0;
  let homogeneous = 0;
  for (let i = 0; i < 600; i++) {
    const { members, topics } = randomGroup(rnd);
    if (members.length === 0) continue;
    groups++;
    const result = uniformAssignor.assign(members, topics);
    const label = `group ${i}`;
    for (const p of validity(members, topics, result)) problems.push(`${label}: ${p}`);
    for (const p of balance(members, result)) problems.push(`${label}: ${p}`);
    const first = [...members[0]!.subscribedTopicIds].filter((id) => topics.has(id)).sort().join();
    if (members.every((m) => [...m.subscribedTopicIds].filter((id) => topics.has(id)).sort().join() === first)) {
      homogeneous++;
      const c = [...counts(result).values()];
      if (Math.max(...c) - Math.min(...c) > 1) problems.push(`${label}: counts ${c}`);
      if (stayed(members, topics, result) !== mostThatCanStay(members, topics)) {
        problems.push(`${label}: ${stayed(members, topics, result)} partitions stayed, ${mostThatCanStay(members, topics)} could have`);
      }
    }
    if (exact(uniformAssignor.assign(withCurrent(members, result), topics)) !== exact(result)) problems.push(`${label}: assigning again changes the assignment`);
    const other = shuffled(rnd, members, topics);
    if (exact(uniformAssignor.assign(other.members, other.topics)) !== exact(result)) problems.push(`${label}: the input's order changes the output`);
  }
  t.same(problems.slice(0, 20), [], `${groups} groups (${homogeneous} with the same subscriptions)`);
  t.ok(homogeneous > 100 && groups - homogeneous > 100, 'both strategies exercised');
});

t.test('range: seeded random groups get consecutive ranges, in member order, per topic', async (t) => {
  const rnd = prng(17);
  const problems: string[] = [];
  for (let i = 0; i < 400; i++) {
    const { members, topics } = randomGroup(rnd);
    const result = rangeAssignor.assign(members, topics);
    const label = `group ${i}`;
    for (const p of validity(members, topics, result)) problems.push(`${label}: ${p}`);
    const order = [...members].sort((a, b) =>
      a.instanceId !== null && b.instanceId !== null ? (a.instanceId < b.instanceId ? -1 : 1)
        : a.instanceId !== null ? -1 : b.instanceId !== null ? 1 : a.memberId < b.memberId ? -1 : 1);
    for (const [id, topic] of topics) {
      const subs = order.filter((m) => m.subscribedTopicIds.has(id));
      let next = 0;
      subs.forEach((m, k) => {
        const size = Math.floor(topic.partitions / subs.length) + (k < topic.partitions % subs.length ? 1 : 0);
        const got = [...(result.get(m.memberId)!.get(id) ?? [])];
        if (got.join() !== Array.from({ length: size }, (_, j) => next + j).join()) problems.push(`${label}: ${m.memberId} got ${got} of a ${topic.partitions}-partition topic`);
        next += size;
      });
    }
    const other = shuffled(rnd, members, topics);
    if (exact(rangeAssignor.assign(other.members, other.topics)) !== exact(result)) problems.push(`${label}: the input's order changes the output`);
  }
  t.same(problems.slice(0, 20), []);
});

t.test('uniform: big groups stay valid and balanced (no timing asserted)', async (t) => {
  const rnd = prng(1000);
  const topicIds = Array.from({ length: 20 }, () => rnd.uuid());
  const topics = new Map(topicIds.map((id) => [id, { id, name: id, partitions: 100 }]));
  const hetero = Array.from({ length: 300 }, (_, i) => member(`m${i}`, topicIds.filter(() => rnd.next() < 0.3)));
  const first = uniformAssignor.assign(hetero, topics);
  t.same(validity(hetero, topics, first), []);
  const joined = [...withCurrent(hetero, first), ...Array.from({ length: 30 }, (_, i) => member(`n${i}`, topicIds.filter(() => rnd.next() < 0.3)))];
  const second = uniformAssignor.assign(joined, topics);
  t.same(validity(joined, topics, second), []);
  t.same(balance(joined, second).slice(0, 5), []);
  t.ok(moves(first, second) < 2000, `${moves(first, second)} of 2000 partitions moved for 30 new members of 330`);
});
