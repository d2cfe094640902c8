/**
 * `samsa topic consume -f`: rpk/kcat format strings and the default JSON.
 */
import t from 'tap';
import { compileRecordFormat, jsonRecordFormatter, type PrintableRecord } from '../../src/cli/format-record.js';

const rec: PrintableRecord = {
  topic: 'orders', partition: 2, offset: 41, timestamp: Date.UTC(2024, 4, 1),
  key: Buffer.from('k1'), value: Buffer.from('hello'),
  headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }],
};
const fmt = (f: string, r = rec, n = 0) => compileRecordFormat(f)(r, n).toString('latin1');

t.test('escapes print the record\'s fields', async (t) => {
  t.equal(fmt('%t %p %o %k %v\\n'), 'orders 2 41 k1 hello\n');
  t.equal(fmt('%s|%T|%d'), `hello|${rec.timestamp}|${rec.timestamp}`, 'kcat\'s %s and %T, rpk\'s %d');
  t.equal(fmt('%T{iso}'), '2024-05-01T00:00:00.000Z');
  t.equal(fmt('%K %V %S %H'), '2 5 5 2');
  t.equal(fmt('%h'), 'a=1,b=', 'kcat\'s headers: n=v CSV');
  t.equal(fmt('%h{[%k:%v]}'), '[a:1][b:]', 'rpk\'s per-header format');
  t.equal(fmt('%h{%k=%v{hex};}'), 'a=31;b=;');
  t.equal(fmt('%k{hex} %v{base64}'), `6b31 ${Buffer.from('hello').toString('base64')}`);
  t.equal(fmt('%i', rec, 7), '7');
  t.equal(fmt('100%% \\t\\x41 %{x%}'), '100% \tA {x}');
  t.equal(fmt('%k|%v', { ...rec, key: null, value: null }), '|', 'null key and value print nothing');
  t.equal(compileRecordFormat('%v\\xff')(rec, 0).at(-1), 0xff, '\\xNN is that byte');
  t.equal(compileRecordFormat('é%v')(rec, 0).subarray(0, 2).toString('utf8'), 'é', 'other text is UTF-8');
  t.throws(() => compileRecordFormat('%q'), /unknown escape %q/);
  t.throws(() => compileRecordFormat('%v{rot13}'), /\{hex\} or \{base64\}/);
  t.throws(() => compileRecordFormat('%h{%k'), /not closed/);
  t.throws(() => compileRecordFormat('50%'), /lone %/);
});

t.test('the default: a JSON object per line', async (t) => {
  const line = jsonRecordFormatter()(rec, 0).toString();
  t.ok(line.endsWith('}\n'));
  t.same(JSON.parse(line), { topic: 'orders', key: 'k1', value: 'hello', headers: [{ key: 'a', value: '1' }, { key: 'b', value: null }], timestamp: rec.timestamp, partition: 2, offset: 41 });
  t.same(JSON.parse(jsonRecordFormatter({ metaOnly: true })(rec, 0).toString()).value_size, 5);
  t.match(jsonRecordFormatter({ pretty: true })(rec, 0).toString(), /^\{\n {2}"topic": "orders",/);
  t.same(JSON.parse(jsonRecordFormatter()({ ...rec, key: null, value: null }, 0).toString()).key, null);
});
