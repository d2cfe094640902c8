/**
 * The transpile cache itself, shared by the loader hooks
 * (transpile-cache-hooks.mjs) and the pre-warm script (prewarm.mjs): where the
 * entries live, what they are keyed by, and the compile.
 *
 * A module's JavaScript is typescript's transpileModule output with the
 * project's compiler options, as ts-node's transpile-only mode emits it: types
 * stripped, nothing checked, an inline source map. Entries are named by a hash
 * of the fingerprint (compiler version, tsconfig, this file), the module's URL
 * (its source map names the file) and its text, so an edited file is simply a
 * new entry; they are written to a temporary name and renamed, so processes
 * filling the cache at the same time never read half an entry. typescript is
 * loaded only on a miss.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the cache is and what its keys start from; no dir when TRANSPILE_CACHE=off (every module compiled afresh). */
export function cacheSettings(env = process.env) {
  const tsconfig = resolve(ROOT, env.TS_NODE_PROJECT ?? 'tsconfig.json');
  const h = createHash('sha256');
  const read = (p) => { try { return readFileSync(resolve(ROOT, p)); } catch { return 'none'; } };
  h.update(read('node_modules/typescript/package.json'));
  h.update(read(tsconfig));
  h.update(read(fileURLToPath(import.meta.url)));
  return { dir: env.TRANSPILE_CACHE === 'off' ? '' : join(ROOT, 'build/transpile-cache'), salt: h.digest('hex'), tsconfig };
}

async function loadCompiler(tsconfig) {
  const ts = (await import('typescript')).default;
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (!parsed) throw new Error(`cannot read ${tsconfig}`);
  // The package is "type": "module", so every .ts file is an ES module: ESNext
  // emits it as one (transpileModule cannot tell NodeNext's format from here;
  // module resolution plays no part in one file's emit). Without outDir and
  // rootDir the source map names the module's own file (it is loaded from its
  // own URL): stack traces point into the .ts.
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

/** The cache of `settings` (cacheSettings()): `source(url, text)` is a module's JavaScript, from the cache or compiled and stored. */
export function transpileStore({ dir, salt, tsconfig }) {
  let compiler;
  const made = dir ? mkdir(dir, { recursive: true }) : undefined;

  async function compile(url, text) {
    compiler ??= await loadCompiler(tsconfig);
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

  return {
    async source(url, text) {
      if (!dir) return compile(url, text);
      const entry = entryOf(url, text);
      try {
        return await readFile(entry, 'utf8');
      } catch {
        // not cached yet
      }
      const source = await compile(url, text);
      const tmp = `${entry}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      try {
        await made;
        await writeFile(tmp, source);
        await rename(tmp, entry);
      } catch {
        // a cache that cannot be written only costs time
      }
      return source;
    },
  };

  function entryOf(url, text) {
    return join(dir, `${createHash('sha256').update(salt).update('\0').update(url).update('\0').update(text).digest('hex')}.js`);
  }
}
