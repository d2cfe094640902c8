/**
 * SubscribedTopicRegex patterns are RE2J patterns in Kafka (the Java client
 * sends java.util.regex-style text and the broker compiles it with RE2J).
 * JavaScript's RegExp reads most of that syntax the same way; this turns the
 * RE2 forms clients commonly use and JavaScript lacks into their JavaScript
 * equivalents, and refuses what RE2 refuses (look-around, back-references),
 * so a pattern means here what it means on Kafka:
 *
 *   (?i) (?s) (?m) at the start   -> RegExp flags
 *   \Q...\E                        -> the text between, escaped
 *   \A  \z                         -> ^  $
 *   (?P<name>...)                  -> (?<name>...)
 *   [[:alpha:]] and the other POSIX classes inside brackets
 *
 * Inline flags anywhere but the start, and RE2's ungreedy flag U, are not
 * translated: such a pattern is refused (INVALID_REGULAR_EXPRESSION).
 */

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

const escapeLiteral = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|]/g, (c) => `\\${c}`);

/** The pattern as JavaScript source and flags; throws an Error naming what RE2 would not accept. */
export function translateRe2(pattern: string): { source: string; flags: string } {
  let flags = '';
  let i = 0;
  const lead = /^\(\?([ims]+)\)/.exec(pattern);
  if (lead) {
    flags = [...new Set(lead[1])].join('');
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new Error('trailing backslash');
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end < 0 ? pattern.length : end);
        out += escapeLiteral(literal);
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      if (!inClass && next === 'A') { out += '^'; i += 2; continue; }
      if (!inClass && next === 'z') { out += '$'; i += 2; continue; }
      if (/[1-9]/.test(next) || next === 'k') throw new Error('back-references are not supported');
      out += c + next;
      i += 2;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
      if (posix) {
        const set = POSIX_CLASSES[posix[2]!];
        if (set === undefined) throw new Error(`unknown POSIX class [:${posix[2]}:]`);
        if (posix[1]) throw new Error('negated POSIX classes are not supported');
        out += set;
        i += posix[0].length;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      // A ']' right after '[' or '[^' is a literal in RE2.
      if (pattern[i] === '^') { out += '^'; i++; }
      if (pattern[i] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (/^(=|!|<=|<!)/.test(rest)) throw new Error('look-around is not supported');
      if (rest.startsWith('P<')) { out += '(?<'; i += 4; continue; }
    }
    out += c;
    i++;
  }
  return { source: out, flags };
}
