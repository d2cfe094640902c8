/**
 * Clients for the ACL compat tests (compat-tests/acls-*.test.ts): kafkajs
 * 2.2.4 and kcat logged in with SASL/PLAIN as a user of secure-broker.ts's
 * PLAIN_USERS, a way to grant and revoke bindings through kafkajs's admin
 * client, and the Kafka error a kafkajs call failed with.
 */
import kafkajs from 'kafkajs';
import { secureBroker, PLAIN_USERS, ADMIN, type SecureBroker } from './secure-broker.js';

const { Kafka, logLevel, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
export type Admin = ReturnType<InstanceType<typeof Kafka>['admin']>;
export interface User { username: string; password: string }
interface Teardown { teardown(fn: () => unknown): void }

export const LISTENER = 'SASL_PLAINTEXT';

export function client(b: SecureBroker, user: User) {
  return new Kafka({
    clientId: `acl-${user.username}`, brokers: [b.bootstrap(LISTENER)], logLevel: logLevel.NOTHING,
    sasl: { mechanism: 'plain', username: user.username, password: user.password }, retry: { retries: 1, initialRetryTime: 50 },
  });
}

/** A connected kafkajs admin client, disconnected in the test's teardown. */
export async function adminOf(t: Teardown, b: SecureBroker, user: User = ADMIN): Promise<Admin> {
  const admin = client(b, user).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  return admin;
}

/** One binding; alice, any host, ALLOW and LITERAL unless said otherwise. */
export interface Grant { type: number; name: string; op: number; pattern?: number; principal?: string; host?: string; deny?: boolean }
export const acl = (g: Grant) => ({
  resourceType: g.type, resourceName: g.name, resourcePatternType: g.pattern ?? ResourcePatternTypes.LITERAL,
  principal: g.principal ?? 'User:alice', host: g.host ?? '*', operation: g.op,
  permissionType: g.deny ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
});
export const grant = (admin: Admin, ...gs: Grant[]) => admin.createAcls({ acl: gs.map(acl) });
export const revoke = (admin: Admin, ...gs: Grant[]) => admin.deleteAcls({ filters: gs.map(acl) });

/** kafkajs's messages for the authorization errors: its retrier rethrows them without their type. */
const KAFKAJS_MESSAGES: [RegExp, string][] = [
  [/Topic authorization failed/, 'TOPIC_AUTHORIZATION_FAILED'], [/Group authorization failed/, 'GROUP_AUTHORIZATION_FAILED'],
  [/Cluster authorization failed/, 'CLUSTER_AUTHORIZATION_FAILED'], [/Transactional Id authorization failed/, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
];

/** The Kafka error a kafkajs call failed with ('none' when it did not fail). */
export async function errorType(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'none';
  } catch (e) {
    const err = e as { type?: string; message?: string; errors?: { type?: string }[] };
    return err.type ?? err.errors?.[0]?.type ?? KAFKAJS_MESSAGES.find(([re]) => re.test(err.message ?? ''))?.[1] ?? String(e);
  }
}

/** kcat's connection arguments for `user`. */
export const kcatAs = (b: SecureBroker, user: User) => [
  '-b', b.bootstrap(LISTENER), '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=PLAIN',
  '-X', `sasl.username=${user.username}`, '-X', `sasl.password=${user.password}`,
];

/** A broker with one SASL_PLAINTEXT listener, admin and alice, allow.everyone.if.no.acl.found=false unless `flags` say otherwise; and admin's client. */
export async function aclBroker(t: Teardown, flags: Record<string, string> = {}): Promise<{ b: SecureBroker; admin: Admin }> {
  const b = await secureBroker(t, { listeners: [LISTENER], flags: { ...PLAIN_USERS, 'allow.everyone.if.no.acl.found': 'false', ...flags } });
  return { b, admin: await adminOf(t, b) };
}
