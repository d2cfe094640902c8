/**
 * The console's files: GET / (index.html), /assets/<file> (the page's modules
 * and styles, src/http/console/) and /vendor/<file> (Preact, htm and uPlot
 * from the installed packages, so the console works offline with no CDN).
 *
 * Only names known in advance are served: the flat list of files in the
 * console folder and a fixed vendor table. A request path is never joined
 * onto a folder, so no path (../, %2F, absolute) can reach another file.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { findPackage } from '../broker/samsa-version.js';
import { HttpError, type HttpRequest, type HttpRoute } from './route.js';

/** /vendor/<name> -> a file of an installed package. The page's import map uses these names. */
const VENDOR: Record<string, { pkg: string; file: string }> = {
  'preact.mjs': { pkg: 'preact', file: 'dist/preact.mjs' },
  'preact-hooks.mjs': { pkg: 'preact', file: 'hooks/dist/hooks.mjs' },
  // The source maps the two files above name (relative to /vendor/), for the browser's developer tools.
  'preact.mjs.map': { pkg: 'preact', file: 'dist/preact.mjs.map' },
  'hooks.mjs.map': { pkg: 'preact', file: 'hooks/dist/hooks.mjs.map' },
  'htm.mjs': { pkg: 'htm', file: 'dist/htm.module.js' },
  'uplot.mjs': { pkg: 'uplot', file: 'dist/uPlot.esm.js' },
  'uplot.css': { pkg: 'uplot', file: 'dist/uPlot.min.css' },
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Samsa's package root: the repo when run from source (src/http) or from
 * dist/src/http, node_modules/samsa when installed. The page's files ship as
 * source in src/http/console/ either way (there is no build step for them).
 */
export function consoleDir(): string {
  return join(findPackage(dirname(fileURLToPath(import.meta.url)), 'samsa').dir, 'src', 'http', 'console');
}

/** Where a vendor file is: resolved the way Node resolves the package, from this file. */
function vendorPath(name: string): string {
  const v = VENDOR[name]!;
  const entry = createRequire(import.meta.url).resolve(v.pkg);
  return join(findPackage(dirname(entry), v.pkg).dir, v.file);
}

interface Cached { body: Buffer; gzip: Buffer | null; etag: string; type: string }

/** Serves the console's files, read once and kept in memory with their gzip. */
export function consoleFiles(): HttpRoute {
  const dir = consoleDir();
  let pageFiles: Set<string>;
  try {
    pageFiles = new Set(readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && CONTENT_TYPES[extname(e.name)]).map((e) => e.name));
  } catch (err) {
    // A package without its console still serves /metrics and the API: the console's paths say what is missing.
    const missing = `the console's files are not in ${dir}: ${(err as Error).message}`;
    return (r) => {
      if (r.method !== 'GET' && r.method !== 'HEAD') return false;
      if (r.parts.length === 0 || r.parts[0] === 'assets' || r.parts[0] === 'vendor' || r.parts[0] === 'index.html') throw new HttpError(404, 'NO_CONSOLE', missing);
      return false;
    };
  }
  const cache = new Map<string, Promise<Cached>>();

  const load = (path: string): Promise<Cached> => {
    let hit = cache.get(path);
    if (!hit) {
      hit = readFile(path).then((body) => {
        const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
        // Text compresses ~4x (uPlot 145 KB -> 40 KB); images are compressed already.
        const gzip = type.startsWith('text/') || type.startsWith('application/json') ? gzipSync(body) : null;
        return { body, gzip, type, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"` };
      });
      // A failed read (a vendor package missing) is tried again on the next request.
      hit.catch(() => cache.delete(path));
      cache.set(path, hit);
    }
    return hit;
  };

  const send = async (r: HttpRequest, path: string): Promise<true> => {
    const f = await load(path);
    const headers: Record<string, string> = {
      'content-type': f.type,
      etag: f.etag,
      // Revalidate every time (a 304 on the same machine costs nothing) so an upgraded package is never served stale.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
    };
    if (r.req.headers['if-none-match'] === f.etag) {
      r.res.writeHead(304, headers);
      r.res.end();
      return true;
    }
    const gzip = f.gzip !== null && /\bgzip\b/.test(String(r.req.headers['accept-encoding'] ?? ''));
    const body = gzip ? f.gzip! : f.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = String(body.length);
    r.res.writeHead(200, headers);
    r.res.end(r.method === 'HEAD' ? undefined : body);
    return true;
  };

  return async (r) => {
    if (r.method !== 'GET' && r.method !== 'HEAD') return false;
    const p = r.parts;
    if (p.length === 0 || (p.length === 1 && p[0] === 'index.html')) return send(r, join(dir, 'index.html'));
    if (p[0] === 'assets') {
      // One plain name from the listing: 'a/b' (from %2F), '..' and '' are not in it.
      if (p.length === 2 && pageFiles.has(p[1]!)) return send(r, join(dir, p[1]!));
      throw new HttpError(404, 'NOT_FOUND', `no console file ${r.url.pathname}`);
    }
    if (p[0] === 'vendor') {
      if (p.length === 2 && Object.hasOwn(VENDOR, p[1]!)) return send(r, vendorPath(p[1]!));
      throw new HttpError(404, 'NOT_FOUND', `no vendor file ${r.url.pathname}`);
    }
    return false;
  };
}
