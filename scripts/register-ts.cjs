/**
 * `node -r ./scripts/register-ts.cjs file.ts`: runs TypeScript through the compiler's own transpiler.
 * The project's one way to run TypeScript outside Jest and `nest build` (CLI, migrations, openapi, benchmarks).
 * Why not a library: tsx (esbuild) does not emit `design:paramtypes`, so Nest injects undefined (measured: the
 * app crashed on shutdown); @swc-node/register does, but its native @swc/core release was missing platform
 * packages on the registry and broke `npm ci` (measured). TypeScript's own transpiler emits exactly what
 * `nest build` emits, and is already a dependency.
 * Per-file transpilation (no type check), CommonJS, options from tsconfig.json.
 */
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const ts = require('typescript');

const root = join(__dirname, '..');
const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
const compilerOptions = {
  ...options,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  incremental: false,
  declaration: false,
  sourceMap: false,
  inlineSourceMap: true,
};

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
    compilerOptions,
    fileName: filename,
  });
  module._compile(outputText, filename);
};
