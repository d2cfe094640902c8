/**
 * Hostile and broken clients on the security listeners, over raw sockets:
 * garbage SASL tokens, SaslAuthenticate before SaslHandshake, Metadata before
 * authentication, a SCRAM client-final with a forged nonce, a frame larger
 * than sasl.server.max.receive.size before authentication, garbage and
 * plaintext Kafka bytes on the TLS port, and a TLS ClientHello followed by
 * silence. Each loses its own connection and nothing else: a kafkajs client
 * connected before the attacks keeps producing on its connection, an
 * authenticated bare connection stays open, and new clients connect after.
 * A handshake left hanging is closed after socket.request.receive.timeout.ms
 * (Samsa's bound; Kafka's selector uses connections.max.idle.ms for it).
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { ALICE, PLAIN_USERS, secureBroker } from './helpers/secure-broker.js';
import { rawConnect, closedWithin, requestFrame } from './helpers/raw.js';
import { until } from './helpers/until.js';
import {
  ScramClient, addScramUser, captureLog, kafkaFor, kafkajsConsume, plainToken, saslAuthenticate, saslHandshake,
  wireClosedWithin, wireConnect, wireMetadata,
} from './helpers/security-clients.js';
import { ErrorCode } from '../src/wire/errors.js';
import { ApiKey } from '../src/wire/generated/api-keys.js';

const MAX_RECEIVE = 4096;

/** The first flight of a TLS client (its ClientHello), made by node:tls against a peer that never answers. */
function clientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const wire = new Duplex({ read() {}, write(chunk: Buffer, _enc, done) { resolve(Buffer.from(chunk)); done(); } });
    const tls = tlsConnect({ socket: wire, servername: 'localhost', rejectUnauthorized: false });
    tls.on('error', () => {});
    setTimeout(() => tls.destroy(), 100).unref();
  });
}

t.test('hostile handshakes close their own connection only', async (t) => {
  const b = await secureBroker(t, {
    listeners: ['SASL_PLAINTEXT', 'SSL'],
    certs: true,
    flags: { ...PLAIN_USERS, 'sasl.server.max.receive.size': String(MAX_RECEIVE) },
  });
  await addScramUser(b, 'SCRAM-SHA-256', ALICE.username, ALICE.password);
  const log = captureLog(b);
  const sasl = { mechanism: 'plain' as const, username: ALICE.username, password: ALICE.password };

  // Bystanders, connected before the attacks: a kafkajs producer over SASL, one over TLS, and an authenticated bare connection.
  const saslKafka = kafkaFor(b, 'SASL_PLAINTEXT', { sasl });
  const producer = saslKafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const tlsProducer = kafkaFor(b, 'SSL').producer();
  await tlsProducer.connect();
  t.teardown(() => tlsProducer.disconnect());
  await producer.send({ topic: 'steady', acks: -1, messages: [{ value: 'before' }] });
  await tlsProducer.send({ topic: 'steady', acks: -1, messages: [{ value: 'before over tls' }] });
  const bystander = await wireConnect(b, 'SASL_PLAINTEXT');
  t.teardown(() => bystander.close());
  await saslHandshake(bystander, 'PLAIN');
  t.equal((await saslAuthenticate(bystander, plainToken(ALICE.username, ALICE.password))).errorCode, ErrorCode.NONE, 'bystander authenticated');

  // The bystanders keep working while the attacks run.
  let stop = false;
  let during = 0;
  const busy = (async () => {
    while (!stop) {
      await producer.send({ topic: 'steady', acks: -1, messages: [{ value: `during-${during}` }] });
      during++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  await t.test('garbage SASL tokens', async (t) => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'OAUTHBEARER']) {
      const c = await wireConnect(b, 'SASL_PLAINTEXT');
      t.equal((await saslHandshake(c, mechanism)).errorCode, ErrorCode.NONE, `${mechanism} handshake`);
      const r = await saslAuthenticate(c, randomBytes(200));
      t.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, `${mechanism}: 200 random bytes as the token: SASL_AUTHENTICATION_FAILED (${r.errorMessage})`);
      t.ok(await wireClosedWithin(c, 5000), `${mechanism}: connection closed`);
    }
    // Random bytes where a request belongs, before any handshake.
    const s = await rawConnect(b.port('SASL_PLAINTEXT'));
    const junk = randomBytes(100);
    junk.writeInt32BE(96, 0);
    junk.writeInt16BE(ApiKey.SaslHandshake, 4);
    junk.writeInt16BE(7, 6); // a version nobody serves
    s.write(junk);
    t.ok(await closedWithin(s, 5000), 'a random frame claiming to be SaslHandshake closes the connection');
  });

  await t.test('SaslAuthenticate before SaslHandshake', async (t) => {
    const c = await wireConnect(b, 'SASL_PLAINTEXT');
    const r = await saslAuthenticate(c, plainToken(ALICE.username, ALICE.password));
    t.equal(r.errorCode, ErrorCode.ILLEGAL_SASL_STATE, 'ILLEGAL_SASL_STATE');
    t.ok(await wireClosedWithin(c, 5000), 'connection closed');
  });

  await t.test('Metadata before authentication', async (t) => {
    const c = await wireConnect(b, 'SASL_PLAINTEXT');
    const outcome = await wireMetadata(c).then(() => 'answered', (e: Error) => e.message);
    t.equal(outcome, 'connection closed', 'closed without an answer');
    const d = await wireConnect(b, 'SASL_PLAINTEXT');
    await saslHandshake(d, 'PLAIN');
    const mid = await wireMetadata(d).then(() => 'answered', (e: Error) => e.message);
    t.equal(mid, 'connection closed', 'Metadata between SaslHandshake and SaslAuthenticate: closed as well');
  });

  await t.test('SCRAM client-final with a forged nonce', async (t) => {
    // The same exchange done right first, so the refusal below is the nonce's doing.
    const honest = await wireConnect(b, 'SASL_PLAINTEXT');
    t.teardown(() => honest.close());
    const good = new ScramClient('SCRAM-SHA-256', ALICE.username, ALICE.password);
    await saslHandshake(honest, 'SCRAM-SHA-256');
    const serverFirst = await saslAuthenticate(honest, good.first());
    const serverFinal = await saslAuthenticate(honest, good.final(serverFirst.authBytes));
    t.equal(serverFinal.errorCode, ErrorCode.NONE, 'an honest SCRAM exchange succeeds');
    t.ok(good.verifies(serverFinal.authBytes), 'and the server proves it knows the credential');

    const c = await wireConnect(b, 'SASL_PLAINTEXT');
    const liar = new ScramClient('SCRAM-SHA-256', ALICE.username, ALICE.password);
    await saslHandshake(c, 'SCRAM-SHA-256');
    const first = await saslAuthenticate(c, liar.first());
    t.equal(first.errorCode, ErrorCode.NONE, 'server-first received');
    // A nonce that is not the server's: the proof is computed over it, so only the nonce check can refuse it.
    const r = await saslAuthenticate(c, liar.final(first.authBytes, { nonce: `${liar.nonce}forged${randomBytes(6).toString('hex')}` }));
    t.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, `forged nonce: SASL_AUTHENTICATION_FAILED (${r.errorMessage})`);
    t.ok(await wireClosedWithin(c, 5000), 'connection closed');
    t.ok(log.some((l) => /Invalid client nonce/.test(l)), 'the broker logged the nonce as the reason');
  });

  await t.test('a frame above sasl.server.max.receive.size before authentication', async (t) => {
    const s = await rawConnect(b.port('SASL_PLAINTEXT'));
    s.write(requestFrame(ApiKey.SaslHandshake, 1, 1, Buffer.concat([Buffer.from([0, 5]), Buffer.from('PLAIN')])));
    // Only the size of a 1 MiB SaslAuthenticate and its first bytes: the broker must refuse on the size alone.
    const head = Buffer.alloc(12);
    head.writeInt32BE(1 << 20, 0);
    head.writeInt16BE(ApiKey.SaslAuthenticate, 4);
    head.writeInt16BE(1, 6);
    s.write(head);
    t.ok(await closedWithin(s, 5000), 'closed without the body being sent');
    t.ok(log.some((l) => l.includes(`request size ${1 << 20}`) && l.includes('sasl.server.max.receive.size')), 'the broker logged the size and the setting');
    // Once authenticated the limit is socket.request.max.bytes: the bystander's larger produce goes through.
    const big = 'x'.repeat(4 * MAX_RECEIVE);
    await producer.send({ topic: 'big', acks: -1, messages: [{ value: big }] });
    t.pass(`an authenticated client sends a ${big.length}-byte record, larger than sasl.server.max.receive.size`);
  });

  await t.test('garbage, plaintext Kafka and a silent ClientHello on the TLS port', async (t) => {
    const garbage = await rawConnect(b.port('SSL'));
    garbage.write(randomBytes(300));
    t.ok(await closedWithin(garbage, 5000), 'random bytes on the TLS port: closed');

    const plaintext = await rawConnect(b.port('SSL'));
    plaintext.write(requestFrame(ApiKey.ApiVersions, 0, 1));
    t.ok(await closedWithin(plaintext, 5000), 'a plaintext ApiVersions request on the TLS port: closed');

    // A ClientHello, then nothing: the handshake hangs on this socket only.
    const hello = await clientHello();
    t.equal(hello[0], 0x16, 'a TLS handshake record');
    const silent = await rawConnect(b.port('SSL'));
    t.teardown(() => silent.destroy());
    let answered = 0;
    silent.on('data', (d: Buffer) => { answered += d.length; });
    silent.write(hello);
    await until(() => answered > 0, 5000, 'the broker to answer the ClientHello');
    t.pass(`the broker answered the ClientHello (${answered} bytes) and waits for the client`);
    await tlsProducer.send({ topic: 'steady', acks: -1, messages: [{ value: 'while a handshake hangs' }] });
    t.pass('a TLS client connected before is served while the handshake hangs');
    const fresh = kafkaFor(b, 'SSL').admin();
    await fresh.connect();
    t.same((await fresh.describeCluster()).brokers.map((x) => x.port), [b.port('SSL')], 'a new TLS client connects while the handshake hangs');
    await fresh.disconnect();
    t.notOk(silent.destroyed, 'the silent handshake is still pending (it is nobody else\'s business)');
  });

  stop = true;
  await busy;
  t.ok(during > 0, `the kafkajs producer sent ${during} times during the attacks`);
  await producer.send({ topic: 'steady', acks: -1, messages: [{ value: 'after' }] });
  await tlsProducer.send({ topic: 'steady', acks: -1, messages: [{ value: 'after over tls' }] });
  t.pass('both producers connected before the attacks still produce after them');
  t.notOk(bystander.closed, 'the authenticated bare connection is still open');
  t.equal((await wireMetadata(bystander)).brokers.length, 1, 'and still served');
  t.same(log.filter((l) => l.startsWith('error')), [], 'no error-level log line');
  const values = await kafkajsConsume(kafkaFor(b, 'SASL_PLAINTEXT', { sasl }), 'steady', during + 4);
  t.same(values.filter((v) => !v.startsWith('during-')), ['before', 'before over tls', 'while a handshake hangs', 'after', 'after over tls'], 'a new client reads everything the bystanders wrote');
});

t.test('a connection stuck in its TLS handshake is closed after socket.request.receive.timeout.ms', async (t) => {
  const receiveMs = 2000;
  const b = await secureBroker(t, { listeners: ['PLAINTEXT', 'SSL'], certs: true, flags: { 'socket.request.receive.timeout.ms': String(receiveMs) } });
  const log = captureLog(b);
  // For comparison: a plaintext request begun and never finished meets the same bound.
  const partial = await rawConnect(b.port('PLAINTEXT'));
  partial.write(Buffer.from([0, 0, 0, 100, 0, 3]));
  const silent = await rawConnect(b.port('SSL'));
  t.teardown(() => silent.destroy());
  silent.write(await clientHello());
  t.ok(await closedWithin(partial, receiveMs + 5000), 'half a plaintext request: closed after socket.request.receive.timeout.ms');
  t.ok(await closedWithin(silent, receiveMs + 5000), 'a ClientHello then silence: closed as well');
  t.ok(log.some((l) => /TLS handshake .* failed/.test(l)), 'the broker logged the abandoned handshake');
  t.same(log.filter((l) => l.startsWith('error')), [], 'no error-level log line');
});
