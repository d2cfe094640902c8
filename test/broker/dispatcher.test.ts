/**
 * Dispatcher: header versions, unknown APIs and versions, decode errors,
 * handler faults (UNKNOWN_SERVER_ERROR or close), NO_RESPONSE, and the
 * ApiVersions answers derived from the registry.
 */
import t from 'tap';
import { Dispatcher } from '../../src/broker/dispatcher.js';
import { Logger } from '../../src/broker/logger.js';
import { HANDLERS, supportedApiVersions } from '../../src/broker/handlers/index.js';
import { apiVersions } from '../../src/broker/handlers/api-versions.js';
import { defineHandler, NO_RESPONSE, type Handler } from '../../src/broker/handler.js';
import type { SharedContext } from '../../src/broker/broker-context.js';
import type { Connection, FrameResult } from '../../src/broker/connection.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { Reader } from '../../src/wire/protocol/reader.js';
import { encodeRequestHeader } from '../../src/wire/generated/request-header.js';
import { decodeResponseHeader } from '../../src/wire/generated/response-header.js';
import { ApiKey, requestHeaderVersion, responseHeaderVersion } from '../../src/wire/generated/api-keys.js';
import { encodeApiVersionsRequest, decodeApiVersionsResponse } from '../../src/wire/generated/api-versions.js';
import { encodeCreateTopicsRequest, decodeCreateTopicsResponse, type CreateTopicsRequest, type CreateTopicsResponse } from '../../src/wire/generated/create-topics.js';
import { encodeMetadataRequest } from '../../src/wire/generated/metadata.js';
import { ErrorCode } from '../../src/wire/errors.js';

const conn = { id: 1, close() {} } as unknown as Connection;
const shared = { log: new Logger('silent'), nodeId: 0 } as unknown as SharedContext;

function request(apiKey: number, version: number, correlationId: number, body: (w: Writer) => void = () => {}): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'test' }, requestHeaderVersion(apiKey, version));
  body(w);
  return w.toBuffer();
}

async function run(d: Dispatcher, frame: Buffer): Promise<FrameResult> {
  return d.handleFrame(frame, conn);
}

/** The response body after the size and a header of the version for (apiKey, version). */
function body(r: FrameResult, apiKey: number, version: number): { correlationId: number; reader: Reader } {
  if (!Array.isArray(r)) throw new Error(`expected a response, got ${JSON.stringify(r)}`);
  const buf = Buffer.concat(r);
  if (buf.readInt32BE(0) !== buf.length - 4) throw new Error('size prefix does not match');
  const reader = new Reader(buf.subarray(4));
  const h = decodeResponseHeader(reader, responseHeaderVersion(apiKey, version));
  return { correlationId: h.correlationId, reader };
}

const createTopicsBody = (version: number) => (w: Writer) => encodeCreateTopicsRequest(w, { topics: [{ name: 'a', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false }, version);

t.test('ApiVersions at every version advertises exactly the registry; v3+ uses header v0 with a flexible body', async (t) => {
  const d = new Dispatcher(shared, HANDLERS);
  for (let v = 0; v <= 4; v++) {
    const r = await run(d, request(ApiKey.ApiVersions, v, 100 + v, (w) => encodeApiVersionsRequest(w, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' }, v)));
    const { correlationId, reader } = body(r, ApiKey.ApiVersions, v);
    t.equal(correlationId, 100 + v, `v${v} correlation id`);
    const res = decodeApiVersionsResponse(reader, v);
    t.equal(res.errorCode, 0, `v${v} no error`);
    t.same(res.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion]), HANDLERS.map((h) => [h.apiKey, h.minVersion, h.maxVersion]), `v${v} lists the registry`);
  }
});

t.test('ApiVersions at an unsupported version: v0 body with UNSUPPORTED_VERSION and the table', async (t) => {
  const d = new Dispatcher(shared, HANDLERS);
  const r = await run(d, request(ApiKey.ApiVersions, 77, 5, (w) => w.int32(123456)));
  const { correlationId, reader } = body(r, ApiKey.ApiVersions, 0);
  t.equal(correlationId, 5);
  const res = decodeApiVersionsResponse(reader, 0);
  t.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  t.same(res.apiKeys, supportedApiVersions());
});

t.test('ApiVersions v3 with an illegal client software name is INVALID_REQUEST', async (t) => {
  const d = new Dispatcher(shared, HANDLERS);
  const r = await run(d, request(ApiKey.ApiVersions, 3, 1, (w) => encodeApiVersionsRequest(w, { clientSoftwareName: '-bad name-', clientSoftwareVersion: '1' }, 3)));
  t.equal(decodeApiVersionsResponse(body(r, ApiKey.ApiVersions, 3).reader, 3).errorCode, ErrorCode.INVALID_REQUEST);
});

t.test('unknown API keys, unserved versions, short frames and malformed bodies close the connection', async (t) => {
  const d = new Dispatcher(shared, HANDLERS);
  t.match(await run(d, request(999, 0, 1)), { close: /unknown API key 999/ });
  t.match(await run(d, request(ApiKey.Metadata, 13, 1)), { close: /Metadata v13 is not supported/ });
  t.match(await run(d, request(ApiKey.OffsetCommit, 0, 1)), { close: /OffsetCommit v0 is not supported/ }, 'below the registered range');
  t.match(await run(d, request(ApiKey.PushTelemetry, 0, 1)), { close: /PushTelemetry v0 is not supported/ }, 'an API with no handler');
  t.match(await run(d, Buffer.from([0, 3, 0])), { close: /too short/ });
  t.match(await run(d, request(ApiKey.Metadata, 1, 1, (w) => w.int32(1_000_000))), { close: /malformed Metadata v1 request/ }, 'array longer than the frame');
  const truncatedHeader = request(ApiKey.Metadata, 1, 1).subarray(0, 11);
  t.match(await run(d, truncatedHeader), { close: /malformed/ }, 'client id cut short');
});

t.test('a handler fault answers UNKNOWN_SERVER_ERROR through errorResponse, or closes without one', async (t) => {
  const logged: string[] = [];
  const log = new Logger('silent');
  log.error = (m: string) => { logged.push(m); };
  const ctx = { ...shared, log } as SharedContext;
  const throwing = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
    apiKey: ApiKey.CreateTopics, minVersion: 0, maxVersion: 7,
    handle() { throw new Error('bug in handler'); },
    errorResponse(req, _v, errorCode, errorMessage) {
      return { throttleTimeMs: 0, topics: req.topics.map((x) => ({ name: x.name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1 })) };
    },
  });
  const d = new Dispatcher(ctx, [throwing]);
  const r = await run(d, request(ApiKey.CreateTopics, 5, 9, createTopicsBody(5)));
  const res = decodeCreateTopicsResponse(body(r, ApiKey.CreateTopics, 5).reader, 5);
  t.equal(res.topics[0]!.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR, 'the entry carries UNKNOWN_SERVER_ERROR');
  t.match(logged[0], /bug in handler/, 'the stack is logged');

  const rejecting: Handler = { apiKey: ApiKey.CreateTopics, minVersion: 0, maxVersion: 7, handle: async () => { throw new Error('async bug'); } };
  t.match(await run(new Dispatcher(ctx, [rejecting]), request(ApiKey.CreateTopics, 2, 1, createTopicsBody(2))), { close: /internal error/ }, 'no errorResponse: close');
  t.match(logged[1], /async bug/);
});

t.test('a response the encoder refuses is a fault: UNKNOWN_SERVER_ERROR through errorResponse, or a close', async (t) => {
  const logged: string[] = [];
  const log = new Logger('silent');
  log.error = (m: string) => { logged.push(m); };
  const ctx = { ...shared, log } as SharedContext;
  const errorResponse = (req: CreateTopicsRequest, _v: number, errorCode: number, errorMessage: string): CreateTopicsResponse =>
    ({ throttleTimeMs: 0, topics: req.topics.map((x) => ({ name: x.name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1 })) });
  // A topic name is never nullable in CreateTopics responses.
  const unencodable = (): CreateTopicsResponse => ({ throttleTimeMs: 0, topics: [{ name: null as unknown as string, errorCode: 0, numPartitions: 1, replicationFactor: 1 }] });
  const withFallback = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({ apiKey: ApiKey.CreateTopics, minVersion: 0, maxVersion: 7, handle: unencodable, errorResponse });
  const r = await run(new Dispatcher(ctx, [withFallback]), request(ApiKey.CreateTopics, 5, 9, createTopicsBody(5)));
  const { correlationId, reader } = body(r, ApiKey.CreateTopics, 5);
  t.equal(correlationId, 9);
  t.same(decodeCreateTopicsResponse(reader, 5).topics.map((x) => [x.name, x.errorCode]), [['a', ErrorCode.UNKNOWN_SERVER_ERROR]], 'answered with the error response');
  t.match(logged[0], /cannot encode CreateTopics v5 response .*Name is not nullable/, 'the encoder\'s complaint is logged');

  const without = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({ apiKey: ApiKey.CreateTopics, minVersion: 0, maxVersion: 7, handle: unencodable });
  t.match(await run(new Dispatcher(ctx, [without]), request(ApiKey.CreateTopics, 5, 9, createTopicsBody(5))), { close: /internal error/ }, 'no errorResponse: close');
});

t.test('NO_RESPONSE sends nothing; a Promise response is encoded when it resolves', async (t) => {
  const quiet: Handler = { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 12, handle: () => NO_RESPONSE };
  t.equal(await run(new Dispatcher(shared, [quiet]), request(ApiKey.Metadata, 4, 1, (w) => encodeMetadataRequest(w, { topics: [], allowAutoTopicCreation: false }, 4))), null);
  const later: Handler = { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4, handle: async (ctx, req, v) => apiVersions.handle(ctx, req, v) };
  const r = await run(new Dispatcher(shared, [later]), request(ApiKey.ApiVersions, 2, 77));
  t.equal(body(r, ApiKey.ApiVersions, 2).correlationId, 77);
});

t.test('registering an API twice is refused', async (t) => {
  t.throws(() => new Dispatcher(shared, [apiVersions, apiVersions]), /registered twice/);
});
