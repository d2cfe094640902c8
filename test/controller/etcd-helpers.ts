/**
 * Shared by the EtcdStore tests (etcd-store.test.ts, etcd-controller.test.ts):
 * a real etcd per test with stores on a unique key prefix, all closed (stores
 * first, then etcd) in the test's teardown.
 */
import { Etcd3 } from 'etcd3';
import { startEtcd, type TestEtcd } from '../../compat-tests/helpers/etcd.js';
import { until as untilCond } from '../../compat-tests/helpers/until.js';
import { startProxy, type TcpProxy } from '../../compat-tests/chaos/tcp-proxy.js';
import { EtcdStore } from '../../src/controller/etcd-store.js';
import type { PartitionState } from '../../src/controller/cluster-metadata.js';

/** The lease TTL of every store here (etcd leases are whole seconds: 2 s). */
export const TTL_MS = 2000;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` (every 50 ms) until it holds; rejects naming `what` after `ms`. A bound on waiting. */
export function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  return untilCond(cond, ms, what);
}

export const brokerInfo = (id: number) => ({ id, host: '127.0.0.1', port: 9090 + id, rack: null });

export function state(replicas: number[], isr: number[], leader: number, leaderEpoch: number, partitionEpoch: number): PartitionState {
  return { replicas, isr, leader, leaderEpoch, partitionEpoch, addingReplicas: [], removingReplicas: [] };
}

interface Teardown { teardown(fn: () => unknown): void }

export interface EtcdCluster {
  etcd: TestEtcd;
  /** The key prefix of this test's stores. */
  prefix: string;
  /** Warnings the stores logged, in order. */
  warnings: string[];
  /**
   * A store of broker `nodeId`, closed in the teardown: on etcd directly, or
   * at `endpoint`, or (`cuttable`) through a proxy of its own that `cut` closes.
   */
  open(nodeId: number, opts?: { endpoint?: string; cuttable?: boolean }): Promise<EtcdStore>;
  /**
   * A crash as etcd sees it: the connections of the store (opened `cuttable`)
   * are reset and new ones refused, and the store is closed (what it tries to
   * tell etcd on the way out does not get there), so its leases lapse after
   * the TTL. (EtcdStore.abandon() does not do that: see the todo test in
   * etcd-store.test.ts.)
   */
  cut(store: EtcdStore): Promise<void>;
  /** EtcdStore.abandon(); the store is still closed in the teardown (which stops its leftover keepalives). */
  abandon(store: EtcdStore): void;
  /** A plain etcd3 client on the same etcd (no prefix), closed in the teardown. */
  raw(): Etcd3;
  /** Something else to close in the teardown (before etcd stops). */
  onClose(fn: () => unknown): void;
}

let seq = 0;

/**
 * The watches of controller campaigns still waiting to be elected, cancelled
 * (bounded). A workaround: EtcdStore.close() resigns such a campaign, but the
 * watch etcd3's election keeps on the earlier candidate's key (waitForDeletes,
 * on the election's own namespace) stays attached; once the client is closed
 * its watch manager reconnects with backoff forever, and the test process
 * never exits. Returns how many it cancelled (0 once close() does it).
 */
export async function dropWaitingCampaignWatches(stores: EtcdStore[]): Promise<number> {
  let n = 0;
  for (const s of stores) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const wm = (s as any).campaign?.namespace?.watchManager as { watchers: { cancel(): Promise<void> }[] } | undefined;
    if (!wm?.watchers?.length) continue;
    n += wm.watchers.length;
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(wm.watchers.map((w) => w.cancel().catch(() => undefined))),
      new Promise((r) => { bound = setTimeout(r, 1000); }),
    ]);
    clearTimeout(bound);
    wm.watchers.length = 0;
  }
  return n;
}

export async function etcdCluster(t: Teardown): Promise<EtcdCluster> {
  const etcdTeardowns: (() => unknown)[] = [];
  const etcd = await startEtcd({ teardown: (fn) => etcdTeardowns.push(fn) });
  const prefix = `/samsa/test-${process.pid}-${++seq}`;
  const stores = new Set<EtcdStore>();
  const proxies = new Map<EtcdStore, TcpProxy>();
  const allProxies: TcpProxy[] = [];
  const extra: (() => unknown)[] = [];
  const warnings: string[] = [];
  let rawClient: Etcd3 | undefined;
  t.teardown(async () => {
    // Cut-off stores' proxies first (their calls then fail at once), then the stores (they resign and revoke while etcd still answers), bounded.
    await Promise.all(allProxies.map((p) => p.close()));
    await dropWaitingCampaignWatches([...stores]);
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...stores].map((s) => s.close().catch(() => undefined))),
      new Promise((r) => { bound = setTimeout(r, 8000); }),
    ]);
    clearTimeout(bound);
    for (const fn of extra) await fn();
    rawClient?.close();
    for (const fn of etcdTeardowns) await fn();
  });
  return {
    etcd,
    prefix,
    warnings,
    async open(nodeId, opts = {}) {
      const proxy = opts.cuttable ? await startProxy({ target: { host: '127.0.0.1', port: etcd.clientPort } }) : undefined;
      if (proxy) allProxies.push(proxy);
      const store = await EtcdStore.open({
        endpoints: [proxy ? `127.0.0.1:${proxy.port}` : opts.endpoint ?? etcd.endpoint],
        prefix,
        nodeId,
        leaseTtlMs: TTL_MS,
        log: { info: () => undefined, warn: (m) => warnings.push(`[${nodeId}] ${m}`), error: (m) => warnings.push(`[${nodeId}] ERROR ${m}`) },
      });
      stores.add(store);
      if (proxy) proxies.set(store, proxy);
      return store;
    },
    async cut(store) {
      const proxy = proxies.get(store);
      if (!proxy) throw new Error('cut: the store was not opened cuttable');
      await dropWaitingCampaignWatches([store]);
      proxy.setTarget(undefined);
      proxy.closeAll();
      stores.delete(store);
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([store.close().catch(() => undefined), new Promise((r) => { bound = setTimeout(r, 3000); })]);
      clearTimeout(bound);
    },
    abandon(store) {
      store.abandon();
    },
    raw() {
      rawClient ??= new Etcd3({ hosts: etcd.clientUrl, dialTimeout: 2000 });
      return rawClient;
    },
    onClose(fn) { extra.push(fn); },
  };
}
