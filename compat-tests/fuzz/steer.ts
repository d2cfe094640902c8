/**
 * Steers a random request toward the broker's deeper paths: entirely random
 * names and numbers mostly stop at the first lookup (unknown topic, bad
 * partition), so most fields named like a topic, group, partition, timeout or
 * record batch get a value from a small shared vocabulary instead (topics and
 * groups that the fuzz frames create and then find again). Values keep their
 * type and never become null, so the request still encodes at its version.
 *
 * Never names the steady client's topic or group: those are the fuzzer's
 * control, which random frames must not touch legitimately; nor the internal
 * topics, which some APIs may legitimately change (Kafka lets AlterConfigs
 * and DeleteRecords reach __consumer_offsets) in ways that break the group.
 */
import { Compression } from '../../src/wire/records/batch-header.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import type { Rng } from '../../test/wire/helpers/random-message.js';

export const FUZZ_TOPICS = ['fz-a', 'fz-b', 'fz-c.1'];
/** Names a client should never send: empty, reserved, illegal characters, too long. */
const ODD_TOPICS = ['', '.', '..', 'bad name!', 'x'.repeat(250)];
const GROUPS = ['fz-g1', 'fz-g2', ''];
const TXNS = ['fz-t1', 'fz-t2', ''];
const CONFIG_NAMES = ['retention.ms', 'cleanup.policy', 'max.message.bytes', 'compression.type', 'message.timestamp.type',
  'min.insync.replicas', 'retention.bytes', 'segment.ms', 'no.such.config'];
const CONFIG_VALUES = ['1', '-1', '0', 'compact', 'delete', 'compact,delete', 'gzip', 'zstd', 'producer', '1048576', 'LogAppendTime', 'abc', ''];

/** Chance that a field the vocabulary knows is steered rather than left random. */
const STEER = 0.85;

type Steered = (rng: Rng) => unknown;

const pick = <T>(xs: readonly T[]): Steered => (rng) => rng.pick(xs);
const between = (lo: number, hi: number): Steered => (rng) => rng.int(lo, hi);

/** Numbers by field name; every value fits the smallest type the name has in the specs (int16). */
const NUMBERS: Record<string, Steered> = {
  partitionIndex: between(0, 3), partition: between(0, 3), partitionId: between(0, 3),
  partitions: between(0, 3), partitionIndexes: between(0, 3),
  numPartitions: between(-1, 4), count: between(1, 6), replicationFactor: pick([-1, 1, 1, 3]),
  maxWaitMs: between(0, 20), minBytes: between(0, 1), timeoutMs: between(0, 500),
  sessionTimeoutMs: pick([6000, 10000, 45000, 10]), rebalanceTimeoutMs: between(0, 100),
  acks: pick([-1, -1, 1, 0]), isolationLevel: between(0, 1), generationId: between(-1, 2),
  producerEpoch: between(-1, 2), currentLeaderEpoch: between(-1, 1), leaderEpoch: between(-1, 1),
  resourceType: pick([2, 4, 1]), configOperation: between(0, 3),
};

const BIGINTS: Record<string, Steered> = {
  fetchOffset: (rng) => BigInt(rng.int(-1, 10)), committedOffset: (rng) => BigInt(rng.int(-1, 10)),
  offset: (rng) => BigInt(rng.int(-1, 10)), logStartOffset: (rng) => BigInt(rng.int(-1, 3)),
  timestamp: (rng) => rng.pick([-1n, -2n, -3n, 0n, BigInt(Date.now())]),
  producerId: (rng) => rng.pick([-1n, 0n, 1n, 1000n]),
};

/** A RecordBatch v2, sometimes compressed, idempotent or transactional. */
function batch(rng: Rng): Buffer {
  const records = Array.from({ length: rng.int(1, 3) }, (_, i) => ({
    key: rng.bool() ? `k${rng.int(0, 5)}` : null,
    value: rng.bool(0.1) ? null : rng.bytes(rng.int(0, 40)),
    headers: rng.bool(0.2) ? [{ key: 'h', value: 'v' }] : [],
    offsetDelta: i,
  }));
  const idempotent = rng.bool(0.3);
  return buildBatch(records, {
    compression: rng.pick([Compression.None, Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]),
    producerId: idempotent ? rng.int(0, 3) : -1,
    producerEpoch: idempotent ? 0 : -1,
    baseSequence: idempotent ? rng.int(0, 3) : -1,
    transactional: idempotent && rng.bool(0.3),
  });
}

function steerString(key: string, parent: string, rng: Rng): string | undefined {
  const inConfigs = /configs?$/i.test(parent);
  if (inConfigs && key === 'name') return rng.pick(CONFIG_NAMES);
  if (inConfigs && key === 'value') return rng.pick(CONFIG_VALUES);
  if ((key === 'name' && /topic/i.test(parent)) || key === 'topic' || key === 'topicName' || key === 'resourceName') return rng.pick(rng.bool(0.8) ? FUZZ_TOPICS : ODD_TOPICS);
  if (key === 'groupId' || key === 'key' || /^(groups|groupIds|coordinatorKeys)$/.test(parent)) return rng.pick(GROUPS);
  if (key === 'transactionalId' || parent === 'transactionalIds') return rng.pick(TXNS);
  if (key === 'memberId') return rng.pick(['', '', 'fz-member']);
  if (key === 'protocolType') return 'consumer';
  return undefined;
}

/** Replaces, in place, most fields the vocabulary knows; `parent` is the key of the enclosing struct or array. */
export function steer(msg: Record<string, unknown>, rng: Rng, parent = ''): void {
  for (const [key, value] of Object.entries(msg)) {
    if (value === null || value === undefined || key === 'unknownTaggedFields') continue;
    if (Array.isArray(value)) {
      value.forEach((e, i) => {
        if (e !== null && typeof e === 'object' && !Buffer.isBuffer(e)) steer(e as Record<string, unknown>, rng, key);
        else if (typeof e === 'string' && rng.bool(STEER)) value[i] = steerString('', key, rng) ?? e;
        else if (typeof e === 'number' && NUMBERS[key] && rng.bool(STEER)) value[i] = NUMBERS[key]!(rng);
      });
    } else if (Buffer.isBuffer(value)) {
      if (key === 'records' && rng.bool(0.6)) msg[key] = batch(rng);
    } else if (typeof value === 'object') {
      steer(value as Record<string, unknown>, rng, key);
    } else if (!rng.bool(STEER)) {
      continue;
    } else if (typeof value === 'string') {
      msg[key] = steerString(key, parent, rng) ?? value;
    } else if (typeof value === 'number' && NUMBERS[key]) {
      msg[key] = NUMBERS[key]!(rng);
    } else if (typeof value === 'bigint' && BIGINTS[key]) {
      msg[key] = BIGINTS[key]!(rng);
    }
  }
}
