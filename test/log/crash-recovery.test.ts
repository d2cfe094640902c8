/**
 * A child process appending as fast as it can is killed with SIGKILL; after
 * reopening, every batch whose append had completed is there, offsets are
 * dense, and nothing torn is served.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../../src/log/partition-log.js';
import { BatchHeader } from '../../src/wire/records/batch-header.js';
import { TS_LOADER_ARGS } from '../loader/ts-loader-args.js';

t.test('SIGKILL mid-stream loses no acknowledged batch', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [...TS_LOADER_ARGS, join(import.meta.dirname, 'helpers/append-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acked = -1;
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const l of lines) acked = Math.max(acked, Number(l));
  });
  await new Promise<void>((resolve) => {
    const check = setInterval(() => { if (acked > 2000) { clearInterval(check); resolve(); } }, 20);
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok(acked > 2000, `child acknowledged up to offset ${acked} before it was killed`);

  const log = PartitionLog.open(dir, 'crash', 0, { segmentBytes: 64 * 1024 }, false);
  t.teardown(() => log.close());
  t.ok(log.logEndOffset > acked, `recovered log ends at ${log.logEndOffset}, after every acknowledged offset`);
  let expected = 0;
  let valid = true;
  for (let at = 0; at < log.logEndOffset;) {
    const { chunks } = log.read(at, 1 << 20, log.logEndOffset);
    if (chunks.length === 0) break;
    for (const c of chunks) for (let p = 0; p < c.length;) {
      const h = new BatchHeader(c, p);
      if (h.baseOffset !== expected || !h.isCrcValid()) { if (valid) t.comment(`first bad batch: base ${h.baseOffset} expected ${expected} crc ${h.isCrcValid()} read at ${at}`); valid = false; }
      expected = h.lastOffset + 1;
      p += h.sizeInBytes;
    }
    at = expected;
  }
  t.ok(valid, 'every batch has the next offset and a valid CRC');
  t.equal(expected, log.logEndOffset, 'read back every offset up to the end');
});
