/**
 * @swc/jest, with Istanbul's instrumentation done here, as Jest does it. The cache key is this transformer's own
 * and holds nothing of the project, so the five projects (one config `id`, one transform cache directory) share
 * each file's entry: with Jest instrumenting, its key holds the whole project config, and a fresh checkout
 * instrumented each source file once per project and worker (Babel's instrumentation is ~10x the SWC transform).
 * The output is Jest's own: the same babel-plugin-istanbul call with the same options (@jest/transform's
 * _instrumentFile), from Jest's copy of it.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');

const jestRequire = createRequire(require.resolve('@jest/transform'));

const version = (name) => jestRequire(`${name}/package.json`).version;
const salt = [
  require('@swc/core/package.json').version,
  require('@swc/jest/package.json').version,
  version('@babel/core'),
  version('babel-plugin-istanbul'),
  readFileSync(__filename, 'utf8'),
].join('\0');

// Loaded on the first miss: a warm worker only reads Jest's cache.
function instrument(filename, transformed, options, rootDir) {
  const babel = jestRequire('@babel/core');
  const istanbul = jestRequire('babel-plugin-istanbul').default;
  const convertSourceMap = jestRequire('convert-source-map');
  const map = transformed.map ?? convertSourceMap.fromSource(transformed.code)?.toObject() ?? null;
  const result = babel.transformSync(transformed.code, {
    auxiliaryCommentBefore: ' istanbul ignore next ',
    babelrc: false,
    caller: {
      name: '@jest/transform',
      supportsDynamicImport: options.supportsDynamicImport,
      supportsExportNamespaceFrom: options.supportsExportNamespaceFrom,
      supportsStaticESM: options.supportsStaticESM,
      supportsTopLevelAwait: options.supportsTopLevelAwait,
    },
    configFile: false,
    filename,
    plugins: [
      [
        istanbul,
        {
          compact: false,
          cwd: rootDir,
          exclude: [],
          extension: false,
          inputSourceMap: map,
          useInlineSourceMaps: false,
        },
      ],
    ],
    sourceMaps: map ? 'both' : false,
  });
  return result?.code != null ? { code: result.code, map: result.map } : transformed;
}

// SWC's options, shared with scripts/register-ts.cjs.
const swcOptions = require('../../scripts/swc-options.json');

module.exports = {
  createTransformer() {
    let swc;
    // @swc/jest writes into the options it is given (jsc.transform.hidden), and the projects share one object:
    // keyed on what it was before any of them did, or a warm cache misses depending on which project went first.
    const pristine = structuredClone(swcOptions);
    const options = JSON.stringify(pristine);
    const keyOf = (src, filename, o) =>
      createHash('sha1')
        .update(`${salt}\0${options}\0${o.config.rootDir}\0${filename}\0`)
        .update(o.instrument ? 'instrument' : '')
        .update(o.supportsStaticESM ? '\0esm' : '\0cjs')
        .update('\0')
        .update(src)
        .digest('hex');
    return {
      canInstrument: true,
      getCacheKey: keyOf,
      process(src, filename, o) {
        swc ??= require('@swc/jest').createTransformer(structuredClone(pristine));
        const transformed = swc.process(src, filename, o);
        return o.instrument ? instrument(filename, transformed, o, o.config.rootDir) : transformed;
      },
    };
  },
};
