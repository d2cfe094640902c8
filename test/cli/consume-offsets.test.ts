/**
 * `samsa topic consume -o SPEC`: rpk's offset grammar (start, end, -N, +N,
 * exact offsets, ranges, @times with RFC 3339, dates and durations) and how
 * a spec lands on a partition's offsets.
 */
import t from 'tap';
import { parseDuration, parseOffsetSpec, parseTime, resolveSpec } from '../../src/cli/consume-offsets.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

t.test('offsets, relative positions and ranges', async (t) => {
  t.same(parseOffsetSpec('start'), { from: { kind: 'start', delta: 0 } });
  t.same(parseOffsetSpec('oldest'), { from: { kind: 'start', delta: 0 } });
  t.same(parseOffsetSpec('end'), { from: { kind: 'end', delta: 0 } });
  t.same(parseOffsetSpec('newest'), { from: { kind: 'end', delta: 0 } });
  t.same(parseOffsetSpec('-5'), { from: { kind: 'end', delta: 5 } }, '-N: the last N, then follow');
  t.same(parseOffsetSpec('+3'), { from: { kind: 'start', delta: 3 } });
  t.same(parseOffsetSpec('47'), { from: { kind: 'offset', offset: 47 } });
  t.same(parseOffsetSpec('47:'), { from: { kind: 'offset', offset: 47 } }, 'N: is N');
  t.same(parseOffsetSpec(':80'), { from: { kind: 'start', delta: 0 }, until: { kind: 'offset', offset: 80 } });
  t.same(parseOffsetSpec(':end'), { from: { kind: 'start', delta: 0 }, until: { kind: 'end', delta: 0 } });
  t.same(parseOffsetSpec('10:20'), { from: { kind: 'offset', offset: 10 }, until: { kind: 'offset', offset: 20 } });
  t.same(parseOffsetSpec('10-20'), { from: { kind: 'offset', offset: 10 }, until: { kind: 'offset', offset: 20 } });
  t.same(parseOffsetSpec('-5:end'), { from: { kind: 'end', delta: 5 }, until: { kind: 'end', delta: 0 } });
  t.same(parseOffsetSpec('10:end'), { from: { kind: 'offset', offset: 10 }, until: { kind: 'end', delta: 0 } });
  t.throws(() => parseOffsetSpec('20:10'), /end offset 10 is not after the start 20/);
  t.throws(() => parseOffsetSpec('soon'), /expected start, end, -N/);
  t.throws(() => parseOffsetSpec('end:end'), /nothing to read/);
  t.throws(() => parseOffsetSpec('3:x'), /after the colon/);
});

t.test('times: ms, seconds, dates, RFC 3339 with offsets, durations', async (t) => {
  t.same(parseOffsetSpec('@1714564800000', NOW), { from: { kind: 'time', ms: 1714564800000 } }, '13 digits: ms');
  t.same(parseOffsetSpec('@1714564800', NOW), { from: { kind: 'time', ms: 1714564800000 } }, '10 digits: seconds, as rpk');
  t.same(parseOffsetSpec('@2024-05-01', NOW), { from: { kind: 'time', ms: Date.UTC(2024, 4, 1) } }, 'a date is UTC midnight');
  t.same(parseOffsetSpec('@2024-05-01T10:30:00Z', NOW), { from: { kind: 'time', ms: Date.UTC(2024, 4, 1, 10, 30) } });
  t.same(parseOffsetSpec('@2024-05-01T10:30:00.250+02:00', NOW), { from: { kind: 'time', ms: Date.UTC(2024, 4, 1, 8, 30, 0, 250) } }, 'colons inside an RFC 3339 time do not split the range');
  t.same(parseOffsetSpec('@-1h', NOW), { from: { kind: 'time', ms: NOW - 3_600_000 } });
  t.same(parseOffsetSpec('@-1h:-30m', NOW), { from: { kind: 'time', ms: NOW - 3_600_000 }, until: { kind: 'time', ms: NOW - 1_800_000 } }, 'two durations: both from now');
  t.same(parseOffsetSpec('@2024-05-01:1h', NOW), { from: { kind: 'time', ms: Date.UTC(2024, 4, 1) }, until: { kind: 'time', ms: Date.UTC(2024, 4, 1, 1) } }, 'a duration after a timestamp counts from it');
  t.same(parseOffsetSpec('@2024-05-01T00:00:00Z:2024-05-01T06:00:00Z', NOW), { from: { kind: 'time', ms: Date.UTC(2024, 4, 1) }, until: { kind: 'time', ms: Date.UTC(2024, 4, 1, 6) } });
  t.same(parseOffsetSpec('@-10m:end', NOW), { from: { kind: 'time', ms: NOW - 600_000 }, until: { kind: 'end', delta: 0 } });
  t.same(parseOffsetSpec('@:1714564800000', NOW), { from: { kind: 'start', delta: 0 }, until: { kind: 'time', ms: 1714564800000 } });
  t.same(parseOffsetSpec('@1000:', NOW), { from: { kind: 'time', ms: 1000 } });
  t.throws(() => parseOffsetSpec('@yesterday', NOW), /not a time/);
  t.throws(() => parseOffsetSpec('@2024-02-30', NOW), /not a valid date/);
  t.throws(() => parseOffsetSpec('@2024-05-01:2024-04-01', NOW), /not after the start/);
  t.equal(parseDuration('1h30m'), 5_400_000);
  t.equal(parseDuration('-500ms'), -500);
  t.equal(parseDuration('2d'), 172_800_000);
  t.equal(parseDuration('1x'), undefined);
  t.equal(parseTime('2024-05-01T12:00:00Z'), NOW);
  t.throws(() => parseTime('2024-05-01T12:00:00Zjunk'), /not a time/);
});

t.test('a spec on a partition: clamped to its offsets, times looked up', async (t) => {
  const b = { start: 10, end: 100 };
  t.same(resolveSpec(parseOffsetSpec('start'), b), { from: 10 });
  t.same(resolveSpec(parseOffsetSpec('end'), b), { from: 100 });
  t.same(resolveSpec(parseOffsetSpec('-5'), b), { from: 95 });
  t.same(resolveSpec(parseOffsetSpec('-500'), b), { from: 10 }, 'no earlier than the log start');
  t.same(resolveSpec(parseOffsetSpec('+5'), b), { from: 15 });
  t.same(resolveSpec(parseOffsetSpec('3'), b), { from: 10 }, 'an offset below the start: the start');
  t.same(resolveSpec(parseOffsetSpec('50:60'), b), { from: 50, until: 60 });
  t.same(resolveSpec(parseOffsetSpec('50:600'), b), { from: 50, until: 100 }, 'an end past the current end stops there, as rpk');
  t.same(resolveSpec(parseOffsetSpec('-5:end'), b), { from: 95, until: 100 });
  t.same(resolveSpec(parseOffsetSpec('-5:end'), { start: 0, end: 0 }), { from: 0, until: 0 }, 'an empty partition: nothing to read');
  t.same(resolveSpec(parseOffsetSpec('@1000:2000'), { ...b, fromTimeOffset: 40, untilTimeOffset: 70 }), { from: 40, until: 70 });
  t.same(resolveSpec(parseOffsetSpec('@1000'), { ...b, fromTimeOffset: -1 }), { from: 100 }, 'no record at or after the time: the end');
});
