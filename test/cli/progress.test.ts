/**
 * The produce progress line: drawn in place on a terminal only after a
 * moment, a line a second with --progress on a pipe, a bar for a known size.
 */
import t from 'tap';
import { Progress, humanBytes } from '../../src/cli/progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, sink: { isTTY, columns: 200, write: (s: string) => writes.push(s) } };
}

t.test('a terminal: nothing for quick inputs, then a bar redrawn in place', async (t) => {
  let now = 0;
  const s = sink(true);
  const p = new Progress({ sink: s.sink, totalBytes: 1000, force: false, now: () => now });
  now = 100;
  p.update(10, 100);
  t.same(s.writes, [], 'not within the first 300 ms');
  now = 1000;
  p.update(500, 500);
  t.equal(s.writes.length, 1);
  t.match(s.writes[0], /^\r\x1b\[K\[=+> +\]  50%  500 records  500 B  500 records\/s  500 B\/s$/);
  now = 1050;
  p.update(600, 600);
  t.equal(s.writes.length, 1, 'at most ten redraws a second');
  p.finish();
  t.equal(s.writes.at(-1), '\r\x1b[K', 'cleared for the summary line');
});

t.test('a pipe: nothing unless forced, then whole lines', async (t) => {
  let now = 0;
  const quiet = sink(false);
  const p1 = new Progress({ sink: quiet.sink, force: false, now: () => now });
  now = 5000;
  p1.update(1, 1);
  t.same(quiet.writes, []);
  const loud = sink(false);
  now = 0;
  const p2 = new Progress({ sink: loud.sink, force: true, now: () => now });
  now = 2000;
  p2.update(4000, 2 * 1024 * 1024);
  t.same(loud.writes, ['4,000 records  2.0 MB  2,000 records/s  1.0 MB/s\n'], 'unknown size: no bar');
  now = 2500;
  p2.update(5000, 2 * 1024 * 1024);
  t.equal(loud.writes.length, 1, 'a line a second');
  p2.finish();
  t.equal(loud.writes.length, 2, 'and the last state at the end');
  t.match(loud.writes[1], /^5,000 records/);
  t.equal(humanBytes(1536), '1.5 KB');
  t.equal(humanBytes(300 * 1024 * 1024), '300 MB');
});
