/**
 * Transaction markers for partitions led by other brokers: sent there with
 * WriteTxnMarkers over one connection per broker, as Kafka's transaction
 * marker channel does. Resolves with the partition's error code; a broker
 * that cannot be reached counts as NOT_LEADER_OR_FOLLOWER (retriable: the
 * coordinator tries again, by then maybe at the new leader).
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { encodeWriteTxnMarkersRequest, decodeWriteTxnMarkersResponse } from '../wire/generated/write-txn-markers.js';
import { ErrorCode } from '../wire/errors.js';
import { BrokerClient, type InterBrokerSecurity } from './broker-client.js';

const VERSION = 1;
const TIMEOUT_MS = 30_000;

export class MarkerSender {
  private readonly clients = new Map<number, BrokerClient>();

  constructor(private readonly endpoint: (brokerId: number) => { host: string; port: number } | undefined, private readonly clientId: string, private readonly localAddress?: string, private readonly security?: InterBrokerSecurity) {}

  async send(brokerId: number, topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number): Promise<number> {
    let c = this.clients.get(brokerId);
    if (!c) this.clients.set(brokerId, c = new BrokerClient(() => this.endpoint(brokerId), this.clientId, TIMEOUT_MS, this.localAddress, this.security));
    try {
      const res = await c.request(ApiKey.WriteTxnMarkers, VERSION, (w) => encodeWriteTxnMarkersRequest(w, {
        markers: [{ producerId: BigInt(producerId), producerEpoch, transactionResult: commit, topics: [{ name: topic, partitionIndexes: [partition] }], coordinatorEpoch }],
      }, VERSION), (r) => decodeWriteTxnMarkersResponse(r, VERSION));
      return res.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    } catch {
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
