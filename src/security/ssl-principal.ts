/**
 * The Kafka principal of a client authenticated by its TLS certificate, as
 * Kafka's DefaultKafkaPrincipalBuilder makes it: the subject DN of the client's
 * certificate in the form Java's X500Principal.getName() gives (RFC 2253), then
 * rewritten by ssl.principal.mapping.rules. A client without a certificate is
 * ANONYMOUS and the rules do not apply to it.
 *
 * The DN is built from the certificate's DER bytes, not from node's printed
 * subject, so that multi-valued RDNs, escaping and unnamed attribute types come
 * out exactly as Java writes them:
 * - RDNs in reverse of their order in the certificate (most specific first),
 *   joined by ','; the values of a multi-valued RDN joined by '+' in encoded order;
 * - keywords only for CN, C, L, ST, O, OU, STREET, DC and UID; any other type
 *   (emailAddress, serialNumber, ...) as its dotted OID with '#' and the lower-case
 *   hex of the value's DER encoding, e.g. 1.2.840.113549.1.9.1=#16...;
 * - in string values, a backslash before each of , = + < > # ; " \ and before
 *   leading and trailing spaces (and carriage returns); NUL as \00.
 *
 * Mapping rules (Kafka's SslPrincipalMapper): a comma-separated list of DEFAULT
 * (the DN unchanged) and RULE:pattern/replacement/[L|U]. The first rule whose
 * pattern matches the whole DN gives the name: every match of the pattern in the
 * DN is replaced (Java's String.replaceAll, so $1 refers to a group, a reference
 * beyond the pattern's groups stays literal, \ escapes the next character), then
 * L or U changes the case. No matching rule is an authentication failure.
 * Patterns are JavaScript regular expressions, which agree with Java's for
 * everything such rules usually hold; a leading (?i) is taken as Java means it.
 */
import type { X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { ConfigError } from '../config/config-error.js';

/** The principal of a TLS client that presented no certificate (Kafka's KafkaPrincipal.ANONYMOUS). */
export const ANONYMOUS = 'ANONYMOUS';

export type SslPrincipalMappingRule =
  | { kind: 'DEFAULT' }
  | { kind: 'RULE'; text: string; pattern: string; replacement: string; caseChange: '' | 'L' | 'U'; whole: RegExp; each: RegExp; groups: number };

/** Why a TLS client gets no principal: its certificate failed verification, or no mapping rule matched. The listener closes the connection. */
export class SslAuthenticationError extends Error {
  override readonly name = 'SslAuthenticationError';
}

// One rule: DEFAULT, RULE:pattern/replacement/[LU] (backslash escapes inside both
// parts), or anything else, caught so that it can be reported as invalid.
const RULE = String.raw`(DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?).*?|(.*?)`;
const RULE_SPLITTER = new RegExp(String.raw`\s*(${RULE})\s*(?:,\s*|$)`, 'g');
const RULE_PARSER = new RegExp(`^(?:${RULE})`);

/** Parses ssl.principal.mapping.rules; a rule that does not parse or a pattern that does not compile is a ConfigError. */
export function parseSslPrincipalMappingRules(rules: string): SslPrincipalMappingRule[] {
  const out: SslPrincipalMappingRule[] = [];
  for (const split of rules.trim().matchAll(RULE_SPLITTER)) {
    const text = split[1]!;
    const m = RULE_PARSER.exec(text)!;
    if (m[0].length !== text.length) {
      throw new ConfigError(`invalid rule in ssl.principal.mapping.rules: '${text}' (expected DEFAULT or RULE:pattern/replacement/ with an optional L or U after it; unparsed: '${text.slice(m[0].length)}')`);
    }
    if (m[1] !== undefined) out.push({ kind: 'DEFAULT' });
    else if (m[2] !== undefined) out.push(compileRule(text, m[2], m[3]!, (m[4] ?? '') as '' | 'L' | 'U'));
    // an empty rule (two commas in a row, a trailing comma) is skipped, as Kafka does
  }
  return out;
}

function compileRule(text: string, pattern: string, replacement: string, caseChange: '' | 'L' | 'U'): SslPrincipalMappingRule {
  const caseless = pattern.startsWith('(?i)');
  const source = caseless ? pattern.slice(4) : pattern;
  const flags = caseless ? 'i' : '';
  let whole: RegExp, each: RegExp, groups: number;
  try {
    whole = new RegExp(`^(?:${source})$`, flags);
    each = new RegExp(source, `g${flags}`);
    groups = new RegExp(`${source}|`, flags).exec('')!.length - 1;
  } catch (e) {
    throw new ConfigError(`invalid pattern in ssl.principal.mapping.rules rule '${text}': ${(e as Error).message}`);
  }
  const bad = /\$(?![\d{])/.exec(replacement.replace(/\\./g, ''));
  if (bad) throw new ConfigError(`invalid replacement in ssl.principal.mapping.rules rule '${text}': '$' must be followed by a group number or {name} (write \\$ for a literal $)`);
  return { kind: 'RULE', text, pattern, replacement, caseChange, whole, each, groups };
}

/** Applies the rules to a DN (first match wins); throws SslAuthenticationError when none matches. */
export function mapSslPrincipal(dn: string, rules: readonly SslPrincipalMappingRule[]): string {
  for (const rule of rules) {
    if (rule.kind === 'DEFAULT') return dn;
    if (!rule.whole.test(dn)) continue;
    const name = dn.replace(rule.each, (...args: unknown[]) => expandReplacement(rule, args));
    return rule.caseChange === 'L' ? name.toLowerCase() : rule.caseChange === 'U' ? name.toUpperCase() : name;
  }
  throw new SslAuthenticationError(`no ssl.principal.mapping.rules rule applies to '${dn}' (rules: ${rules.map((r) => (r.kind === 'DEFAULT' ? 'DEFAULT' : r.text)).join(', ')})`);
}

/** Java's replacement syntax: $n (the longest group number that exists), ${name}, \x for a literal x. */
function expandReplacement(rule: Extract<SslPrincipalMappingRule, { kind: 'RULE' }>, args: unknown[]): string {
  const r = rule.replacement;
  const group = (n: number) => args[n] as string | undefined; // args: the match, then the groups
  const named = args[args.length - 1];
  let out = '';
  for (let i = 0; i < r.length; i++) {
    const c = r[i]!;
    if (c === '\\' && i + 1 < r.length) { out += r[++i]; continue; }
    if (c !== '$') { out += c; continue; }
    if (r[i + 1] === '{') {
      const end = r.indexOf('}', i);
      const name = r.slice(i + 2, end < 0 ? r.length : end);
      out += (typeof named === 'object' && named !== null ? (named as Record<string, string | undefined>)[name] : undefined) ?? '';
      i = end < 0 ? r.length : end;
      continue;
    }
    // Kafka keeps a reference to a group the pattern does not have as literal text
    let n = Number(r[i + 1]);
    if (n > rule.groups) { out += c; continue; }
    let j = i + 2;
    while (j < r.length && /\d/.test(r[j]!) && n * 10 + Number(r[j]) <= rule.groups) n = n * 10 + Number(r[j++]);
    out += group(n) ?? '';
    i = j - 1;
  }
  return out;
}

/**
 * The principal name (without "User:") for a client certificate: ANONYMOUS for
 * node's empty object when the client sent none, else its subject DN mapped by
 * the rules (default DEFAULT). Throws SslAuthenticationError when no rule matches.
 */
export function principalFromCertificate(
  cert: X509Certificate | PeerCertificate,
  rules: string | readonly SslPrincipalMappingRule[] = 'DEFAULT',
): string {
  const raw = (cert as { raw?: Buffer }).raw;
  if (!raw || raw.length === 0) return ANONYMOUS;
  const parsed = typeof rules === 'string' ? parseSslPrincipalMappingRules(rules) : rules;
  return mapSslPrincipal(subjectRfc2253(raw), parsed);
}

/**
 * The principal of a TLS connection once its handshake is done. With
 * ssl.client.auth=requested, Java fails the handshake of a client whose
 * certificate does not verify, while node completes it and only marks the
 * socket unauthorized: this throws for such a client so the listener closes it.
 */
export function sslPrincipalOfConnection(socket: TLSSocket, rules: string | readonly SslPrincipalMappingRule[] = 'DEFAULT'): string {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return ANONYMOUS;
  if (!socket.authorized) throw new SslAuthenticationError(`client certificate rejected: ${String(socket.authorizationError)}`);
  return principalFromCertificate(cert, rules);
}

// ---- The subject DN from the certificate's DER bytes ----

interface Tlv { tag: number; start: number; contentStart: number; end: number }

function readTlv(der: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new Error('truncated DER');
  const tag = der[pos]!;
  let len = der[pos + 1]!;
  let contentStart = pos + 2;
  if (len & 0x80) {
    const bytes = len & 0x7f;
    if (bytes === 0 || bytes > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < bytes; i++) len = len * 256 + der[contentStart + i]!;
    contentStart += bytes;
  }
  const end = contentStart + len;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start: pos, contentStart, end };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end;) {
    const t = readTlv(der, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

function decodeOid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
    else arcs.push(v);
    v = 0;
  }
  return arcs.join('.');
}

/** The attribute types Java names in RFC 2253 output; any other is written as its OID. */
const RFC2253_KEYWORDS: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.9': 'STREET',
  '2.5.4.10': 'O', '2.5.4.11': 'OU', '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID',
};

/** DER string tags Java writes as text: PrintableString, T61String, IA5String, GeneralString, BMPString, UTF8String. */
const STRING_TAGS = new Set([0x13, 0x14, 0x16, 0x1b, 0x1e, 0x0c]);

const ESCAPED = new Set([',', '=', '+', '<', '>', '#', ';', '"', '\\']);

/** The subject of a DER certificate as Java's X500Principal.getName() writes it. */
export function subjectRfc2253(der: Uint8Array): string {
  const cert = readTlv(der, 0, der.length);
  const tbs = readTlv(der, cert.contentStart, cert.end);
  const fields = children(der, tbs);
  const skip = fields[0]?.tag === 0xa0 ? 1 : 0; // the optional [0] version
  const subject = fields[skip + 4]; // serialNumber, signature, issuer, validity, subject
  if (!subject) throw new Error('certificate has no subject');
  const rdns = children(der, subject).map((set) => children(der, set).map((ava) => formatAva(der, ava)).join('+'));
  return rdns.reverse().join(',');
}

function formatAva(der: Uint8Array, ava: Tlv): string {
  const [type, value] = children(der, ava);
  const oid = decodeOid(der.subarray(type!.contentStart, type!.end));
  const keyword = RFC2253_KEYWORDS[oid];
  if (!keyword || !STRING_TAGS.has(value!.tag)) {
    return `${keyword ?? oid}=#${Buffer.from(der.subarray(value!.start, value!.end)).toString('hex')}`;
  }
  // Java decodes every string type's bytes as UTF-8 here (even BMPString)
  const text = Buffer.from(der.subarray(value!.contentStart, value!.end)).toString('utf8');
  let escaped = '';
  for (const ch of text) escaped += ch === '\0' ? '\\00' : ESCAPED.has(ch) ? `\\${ch}` : ch;
  return `${keyword}=${escapeEdgeSpaces(escaped)}`;
}

function escapeEdgeSpaces(s: string): string {
  const isSpace = (c: string) => c === ' ' || c === '\r';
  let lead = 0;
  while (lead < s.length && isSpace(s[lead]!)) lead++;
  let trail = s.length - 1;
  while (trail >= 0 && isSpace(s[trail]!)) trail--;
  let out = '';
  for (let i = 0; i < s.length; i++) out += (i < lead || i > trail ? '\\' : '') + s[i];
  return out;
}
