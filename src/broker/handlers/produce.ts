/**
 * Produce (API 0), v0-v11.
 *
 * Behavior:
 * - acks must be 0, 1 or -1, else every partition gets INVALID_REQUIRED_ACKS.
 * - Each partition's records go to the replica manager, which checks the batch
 *   (one v2 batch per partition, CRC32C, max.message.bytes, zstd only from v7,
 *   idempotent sequences) and appends it synchronously in request order.
 *   Partitions of an unknown topic get UNKNOWN_TOPIC_OR_PARTITION.
 * - acks=1 and acks=-1 answer once the batch is in the log file (the high
 *   watermark has passed it); acks=-1 with min.insync.replicas > 1 gets
 *   NOT_ENOUGH_REPLICAS (one broker, one replica).
 * - acks=-1 waits at most the request's timeout_ms for the ISR; past it the
 *   partition answers REQUEST_TIMED_OUT (the records may still commit later).
 * - acks=0 sends no response; if a partition failed, the connection is closed
 *   instead so the client notices and refreshes metadata, as Kafka does.
 * - A partition this broker does not lead (a follower, or no replica
 *   here) is NOT_LEADER_OR_FOLLOWER; acks=-1 answers once the ISR has the
 *   batch, or REQUEST_TIMED_OUT after timeout_ms.
 *
 * Version notes: v0-v2 carry message format v0/v1 (magic 0/1): it is
 * up-converted to a v2 batch, as Kafka 3.x does (Kafka 4.0 dropped v0-v2;
 * serving them also lets older librdkafka, e.g. Debian's 2.0.2, see that
 * the broker takes gzip and snappy).
 * log_append_time_ms (v2+) is the broker time for LogAppendTime topics, else
 * -1; log_start_offset from v5; record_errors (records refused one by
 * one, e.g. without a key on a compacted topic) and error_message from v8;
 * from v10 a NOT_LEADER_OR_FOLLOWER partition carries the leader this broker
 * knows (current_leader) and the response its endpoint (node_endpoints,
 * KIP-951), so the client can go there before refreshing metadata.
 *
 * Authorization (Kafka's KafkaApis.handleProduceRequest): when the first
 * batch of any partition is transactional, the request needs a
 * transactional_id and WRITE on it, else every partition is
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED (acks=0: the connection is closed);
 * then WRITE on each topic, asked once per topic, else
 * TOPIC_AUTHORIZATION_FAILED for its partitions (before UNKNOWN_TOPIC_OR_PARTITION).
 * Idempotence needs no check here: InitProducerId checked IDEMPOTENT_WRITE.
 *
 * A frame read into a pooled buffer (frame-pool.ts) is given back once every
 * log write made from its bytes has completed, which for acks=0 (and a
 * partition that timed out) is after the answer; when that cannot be known
 * (an append that threw) it is never given back, only collected.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ProduceRequest, ProduceResponse, ProduceResponsePartitionProduceResponse } from '../../wire/generated/produce.js';
import { LeaderHints } from './leader-hints.js';
import { type AppendResult } from '../replica-manager.js';
import { ErrorCode } from '../../wire/errors.js';
import type { DataPathContext } from './data-path-context.js';
import { AclOperation, ResourceType, allowed, checker } from '../request-authorization.js';
import { BATCH_HEADER_SIZE, MAGIC_OFFSET, BatchHeader } from '../../wire/records/batch-header.js';
import type { FrameLease } from '../frame-pool.js';
import { DeadlineQueue, type Deadline } from '../deadline-queue.js';

const RESOLVED = Promise.resolve(0);
/** acks=all timeouts of every Produce in the process: one timer instead of one per request. */
const timeouts = new DeadlineQueue();
/** A partition refused before its records went anywhere (`reachedLog` false), or whose append failed unexpectedly (they may be queued). */
const failed = (errorCode: number, reachedLog = false): AppendResult =>
  ({ errorCode, errorMessage: null, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, done: RESOLVED, written: reachedLog ? undefined : RESOLVED });

/**
 * Resolves when every partition's append is acknowledged; a failed write
 * turns that partition's answer into its error. acks=-1 waits for the ISR,
 * which may never catch up (a follower gone): `timeoutMs` (the request's
 * timeout_ms, 0 = none) bounds the wait, and partitions still waiting then
 * answer REQUEST_TIMED_OUT, as Kafka's DelayedProduce does. One promise and
 * at most one wait in the shared deadline queue per request, whatever the
 * partition count.
 */
function settled(results: { partitions: { r: AppendResult }[] }[], timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const waiting: { p: { r: AppendResult }; acked: boolean }[] = [];
    for (const t of results) for (const p of t.partitions) waiting.push({ p, acked: false });
    let pending = waiting.length;
    let deadline: Deadline | undefined;
    let timedOut = false;
    for (const w of waiting) {
      w.p.r.done.then((code) => {
        if (timedOut) return;
        w.acked = true;
        if (code !== ErrorCode.NONE) w.p.r = { ...w.p.r, errorCode: code, baseOffset: -1, errorMessage: null };
        if (--pending === 0) { deadline?.cancel(); resolve(); }
      });
    }
    if (pending === 0) return resolve();
    if (timeoutMs > 0) {
      deadline = timeouts.after(timeoutMs, () => {
        timedOut = true;
        for (const w of waiting) if (!w.acked) w.p.r = { ...w.p.r, errorCode: ErrorCode.REQUEST_TIMED_OUT, baseOffset: -1, errorMessage: null };
        resolve();
      });
    }
  });
}

/** Gives the frame back once every write made from it has completed; never when one is unknown. */
function releaseAfterWrites(release: () => void, results: { partitions: { r: AppendResult }[] }[]): void {
  const writes: Promise<unknown>[] = [];
  for (const t of results) {
    for (const p of t.partitions) {
      if (p.r.written === undefined) return;
      if (p.r.written !== RESOLVED) writes.push(p.r.written);
    }
  }
  if (writes.length === 0) return release();
  const settled = () => { if (--pending === 0) release(); };
  let pending = writes.length;
  for (const w of writes) w.then(settled, settled);
}

/** Whether a partition's first batch is a transactional v2 batch (Kafka's RequestUtils.hasTransactionalRecords looks at first batches only). */
function opensTransactional(records: Buffer | null | undefined): boolean {
  return !!records && records.length >= BATCH_HEADER_SIZE && records[MAGIC_OFFSET] === 2 && new BatchHeader(records).isTransactional;
}

function refuseAll(req: ProduceRequest, errorCode: number): ProduceResponse {
  return {
    throttleTimeMs: 0,
    responses: req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null })),
    })),
  };
}

export const produce = {
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 11,
  async handle(ctx: DataPathContext, req: ProduceRequest, version: number, frame?: FrameLease): Promise<ProduceResponse | null> {
    if (req.topicData.some((t) => t.partitionData.some((p) => opensTransactional(p.records)))
      && (req.transactionalId == null || !allowed(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId))) {
      if (req.acks !== 0) return refuseAll(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      ctx.closeConnection?.('a transactional Produce with acks=0 was not authorized');
      return null;
    }
    const mayWrite = checker(ctx, AclOperation.WRITE, ResourceType.TOPIC);
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const results: { name: string; partitions: { index: number; r: AppendResult }[] }[] = [];
    let anyFailed = false;
    for (const t of req.topicData) {
      const partitions = t.partitionData.map((p) => {
        let r: AppendResult;
        if (!mayWrite(t.name)) r = failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!validAcks) r = failed(ErrorCode.INVALID_REQUIRED_ACKS);
        else {
          try {
            r = ctx.replicaManager.appendRecords(t.name, p.index, p.records, version, req.acks);
          } catch (e) {
            // A bug, not a protocol outcome: this partition fails, the others and the connection carry on.
            ctx.log?.error(`produce to ${t.name}-${p.index}: ${(e as Error)?.stack ?? e}`);
            r = failed(ErrorCode.UNKNOWN_SERVER_ERROR, true);
          }
        }
        if (r.errorCode !== ErrorCode.NONE) anyFailed = true;
        return { index: p.index, r };
      });
      results.push({ name: t.name, partitions });
    }
    // Refused before this point, the frame went back with the answer (the dispatcher's part); from here the writes decide.
    if (frame !== undefined) releaseAfterWrites(frame.take(), results);
    if (req.acks === 0) {
      if (anyFailed) ctx.closeConnection?.('a Produce with acks=0 failed');
      return null;
    }
    await settled(results, req.acks === -1 ? req.timeoutMs : 0);
    // KIP-951: from v10 a partition this broker does not lead names the leader, with its endpoint.
    const hints = new LeaderHints(ctx);
    const leaderHint = (topic: string, partition: number, errorCode: number) => (version >= 10 ? hints.for(topic, partition, errorCode) : {});
    const responses = results.map((t) => ({
        name: t.name,
        partitionResponses: t.partitions.map(({ index, r }): ProduceResponsePartitionProduceResponse => ({
          index,
          errorCode: r.errorCode,
          baseOffset: BigInt(r.baseOffset),
          logAppendTimeMs: BigInt(r.logAppendTimeMs),
          logStartOffset: BigInt(r.logStartOffset),
          recordErrors: (r.recordErrors ?? []).map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })),
          errorMessage: r.errorCode === ErrorCode.NONE ? null : r.errorMessage,
          ...leaderHint(t.name, index, r.errorCode),
        })),
      }));
    return { throttleTimeMs: 0, responses, ...(version >= 10 ? hints.nodeEndpoints() : {}) };
  },
};
