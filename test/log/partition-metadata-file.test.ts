import t from 'tap';
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readTopicId, writeTopicId, PARTITION_METADATA_FILE } from '../../src/log/partition-metadata-file.js';
import { LogManager } from '../../src/log/log-manager.js';

t.test("partition.metadata: Kafka's format, read back; absent is undefined; garbage is an error", async (t) => {
  const dir = t.testdir({});
  t.equal(readTopicId(dir), undefined);
  writeTopicId(dir, 'r1aX0hQ3T0u2dL7sM9pNqw');
  t.equal(readFileSync(join(dir, PARTITION_METADATA_FILE), 'utf8'), 'version: 0\ntopic_id: r1aX0hQ3T0u2dL7sM9pNqw\n');
  t.equal(readTopicId(dir), 'r1aX0hQ3T0u2dL7sM9pNqw');
  writeFileSync(join(dir, PARTITION_METADATA_FILE), 'garbage');
  t.throws(() => readTopicId(dir), /not a partition metadata file/);
});

t.test('LogManager.forTopicId adopts an unrecorded log, keeps a matching one, and moves another id\'s aside', async (t) => {
  const dataDir = t.testdir({});
  const reports: string[] = [];
  const logs = LogManager.open(dataDir, { report: (m) => reports.push(m) });
  const first = 'AAAAAAAAAAAAAAAAAAAAAQ';
  const second = 'AAAAAAAAAAAAAAAAAAAAAg';
  const a = logs.forTopicId('t', 0, first);
  t.equal(readTopicId(a.dir), first, 'an unrecorded log takes the id');
  t.equal(logs.forTopicId('t', 0, first), a, 'the same log for the same id');
  const b = logs.forTopicId('t', 0, second);
  t.not(b, a, 'a fresh log for another id');
  t.equal(readTopicId(b.dir), second);
  t.ok(existsSync(join(dataDir, `t-0.${first}-stray`, PARTITION_METADATA_FILE)), 'the old log kept aside as a stray');
  t.same(readdirSync(dataDir).filter((n) => n.startsWith('t-0')).sort(), ['t-0', `t-0.${first}-stray`]);
  t.match(reports.join('\n'), /moved aside/);
  await logs.close();
});
