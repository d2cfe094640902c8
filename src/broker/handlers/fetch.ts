/**
 * Fetch (API 1), v0-v17.
 *
 * Behavior:
 * - Sessions (v7+, KIP-227) through the FetchSessionCache: full and
 *   incremental fetches, forgotten topics; an incremental response lists only
 *   partitions with records, errors or a changed high watermark / log start
 *   offset. Session errors answer with the top-level error and no partitions.
 * - Partitions are read in order, off the event loop (readPartitionAsync), with max_bytes (v3+; capped by the
 *   broker's fetch.max.bytes, which alone bounds v0-v2) shared between them and
 *   partition_max_bytes each; the first batch of the first partition that has
 *   data comes whole even when larger than both (KIP-74), so a consumer never
 *   sticks. A fetch offset inside a batch returns that whole batch.
 * - Records are whole batches below the high watermark; read_committed stops
 *   at the last stable offset (the oldest open transaction's first offset)
 *   and lists the aborted transactions among the records returned, which the
 *   client drops; read_uncommitted gets an empty list. A partition with nothing
 *   has an empty record set, never null (librdkafka and kafka-python fail on
 *   null).
 * - Fewer than min_bytes: the fetch waits until an append makes enough bytes
 *   visible or max_wait_ms passes (delayed fetch), then reads again. Errors
 *   answer at once.
 * - Unknown topic: UNKNOWN_TOPIC_OR_PARTITION (v13+ by id: UNKNOWN_TOPIC_ID);
 *   current_leader_epoch (v9+) is checked (FENCED/UNKNOWN_LEADER_EPOCH);
 *   offsets outside [log start, log end] get OFFSET_OUT_OF_RANGE.
 *
 * Version notes: v0-v9 on a topic with compression.type=zstd get
 * UNSUPPORTED_COMPRESSION_TYPE, as in Kafka (zstd needs v10). v0-v3 clients read message format v0/v1, so their records
 * are down-converted (uncompressed, headers dropped), as Kafka 3.x does
 * (Kafka 4.0 dropped v0-v3). v0-v2 have no request max_bytes. Followers (replica_id >= 0,
 * replica_state from v15) are served by replica-fetch.ts. NOT_LEADER_OR_FOLLOWER
 * and FENCED_LEADER_EPOCH carry the leader this broker knows (current_leader,
 * v12+) and its endpoint (node_endpoints, v16+; KIP-951). preferred_read_replica
 * (v11+) is always -1.
 *
 * Authorization (KafkaApis.handleFetchRequest): a consumer needs READ on each
 * topic, asked once per topic per request, else its partitions are
 * TOPIC_AUTHORIZATION_FAILED; topic ids are resolved first, so an unknown id
 * stays UNKNOWN_TOPIC_ID. Followers need CLUSTER_ACTION (replica-fetch.ts).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { FetchRequest, FetchResponse, FetchResponseFetchableTopicResponse, FetchResponsePartitionData } from '../../wire/generated/fetch.js';
import { ZERO_UUID } from '../../wire/protocol/uuid.js';
import { type FetchPartitionParams, type ForgottenPartition } from '../fetch-session-cache.js';
import { type ReadResult } from '../replica-manager.js';
import { ErrorCode } from '../../wire/errors.js';
import type { DataPathContext } from './data-path-context.js';
import { downConvert } from '../message-format.js';
import { followerId, replicaFetch } from './replica-fetch.js';
import type { FrameLease } from '../frame-pool.js';
import type { ResponseBuffers } from '../response-buffers.js';
import { LeaderHints } from './leader-hints.js';
import { AclOperation, ResourceType, checker } from '../request-authorization.js';

const EMPTY = Buffer.alloc(0);

export const fetch = {
  apiKey: ApiKey.Fetch,
  minVersion: 0,
  maxVersion: 17,
  pooledReads: true,
  async handle(ctx: DataPathContext, req: FetchRequest, version: number, _frame?: FrameLease, reads?: ResponseBuffers): Promise<FetchResponse> {
    const replicaId = followerId(req, version);
    if (replicaId >= 0) return replicaFetch(ctx, req, version, replicaId, reads?.alloc);
    const byId = version >= 13;
    const name = (t: { topic?: string; topicId?: string }) => (byId ? ctx.topicName(t.topicId ?? ZERO_UUID) ?? '' : t.topic ?? '');
    const fetchData: FetchPartitionParams[] = [];
    for (const t of req.topics) {
      const topic = name(t);
      for (const p of t.partitions) {
        fetchData.push({
          topic, topicId: t.topicId ?? ZERO_UUID, partition: p.partition, fetchOffset: Number(p.fetchOffset),
          partitionMaxBytes: p.partitionMaxBytes, logStartOffset: Number(p.logStartOffset ?? -1n),
          currentLeaderEpoch: p.currentLeaderEpoch ?? -1, lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
        });
      }
    }
    const forgotten: ForgottenPartition[] = (req.forgottenTopicsData ?? []).flatMap((t) =>
      t.partitions.map((partition) => ({ topic: name(t), topicId: t.topicId ?? ZERO_UUID, partition })));
    const sessionId = version >= 7 ? req.sessionId ?? 0 : 0;
    const epoch = version >= 7 ? req.sessionEpoch ?? -1 : -1;
    const context = ctx.fetchSessions.newContext(version, sessionId, epoch, false, fetchData, forgotten, Date.now());
    if (context.errorCode !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: 0, responses: [] };

    const parts = context.partitions();
    // The broker's fetch.max.bytes caps what a request may ask for (v0-v2 ask for no total at all), as in Kafka.
    const maxBytes = Math.min(req.maxBytes ?? 0x7fffffff, ctx.config?.int('fetch.max.bytes') ?? 0x7fffffff);
    const minBytes = Math.min(req.minBytes, maxBytes);
    const isolation = req.isolationLevel ?? 0;
    const rm = ctx.replicaManager;
    const mayRead = checker(ctx, AclOperation.READ, ResourceType.TOPIC);
    // Partitions are read one after another: each one's share of max_bytes depends on what the ones before took.
    const readAll = async (): Promise<ReadResult[]> => {
      let remaining = maxBytes;
      let first = true;
      const out: ReadResult[] = [];
      for (const q of parts) {
        // v13+ sessions keep ids: resolve the name now, so a deleted topic shows as UNKNOWN_TOPIC_ID.
        const p = byId ? { ...q, topic: ctx.topicName(q.topicId) ?? '' } : q;
        let missing = p.topic === '' ? (byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          : !mayRead(p.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : rm.checkLeaderEpoch(p.topic, p.partition, p.currentLeaderEpoch);
        // Kafka's rule (KIP-110): clients before Fetch v10 cannot read zstd, so a topic that fixes zstd refuses them.
        if (missing === ErrorCode.NONE && version < 10 && rm.handle(p.topic, p.partition)?.config.compressionType === 'zstd') missing = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
        if (missing !== ErrorCode.NONE) { out.push({ errorCode: missing, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY }); continue; }
        let r: ReadResult;
        try {
          r = await rm.readPartitionAsync(p.topic, p.partition, p.fetchOffset, Math.min(p.partitionMaxBytes, remaining), isolation, first, reads?.alloc);
        } catch (e) {
          // A bug or an I/O fault: this partition fails, the others are still served.
          ctx.log?.error(`fetch from ${p.topic}-${p.partition}: ${(e as Error)?.stack ?? e}`);
          r = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY };
        }
        if (r.records.length > 0) { first = false; remaining = Math.max(0, remaining - r.records.length); }
        out.push(r);
      }
      return out;
    };
    let results = await readAll();
    const bytes = results.reduce((n, r) => n + r.records.length, 0);
    const anyError = results.some((r) => r.errorCode !== ErrorCode.NONE);
    if (req.maxWaitMs > 0 && parts.length > 0 && bytes < minBytes && !anyError) {
      const keys = parts.map((p) => `${p.topic}:${p.partition}`);
      await rm.purgatory.wait(keys, req.maxWaitMs, () => {
        let n = 0;
        for (const p of parts) n += rm.availableBytes(p.topic, p.partition, p.fetchOffset, p.partitionMaxBytes, minBytes - n, isolation);
        return n >= minBytes;
      });
      results = await readAll();
    }

    if (ctx.stats) for (let i = 0; i < parts.length; i++) if (results[i]!.records.length > 0) ctx.stats.fetched(parts[i]!.topic, results[i]!.records);
    if (version < 4) {
      // v0-v3 clients read message format v0/v1: down-convert (message-format.ts).
      results = results.map((r) => {
        if (r.records.length === 0) return r;
        try {
          return { ...r, records: downConvert(r.records, version <= 1 ? 0 : 1) };
        } catch (e) {
          ctx.log?.error(`down-conversion failed: ${(e as Error)?.stack ?? e}`);
          return { ...r, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, records: EMPTY };
        }
      });
    }
    const { sessionId: responseSessionId, include } = context.finish(results.map((r) => ({
      errorCode: r.errorCode, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, recordsSize: r.records.length,
    })), Date.now());
    const responses: FetchResponseFetchableTopicResponse[] = [];
    const hints = new LeaderHints(ctx);
    let current: FetchResponseFetchableTopicResponse | undefined;
    let currentKey = '';
    for (const i of include) {
      const p = parts[i]!;
      const r = results[i]!;
      const key = byId ? p.topicId : p.topic;
      if (current === undefined || key !== currentKey) {
        current = byId ? { topicId: p.topicId, partitions: [] } : { topic: p.topic, partitions: [] };
        currentKey = key;
        responses.push(current);
      }
      const data: FetchResponsePartitionData = {
        partitionIndex: p.partition, errorCode: r.errorCode, highWatermark: BigInt(r.highWatermark),
        lastStableOffset: BigInt(r.lastStableOffset), logStartOffset: BigInt(r.logStartOffset),
        abortedTransactions: (r.abortedTransactions ?? []).map((a) => ({ producerId: BigInt(a.producerId), firstOffset: BigInt(a.firstOffset) })),
        preferredReadReplica: -1, records: r.records,
        ...(version >= 12 ? hints.for(p.topic, p.partition, r.errorCode) : {}),
      };
      current.partitions.push(data);
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: responseSessionId, responses, ...(version >= 16 ? hints.nodeEndpoints() : {}) };
  },
};
