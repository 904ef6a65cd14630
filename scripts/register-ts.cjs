/**
 * `node -r ./scripts/register-ts.cjs file.ts`: runs TypeScript through the compiler's own transpiler.
 * Used instead of tsx where Nest dependency injection or Swagger read decorator metadata: tsx (esbuild)
 * does not emit `design:paramtypes` / `design:type`, so constructor injection by class yields undefined.
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
