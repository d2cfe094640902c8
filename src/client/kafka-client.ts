/**
 * A small Kafka client over the broker-to-broker connection, for the `samsa`
 * commands and the console's backend: one connection per broker (TLS and SASL
 * as the settings say), the cluster's brokers and partition leaders from
 * Metadata, and coordinators from FindCoordinator. Operations (topics, records,
 * groups, transactions) live beside it in their own files and ask it where to
 * send each request.
 */
import { AdminConnection, AdminError, type ConnectionSettings } from '../cli/admin-connection.js';
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeMetadataResponse, encodeMetadataRequest, type MetadataResponse } from '../wire/generated/metadata.js';
import { decodeFindCoordinatorResponse, encodeFindCoordinatorRequest } from '../wire/generated/find-coordinator.js';
import { ErrorCode, errorName } from '../wire/errors.js';
import { KafkaClientError } from './errors.js';

export { AdminError as ClientError, KafkaClientError, type ConnectionSettings };

export type CoordinatorType = 'group' | 'transaction';

export interface BrokerInfo { nodeId: number; host: string; port: number; rack: string | null }

export class KafkaClient {
  private readonly nodes = new Map<number, Promise<AdminConnection>>();
  private brokers = new Map<number, BrokerInfo>();
  private leaders = new Map<string, number>();

  private constructor(private readonly settings: ConnectionSettings, private readonly bootstrapConn: AdminConnection) {}

  /** Connects to the first bootstrap address that answers (AdminError with every address's failure otherwise). */
  static async open(settings: ConnectionSettings): Promise<KafkaClient> {
    return new KafkaClient(settings, await AdminConnection.open(settings));
  }

  /** How long a request may take before it fails: a long-polling Fetch or a JoinGroup must wait less. */
  get requestTimeoutMs(): number {
    return this.settings.timeoutMs ?? 30_000;
  }

  /** The bootstrap connection: for requests any broker answers (Metadata, ListGroups of that broker, DescribeConfigs of topics). */
  get any(): AdminConnection {
    return this.bootstrapConn;
  }

  /**
   * Metadata for `topics` (null: all topics), remembering brokers and
   * leaders for later routing. Topics are not created by asking.
   */
  async metadata(topics: string[] | null = null): Promise<MetadataResponse> {
    const ask = (c: AdminConnection) => {
      const v = c.version(ApiKey.Metadata, 12, 'Metadata', 1);
      return c.request(ApiKey.Metadata, v,
        (w) => encodeMetadataRequest(w, { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, v),
        (rd) => decodeMetadataResponse(rd, v));
    };
    let r: MetadataResponse;
    try {
      r = await ask(this.bootstrapConn);
    } catch (e) {
      // The bootstrap broker stopped (a failover test, a rolling restart): any other broker knows the cluster too.
      const others = [...this.brokers.keys()].filter((id) => this.nodes.get(id) !== undefined);
      let answered: MetadataResponse | undefined;
      for (const id of others) {
        const c = await this.nodes.get(id)!.catch(() => undefined);
        if (!c || c === this.bootstrapConn) continue;
        answered = await ask(c).catch(() => undefined);
        if (answered) break;
      }
      if (!answered) throw e;
      r = answered;
    }
    this.brokers = new Map(r.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null }]));
    for (const t of r.topics) {
      if (t.errorCode !== ErrorCode.NONE || !t.name) continue;
      for (const p of t.partitions) this.leaders.set(`${t.name}\u0000${p.partitionIndex}`, p.leaderId);
    }
    return r;
  }

  /** The brokers the last Metadata named. */
  knownBrokers(): BrokerInfo[] {
    return [...this.brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** A connection to broker `nodeId` (opened on first use with the same TLS/SASL settings). */
  async node(nodeId: number): Promise<AdminConnection> {
    let c = this.nodes.get(nodeId);
    if (!c) {
      if (!this.brokers.has(nodeId)) await this.metadata([]);
      const b = this.brokers.get(nodeId);
      if (!b) throw new AdminError(`the cluster has no broker ${nodeId}`);
      const address = `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;
      // The bootstrap connection may already be this broker: reuse it rather than log in twice.
      c = address === this.bootstrapConn.address ? Promise.resolve(this.bootstrapConn) : AdminConnection.open({ ...this.settings, bootstrap: [address] });
      this.nodes.set(nodeId, c);
      c.catch(() => this.nodes.delete(nodeId));
    }
    return c;
  }

  /** The partition's leader: from the last Metadata, asked again when unknown or when `refresh` (after NOT_LEADER_OR_FOLLOWER). */
  async leader(topic: string, partition: number, refresh = false): Promise<{ nodeId: number; conn: AdminConnection }> {
    const key = `${topic}\u0000${partition}`;
    if (refresh || !this.leaders.has(key)) await this.metadata([topic]);
    const nodeId = this.leaders.get(key);
    if (nodeId === undefined) throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}`);
    if (nodeId < 0) throw new KafkaClientError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`, 'the partition has no leader now');
    return { nodeId, conn: await this.node(nodeId) };
  }

  /** The coordinator of a group or a transactional id. */
  async coordinator(type: CoordinatorType, key: string): Promise<AdminConnection> {
    return this.node(await this.coordinatorId(type, key));
  }

  /** The node id of the coordinator of a group or a transactional id (FindCoordinator at the bootstrap broker). */
  async coordinatorId(type: CoordinatorType, key: string): Promise<number> {
    const c = this.bootstrapConn;
    const v = c.version(ApiKey.FindCoordinator, 4, 'FindCoordinator');
    const keyType = type === 'group' ? 0 : 1;
    const r = await c.request(ApiKey.FindCoordinator, v,
      (w) => encodeFindCoordinatorRequest(w, v >= 4 ? { keyType, coordinatorKeys: [key] } : { key, keyType }, v),
      (rd) => decodeFindCoordinatorResponse(rd, v));
    const one = v >= 4 ? r.coordinators?.[0] : { errorCode: r.errorCode ?? 0, errorMessage: r.errorMessage ?? null, nodeId: r.nodeId ?? -1 };
    if (!one) throw new AdminError(`FindCoordinator for ${type} ${key}: empty answer`);
    if (one.errorCode !== ErrorCode.NONE) throw new KafkaClientError(one.errorCode, `no coordinator for ${type} ${JSON.stringify(key)}`, one.errorMessage ? `${errorName(one.errorCode)} (${one.errorMessage})` : null);
    return one.nodeId;
  }

  /**
   * A new connection to broker `nodeId`, not shared with other operations
   * and closed by the caller: a group member's coordinator connection, whose
   * JoinGroup may wait out a rebalance and whose heartbeats must not queue
   * behind a long-polling Fetch on a shared connection. `timeoutMs` bounds
   * each request (default: the settings' timeout).
   */
  async dedicatedConnection(nodeId: number, timeoutMs?: number): Promise<AdminConnection> {
    if (!this.brokers.has(nodeId)) await this.metadata([]);
    const b = this.brokers.get(nodeId);
    if (!b) throw new AdminError(`the cluster has no broker ${nodeId}`);
    const address = `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;
    return AdminConnection.open({ ...this.settings, bootstrap: [address], ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  /** Drops (and closes) the connection to a broker that failed, so the next use connects again. */
  forget(nodeId: number): void {
    const c = this.nodes.get(nodeId);
    this.nodes.delete(nodeId);
    c?.then((x) => { if (x !== this.bootstrapConn) x.close(); }, () => undefined);
  }

  /** A connection to every broker the cluster has (for ListGroups and ListTransactions, which each broker answers for itself). */
  async everyBroker(): Promise<{ nodeId: number; conn: AdminConnection }[]> {
    await this.metadata([]);
    return Promise.all(this.knownBrokers().map(async (b) => ({ nodeId: b.nodeId, conn: await this.node(b.nodeId) })));
  }

  close(): void {
    this.bootstrapConn.close();
    for (const c of this.nodes.values()) c.then((x) => { if (x !== this.bootstrapConn) x.close(); }, () => undefined);
    this.nodes.clear();
  }
}
