/**
 * This broker's registration with the controller: it registers once it
 * listens (getting its broker epoch), heartbeats every
 * broker.heartbeat.interval.ms, and registers again with a new epoch when
 * the controller says it was fenced (its heartbeats lapsed: a pause, a
 * stall). A clean stop unregisters (controlled shutdown: its leadership moves
 * first); a crash just stops heartbeating.
 */
import type { BrokerEndpoint, ControllerApi } from '../controller/cluster-metadata.js';
import type { BrokerConfig } from '../config/broker-config.js';

export class BrokerMembership {
  epoch = -1;
  private timer?: NodeJS.Timeout;
  private paused = false;
  private stopped = false;
  private endpoint?: { host: string; port: number; listeners: BrokerEndpoint[] };

  private registering = false;

  /** registrationLost: the store knows this registration is gone (an etcd lease it was told has lapsed): register again without waiting to be fenced. */
  constructor(private readonly controller: ControllerApi, private readonly config: BrokerConfig, private readonly log: { warn(m: string): void; error(m: string): void }, private readonly registrationLost: () => boolean = () => false) {}

  async register(host: string, port: number, listeners: BrokerEndpoint[]): Promise<void> {
    this.endpoint = { host, port, listeners };
    const reg = await this.controller.registerBroker({ id: this.config.nodeId, host, port, rack: this.config.get('broker.rack') || null, listeners });
    this.epoch = reg.epoch;
    if (!this.timer) {
      this.timer = setInterval(() => this.beat(), this.config.int('broker.heartbeat.interval.ms'));
      this.timer.unref();
    }
  }

  private beat(): void {
    if (this.paused || this.stopped || this.registering) return;
    if (this.registrationLost()) {
      this.registering = true;
      this.register(this.endpoint!.host, this.endpoint!.port, this.endpoint!.listeners)
        .then(() => this.log.warn(`broker ${this.config.nodeId} registered again (epoch ${this.epoch}) after its registration lapsed`))
        .catch((e: unknown) => this.log.error(`registering broker ${this.config.nodeId} again: ${(e as Error)?.message ?? e}`))
        .finally(() => { this.registering = false; });
      return;
    }
    this.controller.heartbeat(this.config.nodeId, this.epoch).then((ok) => {
      if (ok || this.stopped || this.paused) return;
      this.log.warn(`broker ${this.config.nodeId} was fenced by the controller (epoch ${this.epoch}); registering again`);
      return this.register(this.endpoint!.host, this.endpoint!.port, this.endpoint!.listeners);
    }).catch((e: unknown) => this.log.error(`heartbeat of broker ${this.config.nodeId}: ${(e as Error)?.message ?? e}`));
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.beat();
  }

  /** Controlled shutdown: the controller moves this broker's leadership and fences it. */
  async unregister(): Promise<void> {
    this.stop();
    if (this.epoch >= 0) await this.controller.unregisterBroker(this.config.nodeId, this.epoch);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
