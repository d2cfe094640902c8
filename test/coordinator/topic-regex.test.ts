import t from 'tap';
import { compileTopicRegex } from '../../src/coordinator/group/consumer-heartbeat.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';

const topics = ['pk-a', 'pk-b', 'PK-c', 'pk.a', 'pk-1', 'orders.eu', 'orders-eu', 'pk-a-b'];
const matches = (pattern: string) => topics.filter((n) => compileTopicRegex(pattern).test(n));
const refused = (pattern: string): number | undefined => {
  try { compileTopicRegex(pattern); return undefined; } catch (e) { return e instanceof KafkaError ? e.code : -1; }
};

t.test('RE2 forms Java clients send mean what they mean on Kafka', async (t) => {
  t.same(matches('pk-.'), ['pk-a', 'pk-b', 'pk-1'], 'plain pattern, whole names only');
  t.same(matches('(?i)pk-[a-c]'), ['pk-a', 'pk-b', 'PK-c'], '(?i) at the start is case-insensitive');
  t.same(matches('\\Qpk.a\\E'), ['pk.a'], '\\Q..\\E quotes: the dot is literal');
  t.same(matches('orders\\.\\Q-\\E?eu'), ['orders.eu'], '\\Q..\\E beside ordinary escapes');
  t.same(matches('\\Apk-a\\z'), ['pk-a'], '\\A and \\z anchor');
  t.same(matches('pk-[[:digit:]]'), ['pk-1'], 'POSIX class inside brackets');
  t.same(matches('pk-[[:alpha:]]'), ['pk-a', 'pk-b'], 'POSIX alpha');
  t.same(matches('(?P<p>pk)-a'), ['pk-a'], 'named group in the P< form');
  t.same(matches('[]a]|pk-a'), ['pk-a'], "a ']' first in a class is literal");
});

t.test('what RE2 refuses is INVALID_REGULAR_EXPRESSION', async (t) => {
  for (const p of ['pk-(?=a)a', 'pk-(?!a).', '(?<=p)k', '(a)\\1', '(?<n>a)\\k<n>', 'pk-[[:nope:]]', 'pk-(', 'pk\\']) {
    t.equal(refused(p), ErrorCode.INVALID_REGULAR_EXPRESSION, p);
  }
  t.equal(refused('pk-.*'), undefined, 'a valid pattern compiles');
});
