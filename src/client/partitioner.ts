/**
 * Where a record without an explicit partition goes, as the Java client's
 * default partitioner decides it, so keys land where Java, kafkajs's default
 * partitioner and librdkafka's murmur2_random put them: a keyed record on
 * toPositive(murmur2(key)) % partitions; a keyless one on a sticky partition
 * that moves on after about a batch's worth of bytes (KIP-794's uniform
 * sticky partitioner, without its load weighting).
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's Utils.murmur2: a signed 32-bit hash of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const at = i * 4;
    let k = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last 1-3 bytes (Java's switch falling through from case 3 to case 1).
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: the sign bit cleared (not Math.abs, which would differ for negative hashes). */
export const toPositive = (n: number): number => n & 0x7fffffff;

/** The partition of a keyed record. */
export function keyPartition(key: Uint8Array, partitions: number): number {
  return toPositive(murmur2(key)) % partitions;
}

/** Bytes a keyless run stays on one partition: the Java producer's default batch.size. */
export const STICKY_BATCH_BYTES = 16_384;

/**
 * Keyless placement for one topic: stays on a partition until about
 * STICKY_BATCH_BYTES went to it, then moves to the next one, so a bulk
 * input fills batches on each partition in turn and single records sent one
 * call at a time still spread over the partitions (each call starts a run).
 */
export class StickyPartitioner {
  private current = -1;
  private bytes = 0;
  private next: number;

  constructor(start = Math.floor(Math.random() * 1_000_000)) {
    this.next = start;
  }

  /** The partition for a keyless record of about `size` bytes. */
  partition(partitions: number, size: number): number {
    if (this.current < 0 || this.current >= partitions || this.bytes >= STICKY_BATCH_BYTES) {
      this.current = this.next++ % partitions;
      this.bytes = 0;
    }
    this.bytes += size;
    return this.current;
  }

  /** Ends the current run: the next keyless record starts on the following partition. */
  endRun(): void {
    this.current = -1;
  }
}
