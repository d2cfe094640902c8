import t from 'tap';
import { ErrorCode } from '../../src/wire/errors.js';
import {
  MatchType, alterEntryError, entityFromWire, entityKey, entityToWire, filterError, matchesFilter, parseEntityKey,
  type FilterComponent, type QuotaEntity,
} from '../../src/security/quota-entity.js';

const set = (key: string, value: number) => ({ key, value, remove: false });
const remove = (key: string) => ({ key, value: 0, remove: true });

t.test('entity keys: canonical, readable, and they round-trip', async (t) => {
  t.equal(entityKey({ 'client-id': 'app', user: 'alice' }), 'user=alice/client-id=app', 'user first whatever the property order');
  t.equal(entityKey({ user: null }), 'user=<default>');
  t.equal(entityKey({}), '');
  const entities: QuotaEntity[] = [
    {},
    { user: 'alice' },
    { user: null },
    { 'client-id': null },
    { user: null, 'client-id': null },
    { user: 'alice', 'client-id': null },
    { user: null, 'client-id': 'app' },
    { 'client-id': '<default>' },
    { user: 'CN=a/b,O=x%y', 'client-id': 'a=b/c<d>e' },
    { user: 'ünï ☃ 😀', 'client-id': '' },
    { ip: '10.0.0.1' },
  ];
  for (const e of entities) t.same(parseEntityKey(entityKey(e)), e, `round trip of ${JSON.stringify(e)}`);
  t.not(entityKey({ 'client-id': '<default>' }), entityKey({ 'client-id': null }), 'a client-id named <default> is not the default entity');
  t.equal(parseEntityKey(entityKey({ 'client-id': '<default>' }))['client-id'], '<default>');
  t.throws(() => parseEntityKey('user'), /not a quota entity key/);
  t.throws(() => parseEntityKey('=x'), /not a quota entity key/);
});

t.test('entities from and to the wire', async (t) => {
  t.same(entityFromWire([{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }]), { user: 'alice', 'client-id': null });
  const dup = entityFromWire([{ entityType: 'user', entityName: 'a' }, { entityType: 'user', entityName: 'b' }]);
  t.same(dup, { code: ErrorCode.INVALID_REQUEST, message: 'Invalid client quota entity, duplicate entity entry user' });
  t.same(entityToWire({ 'client-id': 'app', user: null }), [
    { entityType: 'user', entityName: null },
    { entityType: 'client-id', entityName: 'app' },
  ]);
});

t.test('alterEntryError accepts what Kafka accepts', async (t) => {
  t.equal(alterEntryError({ user: 'alice' }, [set('producer_byte_rate', 1024), set('consumer_byte_rate', 2048)]), undefined);
  t.equal(alterEntryError({ user: null, 'client-id': null }, [set('request_percentage', 12.34)]), undefined, 'request_percentage may be fractional');
  t.equal(alterEntryError({ 'client-id': 'app' }, [set('controller_mutation_rate', 0.5)]), undefined, 'controller_mutation_rate may be fractional');
  t.equal(alterEntryError({ user: 'u' }, [set('producer_byte_rate', 10000.0000001)]), undefined, 'float noise below 1e-6 is not fractional');
  t.equal(alterEntryError({ user: 'u' }, [remove('producer_byte_rate')]), undefined);
  t.equal(alterEntryError({ user: 'u' }, [remove('not_a_key')]), undefined, 'a removal does not check its key, as in Kafka');
  t.equal(alterEntryError({ user: 'u' }, []), undefined, 'no ops is a no-op');
});

t.test('alterEntryError refuses bad entities and values with INVALID_REQUEST', async (t) => {
  const cases: [QuotaEntity, ReturnType<typeof set>[], RegExp][] = [
    [{}, [set('producer_byte_rate', 100)], /^Invalid empty client quota entity$/],
    [{ group: 'g' }, [set('producer_byte_rate', 100)], /^Unhandled client quota entity type: group$/],
    [{ '': 'name' }, [set('request_percentage', 12.34)], /^Unhandled client quota entity type: $/],
    [{ user: '' }, [set('request_percentage', 12.34)], /^Empty user not supported$/],
    [{ 'client-id': '' }, [set('request_percentage', 12.34)], /^Empty client-id not supported$/],
    [{ user: 'u', ip: '1.2.3.4' }, [set('request_percentage', 12.34)], /^Invalid quota entity combination/],
    [{ 'client-id': 'c', ip: '1.2.3.4' }, [set('request_percentage', 12.34)], /^Invalid quota entity combination/],
    [{ ip: '1.2.3.4' }, [set('connection_creation_rate', 50)], /IP quotas .* not supported by Samsa/],
    [{ user: 'u' }, [set('bad', 1)], /^Invalid configuration key bad$/],
    [{ user: 'u' }, [set('producer_bytes_rate', 1)], /^Invalid configuration key producer_bytes_rate \(did you mean producer_byte_rate\?\)$/],
    [{ user: 'u' }, [set('connection_creation_rate', 1)], /^Invalid configuration key connection_creation_rate/],
    [{ user: 'u' }, [set('producer_byte_rate', 0)], /^Quota producer_byte_rate must be greater than 0$/],
    [{ user: 'u' }, [set('request_percentage', -5)], /^Quota request_percentage must be greater than 0$/],
    [{ user: 'u' }, [set('producer_byte_rate', 10000.5)], /^producer_byte_rate cannot be a fractional value\.$/],
    [{ user: 'u' }, [set('consumer_byte_rate', 1e19)], /too large for a LONG/],
    [{ user: 'u' }, [set('request_percentage', NaN)], /must be a finite number/],
    [{ user: 'u' }, [set('consumer_byte_rate', Infinity)], /must be a finite number/],
    [{ user: 'u' }, [set('producer_byte_rate', 100), set('producer_byte_rate', 200)], /^Duplicate quota key producer_byte_rate/],
    [{ user: 'u' }, [set('producer_byte_rate', 100), remove('producer_byte_rate')], /^Duplicate quota key producer_byte_rate/],
  ];
  for (const [entity, ops, message] of cases) {
    const error = alterEntryError(entity, ops);
    t.equal(error?.code, ErrorCode.INVALID_REQUEST, `${JSON.stringify(entity)} ${JSON.stringify(ops)}`);
    t.match(error?.message, message);
  }
  t.match(alterEntryError({ user: 'u' }, [set('producer_byte_rate', 100), set('oops', 1)])?.message, /oops/, 'a bad op anywhere refuses the entry');
});

// The entities and expected counts of Kafka's ClientQuotasRequestTest match tests.
const stored: QuotaEntity[] = [
  { user: 'user-1', 'client-id': 'client-id-1' },
  { user: 'user-2', 'client-id': 'client-id-1' },
  { user: 'user-3', 'client-id': 'client-id-2' },
  { user: null, 'client-id': 'client-id-1' },
  { user: 'user-1', 'client-id': null },
  { user: 'user-3', 'client-id': null },
  { user: 'user-1' },
  { user: 'user-2' },
  { user: 'user-3' },
  { user: null },
  { 'client-id': 'client-id-2' },
  { ip: '1.2.3.4' },
  { ip: '2.3.4.5' },
];
const exact = (entityType: string, match: string): FilterComponent => ({ entityType, matchType: MatchType.EXACT, match });
const byDefault = (entityType: string): FilterComponent => ({ entityType, matchType: MatchType.DEFAULT, match: null });
const specified = (entityType: string): FilterComponent => ({ entityType, matchType: MatchType.SPECIFIED, match: null });
const matching = (components: FilterComponent[], strict: boolean) => stored.filter((e) => matchesFilter(e, components, strict));

t.test('filter matching: exact components in a strict filter find exactly that entity', async (t) => {
  for (const e of stored) {
    const components = Object.entries(e).map(([type, name]) => (name === null ? byDefault(type) : exact(type, name)));
    t.same(matching(components, true), [e], JSON.stringify(e));
  }
  const absent: QuotaEntity[] = [
    { user: 'user-1', 'client-id': 'client-id-2' },
    { user: 'user-2', 'client-id': null },
    { user: 'user-4' },
    { user: null, 'client-id': 'client-id-2' },
    { 'client-id': 'client-id-1' },
  ];
  for (const e of absent) {
    const components = Object.entries(e).map(([type, name]) => (name === null ? byDefault(type) : exact(type, name)));
    t.same(matching(components, true), [], `nothing for ${JSON.stringify(e)}`);
  }
});

t.test('filter matching: EXACT, DEFAULT and SPECIFIED, strict and not', async (t) => {
  t.equal(matching([exact('user', 'user-1')], false).length, 3, 'open-ended existing user');
  t.equal(matching([exact('user', 'unknown')], false).length, 0, 'open-ended unknown user');
  t.equal(matching([exact('client-id', 'client-id-2')], false).length, 2, 'open-ended client-id');
  t.same(matching([byDefault('user')], false), [{ user: null, 'client-id': 'client-id-1' }, { user: null }], 'open-ended default user');
  t.same(matching([exact('user', 'user-2')], true), [{ user: 'user-2' }], 'strict existing user');
  t.equal(matching([exact('client-id', 'client-id-1')], true).length, 0, 'strict client-id with no client-id-only entity');
  t.equal(matching([specified('user')], true).length, 4, 'strict: every user-only entity, the default user included');
  t.ok(matchesFilter({ user: null }, [specified('user')], true), 'SPECIFIED matches the default entity, as in Kafka');
  t.equal(matching([specified('user')], false).length, 10, 'open-ended: every entity with a user');
  t.equal(matching([specified('client-id')], true).length, 1, 'strict: client-id-only entities');
  t.equal(matching([specified('client-id')], false).length, 7, 'open-ended: every entity with a client-id');
  t.equal(matching([specified('ip')], false).length, 2, 'ip entities');
  t.equal(matching([specified('user'), byDefault('client-id')], true).length, 2, 'users with the default client-id');
  t.equal(matching([], false).length, stored.length, 'an empty open-ended filter matches everything');
  t.equal(matching([], true).length, 0, 'an empty strict filter matches nothing');
});

t.test('filterError: Kafka refusals', async (t) => {
  t.equal(filterError([]), undefined);
  t.equal(filterError([exact('user', 'u'), byDefault('client-id')]), undefined);
  t.equal(filterError([specified('ip')]), undefined, 'an ip filter is valid even though Samsa stores no ip quotas');
  const cases: [FilterComponent[], number, RegExp][] = [
    [[{ entityType: '', matchType: 0, match: 'x' }], ErrorCode.INVALID_REQUEST, /^Invalid empty entity type\.$/],
    [[exact('user', 'a'), specified('user')], ErrorCode.INVALID_REQUEST, /^Entity type user cannot appear more than once/],
    [[exact('other', 'name')], ErrorCode.UNSUPPORTED_VERSION, /^Unsupported entity type other$/],
    [[{ entityType: 'user', matchType: MatchType.EXACT, match: null }], ErrorCode.INVALID_REQUEST, /MATCH_TYPE_EXACT, but set match string to null/],
    [[{ entityType: 'user', matchType: MatchType.DEFAULT, match: 'x' }], ErrorCode.INVALID_REQUEST, /MATCH_TYPE_DEFAULT, but also specified a match string/],
    [[{ entityType: 'user', matchType: MatchType.SPECIFIED, match: 'x' }], ErrorCode.INVALID_REQUEST, /MATCH_TYPE_SPECIFIED, but also specified a match string/],
    [[{ entityType: 'user', matchType: 7, match: null }], ErrorCode.INVALID_REQUEST, /^Unknown match type 7$/],
    [[specified('ip'), specified('user')], ErrorCode.INVALID_REQUEST, /^Invalid entity filter component combination/],
    [[specified('client-id'), exact('ip', '1.2.3.4')], ErrorCode.INVALID_REQUEST, /^Invalid entity filter component combination/],
  ];
  for (const [components, code, message] of cases) {
    const error = filterError(components);
    t.equal(error?.code, code, JSON.stringify(components));
    t.match(error?.message, message);
  }
});
