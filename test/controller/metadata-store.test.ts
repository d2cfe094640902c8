import t from 'tap';
import { mkdtempSync, mkdirSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
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

t.test('a change whose write fails is undone in memory too: memory is never ahead of the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-md-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = MetadataStore.open(dir);
  const kept = a.createTopic('kept', 2, { 'retention.ms': '1000' });
  // A directory where the temporary file goes makes every write fail (EISDIR), as a full disk would.
  mkdirSync(join(dir, '__samsa_metadata.json.tmp'));
  t.throws(() => a.createTopic('lost', 1, {}), { code: 56, message: /EISDIR/ });
  t.throws(() => a.setPartitionCount('kept', 5), { code: 56, message: /EISDIR/ });
  t.throws(() => a.setTopicConfigs('kept', {}), { code: 56, message: /EISDIR/ });
  t.throws(() => a.deleteTopic('kept'), { code: 56, message: /EISDIR/ });
  t.equal(a.topic('lost'), undefined, 'the topic whose creation failed is not there');
  t.equal(a.collidingTopic('lost'), undefined, 'nor in the collision index');
  t.same([a.topic('kept')?.partitions, a.topic('kept')?.configs, a.topicById(kept.id)?.name], [2, { 'retention.ms': '1000' }, 'kept'], 'the other changes are undone');
  t.equal(a.partitionTotal(), 2, 'partitions counted as on disk');
  rmSync(join(dir, '__samsa_metadata.json.tmp'), { recursive: true });
  const b = MetadataStore.open(dir);
  t.same(b.topics().map((x) => [x.name, x.partitions, x.configs]), [['kept', 2, { 'retention.ms': '1000' }]], 'the file agrees');
});

t.test("topic names that collide ('.' versus '_') are found without a scan", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-md-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = MetadataStore.open(dir);
  a.createTopic('a.b', 1, {});
  t.equal(a.collidingTopic('a_b')?.name, 'a.b');
  t.equal(a.collidingTopic('a.c'), undefined);
  a.deleteTopic('a.b');
  t.equal(a.collidingTopic('a_b'), undefined, 'forgotten with the topic');
  t.equal(MetadataStore.open(dir).collidingTopic('a_b'), undefined, 'and after reopening');
});

t.test('createTopics makes several topics with one write, or none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-md-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = MetadataStore.open(dir);
  t.throws(() => a.createTopics([{ name: 'x', assignments: [[0]], configs: {}, internal: false }, { name: 'x', assignments: [[0], [0]], configs: {}, internal: false }]), /topic x exists/, 'a name twice');
  t.same(a.topics(), [], 'nothing made');
  const made = a.createTopics([{ name: 'x', assignments: [[0]], configs: {}, internal: false }, { name: '__consumer_offsets', assignments: [[0], [0], [0]], configs: { 'cleanup.policy': 'compact' }, internal: true }]);
  t.same(made.map((x) => [x.name, x.partitions, x.internal]), [['x', 1, false], ['__consumer_offsets', 3, true]]);
  t.equal(a.partitionTotal(), 4);
  t.same(MetadataStore.open(dir).topics().map((x) => [x.name, x.id]), [['__consumer_offsets', made[1]!.id], ['x', made[0]!.id]], 'both on disk');
});
