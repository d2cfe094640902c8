/**
 * Requests of one API that arrive while its codec module loads (a client
 * pipelining its first Produces on a fresh broker) are handled in the order
 * they arrived. Separate imports of one module may settle in any order, and
 * a loaded-CI run of compat-tests/produce-frame-reuse.test.ts once appended
 * kcat's first acks=0 requests out of order so. Here the codec loader is
 * replaced by one whose first call settles last; the handler records the
 * order it sees.
 */
import t from 'tap';
import type { Dispatcher as DispatcherClass } from '../../src/broker/dispatcher.js';
import { loadCodecs as realLoadCodecs } from '../../src/wire/generated/lazy-codecs.js';
import { Logger } from '../../src/broker/logger.js';
import { defineHandler } from '../../src/broker/handler.js';
import type { SharedContext } from '../../src/broker/broker-context.js';
import type { Connection } from '../../src/broker/connection.js';
import { Writer } from '../../src/wire/protocol/writer.js';
import { encodeRequestHeader } from '../../src/wire/generated/request-header.js';
import { ApiKey, requestHeaderVersion } from '../../src/wire/generated/api-keys.js';
import { encodeCreateTopicsRequest, type CreateTopicsRequest, type CreateTopicsResponse } from '../../src/wire/generated/create-topics.js';

t.test('requests waiting for their codec are handled in arrival order', async (t) => {
  let calls = 0;
  const loadCodecs = (apiKey: number) => {
    const first = calls++ === 0;
    return realLoadCodecs(apiKey).then((c) => (first ? new Promise<typeof c>((r) => setTimeout(() => r(c), 50)) : c));
  };
  const { Dispatcher } = await t.mockImport<{ Dispatcher: typeof DispatcherClass }>('../../src/broker/dispatcher.js', {
    '../../src/wire/generated/lazy-codecs.js': { loadCodecs },
  });
  const seen: string[] = [];
  const recorder = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
    apiKey: ApiKey.CreateTopics, minVersion: 0, maxVersion: 7,
    handle: (_ctx, req) => { seen.push(req.topics[0]!.name); return { throttleTimeMs: 0, topics: [] }; },
  });
  const d = new Dispatcher({ log: new Logger('silent'), nodeId: 0 } as unknown as SharedContext, [recorder]);
  const conn = { id: 1, close() {} } as unknown as Connection;
  const names = ['t0', 't1', 't2', 't3', 't4'];
  const frames = names.map((name, i) => {
    const w = new Writer();
    encodeRequestHeader(w, { requestApiKey: ApiKey.CreateTopics, requestApiVersion: 5, correlationId: i, clientId: 'order' }, requestHeaderVersion(ApiKey.CreateTopics, 5));
    encodeCreateTopicsRequest(w, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false }, 5);
    return w.toBuffer();
  });
  await Promise.all(frames.map((f) => d.handleFrame(f, conn)));
  t.same(seen, names, 'handled in the order the frames arrived');
  t.equal(calls, 1, 'the codec module was imported once');
});
