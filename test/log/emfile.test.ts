/**
 * EMFILE never ends the process and never stops a start: a child process runs
 * under `ulimit -n 128` (helpers/emfile-child.ts). With log.max.open.files
 * above that limit, the cache takes half of it and 400 partitions still work
 * and reopen after an unclean stop.
 * With no descriptor left at all, the write fails as a failed write does
 * (the append's promise rejects with EMFILE, later appends are refused until
 * the log is cut back, what the broker answers with KAFKA_STORAGE_ERROR),
 * reads fail with the error, and once descriptors are free the log recovers
 * by itself with every acknowledged batch.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TS_LOADER_ARGS } from '../loader/ts-loader-args.js';

const LIMIT = 128;

t.test(`under ulimit -n ${LIMIT}: more partitions than descriptors, and none left at all`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-emfile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn('/bin/bash', ['-c', `ulimit -n ${LIMIT} && exec "$0" "$@"`, process.execPath, ...TS_LOADER_ARGS, join(import.meta.dirname, 'helpers/emfile-child.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  t.equal(code, 0, `the child exits normally${err ? `; stderr: ${err.slice(0, 2000)}` : ''}`);
  const line = out.trim().split('\n').pop() ?? '';
  const r = JSON.parse(line) as { overLimit: Record<string, unknown>; noneLeft: Record<string, unknown> };

  t.equal(r.overLimit.capacity, LIMIT / 2, 'log.max.open.files 1024 under ulimit -n 128: the cache takes half the limit');
  t.ok((r.overLimit.peak as number) <= LIMIT / 2, `it held ${r.overLimit.peak} descriptors`);
  t.equal(r.overLimit.readsOk, true, 'every partition reads back');
  t.equal(r.overLimit.reopenedOk, true, 'and again after an unclean reopen (every log verified)');

  t.equal(r.noneLeft.failedWrite, 'EMFILE', 'the append whose write cannot open its file fails with EMFILE');
  t.equal(r.noneLeft.refused, 'LogWriteError', 'later appends are refused at once');
  t.equal(r.noneLeft.readError, 'EMFILE', 'a read fails with the error');
  t.equal(r.noneLeft.asyncReadError, 'EMFILE', 'an asynchronous read rejects with it');
  t.equal(r.noneLeft.reported, true, 'the failure is reported');
  t.equal(r.noneLeft.recovered, true, 'with descriptors free again the log takes appends by itself');
  t.equal(r.noneLeft.after, 'ok', 'the next append is written');
  t.same(r.noneLeft.kept, ['p0-b0-' + 'y'.repeat(100), 'p0-b3-' + 'y'.repeat(100)], 'the acknowledged batch and the later one are there; the failed one is not');
  t.same(r.noneLeft.leftovers, [], 'nothing moved aside');
});
