/**
 * One @platformatic/kafka 1.35 consumer speaking the KIP-848 consumer
 * protocol (`groupProtocol: 'consumer'`), for the consumer-protocol client
 * tests: what it is assigned and revoked, every record its stream delivers,
 * and commits of what it has seen, the same shape as rdkafka-member.ts.
 */
import { Consumer, stringDeserializers, type Message, type MessagesStream } from '@platformatic/kafka';
import { spawnMemberChild, type ChildMember } from './consumer-protocol-clients-child.js';

interface Teardown { teardown(fn: () => unknown): void }

type Assignments = { topic: string; partitions: number[] }[] | null;
type StringMessage = Message<string, string, string, string>;

export interface Consumed { member: string; topic: string; partition: number; offset: number; value: string }

export interface PlatformaticMemberOptions {
  /** groupRemoteAssignor: the server-side assignor the member asks for. */
  assignor?: string;
}

const tp = (topic: string, partition: number): string => `${topic}-${partition}`;

export class PlatformaticMember {
  readonly assigned = new Set<string>();
  /** Every assignment and revocation in order, as "+t-p" / "-t-p". */
  readonly changes: string[] = [];
  readonly records: Consumed[] = [];
  readonly errors: string[] = [];
  /** The commit of the last record seen per partition (platformatic binds the leader epoch into it). */
  private readonly lastCommit = new Map<string, () => unknown>();
  private stream?: MessagesStream<string, string, string, string>;
  private closing = false;
  private closed?: Promise<void>;
  /** Records delivered for a partition this member no longer owned (see onData). */
  afterRevocation = 0;

  private constructor(readonly name: string, readonly consumer: Consumer<string, string, string, string>) {
    // The client has no assignment event for the consumer protocol: it sets `assignments` when a
    // heartbeat's assignment has been resolved to topic names. Watching the property sees every change.
    let current: Assignments = consumer.assignments;
    Object.defineProperty(consumer, 'assignments', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (next: Assignments) => { current = next; this.track(next); },
    });
  }

  /** Joins and consumes `topics` from the group's committed offsets (earliest where none), in flowing mode. */
  static async start(t: Teardown, bootstrap: string, groupId: string, topics: string[], name: string, opts: PlatformaticMemberOptions = {}): Promise<PlatformaticMember> {
    const consumer = new Consumer<string, string, string, string>({
      clientId: name,
      bootstrapBrokers: [bootstrap],
      groupId,
      groupProtocol: 'consumer',
      ...(opts.assignor ? { groupRemoteAssignor: opts.assignor } : {}),
      deserializers: stringDeserializers,
      // Short metadata age: a partition handed over is resolved to its topic at once.
      metadataMaxAge: 1000,
      retries: 10,
      retryDelay: 200,
    });
    const m = new PlatformaticMember(name, consumer);
    t.teardown(() => m.close());
    consumer.on('consumer:heartbeat:error', (e: { error?: Error }) => m.errors.push(`heartbeat: ${e?.error?.message ?? String(e)}`));
    let stream: MessagesStream<string, string, string, string>;
    try {
      stream = await consumer.consume({ topics, mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    } catch (e) {
      // A refused join leaves the client retrying its heartbeat in the background: close it, or it joins later unseen.
      await m.close();
      throw e;
    }
    m.stream = stream;
    stream.on('data', (msg: StringMessage) => m.onData(msg));
    stream.on('error', (e: Error) => m.errors.push(`stream: ${e.message}`));
    return m;
  }

  private track(next: Assignments): void {
    const now = new Set((next ?? []).flatMap((a) => a.partitions.map((p) => tp(a.topic, p))));
    for (const k of [...this.assigned]) if (!now.has(k)) { this.assigned.delete(k); this.changes.push(`-${k}`); }
    for (const k of now) if (!this.assigned.has(k)) { this.assigned.add(k); this.changes.push(`+${k}`); }
  }

  private onData(msg: StringMessage): void {
    // Once closing, records are neither recorded nor committed: whoever gets the partition next reads them.
    if (this.closing) return;
    // @platformatic/kafka 1.35 hands over what a long-poll Fetch sent before a
    // partition was revoked returns, after the revocation: the partition's new
    // owner reads those records too (seen as one record per partition read
    // twice when a feed starts right after a rebalance). An application would
    // see them; the checks count what a member read while it owned the partition.
    if (!this.assigned.has(tp(msg.topic, msg.partition))) { this.afterRevocation++; return; }
    this.records.push({ member: this.name, topic: msg.topic, partition: msg.partition, offset: Number(msg.offset), value: msg.value ?? '' });
    this.lastCommit.set(tp(msg.topic, msg.partition), () => msg.commit());
  }

  partitions(): string[] { return [...this.assigned].sort(); }
  revocations(): string[] { return this.changes.filter((c) => c.startsWith('-')).map((c) => c.slice(1)); }
  values(topic?: string): string[] { return this.records.filter((r) => !topic || r.topic === topic).map((r) => r.value); }

  /** Commits one past the last record seen on each partition still assigned; rejects on an error. */
  async commit(): Promise<number> {
    const commits = [...this.lastCommit.entries()].filter(([k]) => this.assigned.has(k)).map(([, c]) => c);
    await Promise.all(commits.map((c) => c()));
    return commits.length;
  }

  /** Stops recording, commits what was seen, and closes (a leave heartbeat with epoch -1). Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      try { await this.commit(); } catch (e) { this.errors.push(`commit: ${(e as Error).message}`); }
      try { await this.stream?.close(); } catch (e) { this.errors.push(`stream close: ${(e as Error).message}`); }
      try { await this.consumer.close(); } catch (e) { this.errors.push(`close: ${(e as Error).message}`); }
    })();
    return this.closed;
  }
}

/** A PlatformaticMember in a child process (consumer-protocol-member-child.ts), killed in teardown if still running. */
export function spawnPlatformaticMember(t: Teardown, bootstrap: string, groupId: string, topics: string[]): ChildMember {
  return spawnMemberChild(t, 'platformatic', bootstrap, groupId, topics);
}
