/**
 * Bytes on disk per partition replica: DescribeLogDirs at every broker
 * (each answers for its own log dirs), as kafka-log-dirs.sh does.
 */
import { ApiKey } from '../wire/generated/api-keys.js';
import { decodeDescribeLogDirsResponse, encodeDescribeLogDirsRequest } from '../wire/generated/describe-log-dirs.js';
import { ErrorCode } from '../wire/errors.js';
import type { KafkaClient } from './kafka-client.js';
import { check } from './errors.js';
import { atEveryBroker, tpKey } from './leader-routing.js';

export interface LogDirPartition {
  nodeId: number;
  logDir: string;
  topic: string;
  partition: number;
  sizeBytes: number;
  /** How far this replica is behind the leader's end (0 for the leader). */
  offsetLag: number;
  /** A replica being moved to this dir (AlterReplicaLogDirs), not the live one. */
  isFuture: boolean;
}

/**
 * Every replica of `topics` (null: of every topic) on every broker. A log
 * dir that is offline (KAFKA_STORAGE_ERROR) is left out; a broker that
 * refuses (CLUSTER_AUTHORIZATION_FAILED) throws.
 */
export async function logDirSizes(client: KafkaClient, topics: string[] | null = null): Promise<LogDirPartition[]> {
  let query: { topic: string; partitions: number[] }[] | null = null;
  if (topics !== null) {
    const md = await client.metadata(topics);
    query = md.topics.filter((t) => t.errorCode === ErrorCode.NONE && t.name).map((t) => ({ topic: t.name!, partitions: t.partitions.map((p) => p.partitionIndex) }));
    if (query.length === 0) return [];
  }
  const perBroker = await atEveryBroker(client, async (conn, nodeId) => {
    const v = conn.version(ApiKey.DescribeLogDirs, 4, 'DescribeLogDirs');
    const r = await conn.request(ApiKey.DescribeLogDirs, v, (w) => encodeDescribeLogDirsRequest(w, { topics: query }, v), (rd) => decodeDescribeLogDirsResponse(rd, v));
    check(r.errorCode ?? ErrorCode.NONE, `DescribeLogDirs at broker ${nodeId}`);
    const rows: LogDirPartition[] = [];
    for (const dir of r.results) {
      if (dir.errorCode !== ErrorCode.NONE) continue;
      for (const t of dir.topics) {
        for (const p of t.partitions) {
          rows.push({ nodeId, logDir: dir.logDir, topic: t.name, partition: p.partitionIndex, sizeBytes: Number(p.partitionSize), offsetLag: Number(p.offsetLag), isFuture: p.isFutureKey });
        }
      }
    }
    return rows;
  });
  return perBroker.flat();
}

/**
 * The size of each partition's data, keyed by tpKey(topic, partition): the
 * largest of its live replicas (replication copies the data; it does not
 * make the topic hold more).
 */
export function partitionSizes(rows: LogDirPartition[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    if (r.isFuture) continue;
    const k = tpKey(r.topic, r.partition);
    out.set(k, Math.max(out.get(k) ?? 0, r.sizeBytes));
  }
  return out;
}
