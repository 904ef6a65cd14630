/**
 * Jest's runtime made cheaper per test file. First, a V8 code cache: every test file gets a fresh module registry,
 * so Jest compiles every module (Nest, TypeORM, the app) again for every file, measured ~25 % of a database
 * file's CPU. V8's cached data makes the later compiles of the same source cheap. Only compilation is cached:
 * each file still evaluates its own modules in its own context, so isolation between files is what Jest gives.
 * Entries are keyed by file name and source (V8 also checks source, V8 version and flags, and compiles normally
 * when it rejects an entry) and kept per worker in memory and on disk under node_modules/.cache.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

const dir = join(__dirname, '..', '..', 'node_modules', '.cache', 'jest-v8-code-cache');
const memory = new Map();
// V8 refuses entries of another V8 version or flag set; SourceTextModule cannot say it did, so both are in the key.
const salt = `${process.version}\0${process.execArgv.join(' ')}\0`;

function keyOf(kind, source, filename) {
  return createHash('sha1').update(`${salt}${kind}\0${filename}\0`).update(source).digest('hex');
}

// In memory by file name (the source compared as a string, cheaper than hashing it again); on disk by hash.
function lookup(kind, source, filename) {
  const hit = memory.get(`${kind}:${filename}`);
  if (hit && hit.source === source) return { data: hit.data };
  const key = keyOf(kind, source, filename);
  try {
    const data = readFileSync(join(dir, key));
    memory.set(`${kind}:${filename}`, { source, data });
    return { data };
  } catch {
    return { key };
  }
}

function store(kind, source, filename, key, data) {
  memory.set(`${kind}:${filename}`, { source, data });
  try {
    mkdirSync(dir, { recursive: true });
    const partial = join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(partial, data);
    renameSync(partial, join(dir, key));
  } catch {
    // a read-only checkout runs without the disk half
  }
}

const compileFunction = vm.compileFunction;
vm.compileFunction = function cachedCompileFunction(code, params, options = {}) {
  if (!options.filename || options.cachedData || options.produceCachedData) {
    return compileFunction(code, params, options);
  }
  const { data, key } = lookup('cjs', code, options.filename);
  const fn = compileFunction(code, params, {
    ...options,
    cachedData: data,
    produceCachedData: !data,
  });
  if (!data && fn.cachedData) store('cjs', code, options.filename, key, fn.cachedData);
  else if (data && fn.cachedDataRejected) memory.delete(`cjs:${options.filename}`);
  return fn;
};

const SourceTextModule = vm.SourceTextModule;
if (SourceTextModule) {
  vm.SourceTextModule = class CachedSourceTextModule extends SourceTextModule {
    constructor(code, options = {}) {
      if (!options.identifier || options.cachedData) {
        super(code, options);
        return;
      }
      const { data, key } = lookup('esm', code, options.identifier);
      super(code, data ? { ...options, cachedData: data } : options);
      if (!data) store('esm', code, options.identifier, key, this.createCachedData());
    }
  };
}

/**
 * Second: Jest snapshots each file's coverage counters (with Istanbul's input source maps) with a generic JavaScript
 * deep copy: measured ~190 ms per database file, more than most files' tests take. structuredClone makes the
 * same copy natively.
 */
class CodeCacheRuntime extends Runtime {
  getAllCoverageInfoCopy() {
    const coverage = this._environment.global.__coverage__;
    return coverage === undefined ? undefined : structuredClone(coverage);
  }
}

module.exports = CodeCacheRuntime;
