import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore, topicNameError } from '../../src/controller/metadata-store.js';

t.test('cluster id and topics persist across reopen; the file is replaced whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-md-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = MetadataStore.open(dir);
  t.match(a.clusterId, /^[A-Za-z0-9_-]{22}$/, "Kafka's 22-character base64url cluster id");
  const orders = a.createTopic('orders', 3, { 'retention.ms': '1000' });
  t.match(orders.id, /^[A-Za-z0-9_-]{22}$/, 'topic id');
  a.createTopic('gone', 1, {});
  a.deleteTopic('gone');
  a.setPartitionCount('orders', 5);
  a.setTopicConfigs('orders', { 'cleanup.policy': 'compact' });
  t.notOk(existsSync(join(dir, '__samsa_metadata.json.tmp')), 'no temporary file left behind');

  const b = MetadataStore.open(dir);
  t.equal(b.clusterId, a.clusterId, 'same cluster id');
  t.same(b.topics().map((x) => [x.name, x.id, x.partitions, x.configs]), [['orders', orders.id, 5, { 'cleanup.policy': 'compact' }]]);
  t.equal(b.topicById(orders.id)?.name, 'orders', 'found by id');
  t.equal(b.topic('gone'), undefined, 'deleted topics stay deleted');
  t.ok(JSON.parse(readFileSync(join(dir, '__samsa_metadata.json'), 'utf8')).clusterId, 'plain JSON on disk');
});

t.test('a damaged metadata file stops start-up with a message naming it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-md-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, '__samsa_metadata.json'), '{"clusterId": ');
  t.throws(() => MetadataStore.open(dir), /cannot read cluster metadata .*__samsa_metadata.json/);
  writeFileSync(join(dir, '__samsa_metadata.json'), '[]');
  t.throws(() => MetadataStore.open(dir), /not a Samsa metadata file/);
});

t.test("Kafka's topic name rules", async (t) => {
  t.equal(topicNameError('a.b_c-D9'), undefined);
  t.equal(topicNameError('x'.repeat(249)), undefined, '249 characters');
  t.match(topicNameError('x'.repeat(250)), /longer than 249/);
  t.match(topicNameError(''), /empty/);
  t.match(topicNameError('.'), /"\." or "\.\."/);
  t.match(topicNameError('..'), /"\." or "\.\."/);
  t.match(topicNameError('with space'), /illegal/);
  t.match(topicNameError('ünïcode'), /illegal/);
});
