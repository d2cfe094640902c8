/**
 * Stack traces of the built command name the TypeScript sources (src/...ts:
 * line:column) when the source maps are beside the built files: dist/bundle/
 * (scripts/bundle.mjs) and dist/src/ (tsc) have them; the npm package ships
 * none, and there frames stay as they are.
 *
 * Node maps stack traces itself with --enable-source-maps, but it then reads
 * and parses the map of every module as the module loads, start-up time for
 * stack traces that are seldom printed. Here a file's map is read the first
 * time a frame of that file is formatted, and kept. tsc's output leaves
 * the stacks to Node when its own mapping is on (main.ts); the bundle's app
 * is compiled by the launcher (bundle-launcher.ts), whose file Node's mapping
 * never sees, so there this maps the frames whatever Node does.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Only our own built files: dist/ (this file is in dist/bundle/ or, from tsc, dist/src/cli/). */
const root = dirname(dirname(fileURLToPath(import.meta.url))) + sep;

const maps = new Map<string, { map: SourceMap; dir: string } | null>();

function mapOf(path: string): { map: SourceMap; dir: string } | null {
  let m = maps.get(path);
  if (m === undefined) {
    try {
      m = { map: new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))), dir: dirname(path) };
    } catch {
      m = null; // no map (the npm package) or an unreadable one: the frame as it is
    }
    maps.set(path, m);
  }
  return m;
}

/** `file:line:column` of a frame in the source the map names; undefined when it is not ours or has no mapping. */
function sourcePosition(file: string, line: number, column: number): string | undefined {
  const path = file.startsWith('file:') ? fileURLToPath(file) : file;
  if (!path.startsWith(root)) return undefined;
  const m = mapOf(path);
  const e = m?.map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  if (e?.originalSource === undefined) return undefined;
  return `${resolve(m!.dir, e.originalSource)}:${e.originalLine! + 1}:${e.originalColumn! + 1}`;
}

function frame(site: NodeJS.CallSite): string {
  const text = site.toString();
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!file || line === null || column === null) return text;
  const at = `${file}:${line}:${column}`;
  const i = text.lastIndexOf(at);
  if (i < 0) return text;
  const mapped = sourcePosition(file, line, column);
  return mapped === undefined ? text : text.slice(0, i) + mapped + text.slice(i + at.length);
}

function header(error: unknown): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return 'Error';
  }
}

export function installSourceMappedStacks(): void {
  Error.prepareStackTrace = (error, sites) => header(error) + sites.map((s) => `\n    at ${frame(s)}`).join('');
}
