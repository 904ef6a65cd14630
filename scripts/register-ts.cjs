/**
 * `node -r ./scripts/register-ts.cjs file.ts`: runs TypeScript through SWC (@swc/core, pinned), with the options
 * Jest's transform uses (scripts/swc-options.json): per file, CommonJS, decorator metadata emitted from the type
 * annotations as Nest's injection needs. The project's one way to run TypeScript outside Jest and `nest build`
 * (CLI, migrations, openapi, benchmarks).
 * Why not a library: tsx (esbuild) does not emit `design:paramtypes`, so Nest injects undefined (measured: the
 * app crashed on shutdown); @swc-node/register adds a tsconfig reader and its own resolver for what is here a
 * transformSync call. TypeScript's own transpileModule was used before: 2.4 s of CPU for the app's ~160 files
 * on a fresh checkout, against 0.3 s here; `npm run openapi` writes the same document with either.
 *
 * Transpiled output is cached on disk (node_modules/.cache/register-ts, keyed by source, path, options and
 * compiler version), and @swc/core itself is only loaded on a miss: what the specs that spawn the CLI and
 * src/main.ts pay per process.
 */
const Module = require('node:module');
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const cacheDir = join(root, 'node_modules', '.cache', 'register-ts');
const options = require('./swc-options.json');
const swcVersion = JSON.parse(
  readFileSync(require.resolve('@swc/core/package.json'), 'utf8'),
).version;
const salt = createHash('sha256')
  .update(`${swcVersion}\0${JSON.stringify(options)}\0${readFileSync(__filename, 'utf8')}`)
  .digest();

let swc;
function transpile(source, filename) {
  swc ??= require('@swc/core');
  return swc.transformSync(source, { ...options, filename, swcrc: false, configFile: false }).code;
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
