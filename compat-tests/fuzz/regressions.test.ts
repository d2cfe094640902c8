/**
 * Frames that once made the broker answer wrongly (or not at all), as raw
 * bytes over a socket, each with the answer Kafka gives. The protocol fuzzer
 * (protocol-fuzz.test.ts) finds such frames; each fixed one is kept here.
 */
import t from 'tap';
import { testBroker } from '../helpers/broker.js';
import { rawConnect, closedWithin, readFrame, requestFrame } from '../helpers/raw.js';
import { ErrorCode } from '../../src/wire/errors.js';
import type { MetadataResponse } from '../../src/wire/generated/metadata.js';
import { decodeResponse } from './responses.js';

/** A request frame from hex body bytes (spaces ignored); flexible versions start the body with the header's tagged fields. */
const frame = (apiKey: number, version: number, correlationId: number, bodyHex: string) =>
  requestFrame(apiKey, version, correlationId, Buffer.from(bodyHex.replace(/\s/g, ''), 'hex'));

const ZERO_ID = '00'.repeat(16);

t.test('Metadata topics with an empty or null name, or a topic id before v12 (defect 8)', async (t) => {
  const b = await testBroker(t);
  const cases: { what: string; version: number; body: string; error: number; name: string | null }[] = [
    // topics [""] (int32 count, int16 length 0), allow_auto_topic_creation true
    { what: 'v4 empty name', version: 4, body: '00000001 0000 01', error: ErrorCode.INVALID_TOPIC_EXCEPTION, name: '' },
    { what: 'v6 empty name', version: 6, body: '00000001 0000 00', error: ErrorCode.INVALID_TOPIC_EXCEPTION, name: '' },
    // header tags, topics (compact 1): zero id, null name, tags; allow auto, include cluster ops, include topic ops, tags
    { what: 'v10 null name', version: 10, body: `00 02 ${ZERO_ID} 00 00 01 00 00 00`, error: ErrorCode.INVALID_REQUEST, name: '' },
    // a topic id with the name "x" in v11 (no include cluster ops)
    { what: 'v11 topic id', version: 11, body: `00 02 ${'01'.repeat(16)} 02 78 00 01 00 00`, error: ErrorCode.INVALID_REQUEST, name: 'x' },
    { what: 'v12 empty name, no id', version: 12, body: `00 02 ${ZERO_ID} 01 00 01 00 00`, error: ErrorCode.INVALID_TOPIC_EXCEPTION, name: '' },
    { what: 'v12 null name, unknown id', version: 12, body: `00 02 ${'01'.repeat(16)} 00 00 01 00 00`, error: ErrorCode.UNKNOWN_TOPIC_ID, name: null },
  ];
  for (const [i, c] of cases.entries()) {
    const s = await rawConnect(b.port);
    t.teardown(() => s.destroy());
    s.write(frame(3, c.version, 100 + i, c.body));
    const { correlationId, body } = decodeResponse(3, c.version, await readFrame(s));
    const res = body as MetadataResponse;
    t.equal(correlationId, 100 + i, `${c.what}: answered`);
    t.same(res.topics.map((x) => [x.errorCode, x.name]), [[c.error, c.name]], `${c.what}: error ${c.error} for the topic`);
    s.destroy();
  }
});

t.test('a null (length -1) Metadata topic name before v10 fails to parse: the connection closes, as Kafka closes it', async (t) => {
  const b = await testBroker(t);
  for (const version of [4, 6, 9]) {
    const s = await rawConnect(b.port);
    t.teardown(() => s.destroy());
    const body = version >= 9 ? '00 02 00 00 01 00 00' : '00000001 ffff 01';
    s.write(frame(3, version, 1, body));
    t.ok(await closedWithin(s, 2000), `v${version}: closed`);
  }
});
