/**
 * Request frames captured from real clients (test/fixtures/capture-frames.ts)
 * decode with our generated codecs, field by field; produced batches decode
 * to exactly the records that were sent, for every codec.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reader } from '../../src/wire/protocol/reader.js';
import { CODECS, requestHeaderVersion } from '../../src/wire/generated/index.js';
import { decodeRequestHeader } from '../../src/wire/generated/request-header.js';
import type { ProduceRequest } from '../../src/wire/generated/produce.js';
import type { MetadataRequest } from '../../src/wire/generated/metadata.js';
import type { ApiVersionsRequest } from '../../src/wire/generated/api-versions.js';
import type { FetchRequest } from '../../src/wire/generated/fetch.js';
import type { JoinGroupRequest } from '../../src/wire/generated/join-group.js';
import type { SyncGroupRequest } from '../../src/wire/generated/sync-group.js';
import type { OffsetCommitRequest } from '../../src/wire/generated/offset-commit.js';
import { decodeConsumerProtocolSubscription } from '../../src/wire/generated/consumer-protocol-subscription.js';
import { BatchHeader } from '../../src/wire/records/batch-header.js';
import { readRecords } from '../../src/wire/records/record-reader.js';
import type { ManifestEntry } from '../fixtures/capture-frames.js';

const DIR = 'test/fixtures/captures';
const manifest: ManifestEntry[] = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));
const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
/**
 * librdkafka 2.0.2 (Debian's kcat 1.7.1) compresses gzip and snappy only for a
 * broker that serves Produce v2 and Fetch v2, and lz4 only when it serves
 * FindCoordinator; these captures come from a broker serving all of them, so
 * every codec arrives compressed.
 */

t.ok(manifest.some((m) => m.client === 'kafkajs') && manifest.some((m) => m.client === 'kcat'), 'captures from kafkajs and kcat');

for (const m of manifest) {
  t.test(`${m.client} ${m.api} v${m.version} (${m.label})`, async (t) => {
    const frame = readFileSync(join(DIR, m.file));
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, requestHeaderVersion(m.apiKey, m.version));
    t.equal(header.requestApiKey, m.apiKey, 'api key');
    t.equal(header.requestApiVersion, m.version, 'api version');
    t.ok(header.clientId, `client id ${header.clientId}`);
    const body = CODECS[m.apiKey]!.request.decode(r, m.version);
    t.equal(r.remaining(), 0, 'the codec consumed the whole frame');

    if (m.api === 'ApiVersions' && m.version >= 3) {
      const req = body as ApiVersionsRequest;
      t.equal(req.clientSoftwareName, 'librdkafka', 'client software name');
      t.ok(req.clientSoftwareVersion, `client software version ${req.clientSoftwareVersion}`);
    }
    if (m.api === 'Metadata') {
      const req = body as MetadataRequest;
      t.ok(req.topics === null || Array.isArray(req.topics), 'topics decoded');
    }
    if (m.api === 'Fetch') {
      const req = body as FetchRequest;
      t.equal(req.topics[0]?.topic, `capture-${m.client}-none`, 'fetched topic');
      t.equal(req.replicaId ?? -1, -1, 'a consumer, not a replica');
    }
    const group = m.client === 'kafkajs' ? 'capture-group' : 'capture-kcat-group';
    if (m.api === 'JoinGroup') {
      const req = body as JoinGroupRequest;
      t.equal(req.groupId, group, 'group id');
      t.equal(req.protocolType, 'consumer', 'consumer protocol');
      t.ok(req.protocols.length > 0, `assignors offered: ${req.protocols.map((p) => p.name).join(', ')}`);
      const meta = req.protocols[0]!.metadata;
      // The consumer protocol prefixes the struct with its int16 version.
      const sub = decodeConsumerProtocolSubscription(new Reader(meta, 2), Math.min(meta.readInt16BE(0), 3));
      t.same(sub.topics, [`capture-${m.client}-none`], 'the subscription names the topic');
    }
    if (m.api === 'SyncGroup') t.equal((body as SyncGroupRequest).groupId, group, 'group id');
    if (m.api === 'OffsetCommit') {
      const req = body as OffsetCommitRequest;
      t.equal(req.groupId, group, 'group id');
      t.equal(req.topics[0]?.name, `capture-${m.client}-none`, 'committed topic');
    }
    if (m.api === 'Produce') {
      const req = body as ProduceRequest;
      t.equal(req.topicData[0]!.name, m.topic, 'topic');
      const records = req.topicData[0]!.partitionData[0]!.records!;
      const batch = new BatchHeader(records);
      t.equal(batch.magic, 2, 'RecordBatch v2');
      t.ok(batch.isCrcValid(), 'CRC32C valid');
      t.equal(batch.compression, CODEC_IDS[m.label], `compressed with ${m.label}`);
      const got = readRecords(batch).map((rec) => ({
        key: rec.key === null ? null : rec.key.toString(),
        value: rec.value === null ? null : rec.value.toString(),
        ...(rec.headers.length ? { headers: Object.fromEntries(rec.headers.map((h) => [h.key, h.value?.toString()])) } : {}),
      }));
      t.same(got, m.messages, 'exactly the records that were sent');
    }
  });
}
