import { ErrorCode, KafkaError } from '../wire/errors.js';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Hands out producer ids for InitProducerId so that an id is never given out
 * twice, across restarts too. Like Kafka's controller, ids are reserved in
 * blocks (default 1000): before the first id of a block is used, the end of
 * the block is written to `<dataDir>/producer-id-block` (decimal text,
 * written to a temporary file, fsynced and renamed into place). At startup
 * allocation resumes at the recorded end, so ids reserved but unused before a
 * crash are skipped, never reused.
 *
 * Synchronous file I/O happens once per block (rare) and keeps allocate()
 * free of awaits.
 *
 * The brokers of a cluster reserve their blocks in the cluster metadata
 * instead (`shared`), so no two brokers hand out the same id, as Kafka's
 * brokers get theirs from the controller (AllocateProducerIds). The next
 * block is fetched while a tenth of the current one is left; a broker that
 * runs out before it arrives answers COORDINATOR_LOAD_IN_PROGRESS
 * (retriable), as Kafka does.
 */
export class ProducerIdManager {
  private next: number;
  private blockEnd: number;
  private readonly file: string;
  private shared?: { reserve: (count: number) => number | Promise<number>; ahead?: number; fetching?: Promise<void> };

  /** Producer ids for the brokers of a cluster, in blocks reserved by `reserve`; resolves once the first block is in. */
  static async shared(reserve: (count: number) => number | Promise<number>, blockSize = 1000): Promise<ProducerIdManager> {
    const m = new ProducerIdManager(null, blockSize);
    m.shared = { reserve };
    await m.fetchAhead();
    m.take();
    return m;
  }

  constructor(dataDir: string | null, readonly blockSize = 1000) {
    this.file = dataDir === null ? '' : join(dataDir, 'producer-id-block');
    if (dataDir === null) { this.next = this.blockEnd = 0; return; }
    let reserved = 0;
    try {
      const text = readFileSync(this.file, 'utf8').trim();
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${this.file}: bad contents ${JSON.stringify(text)}`);
      reserved = n;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.next = reserved;
    this.blockEnd = reserved;
  }

  allocate(): number {
    if (this.shared) {
      if (this.next >= this.blockEnd) this.take();
      if (this.blockEnd - this.next <= this.blockSize / 10) void this.fetchAhead();
      return this.next++;
    }
    if (this.next >= this.blockEnd) this.reserve(this.next + this.blockSize);
    return this.next++;
  }

  /** Moves to the block fetched ahead, or says (retriably) that it has not come yet. */
  private take(): void {
    const s = this.shared!;
    if (s.ahead === undefined) {
      void this.fetchAhead();
      throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'producer ids are being reserved in the cluster metadata; retry');
    }
    this.next = s.ahead;
    this.blockEnd = s.ahead + this.blockSize;
    s.ahead = undefined;
  }

  private fetchAhead(): Promise<void> {
    const s = this.shared!;
    if (s.ahead !== undefined) return Promise.resolve();
    return (s.fetching ??= Promise.resolve()
      .then(() => s.reserve(this.blockSize))
      .then((start) => { s.ahead = start; })
      .finally(() => { s.fetching = undefined; }));
  }

  private reserve(end: number): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${end}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    this.blockEnd = end;
  }
}
