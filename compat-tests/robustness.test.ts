/**
 * Bad bytes from one client never crash the broker nor disturb another:
 * random bytes, lying, zero and huge sizes, truncated headers, unknown API
 * keys and unsupported versions, while a kafkajs admin client keeps working.
 * Idle connections and requests that stop half way are closed after
 * connections.max.idle.ms and socket.request.receive.timeout.ms.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker } from './helpers/broker.js';
import { rawConnect, closedWithin, readFrame, requestFrame } from './helpers/raw.js';
import { WireClient } from './helpers/wire-client.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';
import { encodeFetchRequest, decodeFetchResponse } from '../src/wire/generated/fetch.js';
import { encodeMetadataRequest, decodeMetadataResponse } from '../src/wire/generated/metadata.js';

t.test('garbage from raw sockets leaves the broker and a kafkajs client working', async (t) => {
  const b = await testBroker(t);
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'steady' }] });

  // The admin client keeps working (on its own connection) while the garbage below arrives.
  let stop = false;
  let ops = 0;
  const busy = (async () => {
    while (!stop) {
      await admin.fetchTopicMetadata({ topics: ['steady'] });
      await admin.createTopics({ topics: [{ topic: `during-${ops}` }] });
      ops++;
    }
  })();

  // A size above socket.request.max.bytes is refused before any allocation: the connection closes.
  const huge = await rawConnect(b.port);
  huge.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 1]));
  t.ok(await closedWithin(huge, 2000), 'oversized frame size closes the connection');

  const negative = await rawConnect(b.port);
  negative.write(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
  t.ok(await closedWithin(negative, 2000), 'negative frame size closes the connection');

  // Four zero bytes: a frame of size 0 (this crashed the whole process once).
  const zero = await rawConnect(b.port);
  zero.write(Buffer.alloc(4));
  t.ok(await closedWithin(zero, 2000), 'a zero frame size closes the connection');

  const belowHeader = await rawConnect(b.port);
  belowHeader.write(Buffer.from([0, 0, 0, 9, 0, 18, 0, 0, 0, 0, 0, 1, 0xff]));
  t.ok(await closedWithin(belowHeader, 2000), 'a frame size below the smallest request header (10) closes the connection');

  const short = await rawConnect(b.port);
  short.write(Buffer.from([0, 0, 0, 3, 0, 18, 0]));
  t.ok(await closedWithin(short, 2000), 'a frame too short for a header closes the connection');

  const unknown = await rawConnect(b.port);
  unknown.write(requestFrame(999, 0, 1));
  t.ok(await closedWithin(unknown, 2000), 'unknown API key closes the connection');

  const badVersion = await rawConnect(b.port);
  badVersion.write(requestFrame(3, 999, 1));
  t.ok(await closedWithin(badVersion, 2000), 'unsupported Metadata version closes the connection');

  // ApiVersions at an unknown version: a v0 response with UNSUPPORTED_VERSION (35) and the table.
  const av = await rawConnect(b.port);
  av.write(requestFrame(18, 99, 42));
  const resp = await readFrame(av);
  t.equal(resp.readInt32BE(0), 42, 'correlation id echoed');
  t.equal(resp.readInt16BE(4), 35, 'UNSUPPORTED_VERSION');
  t.ok(resp.readInt32BE(6) > 5, 'the supported table is included');
  av.destroy();

  // A lying body: Metadata v1 claiming a topic array far larger than the frame.
  const lying = await rawConnect(b.port);
  lying.write(requestFrame(3, 1, 7, Buffer.from([0x7f, 0, 0, 0])));
  t.ok(await closedWithin(lying, 2000), 'an array length beyond the frame closes the connection');

  // Truncated in the middle of a frame, then the client goes away.
  const truncated = await rawConnect(b.port);
  truncated.write(requestFrame(3, 1, 8, Buffer.alloc(100)).subarray(0, 20));
  truncated.destroy();

  for (let i = 0; i < 50; i++) {
    const s = await rawConnect(b.port);
    s.on('error', () => {});
    s.write(randomBytes(1 + (i * 37) % 300));
    s.end();
  }

  stop = true;
  await busy;
  t.ok(ops > 0, `the admin client completed ${ops} rounds meanwhile without an error`);
  const topics = await admin.listTopics();
  t.ok(topics.includes('steady'), 'the kafkajs admin client still works after all of it');
  await admin.createTopics({ topics: [{ topic: 'after-garbage' }] });
  t.ok((await admin.listTopics()).includes('after-garbage'), 'and can still change things');
});

t.test('pipelined requests on one connection are answered in order', async (t) => {
  const b = await testBroker(t);
  const s = await rawConnect(b.port);
  t.teardown(() => s.destroy());
  const n = 50;
  const frames = [];
  for (let i = 0; i < n; i++) frames.push(requestFrame(i % 2 ? 18 : 3, i % 2 ? 2 : 1, 1000 + i, i % 2 ? Buffer.alloc(0) : Buffer.from([0, 0, 0, 0])));
  s.write(Buffer.concat(frames));
  const seen: number[] = [];
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} responses`)), 5000);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        seen.push(buf.readInt32BE(4));
        buf = buf.subarray(4 + buf.readInt32BE(0));
      }
      if (seen.length === n) { clearTimeout(timer); resolve(); }
    });
  });
  t.same(seen, frames.map((_, i) => 1000 + i), 'correlation ids come back in request order');
});

t.test('idle connections and requests that stop half way are closed; a long poll is not idle', { skip: process.env.BROKER ? 'needs our own broker\'s settings' : false }, async (t) => {
  const b = await testBroker(t, { 'connections.max.idle.ms': '300', 'socket.request.receive.timeout.ms': '300' });

  const idle = await rawConnect(b.port);
  t.teardown(() => idle.destroy());
  t.ok(await closedWithin(idle, 5000), 'a connection that sends nothing is closed after connections.max.idle.ms');

  const stalled = await rawConnect(b.port);
  t.teardown(() => stalled.destroy());
  stalled.write(requestFrame(3, 1, 1, Buffer.from([0, 0, 0, 0])).subarray(0, 12)); // a size prefix and part of the header
  t.ok(await closedWithin(stalled, 5000), 'a request whose rest never comes is closed after socket.request.receive.timeout.ms');

  // A client that trickles a request a byte at a time is not saved by being active.
  const trickle = await rawConnect(b.port);
  t.teardown(() => trickle.destroy());
  const frame = requestFrame(3, 1, 2, Buffer.from([0, 0, 0, 0]));
  let sent = 0;
  const dribble = setInterval(() => { if (sent < frame.length - 1 && !trickle.destroyed) trickle.write(frame.subarray(sent, ++sent)); }, 100);
  t.teardown(() => clearInterval(dribble));
  t.ok(await closedWithin(trickle, 5000), 'a request trickled slower than the timeout is closed');
  clearInterval(dribble);

  // A fetch waiting longer than the idle timeout keeps its connection: a request is in flight.
  const c = await WireClient.connect(b.host, b.port);
  t.teardown(() => c.close());
  await c.request(ApiKey.Metadata, 4, (w) => encodeMetadataRequest(w, { topics: [{ name: 'quiet' }], allowAutoTopicCreation: true }, 4), (r) => decodeMetadataResponse(r, 4));
  const poll = await c.request(ApiKey.Fetch, 4, (w) => encodeFetchRequest(w, {
    replicaId: -1, maxWaitMs: 1000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
    topics: [{ topic: 'quiet', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  }, 4), (r) => decodeFetchResponse(r, 4));
  t.equal(poll.responses[0]?.partitions[0]?.errorCode, 0, 'the long poll on the (auto-created) empty topic was answered');
  t.notOk(c.closed, 'on a connection still open');
});
