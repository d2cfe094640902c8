/**
 * The records of __transaction_state, in Kafka's layouts:
 *
 * - TransactionLogKey v0: transactional id.
 * - TransactionLogValue v0: producer id int64, producer epoch int16, timeout
 *   int32, status int8, partitions (nullable array of topic + int32 array),
 *   last update timestamp int64, start timestamp int64.
 *
 * Keys and values open with an int16 version; a null value is a tombstone.
 * Status numbers are Kafka's (TransactionState ids).
 */
import { Writer } from '../../wire/protocol/writer.js';
import { Reader } from '../../wire/protocol/reader.js';

export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort' | 'Dead' | 'PrepareEpochFence';
export const TXN_STATES: readonly TxnState[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

export interface TxnRecordValue {
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: { topic: string; partitions: number[] }[];
  lastUpdateTimestamp: number;
  startTimestamp: number;
}

export function txnKey(transactionalId: string): Buffer {
  const w = new Writer(32);
  w.int16(0);
  w.string(transactionalId);
  return w.toBuffer();
}

export function txnValue(v: TxnRecordValue): Buffer {
  const w = new Writer(64);
  w.int16(0);
  w.int64(BigInt(v.producerId));
  w.int16(v.producerEpoch);
  w.int32(v.timeoutMs);
  w.int8(TXN_STATES.indexOf(v.state));
  w.arrayLength(v.partitions.length);
  for (const t of v.partitions) {
    w.string(t.topic);
    w.arrayLength(t.partitions.length);
    for (const p of t.partitions) w.int32(p);
  }
  w.int64(BigInt(v.lastUpdateTimestamp));
  w.int64(BigInt(v.startTimestamp));
  return w.toBuffer();
}

/** The transactional id of a key; undefined for a key version this broker does not know. */
export function readTxnKey(key: Buffer): string | undefined {
  const r = new Reader(key);
  return r.int16() === 0 ? r.string() : undefined;
}

/** Reads a v0 value; undefined for other versions (Kafka 4's flexible v1 is not written here). */
export function readTxnValue(value: Buffer): TxnRecordValue | undefined {
  const r = new Reader(value);
  if (r.int16() !== 0) return undefined;
  const producerId = Number(r.int64());
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const state = TXN_STATES[r.int8()] ?? 'Dead';
  const n = r.int32();
  const partitions: { topic: string; partitions: number[] }[] = [];
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    const m = r.int32();
    const ps: number[] = [];
    for (let j = 0; j < m; j++) ps.push(r.int32());
    partitions.push({ topic, partitions: ps });
  }
  return { producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateTimestamp: Number(r.int64()), startTimestamp: Number(r.int64()) };
}
