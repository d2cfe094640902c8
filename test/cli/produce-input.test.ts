/**
 * `samsa topic produce` input: rpk's delimited formats, kcat's -K key
 * separator and JSON lines, read a chunk at a time (a record may straddle
 * chunks), with the record that does not parse named.
 */
import t from 'tap';
import { recordReader, type InputRecord } from '../../src/cli/produce-input.js';

function readAll(opts: { format?: string; keySeparator?: string }, input: string, chunk = 3): InputRecord[] {
  const r = recordReader(opts);
  const out: InputRecord[] = [];
  const b = Buffer.from(input);
  for (let i = 0; i < b.length; i += chunk) out.push(...r.push(b.subarray(i, i + chunk)));
  out.push(...r.end());
  return out;
}
const kv = (rs: InputRecord[]) => rs.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null]);

t.test('the default: a line is a value; a last line without a newline counts', async (t) => {
  t.same(kv(readAll({}, 'a\nbb\n\nccc')), [[null, 'a'], [null, 'bb'], [null, ''], [null, 'ccc']]);
  t.same(kv(readAll({}, 'a\n')), [[null, 'a']], 'no empty record after the final newline');
});

t.test('rpk formats: fields between separators', async (t) => {
  t.same(kv(readAll({ format: '%k %v\\n' }, 'k1 v 1\nk2 v2\n')), [['k1', 'v 1'], ['k2', 'v2']], 'the first separator splits; the rest is the value');
  const rs = readAll({ format: '%t|%p|%k{hex}|%v\\n' }, 'orders|3|6b31|x\n', 5);
  t.same(rs.map((r) => [r.topic, r.partition, r.key?.toString(), r.value?.toString()]), [['orders', 3, 'k1', 'x']]);
  t.same(kv(readAll({ format: '<%v>\\n' }, '<a>\n<b>\n')), [[null, 'a'], [null, 'b']], 'literal text around a field');
  t.same(kv(readAll({ format: '%v{json}\\n' }, '{ "a" : 1 }\n')), [[null, '{"a":1}']]);
  t.same(kv(readAll({ format: '%v' }, 'all\nof it')), [[null, 'all\nof it']], 'no separator after the last field: the whole input');
  t.same(kv(readAll({ format: '%k::%v;;' }, 'a::1;;b::2;;', 4)), [['a', '1'], ['b', '2']], 'multi-byte separators across chunks');
  t.throws(() => readAll({ format: '%k %v\\n' }, 'nospace\n'), /record 1 does not match .*no " " after %k/);
  t.throws(() => readAll({ format: '%p %v\\n' }, 'x y\n'), /partition "x" is not a number/);
  t.throws(() => recordReader({ format: '%k%v\\n' }), /cannot be told apart/);
  t.throws(() => recordReader({ format: '%K{4}%k' }), /not an input field/);
  t.throws(() => recordReader({ format: 'abc' }), /no field/);
});

t.test('kcat -K: KEY<SEP>VALUE lines', async (t) => {
  t.same(kv(readAll({ keySeparator: '\\t' }, 'k1\tv1\nnokey\nk3\tv\t3\n')), [['k1', 'v1'], [null, 'nokey'], ['k3', 'v\t3']]);
  t.throws(() => recordReader({ keySeparator: ':', format: '%v' }), /not both/);
});

t.test('JSON lines', async (t) => {
  const rs = readAll({ format: 'json' }, [
    '{"key":"k1","value":"v1","headers":{"h":"x"},"partition":1}',
    '',
    '{"value":{"n":1},"headers":[{"key":"a","value":null}],"topic":"other","timestamp":"2024-05-01T00:00:00Z"}',
    '{"key":null,"value":null}',
  ].join('\n'), 7);
  t.same(kv(rs), [['k1', 'v1'], [null, '{"n":1}'], [null, null]]);
  t.same(rs[0]!.headers.map((h) => [h.key, h.value?.toString()]), [['h', 'x']]);
  t.equal(rs[0]!.partition, 1);
  t.same(rs[1]!.headers, [{ key: 'a', value: null }]);
  t.equal(rs[1]!.topic, 'other');
  t.equal(rs[1]!.timestamp, Date.UTC(2024, 4, 1));
  t.throws(() => readAll({ format: 'json' }, '{"value":"a"}\nnot json\n'), /line 2 is not JSON/);
  t.throws(() => readAll({ format: 'json' }, '{"vaule":"a"}\n'), /unknown field vaule/);
  t.throws(() => readAll({ format: 'json' }, '{"value":"a","partition":-1}\n'), /partition must be a whole number/);
});
