/**
 * @swc/jest, with Istanbul's instrumentation done here, as Jest does it, and kept on disk for every project. Jest
 * caches a transform per project (its key holds the whole project config), so on a fresh checkout each of the five
 * projects instrumented the same source files again, in each worker: Babel's instrumentation is ~10x the SWC
 * transform, and was most of the ~8 s a cold Jest cache added to the suite. The output is Jest's own: the same
 * babel-plugin-istanbul call with the same options (@jest/transform's _instrumentFile), from Jest's copy of it.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');

const jestRequire = createRequire(require.resolve('@jest/transform'));

const dir = join(__dirname, '..', '..', 'node_modules', '.cache', 'jest-instrumented');
const version = (name) => jestRequire(`${name}/package.json`).version;
const salt = [
  require('@swc/core/package.json').version,
  require('@swc/jest/package.json').version,
  version('@babel/core'),
  version('babel-plugin-istanbul'),
  readFileSync(__filename, 'utf8'),
].join('\0');

// Loaded on the first miss: a warm worker only reads the cache.
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

module.exports = {
  createTransformer(swcOptions) {
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
        const file = join(dir, keyOf(src, filename, o));
        try {
          return JSON.parse(readFileSync(file, 'utf8'));
        } catch {
          // not cached yet
        }
        swc ??= require('@swc/jest').createTransformer(structuredClone(pristine));
        const transformed = swc.process(src, filename, o);
        const out = o.instrument
          ? instrument(filename, transformed, o, o.config.rootDir)
          : transformed;
        const entry = { code: out.code, map: out.map ?? null };
        try {
          mkdirSync(dir, { recursive: true });
          const partial = `${file}.${process.pid}.tmp`;
          writeFileSync(partial, JSON.stringify(entry));
          renameSync(partial, file);
        } catch {
          // a read-only checkout transforms without the shared cache
        }
        return entry;
      },
    };
  },
};
