/**
 * EtcdStore (src/controller/etcd-store.ts) against a real etcd
 * (compat-tests/helpers/etcd.ts): several stores on one etcd stand for the
 * broker processes of one cluster. Images converge with the same change
 * events as the process-local store, compare-and-set holds across stores,
 * registrations live under leases (a crash fences the broker after the TTL),
 * the controller is elected and a deposed one cannot write, producer id
 * blocks never overlap, and a store whose watch fell behind a compaction or
 * an etcd restart catches up. The LocalController over EtcdStores is in
 * etcd-controller.test.ts.
 */
import t from 'tap';
import { etcdAvailable, ETCD_MISSING } from '../../compat-tests/helpers/etcd.js';
import { startProxy } from '../../compat-tests/chaos/tcp-proxy.js';
import { EtcdStore } from '../../src/controller/etcd-store.js';
import { ErrorCode } from '../../src/wire/errors.js';
import type { MetadataChange } from '../../src/controller/cluster-metadata.js';
import { ConfigError } from '../../src/config/broker-config.js';
import { etcdCluster, until, sleep, TTL_MS, brokerInfo, state } from './etcd-helpers.js';

t.setTimeout(120_000);
const skip = etcdAvailable ? false : ETCD_MISSING;

/** The change events a store's listeners get, in order (topic events by topic name). */
function record(store: EtcdStore): { all: MetadataChange[]; of(topic: string): string[] } {
  const all: MetadataChange[] = [];
  store.onChange((c) => all.push(c));
  return { all, of: (topic) => all.filter((c) => 'topic' in c && c.topic.name === topic).map((c) => c.kind) };
}

t.test('leaseHolds: false once etcd is gone past the TTL, true again after a restart and re-registration', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const a = await c.open(1);
  const obs = await c.open(2);
  const r1 = await a.registerBroker(brokerInfo(1));
  await until(() => obs.broker(1)?.fenced === false, 5000, 'registration seen');
  t.ok(a.leaseHolds());
  await c.etcd.stop();
  const stopped = Date.now();
  t.ok(a.leaseHolds(), 'still holds just after etcd stopped (the lease has not run out)');
  await until(() => !a.leaseHolds(), TTL_MS + 2000, 'the lease no longer known to hold');
  const lapse = Date.now() - stopped;
  t.ok(lapse <= TTL_MS + 100, `given up within the TTL of the last renewal (${lapse} ms)`);
  t.ok(lapse >= 200, `not before a renewal was missed (${lapse} ms)`);
  await sleep(500);
  t.notOk(a.leaseHolds(), 'and stays so while etcd is down');
  await c.etcd.start();
  // The clients reconnect on their own; registering is retried until etcd answers (bounded).
  let r2: Awaited<ReturnType<EtcdStore['registerBroker']>> | undefined;
  const deadline = Date.now() + 15_000;
  while (!r2) {
    try { r2 = await a.registerBroker(brokerInfo(1)); } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
  t.ok(r2.epoch > r1.epoch, `a larger epoch after the restart (${r2.epoch} > ${r1.epoch})`);
  t.ok(a.leaseHolds(), 'the lease holds again');
  await until(() => obs.broker(1)?.epoch === r2!.epoch && obs.broker(1)?.fenced === false, 10_000, 'the observer caught up with the re-registration');
  await sleep(TTL_MS + 500);
  t.ok(a.leaseHolds(), 'and keeps holding');
  t.equal(obs.broker(1)?.fenced, false, 'the observer still sees it live');
});

t.test('a store survives an etcd restart and catches up with changes made while its watch was down', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const w = await c.open(1);
  const x = await c.open(2);
  await w.createTopics([{ name: 'before', configs: {}, internal: false, assignments: [[1]] }]);
  await until(() => x.topic('before') !== undefined, 5000, 'before in x');
  await c.etcd.stop();
  await sleep(500);
  await c.etcd.start();
  // w writes as soon as it can; x's watch is still in its reconnect backoff for part of this.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try { await w.createTopics([{ name: 'after', configs: {}, internal: false, assignments: [[1], [1]] }]); break; } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
  await w.deleteTopic('before');
  await until(() => x.topic('after') !== undefined && x.topic('before') === undefined, 15_000, 'x caught up after the restart');
  t.equal(x.topic('after')?.states.length, 2);
  t.equal(x.topic('after')?.id, w.topic('after')?.id);
  const [s] = await (async () => { await w.registerBroker(brokerInfo(1)); return w.updatePartitions([{ topic: 'after', partition: 1, expected: 0, state: { ...w.partition('after', 1)!, leaderEpoch: 9 } }]); })();
  t.ok(s, 'writes work after the restart');
  await until(() => x.partition('after', 1)?.leaderEpoch === 9, 5000, 'and reach x');
});

t.test('two stores converge: create, partition changes in order, configs, partitions, delete', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const a = await c.open(1);
  const b = await c.open(2);
  t.equal(a.clusterId, b.clusterId, 'one cluster id, written by the first store');
  t.match(a.clusterId, /^[A-Za-z0-9_-]{22}$/);
  await a.registerBroker(brokerInfo(1));
  await b.registerBroker(brokerInfo(2));
  // Initial ISRs hold the replicas the creating store knows to be live.
  await until(() => a.broker(2)?.fenced === false, 5000, 'broker 2 live in a');
  const ev = record(b);

  const [created] = await a.createTopics([{ name: 'orders', configs: { 'retention.ms': '1000' }, internal: false, assignments: [[1, 2], [2, 1], [1, 2]] }]);
  t.equal(created?.partitions, 3, 'the creating store returns the topic from its image');
  t.equal(a.topic('orders'), created, 'visible to the creating store when the call returns');
  await until(() => b.topic('orders') !== undefined, 5000, 'orders in the other image');
  const bo = b.topic('orders')!;
  t.equal(bo.id, created!.id, 'same topic id');
  t.equal(b.topicById(created!.id), bo, 'found by id');
  t.equal(b.collidingTopic('orders'), bo);
  t.equal(b.partitionTotal(), 3);
  t.same(bo.configs, { 'retention.ms': '1000' });
  t.same(bo.states, [
    state([1, 2], [1, 2], 1, 0, 0),
    state([2, 1], [2, 1], 2, 0, 0),
    state([1, 2], [1, 2], 1, 0, 0),
  ], 'initial partition states: every live replica in the ISR, the first one leading');
  t.same(b.partition('orders', 1), bo.states[1]);
  t.same(ev.of('orders'), ['created']);

  // Five changes of partition 1 through a: b sees them one by one, in order.
  const seenEpochs: number[] = [];
  b.onChange((ch) => { if (ch.kind === 'partition' && ch.topic.name === 'orders' && ch.partition === 1) seenEpochs.push(ch.state.partitionEpoch); });
  let cur = a.partition('orders', 1)!;
  for (let i = 0; i < 5; i++) {
    const leader = i % 2 === 0 ? 1 : 2;
    const [next] = await a.updatePartitions([{ topic: 'orders', partition: 1, expected: cur.partitionEpoch, state: { ...cur, leader, leaderEpoch: cur.leaderEpoch + 1 } }]);
    t.ok(next, `update ${i + 1} lands`);
    t.equal(a.partition('orders', 1)?.partitionEpoch, i + 1, 'the writer sees its own change when the call returns');
    cur = next!;
  }
  await until(() => seenEpochs.length >= 5, 5000, 'five partition events in b');
  t.same(seenEpochs, [1, 2, 3, 4, 5], 'partition events in the order the changes were made');
  t.same(b.partition('orders', 1), state([2, 1], [2, 1], 1, 5, 5));

  await a.setTopicConfigs('orders', { 'cleanup.policy': 'compact' });
  await until(() => ev.of('orders').includes('configs'), 5000, 'configs event in b');
  t.same(b.topic('orders')?.configs, { 'cleanup.policy': 'compact' }, 'configs replaced');
  t.equal(b.topic('orders'), bo, 'the same topic object, changed in place');

  await a.addPartitions('orders', [[2, 1]]);
  await until(() => ev.of('orders').includes('partitions'), 5000, 'partitions event in b');
  t.equal(bo.partitions, 4);
  t.equal(bo.states.length, 4);
  t.same(bo.states[3], state([2, 1], [2, 1], 2, 0, 0));
  t.equal(b.partitionTotal(), 4);

  const deleted = await a.deleteTopic('orders');
  t.equal(deleted?.id, created!.id, 'deleteTopic returns the topic');
  t.equal(a.topic('orders'), undefined);
  await until(() => ev.of('orders').includes('deleted'), 5000, 'deleted event in b');
  t.equal(b.topic('orders'), undefined);
  t.equal(b.topicById(created!.id), undefined);
  t.equal(b.collidingTopic('orders'), undefined);
  t.equal(b.partitionTotal(), 0);
  t.same(ev.of('orders'), ['created', 'partition', 'partition', 'partition', 'partition', 'partition', 'configs', 'partitions', 'deleted'], 'every change, once, in order');
  t.equal(await a.deleteTopic('orders'), undefined, 'deleting a missing topic: undefined');
  await t.rejects(a.setTopicConfigs('orders', {}), { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  await t.rejects(a.addPartitions('orders', [[1]]), { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
});

t.test('a topic larger than one etcd transaction appears only complete, and grows only complete', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const a = await c.open(1);
  const b = await c.open(2);
  const partial: string[] = [];
  const check = (where: string) => {
    const tp = b.topic('big');
    if (tp && (tp.states.length !== tp.partitions || tp.states.some((s) => !s) || (tp.partitions !== 250 && tp.partitions !== 400))) partial.push(`${where}: ${tp.partitions} partitions, ${tp.states.length} states`);
  };
  const kinds: string[] = [];
  b.onChange((ch) => {
    if (!('topic' in ch) || ch.topic.name !== 'big') return;
    kinds.push(ch.kind);
    check(`event ${ch.kind}`);
  });
  const poll = setInterval(() => check('poll'), 2);
  t.teardown(() => clearInterval(poll));

  const assignments = Array.from({ length: 250 }, (_, p) => [p % 3, (p + 1) % 3]);
  const [big] = await a.createTopics([{ name: 'big', configs: {}, internal: false, assignments }]);
  t.equal(big?.partitions, 250);
  t.equal(big?.states.length, 250);
  await until(() => b.topic('big') !== undefined, 5000, 'big in b');
  t.equal(b.topic('big')?.states.length, 250);
  t.same(b.topic('big')?.states[249], state([0, 1], [0, 1], 0, 0, 0), 'no registrations yet: every replica in the ISR');

  await a.addPartitions('big', Array.from({ length: 150 }, () => [2, 0]));
  t.equal(a.topic('big')?.partitions, 400);
  await until(() => b.topic('big')?.partitions === 400, 5000, 'big grown to 400 in b');
  t.equal(b.topic('big')?.states.length, 400);
  t.same(kinds, ['created', 'partitions'], 'one created and one partitions event, no intermediate ones');
  t.same(partial, [], 'never seen with fewer states than partitions');
  clearInterval(poll);
});


t.test('concurrent creation of one large topic from two stores: one wins, the topic is complete', { skip }, async (t) => {
  // The loser must fail at its first transaction and never mix its partition states into the winner's topic.
  const c = await etcdCluster(t);
  const a = await c.open(1);
  const b = await c.open(2);
  const assignments = Array.from({ length: 250 }, () => [1, 2]);
  for (let round = 0; round < 2; round++) {
    const name = `race-${round}`;
    const settled = await Promise.allSettled([
      a.createTopics([{ name, configs: {}, internal: false, assignments }]),
      b.createTopics([{ name, configs: {}, internal: false, assignments }]),
    ]);
    const won = settled.filter((s) => s.status === 'fulfilled') as PromiseFulfilledResult<{ id: string }[]>[];
    const lost = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    t.equal(won.length, 1, `${name}: exactly one creation succeeds`);
    t.same(lost.map((l) => (l.reason as { code?: number }).code), [ErrorCode.TOPIC_ALREADY_EXISTS], `${name}: the other gets TOPIC_ALREADY_EXISTS`);
    const id = won[0]?.value[0]?.id;
    t.ok(id, `${name}: the winner gets the topic back (it is complete in its image)`);
    await until(() => a.topic(name) !== undefined && b.topic(name) !== undefined, 1500, `${name} in both images`).catch((e: Error) => t.fail(e.message));
    t.ok(id && a.topic(name)?.id === id, `${name}: in a's image with the winner's id`);
    t.ok(id && b.topic(name)?.id === id, `${name}: in b's image with the winner's id`);
    t.equal(b.topic(name)?.states.length, 250, `${name}: complete`);
  }
});

t.test('compare-and-set: a stale expected epoch changes nothing; of two concurrent updates exactly one wins', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const a = await c.open(1);
  const b = await c.open(2);
  await a.registerBroker(brokerInfo(1));
  await b.registerBroker(brokerInfo(2));
  await until(() => a.brokers().length === 2, 5000, 'both registrations in a');
  await a.createTopics([{ name: 'cas', configs: {}, internal: false, assignments: [[1, 2]] }]);
  await until(() => b.topic('cas') !== undefined, 5000, 'cas in b');
  const s0 = a.partition('cas', 0)!;
  t.same(s0, state([1, 2], [1, 2], 1, 0, 0));

  t.same(await a.updatePartitions([{ topic: 'cas', partition: 0, expected: 7, state: { ...s0, isr: [1] } }]), [undefined], 'an epoch the partition never had');
  t.same(await a.updatePartitions([{ topic: 'cas', partition: 5, expected: 0, state: s0 }]), [undefined], 'a partition that does not exist');
  t.same(await a.updatePartitions([{ topic: 'nope', partition: 0, expected: 0, state: s0 }]), [undefined], 'a topic that does not exist');
  const [s1] = await a.updatePartitions([{ topic: 'cas', partition: 0, expected: 0, state: { ...s0, isr: [1] } }]);
  t.same(s1, state([1, 2], [1], 1, 0, 1), 'the update at the current epoch lands, partition epoch bumped');
  await until(() => b.partition('cas', 0)?.partitionEpoch === 1, 5000, 'epoch 1 in b');
  t.same(await b.updatePartitions([{ topic: 'cas', partition: 0, expected: 0, state: { ...s0, leader: 2, leaderEpoch: 1 } }]), [undefined], 'stale expected epoch (0 after 1) from the other store');
  await sleep(200);
  t.same(a.partition('cas', 0), s1, 'nothing changed in a');
  t.same(b.partition('cas', 0), s1, 'nothing changed in b');

  // Rounds of two stores writing the same partition at the same epoch at the same time.
  let winsA = 0;
  let winsB = 0;
  for (let round = 0; round < 10; round++) {
    const cur = a.partition('cas', 0)!;
    await until(() => b.partition('cas', 0)?.partitionEpoch === cur.partitionEpoch, 5000, `round ${round}: both images at one epoch`);
    const fromA = { ...cur, leader: 1, leaderEpoch: cur.leaderEpoch + 1, isr: [1] };
    const fromB = { ...cur, leader: 2, leaderEpoch: cur.leaderEpoch + 1, isr: [2] };
    const [[ra], [rb]] = await Promise.all([
      a.updatePartitions([{ topic: 'cas', partition: 0, expected: cur.partitionEpoch, state: fromA }]),
      b.updatePartitions([{ topic: 'cas', partition: 0, expected: cur.partitionEpoch, state: fromB }]),
    ]);
    if ((ra === undefined) === (rb === undefined)) { t.fail(`round ${round}: exactly one of two concurrent updates wins (a ${JSON.stringify(ra)}, b ${JSON.stringify(rb)})`); continue; }
    const winner = (ra ?? rb)!;
    if (ra) winsA++; else winsB++;
    t.equal(winner.partitionEpoch, cur.partitionEpoch + 1);
    await until(() => a.partition('cas', 0)?.partitionEpoch === winner.partitionEpoch && b.partition('cas', 0)?.partitionEpoch === winner.partitionEpoch, 5000, `round ${round}: the winner's state in both images`);
    t.same(a.partition('cas', 0), winner);
    t.same(b.partition('cas', 0), winner);
  }
  t.equal(winsA + winsB, 10, `ten rounds, ten single winners (a ${winsA}, b ${winsB})`);
  t.equal(a.partition('cas', 0)?.partitionEpoch, 11, 'one epoch per round, none skipped or doubled');
});

t.test('registration and liveness: epochs, a crash fences after the lease TTL, controlled shutdown fences at once', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const a = await c.open(1, { cuttable: true });
  const b = await c.open(2);
  const ev = record(b);
  t.equal(a.leaseHolds(), false, 'no lease before registering');
  await t.rejects(a.registerBroker(brokerInfo(2)), /cannot register broker 2/, 'a store registers only its own broker');

  const reg = await a.registerBroker({ id: 1, host: 'h1', port: 9001, rack: 'r1' });
  t.ok(reg.epoch > 0, `an epoch (${reg.epoch})`);
  t.equal(reg.fenced, false);
  t.same(a.broker(1), reg, 'in the registering store when the call returns');
  t.ok(a.leaseHolds(), 'the lease holds while registered');
  await until(() => b.broker(1)?.fenced === false, 5000, 'broker 1 unfenced in b');
  t.same(b.broker(1), { id: 1, host: 'h1', port: 9001, rack: 'r1', epoch: reg.epoch, fenced: false }, 'the same registration in b');
  t.ok(ev.all.some((ch) => ch.kind === 'brokers'), 'a brokers event');
  await sleep(TTL_MS + 500);
  t.equal(b.broker(1)?.fenced, false, 'keepalives keep the registration past the TTL');
  t.ok(a.leaseHolds(), 'and the lease known to hold');

  // A crash (as etcd sees it: the broker goes silent): nothing said to etcd.
  const brokerEvents = ev.all.filter((ch) => ch.kind === 'brokers').length;
  await c.cut(a);
  const crashed = Date.now();
  await until(() => b.broker(1)?.fenced === true, TTL_MS + 4000, 'broker 1 fenced in b after its lease lapsed');
  const after = Date.now() - crashed;
  t.ok(after >= 1000, `fenced by the lease running out, not at once (${after} ms after the crash)`);
  t.ok(ev.all.filter((ch) => ch.kind === 'brokers').length > brokerEvents, 'a brokers event for the fencing');
  t.same(b.broker(1), { id: 1, host: 'h1', port: 9001, rack: 'r1', epoch: reg.epoch, fenced: true }, 'the registration is kept, fenced, at its last epoch');

  // The broker restarts: a new, larger epoch.
  const a2 = await c.open(1);
  t.equal(a2.broker(1)?.fenced, true, 'a restarted store sees its old registration fenced');
  const reg2 = await a2.registerBroker({ id: 1, host: 'h1b', port: 9011, rack: null });
  t.ok(reg2.epoch > reg.epoch, `re-registration: a larger epoch (${reg2.epoch} > ${reg.epoch})`);
  await until(() => b.broker(1)?.epoch === reg2.epoch && b.broker(1)?.fenced === false, 5000, 'the new registration in b');
  t.same(b.broker(1), { id: 1, host: 'h1b', port: 9011, rack: null, epoch: reg2.epoch, fenced: false }, 'the new endpoint');
  const reg3 = await a2.registerBroker({ id: 1, host: 'h1b', port: 9011, rack: null });
  t.ok(reg3.epoch > reg2.epoch, 'registering again while registered: a larger epoch still');
  await until(() => b.broker(1)?.epoch === reg3.epoch, 5000, 'the third epoch in b');
  await sleep(TTL_MS + 500);
  t.equal(b.broker(1)?.fenced, false, 'the revoked earlier lease did not take the new registration with it');

  // Another broker cannot fence this one; only the broker itself (controlled shutdown).
  await b.setFenced(1, true);
  await sleep(300);
  t.equal(b.broker(1)?.fenced, false, "setFenced of another broker's registration is not this store's to do");
  const shutdown = Date.now();
  await a2.setFenced(1, true);
  t.equal(a2.broker(1)?.fenced, true, 'fenced in the own image when the call returns');
  await until(() => b.broker(1)?.fenced === true, 1500, 'fenced in b at once (well within the TTL)');
  t.ok(Date.now() - shutdown < TTL_MS, 'not by the lease running out');
  t.equal(a2.leaseHolds(), false, 'no lease after a controlled shutdown');
});


t.test('abandon() (a crash: nothing said to etcd) lets the registration and the campaign lapse after the TTL', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const a = await c.open(1);
  const b = await c.open(2);
  await a.registerBroker(brokerInfo(1));
  await until(() => b.broker(1)?.fenced === false && b.controllerId() === 1, 5000, 'broker 1 registered and controller, seen by b');
  c.abandon(a);
  await until(() => b.broker(1)?.fenced === true, TTL_MS + 2000, 'broker 1 fenced in b after the crash').catch((e: Error) => t.fail(e.message));
  // The registration and the campaign lapse with the same lease, but b watches them separately: their events may come a moment apart.
  await until(() => b.controllerId() === -1, 2000, 'the campaign to lapse too').catch(() => undefined);
  t.equal(b.controllerId(), -1, 'and no longer the controller');
});

t.test('controller election; a non-elected or deposed controller cannot write; nor a broker whose registration is gone', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const s1 = await c.open(1, { cuttable: true });
  const s2 = await c.open(2, { cuttable: true });
  t.equal(s1.controllerId(), -1, 'no controller before any registration');
  t.equal(s1.isController(), false);
  await s1.registerBroker(brokerInfo(1));
  await s2.registerBroker(brokerInfo(2));
  await until(() => s1.controllerId() !== -1 && s1.controllerId() === s2.controllerId() && [s1, s2].filter((s) => s.isController()).length === 1, 5000, 'one controller, agreed on');
  const elected = s1.isController() ? s1 : s2;
  const other = elected === s1 ? s2 : s1;
  const electedId = elected === s1 ? 1 : 2;
  const otherId = 3 - electedId;
  t.equal(elected.controllerId(), electedId, 'the elected store is the one both name');
  t.notOk(other.isController(), 'the other is not the controller');

  await elected.createTopics([{ name: 'ctl', configs: {}, internal: false, assignments: [[1, 2]] }]);
  await until(() => other.topic('ctl') !== undefined, 5000, 'ctl in both');
  const bump = (s: EtcdStore) => {
    const cur = s.partition('ctl', 0)!;
    return { topic: 'ctl', partition: 0, expected: cur.partitionEpoch, state: { ...cur, leaderEpoch: cur.leaderEpoch + 1 } };
  };
  t.same(await other.updatePartitions([bump(other)], 'controller'), [undefined], 'a controller write from the store that is not elected fails');
  t.equal(other.partition('ctl', 0)?.partitionEpoch, 0, 'and changed nothing');
  const [byController] = await elected.updatePartitions([bump(elected)], 'controller');
  t.equal(byController?.partitionEpoch, 1, "the elected controller's write lands");
  await until(() => other.partition('ctl', 0)?.partitionEpoch === 1, 5000, 'seen by the other');
  const [byBroker] = await other.updatePartitions([bump(other)], 'broker');
  t.equal(byBroker?.partitionEpoch, 2, 'a registered broker may write as a broker');

  // The controller crashes (goes silent): the other takes over after the TTL.
  await c.cut(elected);
  await until(() => other.isController(), TTL_MS + 5000, 'the other store elected after the lease ran out');
  t.equal(other.controllerId(), otherId);
  await until(() => other.partition('ctl', 0)?.partitionEpoch === 2, 5000, 'own write seen');
  const [byNew] = await other.updatePartitions([bump(other)], 'controller');
  t.equal(byNew?.partitionEpoch, 3, "the new controller's writes land");

  // A controller deposed without knowing it yet (its campaign lease ended in etcd): its writes are refused by etcd.
  const s3 = await c.open(3);
  await s3.registerBroker(brokerInfo(3));
  await until(() => s3.controllerId() === otherId, 5000, 's3 sees the controller');
  const raw = c.raw();
  const campaignKeys = await raw.getAll().prefix(`${c.prefix}/election/controller/`).exec();
  const own = campaignKeys.kvs.find((kv) => kv.value.toString() === String(otherId))!;
  t.ok(own, "the controller's campaign key");
  await raw.leaseClient.leaseRevoke({ ID: own.lease });
  const [late] = await other.updatePartitions([bump(other)], 'controller');
  t.equal(late, undefined, 'a write as controller after the campaign lease ended is refused');
  await until(() => s3.isController(), 5000, 'the remaining candidate elected');
  await until(() => other.controllerId() === 3, 3000, 'the deposed controller names the new one');
  t.notOk(other.isController(), 'and knows it is not the controller');
  await until(() => s3.partition('ctl', 0)?.partitionEpoch === 3, 5000, 'epoch 3 in s3');
  const [byS3] = await s3.updatePartitions([bump(s3)], 'controller');
  t.equal(byS3?.partitionEpoch, 4, "the newly elected controller's writes land");
  await until(() => other.partition('ctl', 0)?.partitionEpoch === 4, 5000, 'epoch 4 in the deposed store');

  // A broker write needs the writer's live registration at its epoch.
  await s3.setFenced(3, true);
  t.same(await s3.updatePartitions([bump(s3)], 'broker'), [undefined], 'a broker write after a controlled shutdown fails');
  const alive = await raw.get(`${c.prefix}/alive/${otherId}`).exec();
  t.equal(alive.kvs.length, 1, 'the other broker is registered');
  await raw.leaseClient.leaseRevoke({ ID: alive.kvs[0]!.lease });
  t.same(await other.updatePartitions([bump(other)], 'broker'), [undefined], 'a broker write after its registration lease ended in etcd fails, known or not');
  t.equal(other.partition('ctl', 0)?.partitionEpoch, 4, 'nothing changed');
});

t.test('producer id blocks reserved from two stores at once never overlap', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const a = await c.open(1);
  const b = await c.open(2);
  const starts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).reserveProducerIds(100)));
  const sorted = [...starts].sort((x, y) => x - y);
  t.same(sorted, Array.from({ length: 20 }, (_, i) => i * 100), 'twenty disjoint blocks of 100, none lost');
  t.equal(await b.reserveProducerIds(5), 2000, 'the next block follows');
  t.equal(await a.reserveProducerIds(1), 2005);
});

t.test('a watch that fell behind a compaction reloads: the image catches up with what changed meanwhile', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const proxy = await startProxy({ target: { host: '127.0.0.1', port: c.etcd.clientPort } });
  c.onClose(() => proxy.close());
  const w = await c.open(1);
  await w.registerBroker(brokerInfo(1));
  const x = await c.open(2, { endpoint: `127.0.0.1:${proxy.port}` });
  await w.createTopics([
    { name: 'keep', configs: {}, internal: false, assignments: [[1]] },
    { name: 'gone', configs: {}, internal: false, assignments: [[1]] },
    { name: 'again', configs: {}, internal: false, assignments: [[1]] },
  ]);
  await until(() => x.topics().length === 3 && x.broker(1)?.fenced === false, 5000, 'x has the topics');
  const againId = x.topic('again')!.id;
  const ev = record(x);

  proxy.block('all');
  const keep = w.partition('keep', 0)!;
  t.ok((await w.updatePartitions([{ topic: 'keep', partition: 0, expected: 0, state: { ...keep, leaderEpoch: 3 } }]))[0], 'a partition change');
  await w.deleteTopic('gone');
  await w.deleteTopic('again');
  await w.createTopics([
    { name: 'fresh', configs: { a: 'b' }, internal: false, assignments: [[1], [1]] },
    { name: 'again', configs: {}, internal: false, assignments: [[1]] },
  ]);
  await w.setTopicConfigs('keep', { x: 'y' });
  const raw = c.raw();
  const rev = Number((await raw.get('anything').exec()).header.revision);
  await raw.kv.compact({ revision: String(rev), physical: true });
  await sleep(300);
  t.ok(x.topic('gone'), 'x has not seen the changes while cut off');
  proxy.unblock();

  await until(() => x.topic('fresh') !== undefined && x.topic('gone') === undefined && x.topic('again')?.id !== againId && x.partition('keep', 0)?.leaderEpoch === 3 && x.topic('keep')?.configs.x === 'y', 15_000, 'x caught up');
  t.ok(c.warnings.some((m) => /watch failed.*reloading/.test(m)), 'the watch was cancelled (compacted) and the store reloaded');
  t.same(x.topic('fresh')?.configs, { a: 'b' });
  t.equal(x.topic('fresh')?.states.length, 2);
  t.equal(x.topicById(againId), undefined, 'the old id of the re-created topic is gone');
  t.equal(x.topicById(w.topic('again')!.id), x.topic('again'));
  t.same(ev.of('gone'), ['deleted']);
  t.same(ev.of('fresh'), ['created']);
  t.same(ev.of('again'), ['deleted', 'created'], 're-created while away: deleted (old id) then created (new id)');
  t.same(ev.of('keep').sort(), ['configs', 'partition'], 'the partition change and the configs');
  // And the watch works again afterwards.
  await w.deleteTopic('fresh');
  await until(() => x.topic('fresh') === undefined, 5000, 'a later change through the new watch');
  t.same(ev.of('fresh'), ['created', 'deleted']);
});

t.test('an unreachable etcd stops start-up with a plain message naming the setting', async (t) => {
  const err = await EtcdStore.open({ endpoints: ['127.0.0.1:1'], prefix: '/samsa/none', nodeId: 0, leaseTtlMs: 2000, log: { info: () => {}, warn: () => {}, error: () => {} } }).then(() => undefined, (e: Error) => e);
  t.ok(err instanceof ConfigError, 'a ConfigError (printed without a stack)');
  t.match(err?.message, /cannot reach the cluster metadata in etcd at 127\.0\.0\.1:1 \(metadata\.url \/ --metadata\)/);
  t.notMatch(err?.message, /Resolution note/);
});
