/**
 * Child process for the crash test: appends batches to a partition log as
 * fast as it can and prints each acknowledged last offset, until the parent
 * kills it with SIGKILL. Like the broker's high watermark, an offset counts as
 * acknowledged once it and every offset before it are written (writes may
 * complete out of order).
 */
import { PartitionLog } from '../../../src/log/partition-log.js';
import { buildBatch } from '../../../src/wire/records/batch-builder.js';

const dir = process.argv[2];
// `npx tap test/log` runs every file under it, this one too: without a directory it is not a test.
if (!dir) { console.log('1..0 # SKIP child process of crash-recovery.test.ts'); process.exit(0); }
const log = PartitionLog.open(dir, 'crash', 0, { segmentBytes: 64 * 1024 });
let i = 0;
let written: Promise<unknown> = Promise.resolve();
const tick = () => {
  for (let k = 0; k < 20; k++) {
    const n = i++;
    const { lastOffset, done } = log.append(buildBatch([{ key: `k${n}`, value: `value-${n}-${'x'.repeat(n % 200)}` }]), 0);
    written = Promise.all([written, done]).then(() => process.stdout.write(`${lastOffset}\n`));
  }
  setImmediate(tick);
};
tick();
