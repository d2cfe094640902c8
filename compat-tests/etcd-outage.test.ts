/**
 * Issue 13, item 3: what three broker processes do when etcd, their metadata
 * store, is slow or gone (lease TTL = broker.session.timeout.ms = 2 s, from
 * PROCESS_FAST_FAILOVER), with kafkajs, kcat and bare Produce requests over
 * TCP (helpers/process-cluster.ts):
 *  - etcd stopped for less than the lease: the leaders keep taking acks=all
 *    writes;
 *  - etcd stopped for longer than the lease: every leader answers Produce with
 *    NOT_LEADER_OR_FOLLOWER instead of taking writes a new leader would not
 *    have, no broker process exits, and when etcd comes back the cluster
 *    recovers without a restart (acks=all writes again, full ISRs);
 *  - one leader cut from etcd alone: once its lease is gone the others elect a
 *    new leader and take writes, the cut-off broker refuses writes as leader,
 *    and healed it rejoins as a follower with the same data (it is made leader
 *    again and read back).
 * Needs etcd (/usr/bin/etcd), kcat and the built CLI (dist/src/cli/main.js).
 */
import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { etcdAvailable, ETCD_MISSING } from './helpers/etcd.js';
import { SAMSA_MAIN, startProcessCluster, waitForFullIsrP, type ProcessCluster, type ProcessPartitionStatus } from './helpers/process-cluster.js';
import { kcatConsumeAll, type KcatMessage } from './helpers/kcat.js';
import { WireClient } from './helpers/wire-client.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { encodeElectLeadersRequest, decodeElectLeadersResponse } from '../src/wire/generated/elect-leaders.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';

const skip = !etcdAvailable ? ETCD_MISSING : !existsSync(SAMSA_MAIN) ? `${SAMSA_MAIN} is missing (build first: make build)` : false;
const R3 = { replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] };
const LEASE_TTL_MS = 2000; // broker.session.timeout.ms in PROCESS_FAST_FAILOVER
const NOT_LEADER_OR_FOLLOWER = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection naming `what` after `ms` (every wait on a client is bounded; the timer does not outlive it). */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e as Error); });
  });
}

interface ProduceAnswer { errorCode: number; baseOffset: number; errorMessage?: string | null }

/** One Produce (v9, one record per partition) straight to broker `id`, bounded; 'no answer' when it does not reply in time. */
async function produceTo(c: ProcessCluster, id: number, topic: string, values: { partition: number; value: string }[], acks = -1, ms = 6000): Promise<Map<number, ProduceAnswer> | 'no answer'> {
  const [host, port] = c.address(id).split(':');
  const w = await WireClient.connect(host!, Number(port));
  try {
    const req = { transactionalId: null, acks, timeoutMs: 3000, topicData: [{ name: topic, partitionData: values.map(({ partition, value }) => ({ index: partition, records: buildBatch([{ value }]) })) }] };
    const res = await bounded(w.request(ApiKey.Produce, 9, (x) => encodeProduceRequest(x, req, 9), (r) => decodeProduceResponse(r, 9)), ms, 'Produce').catch(() => undefined);
    if (!res) return 'no answer';
    return new Map(res.responses.flatMap((tr) => tr.partitionResponses.map((p) => [p.index, { errorCode: p.errorCode, baseOffset: Number(p.baseOffset), errorMessage: p.errorMessage }] as const)));
  } finally {
    w.close();
  }
}

async function partitionsOf(c: ProcessCluster, topic: string, via?: number): Promise<ProcessPartitionStatus[]> {
  const tp = (await c.status(via === undefined ? {} : { via })).topics.find((x) => x.name === topic);
  if (!tp) throw new Error(`no topic ${topic} in the metadata${via === undefined ? '' : ` of broker ${via}`}`);
  return tp.partitions;
}

const dump = (msgs: KcatMessage[]) => msgs.map((m) => `${m.partition}:${m.offset}:${m.payload}`).sort();

t.test('three broker processes when etcd is gone, and when one broker is cut from it', { skip, timeout: 170_000 }, async (t) => {
  const began = Date.now();
  const c = await startProcessCluster(t, { brokers: 3 });
  t.teardown(() => t.comment(`outage file ran ${((Date.now() - began) / 1000).toFixed(1)} s`));
  const running = () => [...Array(c.size).keys()].filter((i) => c.running(i)).map((i) => c.address(i));
  const kafka = new Kafka({ brokers: running, logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 10_000, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const begin = (tt: Test) => tt.teardown(() => { if (!tt.passing()) tt.comment(`${c.allLogs()}\n--- etcd ---\n${c.etcd.logs()}`); });

  await t.test('etcd stopped: writes go on within the lease, are refused (NOT_LEADER_OR_FOLLOWER) after it, and resume when etcd returns without a broker restart', async (t) => {
    begin(t);
    await admin.createTopics({ topics: [{ topic: 'out', numPartitions: 3, ...R3 }] });
    await waitForFullIsrP(c, ['out'], 20_000);
    const before = await partitionsOf(c, 'out');
    t.same(new Set(before.map((p) => p.leader)).size, 3, `each broker leads one partition of out (${before.map((p) => p.leader)})`);
    const acked = new Set<string>();
    const refused = new Set<string>();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    for (let i = 0; i < 30; i++) {
      const [r] = await bounded(producer.send({ topic: 'out', acks: -1, messages: [{ partition: i % 3, value: `pre-${i}` }] }), 10_000, 'a send');
      t.equal(r!.errorCode, 0);
      acked.add(`pre-${i}`);
    }

    // 1. A short outage: writes sent right away are taken by every leader (the lease still holds).
    let t0 = Date.now();
    await c.etcd.stop();
    const short = await Promise.all(before.map((p) => produceTo(c, p.leader, 'out', [{ partition: p.partition, value: `short-${p.partition}` }])));
    const shortMs = Date.now() - t0;
    before.forEach((p, i) => {
      const a = short[i]!;
      const r = a === 'no answer' ? undefined : a.get(p.partition);
      t.equal(r?.errorCode, 0, `etcd down ${shortMs} ms (< ${LEASE_TTL_MS} ms lease): broker ${p.leader} took an acks=all write to out-${p.partition} (${JSON.stringify(r ?? a)})`);
      if (r?.errorCode === 0) acked.add(`short-${p.partition}`);
    });
    await c.etcd.start();
    t.comment(`short outage: ${Date.now() - t0} ms`);
    await waitForFullIsrP(c, ['out'], 20_000);
    const kept = await partitionsOf(c, 'out');
    t.same(kept.map((p) => p.leader), before.map((p) => p.leader), 'the short outage moved no leadership');

    // 2. A long outage: past the lease every leader refuses writes.
    t0 = Date.now();
    await c.etcd.stop();
    await sleep(LEASE_TTL_MS + 1000);
    for (const p of kept) {
      for (const acks of [-1, 1]) {
        const value = `long-${p.partition}-acks${acks}`;
        const a = await produceTo(c, p.leader, 'out', [{ partition: p.partition, value }], acks);
        const r = a === 'no answer' ? undefined : a.get(p.partition);
        t.equal(r?.errorCode, NOT_LEADER_OR_FOLLOWER, `etcd down ${Date.now() - t0} ms (> lease): broker ${p.leader}, leader of out-${p.partition} before, answers acks=${acks} Produce with NOT_LEADER_OR_FOLLOWER (${JSON.stringify(r ?? a)})`);
        if (r?.errorCode === 0) acked.add(value); else refused.add(value);
      }
      // No broker takes it: the two followers refuse too.
      for (const other of [0, 1, 2].filter((b) => b !== p.leader)) {
        const value = `long-${p.partition}-via${other}`;
        const a = await produceTo(c, other, 'out', [{ partition: p.partition, value }]);
        const r = a === 'no answer' ? undefined : a.get(p.partition);
        t.not(r?.errorCode, 0, `broker ${other} does not take a write to out-${p.partition} either (${JSON.stringify(r ?? a)})`);
        if (r?.errorCode === 0) acked.add(value); else refused.add(value);
      }
    }
    // kafkajs without retries is told so.
    const once = kafka.producer({ idempotent: false, retry: { retries: 0 } });
    await once.connect();
    t.teardown(() => once.disconnect());
    const err = await bounded(once.send({ topic: 'out', acks: -1, timeout: 3000, messages: [{ partition: 0, value: 'long-kafkajs' }] }), 15_000, 'kafkajs send during the outage').then(() => undefined, (e: Error) => e);
    type Chained = Error & { type?: string; originalError?: Chained; cause?: Chained; errors?: Chained[] };
    const chain: string[] = [];
    const walk = (e: Chained | undefined, depth = 0): void => { if (!e || depth > 5) return; chain.push(e.type ?? e.name); walk(e.originalError ?? e.cause, depth + 1); for (const x of e.errors ?? []) walk(x, depth + 1); };
    walk(err as Chained);
    // kafkajs names error 6 by its old name, NOT_LEADER_FOR_PARTITION.
    t.ok(err && chain.some((x) => x === 'NOT_LEADER_OR_FOLLOWER' || x === 'NOT_LEADER_FOR_PARTITION'), `kafkajs send during the outage fails with error 6, NOT_LEADER_OR_FOLLOWER (error chain: ${chain.join(' <- ') || 'none: it was acknowledged'})`);
    if (err) refused.add('long-kafkajs'); else acked.add('long-kafkajs');
    t.same([0, 1, 2].filter((i) => !c.running(i)), [], `no broker process exited (etcd down ${Date.now() - t0} ms)`);
    // Each broker says in its log (at the default level, warn) that its lease is lost; etcd stays down until then,
    // so the recovery below is from lost leases (new registrations), not only from keepalives that resume.
    const since = new Date(t0).toISOString(); // the brokers' log lines begin with an ISO time
    const outageLines = () => [0, 1, 2].map((i) => c.logs(i).split('\n').filter((l) => /lease is lost/i.test(l) && l.slice(0, since.length) >= since));
    while (Date.now() - t0 < 15_000 && !outageLines().every((ls) => ls.length > 0)) await sleep(200);
    t.ok(outageLines().every((ls) => ls.length > 0), `every broker logs that its etcd lease is lost (etcd down ${Date.now() - t0} ms)`);
    t.same([0, 1, 2].filter((i) => !c.running(i)), [], `still no broker process exited (etcd down ${Date.now() - t0} ms)`);
    t.comment(`log lines during the outage: ${outageLines().map((ls, i) => `broker ${i}: ${ls.slice(0, 2).join(' | ')}`).join('\n')}`);

    // 3. etcd returns: the same processes recover.
    t0 = Date.now();
    await c.etcd.start();
    let recovered = false;
    for (let n = 0; Date.now() - t0 < 30_000; n++) {
      try {
        await Promise.all([0, 1, 2].map(async (p) => {
          const [r] = await bounded(producer.send({ topic: 'out', acks: -1, timeout: 3000, messages: [{ partition: p, value: `post-${n}-${p}` }] }), 10_000, 'a send');
          if (r!.errorCode !== 0) throw new Error(`error ${r!.errorCode}`);
          acked.add(`post-${n}-${p}`);
        }));
        recovered = true;
        break;
      } catch {
        await sleep(200);
      }
    }
    t.ok(recovered, `acks=all writes to every partition are acknowledged again ${Date.now() - t0} ms after etcd returned`);
    await waitForFullIsrP(c, ['out'], 30_000);
    t.pass(`every ISR of out is full again (${Date.now() - t0} ms after etcd returned)`);
    for (const p of await partitionsOf(c, 'out')) {
      const a = await produceTo(c, p.leader, 'out', [{ partition: p.partition, value: `after-${p.partition}` }]);
      const r = a === 'no answer' ? undefined : a.get(p.partition);
      t.equal(r?.errorCode, 0, `broker ${p.leader}, leader of out-${p.partition}, takes acks=all writes again`);
      if (r?.errorCode === 0) acked.add(`after-${p.partition}`);
    }
    for (let i = 0; i < 3; i++) {
      t.ok(c.running(i), `broker ${i} is running`);
      t.notMatch(c.logs(i), /=== run 2 of broker|exited/, `broker ${i} was never restarted and never exited`);
    }

    // Every acknowledged write once; nothing refused written.
    const read = await kcatConsumeAll(c.bootstrap, 'out');
    const values = read.map((m) => m.payload ?? '');
    t.same([...acked].filter((v) => !values.includes(v)), [], `all ${acked.size} acknowledged writes are there`);
    t.same(values.filter((v) => refused.has(v)), [], `none of the ${refused.size} refused writes is`);
    t.equal(new Set(values).size, values.length, 'no value twice');
    for (let p = 0; p < 3; p++) {
      const offs = read.filter((m) => m.partition === p).map((m) => m.offset).sort((a, b) => a - b);
      t.ok(offs.every((o, i) => o === i), `out-${p}: offsets dense from 0`);
    }
  });

  await t.test('a leader cut from etcd alone: the others elect a new leader, it refuses writes, and healed it rejoins with the same data', async (t) => {
    begin(t);
    await admin.createTopics({ topics: [{ topic: 'iso', numPartitions: 1, ...R3 }] });
    await waitForFullIsrP(c, undefined, 30_000);
    const [p0] = await partitionsOf(c, 'iso');
    const cut = p0!.leader;
    t.equal(p0!.replicas[0], cut, `broker ${cut}, the preferred replica, leads iso-0`);
    const others = [0, 1, 2].filter((b) => b !== cut);
    const kafkaOthers = new Kafka({ brokers: others.map((b) => c.address(b)), logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 10_000, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer = kafkaOthers.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    const acked = new Set<string>();
    const refused = new Set<string>();
    for (let i = 0; i < 20; i++) { await bounded(producer.send({ topic: 'iso', acks: -1, messages: [{ partition: 0, value: `a-${i}` }] }), 10_000, 'a send'); acked.add(`a-${i}`); }

    const t0 = Date.now();
    c.isolate(cut, 'etcd');
    let leader = cut;
    let epoch = p0!.leaderEpoch;
    while (Date.now() - t0 < 20_000) {
      const ps = await partitionsOf(c, 'iso', others[0]).catch(() => undefined);
      if (ps && ps[0]!.leader >= 0 && ps[0]!.leader !== cut) { leader = ps[0]!.leader; epoch = ps[0]!.leaderEpoch; break; }
      await sleep(100);
    }
    const electedMs = Date.now() - t0;
    t.ok(leader !== cut && others.includes(leader), `broker ${leader} leads iso-0 (epoch ${epoch}) ${electedMs} ms after broker ${cut} was cut from etcd`);
    const isr = (await partitionsOf(c, 'iso', others[0]))[0]!.isr;
    t.notOk(isr.includes(cut), `the cut-off broker left the ISR (${isr})`);

    // The cut-off broker refuses writes as leader, whatever acks, while it stays cut off.
    for (let round = 0; round < 3; round++) {
      for (const acks of [-1, 1]) {
        const value = `zombie-${round}-acks${acks}`;
        const a = await produceTo(c, cut, 'iso', [{ partition: 0, value }], acks);
        const r = a === 'no answer' ? undefined : a.get(0);
        t.equal(r?.errorCode, NOT_LEADER_OR_FOLLOWER, `broker ${cut}, cut from etcd, answers acks=${acks} Produce with NOT_LEADER_OR_FOLLOWER (${JSON.stringify(r ?? a)})`);
        if (r?.errorCode === 0) acked.add(value); else refused.add(value);
      }
      await sleep(300);
    }
    // The new leader takes writes, straight and through kafkajs.
    const direct = await produceTo(c, leader, 'iso', [{ partition: 0, value: 'b-direct' }]);
    t.equal(direct === 'no answer' ? direct : direct.get(0)?.errorCode, 0, `the new leader ${leader} takes an acks=all write`);
    if (direct !== 'no answer' && direct.get(0)?.errorCode === 0) acked.add('b-direct');
    await bounded((async () => {
      for (let i = 0; i < 20; i++) { await producer.send({ topic: 'iso', acks: -1, timeout: 3000, messages: [{ partition: 0, value: `b-${i}` }] }); acked.add(`b-${i}`); }
    })(), 30_000, 'kafkajs writes after the new leader was elected');
    t.pass('kafkajs acks=all writes acknowledged through the new leader');
    t.ok(c.running(cut), `broker ${cut} is still running`);
    const beforeHeal = dump(await kcatConsumeAll(c.address(leader), 'iso'));
    t.equal(beforeHeal.length, acked.size, `the new leader has the ${acked.size} acknowledged records`);

    // Healed, it comes back as a follower of the new leader and catches up.
    const t1 = Date.now();
    c.heal(cut);
    await waitForFullIsrP(c, ['iso'], 30_000);
    const [after] = await partitionsOf(c, 'iso');
    t.equal(after!.leader, leader, `broker ${cut} rejoined the ISR as a follower of ${leader} (${Date.now() - t1} ms after the heal)`);
    t.same(dump(await kcatConsumeAll(c.address(leader), 'iso')), beforeHeal, 'the new leader\'s data is unchanged by the rejoin');

    // Its copy is the same: made leader again (preferred election), it serves exactly those records.
    const [host, port] = c.address(leader).split(':');
    const w = await WireClient.connect(host!, Number(port));
    const elected = await w.request(ApiKey.ElectLeaders, 2, (x) => encodeElectLeadersRequest(x, { electionType: 0, topicPartitions: [{ topic: 'iso', partitions: [0] }], timeoutMs: 5000 }, 2), (r) => decodeElectLeadersResponse(r, 2)).finally(() => w.close());
    t.same(elected.replicaElectionResults.flatMap((r) => r.partitionResult.map((p) => p.errorCode)), [0], 'a preferred election gives iso-0 back to its first replica');
    let back = -1;
    for (const end = Date.now() + 10_000; Date.now() < end && back !== cut; await sleep(100)) back = (await partitionsOf(c, 'iso'))[0]!.leader;
    t.equal(back, cut, `broker ${cut} leads iso-0 again`);
    const fromCut = await kcatConsumeAll(c.address(cut), 'iso');
    t.same(dump(fromCut), beforeHeal, `broker ${cut}, leading again, serves exactly the records the new leader had`);
    t.same(fromCut.filter((m) => refused.has(m.payload ?? '')).map((m) => m.payload), [], 'none of the refused writes');
    const again = await produceTo(c, cut, 'iso', [{ partition: 0, value: 'c-0' }]);
    t.equal(again === 'no answer' ? again : again.get(0)?.errorCode, 0, `broker ${cut} takes acks=all writes as leader again`);
  });
});
