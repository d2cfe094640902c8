/**
 * Reads: the synchronous and the asynchronous read give the same whole
 * batches for any fetch offset, size limit and upper bound, across segments
 * and index entries; an asynchronous read outlives the removal of its segment.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../../src/log/partition-log.js';
import { BatchHeader } from '../../src/wire/records/batch-header.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-read-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** [baseOffset, lastOffset] of each batch of a read, and a check that each is whole (CRC). */
function batches(chunks: Buffer[]): [number, number][] {
  const out: [number, number][] = [];
  for (const c of chunks) for (let at = 0; at < c.length;) {
    const h = new BatchHeader(c.subarray(at));
    if (!h.isCrcValid()) throw new Error(`torn batch at ${h.baseOffset}`);
    out.push([h.baseOffset, h.lastOffset]);
    at += h.sizeInBytes;
  }
  return out;
}

/** The expected answer, from the list of all batches. */
function expected(all: { base: number; last: number; size: number }[], fetchOffset: number, maxBytes: number, upperBound: number): [number, number][] {
  const out: [number, number][] = [];
  let bytes = 0;
  for (const b of all) {
    if (b.last < fetchOffset) continue;
    if (b.last >= upperBound || (bytes > 0 && bytes + b.size > maxBytes)) break;
    out.push([b.base, b.last]);
    bytes += b.size;
  }
  return out;
}

t.test('read and readAsync agree with the batch list for every offset, limit and bound', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'r', 0, { segmentBytes: 20_000, indexIntervalBytes: 1000 });
  t.teardown(() => log.close());
  const all: { base: number; last: number; size: number }[] = [];
  const dones = [];
  for (let n = 0; n < 300; n++) {
    // Batches of 1 to 5 records, some much larger than the index interval.
    const records = 1 + (n % 5);
    const value = 'v'.repeat(n % 17 === 0 ? 3000 : 10 + ((n * 37) % 200));
    const bytes = buildBatch(Array.from({ length: records }, (_, i) => ({ key: `k${n}-${i}`, value })));
    const r = log.append(bytes, 0);
    all.push({ base: r.baseOffset, last: r.lastOffset, size: bytes.length });
    dones.push(r.done);
  }
  await Promise.all(dones);
  t.ok(log.segmentCount() > 3, `${log.segmentCount()} segments`);
  const end = log.logEndOffset;
  const wrong: string[] = [];
  for (let fetchOffset = 0; fetchOffset < end; fetchOffset += 7) {
    for (const maxBytes of [1, 500, 5000, 60_000]) {
      for (const upperBound of [end, fetchOffset + 3, Math.floor((fetchOffset + end) / 2)]) {
        const want = fetchOffset >= upperBound ? [] : expected(all, fetchOffset, maxBytes, upperBound);
        const sync = batches(log.read(fetchOffset, maxBytes, upperBound).chunks);
        const async = batches((await log.readAsync(fetchOffset, maxBytes, upperBound)).chunks);
        if (JSON.stringify(sync) !== JSON.stringify(want) || JSON.stringify(async) !== JSON.stringify(want)) wrong.push(`${fetchOffset}/${maxBytes}/${upperBound}`);
      }
    }
  }
  t.same(wrong, [], 'every read as expected');
});

t.test('an asynchronous read started before its segment is removed completes with whole batches', async (t) => {
  const log = PartitionLog.open(tempDir(t), 'gone', 0, { segmentBytes: 2000 });
  t.teardown(() => log.close());
  const dones = [];
  for (let n = 0; n < 60; n++) dones.push(log.append(buildBatch([{ key: `k${n}`, value: 'x'.repeat(100) }]), 0).done);
  await Promise.all(dones);
  const reading = log.readAsync(0, 1 << 20, log.logEndOffset);
  log.deleteRecordsBefore(40);
  const { chunks } = await reading;
  const got = batches(chunks);
  t.ok(got.length > 0, `read ${got.length} batches`);
  t.equal(got[0]![0], 0, 'from the offset asked for');
});
