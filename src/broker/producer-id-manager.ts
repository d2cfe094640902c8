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
 */
export class ProducerIdManager {
  private next: number;
  private blockEnd: number;
  private readonly file: string;

  constructor(dataDir: string, readonly blockSize = 1000) {
    this.file = join(dataDir, 'producer-id-block');
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
    if (this.next >= this.blockEnd) this.reserve(this.next + this.blockSize);
    return this.next++;
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
