/**
 * The admin commands' connection to a broker over the Kafka protocol: the
 * broker-to-broker client (TCP or TLS, then on a SASL listener SaslHandshake
 * v1 and SaslAuthenticate rounds, PLAIN or SCRAM), then ApiVersions, so each
 * command picks versions the broker serves. Each request is bounded by a
 * timeout. src/client's KafkaClient opens one per broker it talks to.
 */
import { isIP } from 'node:net';
import type { Writer } from '../wire/protocol/writer.js';
import type { Reader } from '../wire/protocol/reader.js';
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../wire/generated/api-versions.js';
import { ErrorCode, errorName } from '../wire/errors.js';
import { BrokerClient, SaslLoginError } from '../broker/broker-client.js';

export interface TlsSettings {
  /** CA certificates (PEM) the broker's certificate must chain to; unset: node's default CAs. */
  ca?: Buffer;
  /** A client certificate chain and key (PEM), for brokers that ask for one. */
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
  /** Check that the certificate names the host (Kafka's ssl.endpoint.identification.algorithm=https). */
  checkHostname: boolean;
}

export interface SaslSettings { mechanism: string; username: string; password: string }

export interface ConnectionSettings {
  /** host:port addresses, tried in order until one answers. */
  bootstrap: string[];
  tls?: TlsSettings;
  sasl?: SaslSettings;
  clientId?: string;
  timeoutMs?: number;
}

/** Something the broker or the network said: printed as it is, without a stack. */
export class AdminError extends Error {}

export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address.trim());
  if (!m || m[1] === '') throw new AdminError(`not a host:port address: ${JSON.stringify(address)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

export class AdminConnection {
  private versions = new Map<number, { min: number; max: number }>();

  private constructor(private readonly client: BrokerClient, readonly address: string) {}

  /** Connects to the first bootstrap address that accepts, authenticates and checks API versions. */
  static async open(s: ConnectionSettings): Promise<AdminConnection> {
    const errors: string[] = [];
    for (const address of s.bootstrap) {
      const at = splitHostPort(address);
      const tls = s.tls && {
        ca: s.tls.ca, cert: s.tls.cert, key: s.tls.key, passphrase: s.tls.passphrase,
        servername: isIP(at.host) ? undefined : at.host,
        ...(s.tls.checkHostname ? {} : { checkServerIdentity: () => undefined }),
      };
      const c = new AdminConnection(new BrokerClient(() => at, s.clientId ?? 'samsa-cli', s.timeoutMs ?? 30_000, undefined, { tls, sasl: s.sasl }), address);
      try {
        await c.loadVersions();
        return c;
      } catch (e) {
        c.close();
        if (e instanceof SaslLoginError || e instanceof AdminError) throw new AdminError(e.message);
        const code = (e as NodeJS.ErrnoException).code;
        errors.push(`cannot connect to ${address}: ${code && !tls ? code : (e as Error).message}`);
      }
    }
    throw new AdminError(errors.join('; ') || 'no bootstrap address given');
  }

  /** The highest version of an API both sides speak, at most `ours`; throws AdminError when there is none. */
  version(apiKey: number, ours: number, apiName: string, oursMin = 0): number {
    const theirs = this.versions.get(apiKey);
    if (!theirs || theirs.max < oursMin || theirs.min > ours) throw new AdminError(`the broker at ${this.address} does not serve ${apiName} (versions ${oursMin}-${ours})`);
    return Math.min(ours, theirs.max);
  }

  request<T>(apiKey: number, version: number, encode: (w: Writer) => void, decode: (r: Reader) => T): Promise<T> {
    return this.client.request(apiKey, version, encode, decode).catch((e: Error) => {
      throw e instanceof AdminError ? e : new AdminError(`${this.address}: ${e.message}`);
    });
  }

  close(): void {
    this.client.close();
  }

  private async loadVersions(): Promise<void> {
    const r = await this.client.request(ApiKey.ApiVersions, 0, (w) => encodeApiVersionsRequest(w, {}, 0), (rd) => decodeApiVersionsResponse(rd, 0));
    if (r.errorCode !== ErrorCode.NONE) throw new AdminError(`ApiVersions failed at ${this.address}: ${errorName(r.errorCode)}`);
    for (const k of r.apiKeys) this.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }
}
