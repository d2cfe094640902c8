/**
 * Damaged files after clean and unclean stops: a truncated tail, a garbage
 * tail, a flipped byte in an old segment and in the newest one, missing
 * indexes. Each case asserts what is served (every record at its offset, or
 * the damaged batch as it is, failing its CRC as a client sees it), what was
 * moved aside (a .corrupt file, never an unlink), and that appends continue
 * after every offset that was kept.
 */
import t from 'tap';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeSync, closeSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager } from '../../src/log/log-manager.js';
import { RECOVERY_POINT_CHECKPOINT, writeRecoveryPoints } from '../../src/log/recovery-points.js';
import { buildBatch } from '../../src/wire/records/batch-builder.js';
import { BatchHeader, BATCH_HEADER_SIZE } from '../../src/wire/records/batch-header.js';
import { readRecords } from '../../src/wire/records/record-reader.js';

const BATCHES = 120;
const config = { segmentBytes: 2048, indexIntervalBytes: 256 };
const value = (i: number) => `value-${i}-${'x'.repeat(40)}`;

/** A data dir with one partition of BATCHES one-record batches over several segments, closed cleanly. */
async function writeLog(): Promise<{ dir: string; partDir: string; segments: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-damage-'));
  const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  const log = m.create('d', 0, config);
  for (let i = 0; i < BATCHES; i++) await log.append(buildBatch([{ value: value(i) }]), 0).done;
  await m.close();
  const partDir = join(dir, 'd-0');
  const segments = readdirSync(partDir).filter((f) => /^\d{20}\.log$/.test(f)).sort();
  return { dir, partDir, segments };
}

/** An unclean stop: no clean marker, and the recovery point at the base of the two newest segments (never fsynced). */
function makeUnclean(dir: string, segments: string[]): void {
  unlinkSync(join(dir, '.samsa-clean-shutdown'));
  writeRecoveryPoints(dir, [{ topic: 'd', partition: 0, offset: Number(newest(segments).slice(0, 20)) }]);
}

/** The older of the two newest segments: past the recovery point, with valid data after it. */
const newest = (segments: string[]) => segments[segments.length - 2]!;

/** Every batch served from 0: its offsets, and whether its CRC holds. */
function served(m: LogManager): { base: number; last: number; crcOk: boolean; values: string[] }[] {
  const log = m.get('d', 0)!;
  const out: { base: number; last: number; crcOk: boolean; values: string[] }[] = [];
  for (let at = 0; at < log.logEndOffset;) {
    const { chunks } = log.read(at, 1 << 20, log.logEndOffset);
    if (chunks.length === 0) break;
    const buf = Buffer.concat(chunks);
    for (let p = 0; p + BATCH_HEADER_SIZE <= buf.length;) {
      const h = new BatchHeader(buf, p);
      const crcOk = h.isCrcValid();
      let values: string[] = [];
      try { values = readRecords(new BatchHeader(Buffer.from(buf.subarray(p, p + h.sizeInBytes)))).map((r) => r.value!.toString()); } catch { /* damaged */ }
      out.push({ base: h.baseOffset, last: h.lastOffset, crcOk, values });
      at = h.lastOffset + 1;
      p += h.sizeInBytes;
    }
  }
  return out;
}

/** Flips one byte inside the value of the batch at `nth` position of a segment file. */
function flipByteIn(path: string, nth: number): number {
  const bytes = readFileSync(path);
  let p = 0;
  for (let i = 0; i < nth; i++) p += new BatchHeader(bytes, p).sizeInBytes;
  const h = new BatchHeader(bytes, p);
  const at = p + h.sizeInBytes - 10;
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from([bytes[at]! ^ 0xff]), 0, 1, at);
  closeSync(fd);
  return h.baseOffset;
}

const corruptFiles = (partDir: string) => readdirSync(partDir).filter((f) => f.includes('.corrupt'));

for (const stop of ['clean', 'unclean'] as const) {
  t.test(`${stop} stop: a truncated tail is moved aside; everything before it is served`, async (t) => {
    const { dir, partDir, segments } = await writeLog();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const last = join(partDir, segments[segments.length - 1]!);
    truncateSync(last, statSync(last).size - 30);
    if (stop === 'unclean') makeUnclean(dir, segments);
    const reports: string[] = [];
    const m = LogManager.open(dir, { configFor: () => config, report: (r) => reports.push(r) });
    t.teardown(() => m.close());
    const batches = served(m);
    t.equal(batches.length, BATCHES - 1, 'every whole batch is served; the torn one is not');
    t.ok(batches.every((b, i) => b.base === i && b.crcOk && b.values[0] === value(i)), 'each at its offset with its value');
    t.same(corruptFiles(partDir), [`${segments[segments.length - 1]}.corrupt`], 'the torn bytes are moved aside');
    t.ok(reports.some((r) => /moved aside/.test(r)), 'and reported');
    const log = m.get('d', 0)!;
    t.equal(log.append(buildBatch([{ value: 'next' }]), 0).baseOffset, BATCHES - 1, 'the torn batch was never whole: its offset is used again');
  });

  t.test(`${stop} stop: a garbage tail is moved aside; every record is served`, async (t) => {
    const { dir, partDir, segments } = await writeLog();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    appendFileSync(join(partDir, segments[segments.length - 1]!), Buffer.alloc(500, 0xab));
    if (stop === 'unclean') makeUnclean(dir, segments);
    const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
    t.teardown(() => m.close());
    const batches = served(m);
    t.equal(batches.length, BATCHES);
    t.ok(batches.every((b, i) => b.base === i && b.crcOk && b.values[0] === value(i)), 'each record at its offset');
    t.equal(corruptFiles(partDir).length, 1, 'the garbage is moved aside');
    t.equal(readFileSync(join(partDir, corruptFiles(partDir)[0]!)).length, 500);
    t.equal(m.get('d', 0)!.logEndOffset, BATCHES);
  });

  for (const where of ['old', 'newest'] as const) {
    t.test(`${stop} stop: a flipped byte in the ${where} segment is served as it is; nothing is deleted`, async (t) => {
      const { dir, partDir, segments } = await writeLog();
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const segment = where === 'old' ? segments[0]! : newest(segments);
      const damaged = flipByteIn(join(partDir, segment), 1);
      if (stop === 'unclean') makeUnclean(dir, segments);
      const reports: string[] = [];
      const m = LogManager.open(dir, { configFor: () => config, report: (r) => reports.push(r) });
      t.teardown(() => m.close());
      const batches = served(m);
      t.equal(batches.length, BATCHES, 'every batch is still there');
      t.ok(batches.every((b, i) => b.base === i), 'offsets unchanged');
      t.same(batches.filter((b) => !b.crcOk).map((b) => b.base), [damaged], 'only the damaged batch fails its CRC, as a consumer sees it');
      t.ok(batches.filter((b) => b.base !== damaged).every((b) => b.values[0] === value(b.base)), 'every other record is intact');
      t.same(corruptFiles(partDir), [], 'nothing moved aside');
      // Before the recovery point (old, after an unclean stop) the scrubber reads it in the background; past it, recovery does.
      await m.scrubbed;
      if (stop === 'unclean') t.ok(reports.some((r) => r.includes(`offsets ${damaged}..${damaged}`)), 'the damaged batch is reported');
      t.equal(m.get('d', 0)!.append(buildBatch([{ value: 'next' }]), 0).baseOffset, BATCHES, 'appends continue after every kept offset');
    });
  }

  t.test(`${stop} stop: missing indexes are rebuilt`, async (t) => {
    const { dir, partDir, segments } = await writeLog();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    for (const f of readdirSync(partDir)) if (f.endsWith('.index') || f.endsWith('.timeindex')) unlinkSync(join(partDir, f));
    if (stop === 'unclean') makeUnclean(dir, segments);
    const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
    t.teardown(() => m.close());
    const batches = served(m);
    t.equal(batches.length, BATCHES);
    t.ok(batches.every((b, i) => b.base === i && b.crcOk), 'every batch at its offset');
    const log = m.get('d', 0)!;
    const mid = Math.floor(BATCHES / 2);
    t.equal(new BatchHeader(log.read(mid, 1, BATCHES).chunks[0]!).baseOffset, mid, 'a read from the middle finds its batch through the rebuilt index');
    t.ok(existsSync(join(partDir, segments[0]!.replace('.log', '.index'))), 'index files written again');
  });
}

t.test('an unclean stop verifies only past the recovery point', async (t) => {
  const { dir, partDir, segments } = await writeLog();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  makeUnclean(dir, segments);
  t.ok(existsSync(join(dir, RECOVERY_POINT_CHECKPOINT)));
  // Damage in the first segment that a full verification would cut at (and lose everything after): left alone.
  const damaged = flipByteIn(join(partDir, segments[0]!), 0);
  const reports: string[] = [];
  const m = LogManager.open(dir, { configFor: () => config, report: (r) => reports.push(r) });
  t.teardown(() => m.close());
  const batches = served(m);
  t.equal(batches.length, BATCHES, 'nothing after the damage is lost');
  t.same(batches.filter((b) => !b.crcOk).map((b) => b.base), [damaged]);
  await m.scrubbed;
  t.same(reports.filter((r) => /corrupt batch/.test(r)).length, 1, 'the scrubber reports the damage, once');
});

t.test('an unclean stop: whole batches moved aside with a damaged tail keep their offsets out of use', async (t) => {
  const { dir, partDir, segments } = await writeLog();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  makeUnclean(dir, segments);
  // Two damaged batches in a row in the verified tail: not one flipped byte inside valid data, so the tail goes aside from there.
  const seg = join(partDir, newest(segments));
  const first = flipByteIn(seg, 1);
  flipByteIn(seg, 2);
  const m = LogManager.open(dir, { configFor: () => config, report: () => {} });
  t.teardown(() => m.close());
  const log = m.get('d', 0)!;
  t.equal(served(m).filter((b) => b.base < first).length, first, 'everything before the damage is served');
  t.ok(corruptFiles(partDir).length >= 2, 'the tail and the segment after it are moved aside');
  t.equal(log.append(buildBatch([{ value: 'next' }]), 0).baseOffset, BATCHES, 'appends continue after the last whole batch moved aside, not at the damage');
});
