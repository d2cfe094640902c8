/**
 * Security records (ACL bindings, SCRAM credentials, quotas) in both metadata
 * stores: the process-local store persists them across a reopen; an etcd store's write reaches another store's image
 * as one 'security' change, listener keys with any characters survive, a
 * delete removes, and a broker whose registration lapsed cannot write.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore } from '../../src/controller/metadata-store.js';
import type { MetadataChange, SecurityRecord } from '../../src/controller/cluster-metadata.js';
import { etcdAvailable, ETCD_MISSING } from '../../compat-tests/helpers/etcd.js';
import { etcdCluster, until, brokerInfo } from './etcd-helpers.js';

const ODD_KEY = '["TOPIC","a/b c%",3,"User:x,y","*",4,3]';

t.test('the local store persists security records and tells listeners', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-secrec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = MetadataStore.open(dir);
  const seen: MetadataChange[] = [];
  store.onChange((c) => seen.push(c));
  const records: SecurityRecord[] = [{ kind: 'acl', key: ODD_KEY, value: '1' }, { kind: 'scram', key: 'SCRAM-SHA-256:alice', value: 'cred' }, { kind: 'quota', key: 'user=alice', value: '{"producer_byte_rate":1}' }];
  store.writeSecurity(records);
  t.same(seen, [{ kind: 'security', records }]);
  store.writeSecurity([{ kind: 'quota', key: 'user=alice', value: null }]);
  const again = MetadataStore.open(dir);
  t.same([...again.securityRecords('acl')], [[ODD_KEY, '1']], 'ACLs survive a reopen');
  t.same([...again.securityRecords('scram')], [['SCRAM-SHA-256:alice', 'cred']], 'credentials too');
  t.equal(again.securityRecords('quota').size, 0, 'a deleted record stays deleted');
});

t.test('etcd: a record written by one broker reaches the others; a lapsed broker cannot write', { skip: etcdAvailable ? false : ETCD_MISSING }, async (t) => {
  const c = await etcdCluster(t);
  const a = await c.open(1);
  const b = await c.open(2);
  await a.registerBroker(brokerInfo(1));
  const seen: MetadataChange[] = [];
  b.onChange((ch) => { if (ch.kind === 'security') seen.push(ch); });
  await a.writeSecurity([{ kind: 'acl', key: ODD_KEY, value: '1' }, { kind: 'scram', key: 'SCRAM-SHA-512:bob', value: 'c' }]);
  t.equal(a.securityRecords('acl').get(ODD_KEY), '1', 'the writer sees its write when the call returns');
  await until(() => b.securityRecords('scram').has('SCRAM-SHA-512:bob'), 5000, 'the other store sees the write');
  t.equal(b.securityRecords('acl').get(ODD_KEY), '1', 'a key with slashes, spaces and % survives');
  t.same(seen.flatMap((s) => (s.kind === 'security' ? s.records.map((r) => r.key) : [])).sort(), [ODD_KEY, 'SCRAM-SHA-512:bob'].sort());
  await a.writeSecurity([{ kind: 'acl', key: ODD_KEY, value: null }]);
  await until(() => !b.securityRecords('acl').has(ODD_KEY), 5000, 'the delete reaches the other store');
  // Broker 2 never registered: it holds no registration to write under.
  await t.rejects(b.writeSecurity([{ kind: 'acl', key: 'x', value: '1' }]), /not registered/);
  t.notOk(a.securityRecords('acl').has('x'));
});
