import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProducerIdManager } from '../../src/broker/producer-id-manager.js';

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
