/**
 * The loader hooks of transpile-cache.mjs (they run on node's loader thread).
 *
 * load: a .ts module's JavaScript comes from the cache, or is compiled here
 * (typescript's transpileModule with the project's compiler options, as
 * ts-node's transpile-only mode does: types stripped, nothing checked, an
 * inline source map) and stored. Entries are named by a hash of the compile
 * fingerprint, the module's URL (its inline source map names the file) and its
 * text, so an edited file is simply a new entry; they are written to a
 * temporary name and renamed, so test processes filling the cache at the same
 * time never read half an entry. typescript itself is loaded only on a miss.
 *
 * resolve: relative imports of our own TypeScript ('./x.js' meaning x.ts, as
 * tsc wants them written) are resolved here; anything else (packages, node:,
 * a .js file that exists) goes on down the chain (to ts-node's resolver while
 * tap's TypeScript plugin is loaded, else to node's).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

let dir = '';
let salt = '';
let tsconfig = '';
/** @type {{ ts: typeof import('typescript'), options: import('typescript').CompilerOptions } | undefined} */
let compiler;

export async function initialize(data) {
  dir = data.dir;
  salt = data.salt;
  tsconfig = data.tsconfig;
  // No directory: TRANSPILE_CACHE=off, every module compiled afresh.
  if (dir) await mkdir(dir, { recursive: true });
}

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL?.startsWith('file:') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const url = new URL(specifier, context.parentURL);
    if (!url.search && !url.hash) {
      if (url.pathname.endsWith('.ts') && existsSync(url)) return { url: url.href, format: 'module', shortCircuit: true };
      if (url.pathname.endsWith('.js') && !existsSync(url)) {
        const ts = new URL(`${url.href.slice(0, -3)}.ts`);
        if (existsSync(ts)) return { url: ts.href, format: 'module', shortCircuit: true };
      }
    }
  }
  return nextResolve(specifier, context);
}

async function loadCompiler() {
  const ts = (await import('typescript')).default;
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (!parsed) throw new Error(`cannot read ${tsconfig}`);
  // The package is "type": "module", so every .ts file is an ES module: ESNext
  // emits it as one (transpileModule cannot tell NodeNext's format from here;
  // module resolution plays no part in one file's emit).
  // Without outDir and rootDir the source map names the module's own file
  // (it is loaded from its own URL); stack traces then point into the .ts.
  const { moduleResolution: _r, outDir: _o, rootDir: _d, declarationDir: _dd, sourceRoot: _s, mapRoot: _m, ...projectOptions } = parsed.options;
  const options = {
    ...projectOptions,
    module: ts.ModuleKind.ESNext,
    sourceMap: false,
    inlineSourceMap: true,
    inlineSources: true,
    declaration: false,
    declarationMap: false,
    noEmit: false,
  };
  return { ts, options };
}

async function compile(url, text) {
  compiler ??= await loadCompiler();
  const { ts, options } = compiler;
  const fileName = fileURLToPath(url);
  const out = ts.transpileModule(text, { fileName, compilerOptions: options, reportDiagnostics: true });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const where = (d) => {
      if (!d.file || d.start === undefined) return fileName;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${fileName}:${line + 1}:${character + 1}`;
    };
    throw new SyntaxError(`TypeScript cannot compile ${fileName}:\n${errors.map((d) => `${where(d)} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`).join('\n')}`);
  }
  return out.outputText;
}

export async function load(url, context, nextLoad) {
  // Only plain TypeScript modules: a query or hash means another loader (tap's
  // mocks) owns the URL.
  if (!url.startsWith('file:') || !/\.m?ts$/.test(url)) return nextLoad(url, context);
  let text;
  try {
    text = await readFile(fileURLToPath(url), 'utf8');
  } catch {
    return nextLoad(url, context);
  }
  if (!dir) return { format: 'module', source: await compile(url, text), shortCircuit: true };
  const key = createHash('sha256').update(salt).update('\0').update(url).update('\0').update(text).digest('hex');
  const entry = join(dir, `${key}.js`);
  try {
    return { format: 'module', source: await readFile(entry, 'utf8'), shortCircuit: true };
  } catch {
    // not cached yet
  }
  const source = await compile(url, text);
  const tmp = `${entry}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    await writeFile(tmp, source);
    await rename(tmp, entry);
  } catch {
    // a cache that cannot be written only costs time
  }
  return { format: 'module', source, shortCircuit: true };
}
