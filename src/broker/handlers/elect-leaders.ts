/**
 * ElectLeaders (API 43), v0-v2.
 *
 * Behavior: as Kafka's controller (ReplicationControlManager.electLeaders)
 * answers. A preferred election (0) makes each partition's first replica its
 * leader when that broker is live and in the ISR; an unclean election (1)
 * gives a partition without a live leader one: an ISR member when one is
 * live, else the first live replica (whose log may lack acknowledged
 * records: that is what "unclean" means). Per partition: NONE when the
 * leader changed; ELECTION_NOT_NEEDED when the preferred replica already
 * leads (preferred) or a leader is live (unclean);
 * PREFERRED_LEADER_NOT_AVAILABLE and ELIGIBLE_LEADERS_NOT_AVAILABLE when no
 * broker qualifies; UNKNOWN_TOPIC_OR_PARTITION "No such topic as <t>" or
 * "No such partition as <t>-<p>". Other errors carry Kafka's default message
 * for the code. A null partition list means every partition of every topic
 * (either election type, as in Kafka); then partitions that need no election
 * are left out, but every topic is listed. An election type other than 0
 * and 1 is INVALID_REQUEST for the whole request. The answer comes once the
 * new leaders are in the cluster metadata.
 *
 * Authorization: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED
 * for the request and every partition asked for.
 *
 * Version notes: v0 has no election type (preferred) and no top-level error
 * code; v1 adds both; v2 is flexible. timeout_ms is not used: an election
 * is one metadata write.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ElectLeadersRequest, ElectLeadersResponse, ElectLeadersResponseReplicaElectionResult } from '../../wire/generated/elect-leaders.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import type { ElectionType } from '../../controller/cluster-metadata.js';
import { defineHandler } from '../handler.js';
import { AclOperation, allowedOnCluster, deniedMessage } from '../request-authorization.js';

const ELECTION_TYPES: Record<number, ElectionType> = { 0: 'preferred', 1: 'unclean' };

/** Kafka's default messages (Errors.java) for the codes an election gives without a message of its own. */
const DEFAULT_MESSAGES: Record<number, string> = {
  [ErrorCode.ELECTION_NOT_NEEDED]: 'Leader election not needed for topic partition.',
  [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]: 'The preferred leader was not available.',
  [ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]: 'Eligible topic partition leaders are not available.',
};

const key = (topic: string, partition: number) => `${partition}:${topic}`;

/** Kafka's ElectLeadersRequest.getErrorResponse: the error on every partition asked for. */
function failAll(req: ElectLeadersRequest, errorCode: number, errorMessage: string): ElectLeadersResponse {
  return {
    throttleTimeMs: 0, errorCode,
    replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((p) => ({ partitionId: p, errorCode, errorMessage })) })),
  };
}

export const electLeaders = defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req, version) {
    if (!allowedOnCluster(ctx, AclOperation.ALTER)) return failAll(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, deniedMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const typeCode = version >= 1 ? req.electionType ?? 0 : 0;
    const type = ELECTION_TYPES[typeCode];
    if (type === undefined) return failAll(req, ErrorCode.INVALID_REQUEST, `Unknown election type ${typeCode}`);
    const all = req.topicPartitions === null;
    const asked = req.topicPartitions ?? ctx.metadata.topics().map((t) => ({ topic: t.name, partitions: t.states.map((_, p) => p) }));

    // Unknown partitions are answered here; the rest go to the controller once each (a partition asked twice gets one election).
    const results = new Map<string, { errorCode: number; errorMessage: string | null }>();
    const toElect: { topic: string; partition: number }[] = [];
    const pending = new Set<string>();
    for (const t of asked) {
      const topic = ctx.metadata.topic(t.topic);
      for (const p of t.partitions) {
        const k = key(t.topic, p);
        if (results.has(k) || pending.has(k)) continue;
        if (!topic) results.set(k, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${t.topic}` });
        else if (p < 0 || p >= topic.partitions) results.set(k, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${t.topic}-${p}` });
        else {
          pending.add(k);
          toElect.push({ topic: t.topic, partition: p });
        }
      }
    }
    if (toElect.length) {
      try {
        for (const r of await ctx.controller.electLeaders(type, toElect)) {
          const errorMessage = r.errorCode === ErrorCode.NONE ? null
            : r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? `No such partition as ${r.topic}-${r.partition}`
              : DEFAULT_MESSAGES[r.errorCode] ?? r.message;
          results.set(key(r.topic, r.partition), { errorCode: r.errorCode, errorMessage });
        }
      } catch (err) {
        if (err instanceof KafkaError) return failAll(req, err.code, err.message);
        throw err;
      }
    }

    const replicaElectionResults: ElectLeadersResponseReplicaElectionResult[] = asked.map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.flatMap((p) => {
        const r = results.get(key(t.topic, p)) ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The controller gave no result for this partition.' };
        // Asked for everything, a client hears only about the partitions an election was for.
        if (all && r.errorCode === ErrorCode.ELECTION_NOT_NEEDED) return [];
        return [{ partitionId: p, ...r }];
      }),
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
  },
  errorResponse(req, _version, errorCode, message) {
    return failAll(req, errorCode, message);
  },
});
