/** Topic configs reach the partition logs: each one the log reads, set on a topic, changes what the log does. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/index.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';

t.test('segment.index.bytes: a full offset index rolls the segment', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-topic-log-'));
  const b = await startBroker({ flags: { 'log.dirs': dir, listeners: '127.0.0.1:0' }, logLevel: 'silent' });
  t.teardown(async () => { await b.close(); rmSync(dir, { recursive: true, force: true }); });
  const topics = b.context.topics;
  // index.interval.bytes=1: an index entry per batch; 16 bytes hold two offset entries and one 12-byte time entry.
  topics.createTopic('small-index', 1, 1, { 'segment.index.bytes': '16', 'index.interval.bytes': '1' });
  topics.createTopic('default-index', 1, 1, { 'index.interval.bytes': '1' });
  for (const name of ['small-index', 'default-index']) {
    const log = topics.lookup(name, 0)!.log;
    for (let i = 0; i < 6; i++) await log.append(buildBatch([{ value: `v${i}` }]), 0).done;
  }
  const segments = (name: string) => (topics.lookup(name, 0)!.log as unknown as { segmentCount(): number }).segmentCount();
  t.ok(segments('small-index') >= 3, `a 16-byte index fills after a batch or two and rolls the segment (${segments('small-index')} segments for 6 batches)`);
  t.equal(segments('default-index'), 1, 'the 10 MiB default does not roll');
});
