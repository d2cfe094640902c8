import t from 'tap';
import { readFileSync } from 'node:fs';
import { apiTableMarkdown, TABLE_BEGIN, TABLE_END } from '../../src/broker/api-table.js';
import { HANDLERS, supportedApiVersions } from '../../src/broker/handlers/index.js';
import { API_SPECS } from '../../src/wire/generated/api-keys.js';

t.test('README.md carries the API table generated from the registry', async (t) => {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  t.ok(start >= 0 && end > start, 'README has the table markers');
  t.equal(readme.slice(start, end + TABLE_END.length), apiTableMarkdown(), 'table is current: run `samsa api-table` and paste it');
});

t.test('ApiVersions advertises exactly the registry, within what the codecs handle', async (t) => {
  const advertised = supportedApiVersions();
  t.equal(advertised.length, HANDLERS.length, 'one entry per handler');
  t.equal(new Set(HANDLERS.map((h) => h.apiKey)).size, HANDLERS.length, 'no API registered twice');
  for (const a of advertised) {
    const spec = API_SPECS[a.apiKey]!;
    t.ok(a.minVersion >= spec.minVersion && a.maxVersion <= spec.maxVersion && a.minVersion <= a.maxVersion, `${spec.name} ${a.minVersion}-${a.maxVersion} inside ${spec.minVersion}-${spec.maxVersion}`);
  }
});
