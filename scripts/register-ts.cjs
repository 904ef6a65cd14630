/**
 * `node -r ./scripts/register-ts.cjs file.ts`: runs TypeScript through the compiler's own transpiler.
 * The project's one way to run TypeScript outside Jest and `nest build` (CLI, migrations, openapi, benchmarks).
 * Why not a library: tsx (esbuild) does not emit `design:paramtypes`, so Nest injects undefined (measured: the
 * app crashed on shutdown); @swc-node/register does, but its native @swc/core release was missing platform
 * packages on the registry and broke `npm ci` (measured then; Jest now uses @swc/core, pinned). TypeScript's own transpiler emits exactly what
 * `nest build` emits, and is already a dependency.
 * Per-file transpilation (no type check), CommonJS, options from tsconfig.json.
 *
 * Transpiled output is cached on disk (node_modules/.cache/register-ts, keyed by source, path, options and
 * compiler version), and `typescript` itself is only loaded on a miss: a process whose files are all cached
 * starts about 3x faster, which is what the specs that spawn the CLI and src/main.ts pay per process.
 */
const Module = require('node:module');
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const cacheDir = join(root, 'node_modules', '.cache', 'register-ts');
const tsVersion = JSON.parse(
  readFileSync(require.resolve('typescript/package.json'), 'utf8'),
).version;
const tsconfig = readFileSync(join(root, 'tsconfig.json'), 'utf8');
const salt = createHash('sha256')
  .update(`${tsVersion}\0${tsconfig}\0${readFileSync(__filename, 'utf8')}`)
  .digest();

let ts;
let compilerOptions;
function transpile(source, filename) {
  if (!ts) {
    ts = require('typescript');
    const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
    compilerOptions = {
      ...options,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      incremental: false,
      declaration: false,
      sourceMap: false,
      inlineSourceMap: true,
    };
  }
  return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
}

// nodenext wants `import('./x.js')` in the source, which is what `nest build` emits next to it: here the .ts is there.
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveTsSibling(request, parent, ...rest) {
  try {
    return resolveFilename.call(this, request, parent, ...rest);
  } catch (err) {
    if (!request.startsWith('.') || !request.endsWith('.js')) throw err;
    return resolveFilename.call(this, `${request.slice(0, -3)}.ts`, parent, ...rest);
  }
};

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = readFileSync(filename, 'utf8');
  const key = createHash('sha256')
    .update(salt)
    .update(filename)
    .update('\0')
    .update(source)
    .digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  let output;
  try {
    output = readFileSync(cached, 'utf8');
  } catch {
    output = transpile(source, filename);
    try {
      // Write then rename: concurrent processes never read a half-written entry.
      mkdirSync(cacheDir, { recursive: true });
      const partial = `${cached}.${process.pid}.tmp`;
      writeFileSync(partial, output);
      renameSync(partial, cached);
    } catch {
      // A read-only checkout still runs, just without the cache.
    }
  }
  module._compile(output, filename);
};
