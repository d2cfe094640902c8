/**
 * The fault scheduler of the multi-process chaos test: every 0.3-1.5 s (seeded)
 * one fault (the kinds dealt in shuffled rounds, every kind once a round), healed after a random while, never two at once (so 2 of 3
 * replicas with min.insync.replicas=2 can progress); after each heal it waits
 * (bounded) for the ISRs to fill before the next gap. Faults:
 *  - kill: SIGKILL of a broker process, restarted when the fault heals;
 *  - pause: SIGSTOP for longer than the lease TTL (broker.session.timeout.ms),
 *    then SIGCONT; right after the wake-up a probe sends an acks=all write
 *    straight to the woken broker for each data partition it led before the
 *    pause: a zombie leader must refuse it (NOT_LEADER_OR_FOLLOWER or a
 *    timeout), and whatever it does acknowledge is held to the checkers like
 *    every other acknowledged write;
 *  - isolate-brokers: the broker's traffic to and from the other brokers is
 *    blackholed (clients and etcd still reach it);
 *  - isolate-etcd: the broker's connection to etcd is blackholed;
 *  - etcd-restart: etcd killed and started again on the same data.
 * The target is the broker that leads the most partitions, the active
 * controller (from Metadata) or a random broker (nemesis-shared.ts).
 */
import type { ProcessCluster, ProcessClusterStatus } from '../helpers/process-cluster.js';
import { waitForFullIsrP } from '../helpers/process-cluster.js';
import { WireClient } from '../helpers/wire-client.js';
import { ApiKey } from '../../src/wire/generated/api-keys.js';
import { encodeProduceRequest, decodeProduceResponse } from '../../src/wire/generated/produce.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import type { History } from './history.js';
import type { Rng } from './rng.js';
import type { Records } from './workloads.js';
import { ActiveFault, holdFault, partitionsSnapshot, pickTarget, sleep } from './nemesis-shared.js';

export type ProcessFault = 'kill' | 'pause' | 'isolate-brokers' | 'isolate-etcd' | 'etcd-restart';

export interface ProcessNemesisOptions {
  /** Gap between the heal of one fault (and the ISRs filling) and the start of the next, ms. */
  gapMs: [number, number];
  /** How long a kill, an isolation or an etcd outage lasts, ms. */
  faultMs: [number, number];
  /** How long a pause lasts, ms: longer than the lease TTL so the paused broker's lease lapses. */
  pauseMs: [number, number];
  /** The faults drawn from: dealt in seeded rounds, each round every fault once in a shuffled order (so a short run sees every kind). */
  faults: ProcessFault[];
  /** How long to wait after a heal for full ISRs before the next gap, ms. */
  recoverMs: number;
}

export const DEFAULT_PROCESS_NEMESIS: ProcessNemesisOptions = {
  gapMs: [300, 1500],
  faultMs: [800, 2500],
  pauseMs: [2800, 4000],
  faults: ['kill', 'pause', 'isolate-brokers', 'isolate-etcd', 'etcd-restart'],
  recoverMs: 10_000,
};

const errText = (e: unknown) => { const x = e as Error; return `${x?.name}: ${x?.message}`; };

export interface ProbeTarget { topic: string; records: Records }

export class ProcessNemesis {
  faults = 0;
  readonly byKind = new Map<ProcessFault, number>();
  /** Zombie probes: writes sent to a woken broker, and how many it acknowledged. */
  probes = { sent: 0, acked: 0, refused: 0 };
  private stopped = false;
  private loop?: Promise<void>;
  private readonly active = new ActiveFault();
  private probeSeq = 0;
  private deck: ProcessFault[] = [];

  constructor(private readonly c: ProcessCluster, private readonly rng: Rng, private readonly h: History, private readonly probe: ProbeTarget | undefined, private readonly opts = DEFAULT_PROCESS_NEMESIS) {}

  start(): void { this.loop = this.run().catch((e) => { this.h.add('nemesis-error', { error: errText(e) }); }); }

  /** Stops scheduling, heals the fault in progress and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.active.healNow();
  }

  private async status(): Promise<ProcessClusterStatus | undefined> {
    try { return await this.c.status(); } catch { return undefined; }
  }

  /** The controller and each non-internal partition's leader, epoch and ISR, for the history. */
  private static snapshot(st: ProcessClusterStatus | undefined): Record<string, unknown> {
    if (!st) return { status: 'unavailable' };
    return { controller: st.controllerId, from: st.from, fenced: st.brokers.filter((b) => b.fenced).map((b) => b.id), partitions: partitionsSnapshot(st) };
  }

  private pickFault(): ProcessFault {
    if (this.deck.length === 0) {
      this.deck = [...this.opts.faults];
      for (let i = this.deck.length - 1; i > 0; i--) { const j = this.rng.int(0, i); [this.deck[i], this.deck[j]] = [this.deck[j]!, this.deck[i]!]; }
    }
    return this.deck.shift()!;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await sleep(this.rng.int(...this.opts.gapMs));
      if (this.stopped) break;
      const st = await this.status();
      // 'leader' listed twice: half the faults hit the broker leading the most partitions.
      const { id, why } = pickTarget(this.rng, ['leader', 'leader', 'controller', 'random'], st, this.c.size);
      const kind = this.pickFault();
      const lasts = kind === 'pause' ? this.rng.int(...this.opts.pauseMs) : this.rng.int(...this.opts.faultMs);
      this.faults++;
      this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
      const subject = kind === 'etcd-restart' ? {} : { broker: id, why };
      this.h.add('fault', { kind, ...subject, ms: lasts, ...ProcessNemesis.snapshot(st) });
      const healed = async (extra: Record<string, unknown> = {}) => this.h.add('heal', { kind, ...subject, ...extra, ...ProcessNemesis.snapshot(await this.status()) });
      switch (kind) {
        case 'kill':
          await this.c.stopBroker(id, 'SIGKILL');
          this.active.set(async () => {
            try { await this.c.startBroker(id); await healed(); } catch (e) { this.h.add('heal-error', { kind, broker: id, error: errText(e) }); throw e; }
          });
          break;
        case 'pause': {
          const led = (st?.topics ?? []).filter((t) => this.probe && t.name === this.probe.topic).flatMap((t) => t.partitions.filter((p) => p.leader === id).map((p) => p.partition));
          this.c.pauseBroker(id);
          this.active.set(async () => {
            this.c.resumeBroker(id);
            const probes = await this.zombieProbe(id, led);
            await healed({ probes });
          });
          break;
        }
        case 'isolate-brokers':
        case 'isolate-etcd':
          this.c.isolate(id, kind === 'isolate-brokers' ? 'brokers' : 'etcd');
          this.active.set(async () => { this.c.heal(id); await healed(); });
          break;
        case 'etcd-restart':
          await this.c.etcd.stop('SIGKILL');
          this.active.set(async () => {
            try { await this.c.etcd.start(); await healed(); } catch (e) { this.h.add('heal-error', { kind, error: errText(e) }); throw e; }
          });
          break;
      }
      await holdFault(lasts, () => this.stopped);
      await this.active.healNow();
      if (this.stopped) break;
      await waitForFullIsrP(this.c, undefined, this.opts.recoverMs).catch((e: Error) => this.h.add('not-recovered', { after: kind, error: e.message }));
    }
  }

  /**
   * Right after a paused broker wakes: one acks=all write (a fresh value) to
   * each data partition it led before the pause, sent straight to it. Its
   * answers go to the history; the ones it acknowledges become acks the
   * checkers hold it to.
   */
  private async zombieProbe(id: number, partitions: number[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    if (!this.probe || partitions.length === 0) return out;
    const { topic, records: rec } = this.probe;
    const [host, port] = this.c.address(id).split(':');
    let client: WireClient | undefined;
    try {
      client = await WireClient.connect(host!, Number(port));
      const values = partitions.map((p) => ({ p, value: `probe-${this.probeSeq++}` }));
      for (const { value } of values) rec.sent.set(value, 'probe');
      this.probes.sent += values.length;
      rec.ops += values.length;
      this.h.add('probe-send', { broker: id, values });
      const req = {
        transactionalId: null, acks: -1, timeoutMs: 3000,
        topicData: [{ name: topic, partitionData: values.map(({ p, value }) => ({ index: p, records: buildBatch([{ value }]) })) }],
      };
      const res = await Promise.race([
        client.request(ApiKey.Produce, 9, (w) => encodeProduceRequest(w, req, 9), (r) => decodeProduceResponse(r, 9)),
        sleep(8000).then(() => undefined),
      ]);
      if (!res) { for (const { p } of values) out[p] = 'no answer'; this.probes.refused += values.length; return out; }
      for (const tr of res.responses) for (const pr of tr.partitionResponses) {
        const v = values.find((x) => x.p === pr.index)!;
        if (pr.errorCode === 0) {
          this.probes.acked++;
          rec.acks.push({ producer: 'probe', partition: pr.index, offset: Number(pr.baseOffset), value: v.value });
          out[pr.index] = `acked at ${pr.baseOffset}`;
          this.h.add('ack', { producer: 'probe', partition: pr.index, offset: Number(pr.baseOffset), values: [v.value], broker: id });
        } else {
          this.probes.refused++;
          out[pr.index] = `error ${pr.errorCode}${pr.errorMessage ? ` ${pr.errorMessage}` : ''}`;
        }
      }
    } catch (e) {
      out.error = errText(e);
    } finally {
      client?.close();
    }
    return out;
  }
}
