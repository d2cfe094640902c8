/**
 * Restart time to the first produce answer on a partition holding
 * BENCH_RESTART_MIB (default 200) MiB of small batches (one 100-byte record
 * each) from one idempotent producer, with and without producer snapshots. A
 * benchmark, not a test.
 *
 * "no snapshot" deletes the partition's `.snapshot` files before the start,
 * so the first idempotent produce rebuilds the producer state by reading every
 * batch header of the log, which is what every restart did before snapshots
 * existed; "snapshot" is what a restart does now. Four cases, each measured
 * BENCH_RESTART_ROUNDS times, alternating:
 *   clean:   the broker stopped cleanly (a snapshot at the log end);
 *   unclean: the broker crashed (RunningBroker.crash) after one more produce:
 *            recovery verifies the newest segment, and the state comes from
 *            the snapshot taken when that segment rolled, plus its batches.
 * Each figure is from startBroker() to the answer of the first produce
 * (acks=all) of the producer's next sequence, with the broker in this process
 * (modules loaded: the figure is the broker's start and what the data costs),
 * and the log's files in the page cache (written just before). Segments are
 * 64 MiB so that an unclean start verifies one segment, not the whole log.
 *
 * Also: the log alone, PartitionLog.open plus its producer state, clean,
 * without and with the snapshot.
 *
 * Run: `node --import=@tapjs/typescript/import bench/restart-scan.ts`, or
 * `node dist/bench/restart-scan.js` after a build.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../src/broker/index.js';
import { LogManager } from '../src/log/log-manager.js';
import { PartitionLog } from '../src/log/partition-log.js';
import { buildBatch } from '../src/wire/records/batch-builder.js';
import { crc32c } from '../src/wire/records/crc.js';
import { Writer } from '../src/wire/protocol/writer.js';
import { Reader } from '../src/wire/protocol/reader.js';
import { encodeRequestHeader } from '../src/wire/generated/request-header.js';
import { decodeResponseHeader } from '../src/wire/generated/response-header.js';
import { ApiKey, requestHeaderVersion, responseHeaderVersion } from '../src/wire/generated/api-keys.js';
import { encodeProduceRequest, decodeProduceResponse } from '../src/wire/generated/produce.js';
import { client, createTopic } from './lib/kafkajs.js';

const MiB = 1 << 20;
const TOTAL = Number(process.env.BENCH_RESTART_MIB ?? 200) * MiB;
const ROUNDS = Number(process.env.BENCH_RESTART_ROUNDS ?? 3);
const SEGMENT_BYTES = 64 * MiB;
const TOPIC = 'restart-scan';
const PID = 4242;
const WINDOW = 256;

const dataDir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'samsa-bench-restart-'));
const partDir = join(dataDir, `${TOPIC}-0`);
const start = () => startBroker({ flags: { 'log.dirs': dataDir, listeners: '127.0.0.1:0' }, logLevel: 'silent' });

/** The producer's batch with sequence `seq`: a copy of one template with its sequence and CRC rewritten. */
const template = buildBatch([{ value: Buffer.alloc(100, 0x61) }], { producerId: PID, producerEpoch: 0, baseSequence: 0 });
function batchAt(seq: number): Buffer {
  const b = Buffer.from(template);
  b.writeInt32BE(seq, 53);
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
}

/** One Produce v9 (acks=all) of `batch` on a fresh connection; resolves with the partition's answer. */
function produce(port: number, batch: Buffer): Promise<{ errorCode: number; baseOffset: bigint }> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(port, '127.0.0.1');
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, { requestApiKey: ApiKey.Produce, requestApiVersion: 9, correlationId: 1, clientId: 'bench-restart' }, requestHeaderVersion(ApiKey.Produce, 9));
    encodeProduceRequest(w, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }] }, 9);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      const r = new Reader(buf.subarray(4, 4 + buf.readInt32BE(0)));
      decodeResponseHeader(r, responseHeaderVersion(ApiKey.Produce, 9));
      const p = decodeProduceResponse(r, 9).responses[0]!.partitionResponses[0]!;
      sock.destroy();
      resolve({ errorCode: p.errorCode, baseOffset: p.baseOffset });
    });
    sock.once('error', reject);
    sock.write(frame);
  });
}

let nextSeq = 0;

/** Fills the partition through its log (pipelined appends), then closes it cleanly (a snapshot at the end). */
async function fill(): Promise<void> {
  const m = LogManager.open(dataDir, { configFor: () => ({ segmentBytes: SEGMENT_BYTES }) });
  const log = m.create(TOPIC, 0, { segmentBytes: SEGMENT_BYTES });
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let bytes = 0; bytes < TOTAL; bytes += template.length) {
    inFlight.push(log.append(batchAt(nextSeq++), 0).done);
    if (inFlight.length >= WINDOW) await inFlight.shift();
  }
  await Promise.all(inFlight);
  console.log(`filled ${TOPIC}-0: ${log.logEndOffset} batches of ${template.length} B, ${(log.sizeInBytes() / MiB).toFixed(0)} MiB, ${log.segmentCount()} segments, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await m.close();
}

function deleteSnapshots(): void {
  for (const f of readdirSync(partDir)) if (f.endsWith('.snapshot')) unlinkSync(join(partDir, f));
}

/** The snapshots the fill's rolls took (the data below them never changes afterwards, so they stay right). */
const rollSnapshots = new Map<string, Buffer>();
function keepRollSnapshots(): void {
  const names = readdirSync(partDir).filter((f) => f.endsWith('.snapshot')).sort();
  // The newest is the clean close's, at the end of the fill.
  for (const f of names.slice(0, -1)) rollSnapshots.set(f, readFileSync(join(partDir, f)));
  console.log(`roll snapshots kept: ${[...rollSnapshots.keys()].map((f) => Number(f.slice(0, 20))).join(', ')}`);
}
function restoreRollSnapshots(): void {
  for (const [f, bytes] of rollSnapshots) writeFileSync(join(partDir, f), bytes);
}

/** ms from startBroker() to the answer of the producer's next batch; the broker is then stopped cleanly. */
async function restartToFirstAnswer(): Promise<number> {
  const t0 = performance.now();
  const b = await start();
  const seq = nextSeq++;
  const r = await produce(b.port, batchAt(seq));
  const ms = performance.now() - t0;
  if (r.errorCode !== 0) throw new Error(`produce of sequence ${seq} failed with error ${r.errorCode}`);
  await b.close();
  return ms;
}

/** Leaves the data dir as a crash does: one more produce, then RunningBroker.crash(). */
async function crashAfterOneProduce(): Promise<void> {
  const b: RunningBroker = await start();
  const r = await produce(b.port, batchAt(nextSeq++));
  if (r.errorCode !== 0) throw new Error(`produce failed with error ${r.errorCode}`);
  await b.crash();
}

function logAlone(): number {
  const t0 = performance.now();
  const log = PartitionLog.open(dataDir, TOPIC, 0, { segmentBytes: SEGMENT_BYTES }, true, { recoveryPoint: Infinity });
  log.producerState();
  const ms = performance.now() - t0;
  log.close();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const setup = await start();
  const kafka = client(`127.0.0.1:${setup.port}`);
  const admin = kafka.admin();
  await admin.connect();
  await createTopic(admin, TOPIC, 1, 1, { 'segment.bytes': String(SEGMENT_BYTES) });
  await admin.disconnect();
  await setup.close();
  await fill();
  keepRollSnapshots();

  const cases: Record<string, number[]> = { 'clean, no snapshot': [], 'clean, snapshot': [], 'unclean, no snapshot': [], 'unclean, snapshot': [], 'log alone, no snapshot': [], 'log alone, snapshot': [] };
  for (let round = 0; round < ROUNDS; round++) {
    deleteSnapshots();
    cases['clean, no snapshot']!.push(await restartToFirstAnswer());
    cases['clean, snapshot']!.push(await restartToFirstAnswer());
    await crashAfterOneProduce();
    deleteSnapshots();
    cases['unclean, no snapshot']!.push(await restartToFirstAnswer());
    restoreRollSnapshots();
    await crashAfterOneProduce();
    cases['unclean, snapshot']!.push(await restartToFirstAnswer());
    // The clean stop above left a snapshot at the log end.
    cases['log alone, snapshot']!.push(logAlone());
    deleteSnapshots();
    cases['log alone, no snapshot']!.push(logAlone());
    console.log(`round ${round + 1}: ${Object.entries(cases).map(([k, v]) => `${k} ${v.at(-1)!.toFixed(0)} ms`).join(', ')}`);
  }
  console.log(`\n${(TOTAL / MiB).toFixed(0)} MiB of ${template.length}-byte idempotent batches, median of ${ROUNDS} (ms):`);
  for (const [k, v] of Object.entries(cases)) console.log(`  ${k.padEnd(24)} ${median(v).toFixed(0).padStart(7)}   (${v.map((x) => x.toFixed(0)).join(', ')})`);
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  rmSync(dataDir, { recursive: true, force: true });
  console.error(err);
  process.exit(1);
});
