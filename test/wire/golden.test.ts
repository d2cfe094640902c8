/**
 * Byte sequences written by hand from the protocol specs (not produced by our
 * encoder): each is decoded field by field and checked, and encoding the
 * expected values must give back exactly the same bytes.
 */
import t from 'tap';
import { Reader } from '../../src/wire/protocol/reader.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { DecodeError } from '../../src/wire/protocol/decode-error.js';
import {
  decodeRequestHeader, encodeRequestHeader, decodeResponseHeader, encodeResponseHeader,
  decodeApiVersionsRequest, encodeApiVersionsRequest,
  decodeMetadataRequest, encodeMetadataRequest,
  decodeProduceRequest, encodeProduceRequest,
  requestHeaderVersion, responseHeaderVersion, ApiKey,
} from '../../src/wire/generated/index.js';

/** Bytes from hex (spaces ignored) and ASCII/UTF-8 pieces: `bytes('00 03', 'abc')`. */
function bytes(...parts: (string | { s: string })[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p.replace(/\s+/g, ''), 'hex') : Buffer.from(p.s, 'utf8'))));
}
const s = (text: string) => ({ s: text });

function encoded(fn: (w: Writer) => void): Buffer {
  const w = new Writer(8);
  fn(w);
  return w.toBuffer();
}

t.test('ApiVersionsRequest v3: a size-prefixed frame with request header v2 and a flexible body', async (t) => {
  t.equal(requestHeaderVersion(ApiKey.ApiVersions, 3), 2, 'flexible request: header v2');
  t.equal(responseHeaderVersion(ApiKey.ApiVersions, 3), 0, 'ApiVersions responses always use header v0 (KIP-511)');
  const header = bytes(
    '00 12', // RequestApiKey 18
    '00 03', // RequestApiVersion 3
    '00 00 00 07', // CorrelationId 7
    '00 07', s('rdkafka'), // ClientId: int16 length even in header v2
    '00', // no tagged fields
  );
  const body = bytes(
    '0b', s('librdkafka'), // ClientSoftwareName: compact string, uvarint(10 + 1)
    '06', s('2.3.0'), // ClientSoftwareVersion: uvarint(5 + 1)
    '00', // no tagged fields
  );
  const frame = Buffer.concat([bytes('00 00 00', (header.length + body.length).toString(16).padStart(2, '0')), header, body]);
  t.equal(frame.length, 4 + 18 + 18);

  const r = new Reader(frame);
  t.equal(r.int32(), frame.length - 4, 'size prefix');
  const h = decodeRequestHeader(r, 2);
  t.same(h, { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'rdkafka' });
  t.equal(h.unknownTaggedFields, undefined, 'empty tagged section: no unknown fields');
  const m = decodeApiVersionsRequest(r, 3);
  t.equal(m.clientSoftwareName, 'librdkafka');
  t.equal(m.clientSoftwareVersion, '2.3.0');
  t.equal(m.unknownTaggedFields, undefined);
  t.equal(r.remaining(), 0, 'every byte consumed');

  t.same(encoded((w) => encodeRequestHeader(w, { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'rdkafka' }, 2)), header);
  t.same(encoded((w) => encodeApiVersionsRequest(w, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.3.0' }, 3)), body);

  // v0-v2 have no fields at all: the body is empty.
  t.same(encoded((w) => encodeApiVersionsRequest(w, { clientSoftwareName: 'ignored', clientSoftwareVersion: 'ignored' }, 2)), Buffer.alloc(0));
  const empty = decodeApiVersionsRequest(new Reader(Buffer.alloc(0)), 0);
  t.equal(empty.clientSoftwareName, '', 'absent field decodes to its default');
});

t.test('ApiVersionsRequest v3 with a non-ASCII name: the compact length counts UTF-8 bytes', async (t) => {
  const body = bytes('09', s('kafé✓'), '01', '00'); // "kafé✓" is 3 + 2 + 3 = 8 bytes; "" is uvarint(1)
  const m = decodeApiVersionsRequest(new Reader(body), 3);
  t.equal(m.clientSoftwareName, 'kafé✓');
  t.equal(m.clientSoftwareVersion, '');
  t.same(encoded((w) => encodeApiVersionsRequest(w, { clientSoftwareName: 'kafé✓', clientSoftwareVersion: '' }, 3)), body);
});

t.test('MetadataRequest v1: null topics (-1) means all topics, an empty array means none', async (t) => {
  const nullTopics = bytes('ff ff ff ff');
  const noTopics = bytes('00 00 00 00');
  const twoTopics = bytes('00 00 00 02', '00 03', s('foo'), '00 00');
  const a = decodeMetadataRequest(new Reader(nullTopics), 1);
  t.equal(a.topics, null, 'length -1 decodes as null');
  t.equal(a.allowAutoTopicCreation, true, 'AllowAutoTopicCreation is absent before v4: its default (true)');
  const b = decodeMetadataRequest(new Reader(noTopics), 1);
  t.same(b.topics, [], 'length 0 decodes as an empty array');
  const c = decodeMetadataRequest(new Reader(twoTopics), 1);
  t.same(c.topics?.map((x) => x.name), ['foo', '']);
  t.same(encoded((w) => encodeMetadataRequest(w, { topics: null }, 1)), nullTopics);
  t.same(encoded((w) => encodeMetadataRequest(w, { topics: [] }, 1)), noTopics);
  t.same(encoded((w) => encodeMetadataRequest(w, { topics: [{ name: 'foo' }, { name: '' }] }, 1)), twoTopics);

  // Topics is not nullable in v0.
  t.throws(() => decodeMetadataRequest(new Reader(nullTopics), 0), DecodeError, 'null topics in v0 is a DecodeError');
  t.throws(() => encodeMetadataRequest(new Writer(), { topics: null }, 0), /not nullable/, 'the encoder refuses null topics in v0');
});

t.test('ProduceRequest v3: request header v1 and every body field', async (t) => {
  t.equal(requestHeaderVersion(ApiKey.Produce, 3), 1, 'non-flexible request: header v1');
  const header = bytes('00 00', '00 03', '00 00 00 2a', '00 0a', s('producer-1'));
  const body = bytes(
    '00 03', s('txn'), // TransactionalId (nullable string, v3+)
    'ff ff', // Acks -1
    '00 00 75 30', // TimeoutMs 30000
    '00 00 00 01', // TopicData: 1 element
    '00 05', s('topic'), // Name
    '00 00 00 02', // PartitionData: 2 elements
    '00 00 00 00', '00 00 00 04', 'de ad be ef', // Index 0, Records: 4 bytes
    '00 00 00 01', 'ff ff ff ff', // Index 1, Records null
  );
  const r = new Reader(Buffer.concat([header, body]));
  t.same(decodeRequestHeader(r, 1), { requestApiKey: 0, requestApiVersion: 3, correlationId: 42, clientId: 'producer-1' });
  const m = decodeProduceRequest(r, 3);
  t.equal(r.remaining(), 0, 'every byte consumed');
  t.equal(m.transactionalId, 'txn');
  t.equal(m.acks, -1);
  t.equal(m.timeoutMs, 30000);
  t.equal(m.topicData.length, 1);
  const topic = m.topicData[0]!;
  t.equal(topic.name, 'topic');
  t.equal(topic.partitionData.length, 2);
  t.equal(topic.partitionData[0]!.index, 0);
  t.same(topic.partitionData[0]!.records, bytes('de ad be ef'));
  t.equal(topic.partitionData[1]!.index, 1);
  t.equal(topic.partitionData[1]!.records, null);

  t.same(encoded((w) => encodeRequestHeader(w, { requestApiKey: 0, requestApiVersion: 3, correlationId: 42, clientId: 'producer-1' }, 1)), header);
  const value = {
    transactionalId: 'txn', acks: -1, timeoutMs: 30000,
    topicData: [{ name: 'topic', partitionData: [{ index: 0, records: bytes('de ad be ef') }, { index: 1, records: null }] }],
  };
  t.same(encoded((w) => encodeProduceRequest(w, value, 3)), body);

  // A null TransactionalId is int16 -1; v2 has no TransactionalId at all.
  const nullTxn = Buffer.concat([bytes('ff ff'), body.subarray(5)]);
  t.equal(decodeProduceRequest(new Reader(nullTxn), 3).transactionalId, null);
  t.same(encoded((w) => encodeProduceRequest(w, { ...value, transactionalId: null }, 3)), nullTxn);
  t.same(encoded((w) => encodeProduceRequest(w, value, 2)), body.subarray(5), 'v2 drops TransactionalId');
});

t.test('request header v2: ClientId keeps its int16 length (not compact), then a tagged section', async (t) => {
  const h = bytes('00 03', '00 0c', '00 00 00 01', '00 03', s('abc'), '00');
  t.same(decodeRequestHeader(new Reader(h), 2), { requestApiKey: 3, requestApiVersion: 12, correlationId: 1, clientId: 'abc' });
  t.same(encoded((w) => encodeRequestHeader(w, { requestApiKey: 3, requestApiVersion: 12, correlationId: 1, clientId: 'abc' }, 2)), h);
  // A compact encoding ("abc" as uvarint 4) would be misread: 0x04 0x61 is a length of 1121.
  t.throws(() => decodeRequestHeader(new Reader(bytes('00 03', '00 0c', '00 00 00 01', '04', s('abc'), '00')), 2), DecodeError);

  const nullId = bytes('00 03', '00 0c', '00 00 00 01', 'ff ff', '00');
  t.equal(decodeRequestHeader(new Reader(nullId), 2).clientId, null, 'ClientId -1 is null');
  t.same(encoded((w) => encodeRequestHeader(w, { requestApiKey: 3, requestApiVersion: 12, correlationId: 1, clientId: null }, 2)), nullId);

  const withTag = bytes('00 03', '00 0c', '00 00 00 01', '00 01', s('x'), '01', '05', '02', 'aa bb');
  const d = decodeRequestHeader(new Reader(withTag), 2);
  t.same(d.unknownTaggedFields, [{ tag: 5, data: bytes('aa bb') }], 'an unknown tagged field is kept');
  t.same(encoded((w) => encodeRequestHeader(w, d, 2)), withTag);

  // v0 (ControlledShutdown v0) has no ClientId; v1 has no tagged section.
  t.same(encoded((w) => encodeRequestHeader(w, { requestApiKey: 7, requestApiVersion: 0, correlationId: 2, clientId: 'ignored' }, 0)), bytes('00 07 00 00 00 00 00 02'));
  t.same(encoded((w) => encodeRequestHeader(w, { requestApiKey: 3, requestApiVersion: 12, correlationId: 1, clientId: 'abc' }, 1)), h.subarray(0, h.length - 1));
});

t.test('ResponseHeader v1 with a tagged section; v0 without', async (t) => {
  const h = bytes(
    '00 00 00 09', // CorrelationId 9
    '02', // two tagged fields
    '01', '01', 'ff', // tag 1, 1 byte
    '80 01', '00', // tag 128 (two-byte uvarint), empty
  );
  const r = new Reader(h);
  const d = decodeResponseHeader(r, 1);
  t.equal(r.remaining(), 0);
  t.equal(d.correlationId, 9);
  t.same(d.unknownTaggedFields, [{ tag: 1, data: bytes('ff') }, { tag: 128, data: Buffer.alloc(0) }]);
  t.same(encoded((w) => encodeResponseHeader(w, d, 1)), h);
  t.same(encoded((w) => encodeResponseHeader(w, { correlationId: 9, unknownTaggedFields: [{ tag: 128, data: Buffer.alloc(0) }, { tag: 1, data: bytes('ff') }] }, 1)), h, 'tags are written in ascending order');
  t.same(encoded((w) => encodeResponseHeader(w, { correlationId: 9 }, 1)), bytes('00 00 00 09 00'));
  t.same(encoded((w) => encodeResponseHeader(w, { correlationId: 9 }, 0)), bytes('00 00 00 09'));
  t.same(decodeResponseHeader(new Reader(bytes('ff ff ff ff')), 0), { correlationId: -1 });
  t.throws(() => decodeResponseHeader(new Reader(bytes('00 00 00 09 01 01 05 ff')), 1), DecodeError, 'a tagged field longer than the frame');
});
