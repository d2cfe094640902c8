import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProducerIdManager } from '../../src/broker/producer-id-manager.js';
import { MetadataStore } from '../../src/controller/metadata-store.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';

t.test('ids are unique across restarts; a reserved block is skipped after restart', async (t) => {
  const dir = t.testdir({});
  const a = new ProducerIdManager(dir, 10);
  t.same([a.allocate(), a.allocate(), a.allocate()], [0, 1, 2]);
  const b = new ProducerIdManager(dir, 10);
  t.equal(b.allocate(), 10);
  for (let i = 0; i < 10; i++) b.allocate();
  t.equal(new ProducerIdManager(dir, 10).allocate(), 30);
});

t.test('a corrupt file is an error, not a reset to 0', async (t) => {
  const dir = t.testdir({});
  writeFileSync(join(dir, 'producer-id-block'), 'garbage');
  t.throws(() => new ProducerIdManager(dir), /bad contents/);
});

t.test('brokers of a cluster reserve blocks in the shared metadata: no id is handed out twice, across restarts too', async (t) => {
  const dir = t.testdir({});
  const store = MetadataStore.open(dir);
  const a = await ProducerIdManager.shared((n) => store.reserveProducerIds(n), 10);
  const b = await ProducerIdManager.shared((n) => store.reserveProducerIds(n), 10);
  const ids: number[] = [];
  for (let i = 0; i < 25; i++) {
    ids.push(a.allocate(), b.allocate());
    await new Promise((r) => setImmediate(r)); // lets the block fetched ahead arrive
  }
  t.equal(new Set(ids).size, ids.length, 'all distinct');
  const reopened = await ProducerIdManager.shared((n) => MetadataStore.open(dir).reserveProducerIds(n), 10);
  t.ok(reopened.allocate() > Math.max(...ids), 'a restarted cluster continues past every reserved block');
});

t.test('a broker whose next block has not arrived answers a retriable error, then goes on', async (t) => {
  let release!: () => void;
  let next = 0;
  let calls = 0;
  const m = await ProducerIdManager.shared(async (n) => {
    if (calls++ > 0) await new Promise<void>((r) => { release = r; });
    const start = next;
    next += n;
    return start;
  }, 10);
  for (let i = 0; i < 10; i++) m.allocate();
  let err: unknown;
  try { m.allocate(); } catch (e) { err = e; }
  t.ok(err instanceof KafkaError && err.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'COORDINATOR_LOAD_IN_PROGRESS');
  await new Promise((r) => setImmediate(r)); // the reservation asked for ahead is now waiting on etcd, as it were
  release();
  await new Promise((r) => setImmediate(r));
  t.equal(m.allocate(), 10);
});
