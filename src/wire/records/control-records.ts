/**
 * Transaction markers: a control batch (control + transactional bits) holding
 * one record whose key is (version int16 = 0, type int16: 0 abort, 1 commit)
 * and whose value is (version int16 = 0, coordinator epoch int32). Written to
 * each partition of a transaction when it ends; read_committed consumers and
 * the last stable offset depend on them.
 */
import { buildBatch } from './batch-builder.js';
import { readRecords } from './record-reader.js';
import type { BatchHeader } from './batch-header.js';

export enum ControlType { Abort = 0, Commit = 1 }

export function buildControlBatch(type: ControlType, producerId: number, producerEpoch: number, coordinatorEpoch: number, timestamp = Date.now()): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return buildBatch([{ key, value, timestamp }], { producerId, producerEpoch, transactional: true, control: true });
}

/** The marker type of a control batch, or undefined when the batch is not one or its key is unknown. */
export function controlType(batch: BatchHeader): ControlType | undefined {
  if (!batch.isControl) return undefined;
  const key = readRecords(batch)[0]?.key;
  if (!key || key.length < 4) return undefined;
  const type = key.readInt16BE(2);
  return type === ControlType.Abort || type === ControlType.Commit ? type : undefined;
}
