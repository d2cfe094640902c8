// tap 21 prints no closing "N passed, M failed" line; count the test points it
// recorded under .tap/test-results (one TAP file per test file, subtests nested),
// counting assertions as tap's own summary does.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = '.tap/test-results';
let passed = 0, failed = 0, skipped = 0, failedGroups = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.tap')) count(readFileSync(p, 'utf8'));
  }
}
function count(text) {
  for (const line of text.split('\n')) {
    const m = /^\s*(not ok|ok) \d+/.exec(line);
    // Subtest and file lines carry "# time="; count only the assertions inside them.
    if (!m) continue;
    if (/# time=/.test(line)) { if (m[1] === 'not ok') failedGroups++; continue; }
    if (/#\s*(SKIP|TODO)/i.test(line)) skipped++;
    else if (m[1] === 'ok') passed++;
    else failed++;
  }
}
try { walk(root); if (failed === 0) failed = failedGroups; /* a file that crashed before asserting */ } catch { failed++; console.error('no tap results found under ' + root); }
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(failed > 0 ? 1 : 0);
