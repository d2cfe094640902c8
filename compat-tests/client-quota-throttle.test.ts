/**
 * A producer_byte_rate quota holds a kafkajs producer to about the set rate:
 * the broker answers with throttle_time_ms and reads nothing more from the
 * connection until it has passed (KIP-219). Measured as a rate over a few
 * seconds of producing as fast as the client can, beside the same producer
 * without a quota. Short quota windows (2 x 1 s) so the measured rate settles
 * within the test; Kafka's default 11 windows let a fresh client burst for 10 s.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { secureBroker } from './helpers/secure-broker.js';
import { entityKey } from '../src/security/quota-entity.js';

const QUOTA = 200_000; // bytes a second
const VALUE = Buffer.alloc(10_000, 'q');

async function produceFor(bootstrap: string, clientId: string, ms: number): Promise<number> {
  const producer = new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const start = Date.now();
  let bytes = 0;
  while (Date.now() - start < ms) {
    await producer.send({ topic: 'quota-t', acks: 1, messages: [{ value: VALUE }, { value: VALUE }] });
    bytes += 2 * VALUE.length;
  }
  const rate = bytes / ((Date.now() - start) / 1000);
  await producer.disconnect();
  return rate;
}

t.test('a producer_byte_rate quota throttles a producer to about the set rate', async (t) => {
  const b = await secureBroker(t, { listeners: ['PLAINTEXT'], flags: { 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
  const admin = new Kafka({ brokers: [b.bootstrap('PLAINTEXT')], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'quota-t', numPartitions: 1 }] });
  await admin.disconnect();

  const free = await produceFor(b.bootstrap('PLAINTEXT'), 'unlimited', 1500);
  t.ok(free > 3 * QUOTA, `without a quota the producer reaches ${Math.round(free)} B/s, well above ${QUOTA}`);

  await b.samsa.context.security.write([{ kind: 'quota', key: entityKey({ 'client-id': 'limited' }), value: JSON.stringify({ producer_byte_rate: QUOTA }) }]);
  const limited = await produceFor(b.bootstrap('PLAINTEXT'), 'limited', 5000);
  t.ok(limited < 1.6 * QUOTA && limited > 0.4 * QUOTA, `with a ${QUOTA} B/s quota the producer is held to ${Math.round(limited)} B/s`);

  const other = await produceFor(b.bootstrap('PLAINTEXT'), 'unlimited', 1500);
  t.ok(other > 3 * QUOTA, `another client id is not throttled (${Math.round(other)} B/s)`);
});
