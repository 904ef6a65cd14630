/**
 * A thread of test/harness/prewarm.ts: puts its share of the sources into one of the two transform caches. Either
 * cache's own lookup decides, so a warm cache costs one hash per file.
 */
const { readFileSync } = require('node:fs');
const { workerData, parentPort } = require('node:worker_threads');

const { kind, files, swcOptions, rootDir } = workerData;
if (kind === 'register-ts') {
  const { transpileCached } = require('../../scripts/register-ts.cjs');
  for (const { filename } of files) transpileCached(filename);
} else {
  const transformer = require('./transform.cjs').createTransformer(swcOptions);
  for (const { filename, instrument } of files) {
    // The options a Jest worker of this suite passes (CommonJS test files).
    transformer.process(readFileSync(filename, 'utf8'), filename, {
      instrument,
      supportsDynamicImport: true,
      supportsExportNamespaceFrom: false,
      supportsStaticESM: false,
      supportsTopLevelAwait: false,
      config: { rootDir },
    });
  }
}
parentPort.postMessage('done');
