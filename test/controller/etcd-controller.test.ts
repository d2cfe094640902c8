/**
 * LocalController (src/controller/controller.ts) over EtcdStores on a real
 * etcd: one controller per broker "process", liveness and the election kept
 * by the store. When a broker goes silent its lease lapses and the elected
 * controller moves leadership to the next ISR member and shrinks the ISRs;
 * AlterPartition is checked as Kafka's controller checks it; a broker that
 * comes back leads the partitions only it can lead; a controlled shutdown
 * moves leadership away before it returns.
 */
import t from 'tap';
import { etcdAvailable, ETCD_MISSING } from '../../compat-tests/helpers/etcd.js';
import { LocalController } from '../../src/controller/controller.js';
import { ErrorCode } from '../../src/wire/errors.js';
import type { EtcdStore } from '../../src/controller/etcd-store.js';
import type { BrokerRegistration } from '../../src/controller/cluster-metadata.js';
import { etcdCluster, until, TTL_MS, brokerInfo, state } from './etcd-helpers.js';

t.setTimeout(60_000);
const skip = etcdAvailable ? false : ETCD_MISSING;

t.test('a silent leader loses its partitions to the next ISR member; AlterPartition checks; a returning broker leads again', { skip }, async (t) => {
  const c = await etcdCluster(t);
  const stores: EtcdStore[] = [];
  const controllers: LocalController[] = [];
  const regs: BrokerRegistration[] = [];
  const controllerOf = (s: EtcdStore) => {
    const ctl = new LocalController(s, { sessionTimeoutMs: TTL_MS, uncleanAllowed: () => false, autoLeaderRebalance: false, leaderImbalanceCheckMs: 300_000 });
    t.teardown(() => ctl.close());
    return ctl;
  };
  for (const id of [1, 2, 3]) {
    const s = await c.open(id, { cuttable: true });
    const ctl = controllerOf(s);
    stores.push(s);
    controllers.push(ctl);
    regs.push(await ctl.registerBroker(brokerInfo(id)));
  }
  const [s1, s2, s3] = stores as [EtcdStore, EtcdStore, EtcdStore];
  const [c1, c2, c3] = controllers as [LocalController, LocalController, LocalController];
  await until(() => stores.every((s) => s.brokers().filter((b) => !b.fenced).length === 3), 5000, 'three live brokers in every image');
  await until(() => stores.filter((s) => s.isController()).length === 1 && stores.every((s) => s.controllerId() === stores[0]!.controllerId()), 5000, 'one elected controller');
  const firstController = s1.controllerId();
  t.ok(await c1.heartbeat(1, regs[0]!.epoch), 'a heartbeat at the current epoch is accepted');
  t.notOk(await c1.heartbeat(1, regs[0]!.epoch - 1), 'one at another epoch is not');

  await c2.createTopics([
    { name: 'rep', configs: {}, internal: false, assignments: [[2, 1, 3], [1, 2, 3], [3, 2, 1]] },
    { name: 'solo', configs: {}, internal: false, assignments: [[2]] },
  ]);
  await until(() => s1.topic('solo') !== undefined && s3.topic('solo') !== undefined, 5000, 'topics in every image');
  t.same(s1.partition('rep', 0), state([2, 1, 3], [2, 1, 3], 2, 0, 0), 'broker 2 leads rep-0');

  // Broker 2 goes silent (a crash as etcd sees it; perhaps the controller too).
  await c.cut(s2);
  c2.close();
  const cut = Date.now();
  const settled = (s: EtcdStore) => s.partition('rep', 0)?.leader === 1 && s.partition('rep', 1)?.isr.length === 2 && s.partition('rep', 2)?.isr.length === 2 && s.partition('solo', 0)?.leader === -1;
  await until(() => settled(s1) && settled(s3), TTL_MS + 6000, `leadership moved off broker 2 in both images (controller was ${firstController})`);
  const took = Date.now() - cut;
  t.ok(took >= 500, `after the lease lapsed (${took} ms)`);
  for (const [name, s] of [['s1', s1], ['s3', s3]] as const) {
    t.same(s.partition('rep', 0), state([2, 1, 3], [1, 3], 1, 1, 1), `${name}: rep-0 led by the next ISR member in replica order, 2 out of the ISR, leader epoch bumped`);
    t.same(s.partition('rep', 1), state([1, 2, 3], [1, 3], 1, 0, 1), `${name}: rep-1 keeps its leader, 2 leaves the ISR, leader epoch unchanged`);
    t.same(s.partition('rep', 2), state([3, 2, 1], [3, 1], 3, 0, 1), `${name}: rep-2 likewise`);
    t.same(s.partition('solo', 0), state([2], [2], -1, 1, 1), `${name}: solo-0 has no leader; its last ISR member stays in the ISR`);
    t.equal(s.broker(2)?.fenced, true, `${name}: broker 2 fenced`);
  }
  t.ok(s1.isController() || s3.isController(), 'a live broker is the controller');

  // AlterPartition, in Kafka's order of checks.
  const e1 = regs[0]!.epoch;
  const e3 = regs[2]!.epoch;
  const req = { topic: 'rep', partition: 0, leaderEpoch: 1, partitionEpoch: 1 };
  t.same(await c3.alterPartition({ ...req, brokerId: 3, brokerEpoch: e3, isr: [1, 3] }), { errorCode: ErrorCode.INVALID_REQUEST }, 'from a broker that is not the leader: INVALID_REQUEST');
  t.same(await c1.alterPartition({ ...req, brokerId: 2, brokerEpoch: regs[1]!.epoch, isr: [2] }), { errorCode: ErrorCode.STALE_BROKER_EPOCH }, 'from a fenced broker: STALE_BROKER_EPOCH');
  t.same(await c1.alterPartition({ ...req, brokerId: 1, brokerEpoch: e1 - 1, isr: [1] }), { errorCode: ErrorCode.STALE_BROKER_EPOCH }, 'at an old broker epoch: STALE_BROKER_EPOCH');
  t.same(await c1.alterPartition({ ...req, partition: 9, brokerId: 1, brokerEpoch: e1, isr: [1] }), { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  t.same(await c1.alterPartition({ ...req, leaderEpoch: 0, brokerId: 1, brokerEpoch: e1, isr: [1] }), { errorCode: ErrorCode.FENCED_LEADER_EPOCH }, 'an older leader epoch: FENCED_LEADER_EPOCH');
  t.same(await c1.alterPartition({ ...req, partitionEpoch: 0, brokerId: 1, brokerEpoch: e1, isr: [1] }), { errorCode: ErrorCode.INVALID_UPDATE_VERSION }, 'an older partition epoch: INVALID_UPDATE_VERSION');
  t.same(await c1.alterPartition({ ...req, brokerId: 1, brokerEpoch: e1, isr: [1, 2, 3] }), { errorCode: ErrorCode.INELIGIBLE_REPLICA }, 'a fenced broker in the new ISR: INELIGIBLE_REPLICA');
  t.same(s3.partition('rep', 0)?.partitionEpoch, 1, 'none of them changed anything');
  const shrunk = await c1.alterPartition({ ...req, brokerId: 1, brokerEpoch: e1, isr: [1] });
  t.same(shrunk, { errorCode: ErrorCode.NONE, state: state([2, 1, 3], [1], 1, 1, 2) }, 'the leader shrinks its ISR');
  await until(() => s3.partition('rep', 0)?.partitionEpoch === 2, 5000, 'the shrink seen by broker 3');
  t.same(s3.partition('rep', 0), state([2, 1, 3], [1], 1, 1, 2));
  const grown = await c1.alterPartition({ ...req, partitionEpoch: 2, brokerId: 1, brokerEpoch: e1, isr: [1, 3] });
  t.equal(grown.errorCode, ErrorCode.NONE, 'and grows it back');
  await until(() => s3.partition('rep', 0)?.isr.length === 2, 5000, 'the expansion seen by broker 3');

  // Broker 2 comes back (a new process): the only ISR member of solo-0 leads it again.
  const s2b = await c.open(2);
  const c2b = controllerOf(s2b);
  const reg2 = await c2b.registerBroker(brokerInfo(2));
  t.ok(reg2.epoch > regs[1]!.epoch, 'a new, larger epoch');
  await until(() => s1.partition('solo', 0)?.leader === 2 && s2b.partition('solo', 0)?.leader === 2, TTL_MS + 4000, 'solo-0 led by broker 2 again');
  t.same(s1.partition('solo', 0), state([2], [2], 2, 2, 2), 'clean election of the returning ISR member, leader epoch bumped');
  t.same(s1.partition('rep', 0)?.leader, 1, 'where 2 left the ISR it does not lead (the leader adds it back once caught up)');

  // Controlled shutdown of broker 3: what it leads moves before the call returns.
  t.equal(s1.partition('rep', 2)?.leader, 3);
  await c3.unregisterBroker(3, e3);
  t.equal(s3.partition('rep', 2)?.leader, 1, 'rep-2 moved to the next ISR member when unregisterBroker returned');
  t.same(s3.partition('rep', 2)?.isr, [1], 'and 3 left its ISR');
  await until(() => s1.broker(3)?.fenced === true && s1.partition('rep', 2)?.leader === 1, 5000, 'seen by broker 1');
});
