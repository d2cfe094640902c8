import t from 'tap';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { ConfigError } from '../../src/config/broker-config.js';
import {
  ANONYMOUS, SslAuthenticationError, mapSslPrincipal, parseSslPrincipalMappingRules, principalFromCertificate,
} from '../../src/security/ssl-principal.js';

/**
 * Made with: openssl req -x509 -multivalue-rdn -utf8 -subj '/DC=com/CN=#hash, plus\+ quote" lt< gt> semi; back\\ eq=+UID=u1
 * /OU= lead and trail /emailAddress=alice@example.com/serialNumber=1234/title=boss/L=Zürich' (an EC key).
 * JAVA_DN is what Java 17's X509Certificate.getSubjectX500Principal().getName() prints for it.
 */
const JAVA_FIXTURE = `-----BEGIN CERTIFICATE-----
MIIC7jCCApOgAwIBAgIUcsde/4mMqzcVBPani8n25whXN4UwCgYIKoZIzj0EAwIw
gcoxEzARBgoJkiaJk/IsZAEZFgNjb20xRjAQBgoJkiaJk/IsZAEBDAJ1MTAyBgNV
BAMMKyNoYXNoLCBwbHVzKyBxdW90ZSIgbHQ8IGd0PiBzZW1pOyBiYWNrXCBlcT0x
GTAXBgNVBAsMECBsZWFkIGFuZCB0cmFpbCAxIDAeBgkqhkiG9w0BCQEWEWFsaWNl
QGV4YW1wbGUuY29tMQ0wCwYDVQQFEwQxMjM0MQ0wCwYDVQQMDARib3NzMRAwDgYD
VQQHDAdaw7xyaWNoMCAXDTI2MTIwMzA3MDUyNVoYDzIxMjYxMTA5MDcwNTI1WjCB
yjETMBEGCgmSJomT8ixkARkWA2NvbTFGMBAGCgmSJomT8ixkAQEMAnUxMDIGA1UE
AwwrI2hhc2gsIHBsdXMrIHF1b3RlIiBsdDwgZ3Q+IHNlbWk7IGJhY2tcIGVxPTEZ
MBcGA1UECwwQIGxlYWQgYW5kIHRyYWlsIDEgMB4GCSqGSIb3DQEJARYRYWxpY2VA
ZXhhbXBsZS5jb20xDTALBgNVBAUTBDEyMzQxDTALBgNVBAwMBGJvc3MxEDAOBgNV
BAcMB1rDvHJpY2gwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARacTELTIROgHeW
XpGRnQvQBzmupfimhPW3ZeGQq++m+VVWDGhoGMofbXuVPIowjJfEYS0wIEy6o1nr
rq75tyI3o1MwUTAdBgNVHQ4EFgQUaWirmIRTogolMz7itOdQeslg6VUwHwYDVR0j
BBgwFoAUaWirmIRTogolMz7itOdQeslg6VUwDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNJADBGAiEA6MVmBQmtM/SV3xy1wOGqgbXD17ljgqQwMQkPRuxuM8MC
IQCDtrzh3Ve2kVHsMSQatYs8e5RrwEOdQPTzet7RpFa9uA==
-----END CERTIFICATE-----
`;
const JAVA_DN = 'L=Zürich,2.5.4.12=#0c04626f7373,2.5.4.5=#130431323334,1.2.840.113549.1.9.1=#1611616c696365406578616d706c652e636f6d,'
  + 'OU=\\ lead and trail\\ ,UID=u1+CN=\\#hash\\, plus\\+ quote\\" lt\\< gt\\> semi\\; back\\\\ eq\\=,DC=com';

type Forge = typeof import('node-forge');
const forgeModule = await import('node-forge');
const forge = (forgeModule as { default?: Forge }).default ?? forgeModule;

/** A self-signed certificate whose subject has the given RDNs, in certificate order. */
function certificateWithSubject(rdns: [string, string][]): X509Certificate {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const attrs = rdns.map(([shortName, value]) => ({ shortName, value }));
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return new X509Certificate(forge.pki.certificateToPem(cert));
}

t.test('the subject DN is written as Java writes it (RFC 2253, last RDN first)', async (t) => {
  const alice = certificateWithSubject([['C', 'US'], ['O', 'Acme'], ['OU', 'dev'], ['CN', 'alice']]);
  t.equal(principalFromCertificate(alice), 'CN=alice,OU=dev,O=Acme,C=US', 'RDNs in reverse of the certificate\'s order');
  t.equal(principalFromCertificate(alice, 'RULE:^CN=(.*?),OU=(.*?),.*$/$1@$2/U'), 'ALICE@DEV', 'then mapped by the rules');
  t.equal(principalFromCertificate(new X509Certificate(JAVA_FIXTURE)), JAVA_DN,
    'multi-valued RDN, escapes, leading/trailing spaces, OID-typed attributes as #hex, UTF-8: identical to Java');
  t.equal(principalFromCertificate({} as never), ANONYMOUS, 'no client certificate (node\'s empty object): ANONYMOUS');
});

t.test('mapping rules: first match wins, L/U, DEFAULT (Kafka\'s own cases)', async (t) => {
  const rules = parseSslPrincipalMappingRules([
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L',
    'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L',
    'RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U',
    'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U',
    'DEFAULT',
  ].join(', '));
  t.equal(mapSslPrincipal('CN=Duke,OU=ServiceUsers,O=Org,C=US', rules), 'duke');
  t.equal(mapSslPrincipal('CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US', rules), 'duke@sme');
  t.equal(mapSslPrincipal('cn=duke,ou=sme,dc=mycp,dc=com', rules), 'DUKE@SME');
  t.equal(mapSslPrincipal('cN=duke,OU=JavaSoft,O=Sun Microsystems', rules), 'DUKE');
  t.equal(mapSslPrincipal('OU=JavaSoft,O=Sun Microsystems,C=US', rules), 'OU=JavaSoft,O=Sun Microsystems,C=US', 'DEFAULT: the DN as it is');

  const lower = parseSslPrincipalMappingRules('RULE:^CN=(.*?),OU=(.*?)$/$1/L,DEFAULT');
  t.equal(mapSslPrincipal('CN=Alice,OU=Dev', lower), 'alice');
  t.equal(mapSslPrincipal('O=Acme', lower), 'O=Acme', 'no RULE matches the whole DN: DEFAULT');

  t.equal(mapSslPrincipal('CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz', parseSslPrincipalMappingRules('RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT')),
    'Tkac\\, Adam', 'an escaped comma inside a value');
  t.equal(mapSslPrincipal('CN=a/b', parseSslPrincipalMappingRules('RULE:^CN=(.*)\\/(.*)$/$2\\/$1/')), 'b/a', '\\/ is a slash in pattern and replacement');
  t.equal(mapSslPrincipal('CN=alice', parseSslPrincipalMappingRules('RULE:^CN=(.*)$/$1@$2/')), 'alice@$2', 'a group the pattern lacks stays literal');
  t.equal(mapSslPrincipal('CN=Alice', parseSslPrincipalMappingRules('RULE:(?i)^cn=(.*)$/$1/')), 'Alice', 'a leading (?i) as in Java');
  t.throws(() => mapSslPrincipal('OU=x', parseSslPrincipalMappingRules('RULE:^CN=(.*)$/$1/')), SslAuthenticationError, 'no rule applies: no principal');
});

t.test('rule lists split as Kafka splits them', async (t) => {
  const shape = (rules: string) => parseSslPrincipalMappingRules(rules).map((r) => (r.kind === 'DEFAULT' ? 'DEFAULT' : [r.pattern, r.replacement, r.caseChange]));
  t.same(shape(''), []);
  t.same(shape('  RULE:   /     / ,  DEFAULT  '), [['   ', '     ', ''], 'DEFAULT']);
  t.same(shape('  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  '), [['([A-Z]*)', '$1', 'U'], ['([a-z]+)', '$1', ''], 'DEFAULT']);
  t.same(shape(',,RULE://,,,DEFAULT,,'), [['', '', ''], 'DEFAULT'], 'empty rules are skipped');
  t.same(shape('RULE:\\/\\\\\\(\\)\\n\\t/\\/\\//'), [['\\/\\\\\\(\\)\\n\\t', '\\/\\/', '']], 'backslash escapes, slashes included');
});

t.test('bad rules are ConfigErrors', async (t) => {
  for (const rules of ['DEFAULT', 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT', 'RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/', 'RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U']) {
    t.doesNotThrow(() => parseSslPrincipalMappingRules(rules), rules);
  }
  for (const rules of [
    'default', 'DEFAUL', 'DEFAULT/L', 'rule:^CN=(.*?)$/$1/',
    'RULE:CN=(.*?),OU=ServiceUsers.*/$1', // no closing slash
    'RULE:^CN=(.*?)$/$1/L/U', 'RULE:^CN=(.*?)$/L', 'RULE:^CN=(.*?)$/$1/LU',
    'RULE:^CN=([a-z$/$1/', // the pattern does not compile
    'RULE:^CN=(.*)$/$x/', // $ that is no group reference
  ]) {
    t.throws(() => parseSslPrincipalMappingRules(rules), ConfigError, rules);
  }
});
