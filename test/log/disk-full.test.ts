/**
 * ENOSPC at the log level, on a real small tmpfs: the first failed write
 * stops appends (LogWriteError), fails what was queued behind it, the log is
 * cut back to what was written and takes appends again by itself; an unclean
 * reopen (as after a crash) keeps every append whose write and every earlier
 * one completed, and moves nothing of theirs aside.
 */
import t from 'tap';
import { unlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog, LogWriteError } from '../../src/log/partition-log.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { BatchHeader } from '../../src/wire/records/batch-header.js';
import { mountTmpfs } from '../../compat-tests/helpers/tmpfs.js';

const KiB = 1024;

t.test('a full disk fails appends, the log cuts back and resumes, and an unclean reopen keeps every acknowledged batch', async (t) => {
  const fs = mountTmpfs(t, 2048 * KiB);
  if ('skip' in fs) { t.plan(0, fs.skip); return; }
  const reports: string[] = [];
  const log = PartitionLog.open(fs.path, 'full', 0, { segmentBytes: 64 * KiB }, true, { report: (m) => reports.push(m) });
  writeFileSync(join(fs.path, 'ballast'), Buffer.alloc(1536 * KiB, 1));

  // Appends in waves, as a broker's produce requests come: each wave's batches are written in one or two rounds.
  const acked = new Map<number, string>();
  let failed = 0, refused = 0, n = 0;
  let contiguous = true;
  while (refused === 0 && n < 5000) {
    const wave: Promise<void>[] = [];
    for (let k = 0; k < 16; k++) {
      const v = `${n++}:${'x'.repeat(2000)}`;
      let appended: ReturnType<PartitionLog['append']>;
      try {
        appended = log.append(buildBatch([{ value: v }]), 0);
      } catch (err) {
        t.ok(err instanceof LogWriteError, 'appends are refused with LogWriteError while the log is cut back');
        refused++;
        break;
      }
      wave.push(appended.done.then(() => {
        // Acknowledged only with every earlier append written, as the high watermark does.
        if (contiguous) acked.set(appended.baseOffset, v);
      }, () => { failed++; contiguous = false; }));
    }
    await Promise.all(wave);
  }
  t.ok(failed > 0, `${failed} appends failed when the disk filled`);
  t.ok(refused > 0, 'later appends were refused at once');
  t.ok(reports.some((r) => /write failed/.test(r)), 'the failure is reported');

  // The log cuts itself back; its end is right after the last acknowledged batch.
  const until = Date.now() + 5000;
  while (log.offline && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  t.equal(log.offline, null, 'the log takes appends again');
  t.equal(log.logEndOffset, acked.size, 'the log ends after the acknowledged batches');
  t.ok(log.truncations > 0, 'truncation is counted (the replica manager rebuilds producer state)');

  unlinkSync(join(fs.path, 'ballast'));
  for (let i = 0; i < 10; i++) {
    const v = `after-${i}`;
    const a = log.append(buildBatch([{ value: v }]), 0);
    await a.done;
    acked.set(a.baseOffset, v);
  }

  // No close: the next open is unclean, as after a crash.
  const reopened = PartitionLog.open(fs.path, 'full', 0, { segmentBytes: 64 * KiB }, false, { report: (m) => reports.push(m) });
  t.teardown(() => { reopened.close(); log.close(); });
  const seen = new Map<number, string>();
  const torn: number[] = [];
  for (let at = 0; at < reopened.logEndOffset;) {
    const { chunks } = reopened.read(at, 1 << 20, reopened.logEndOffset);
    if (chunks.length === 0) break;
    const buf = Buffer.concat(chunks);
    for (let p = 0; p < buf.length;) {
      const h = new BatchHeader(buf, p);
      if (!h.isCrcValid()) torn.push(h.baseOffset);
      const body = buf.subarray(p, p + h.sizeInBytes).toString('latin1');
      seen.set(h.baseOffset, body);
      at = h.lastOffset + 1;
      p += h.sizeInBytes;
    }
  }
  t.same(torn, [], 'every batch served is whole');
  const lost = [...acked].filter(([off, v]) => !seen.get(off)?.includes(v));
  t.same(lost.map(([o]) => o), [], `all ${acked.size} acknowledged batches survive the unclean reopen`);
  t.equal(reopened.logEndOffset, acked.size, 'offsets are dense');
  t.same(readdirSync(join(fs.path, 'full-0')).filter((f) => f.includes('.corrupt')), [], 'nothing was moved aside');
});
