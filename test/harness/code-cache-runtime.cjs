/**
 * Jest's runtime made cheaper per test file. First, a V8 code cache: every test file gets a fresh module registry,
 * so Jest compiles every module (Nest, TypeORM, the app) again for every file, measured ~25 % of a database
 * file's CPU. V8's cached data makes the later compiles of the same source cheap (the app's and the tests' own
 * modules are still compiled per file; third-party ones are evaluated once per worker, below).
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
 * Second: each file's coverage goes to Jest's parent process as is. Jest deep-copies it first (~190 ms a database
 * file in JavaScript, ~15 ms with structuredClone); the copy guards against later writes, and a file's counters are
 * written by no later file here (the realm's __coverage__ is replaced per file). Each source file's input source
 * map (~40 % of its coverage data) travels with the first file of the worker that reports it, which is the one
 * Jest's parent keeps: it merges counters into the first copy it received. Not in watch mode, where a worker
 * outlives the run whose parent got the maps.
 */
const reported = new Set();
class CodeCacheRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    const globalConfig = args[7];
    this.oneMapPerFile = !(globalConfig?.watch || globalConfig?.watchAll);
  }
  getAllCoverageInfoCopy() {
    const coverage = this._environment.global.__coverage__;
    if (coverage === undefined) return undefined;
    const out = {};
    for (const [path, file] of Object.entries(coverage)) {
      if (!this.oneMapPerFile || !reported.has(path)) {
        reported.add(path);
        out[path] = file;
      } else {
        const { inputSourceMap: _, ...counters } = file;
        out[path] = counters;
      }
    }
    return out;
  }
}

/**
 * Third: modules under node_modules are evaluated once per worker, not once per test file. Jest gives every file
 * a fresh registry, so each database file loaded ~2 800 third-party modules again (~40 % of the suite's CPU).
 * This needs one realm for all files of the worker (shared-realm-environment.ts): the registry is kept per realm,
 * so with a fresh realm per file (DASHTAM_TEST_ISOLATE=1) nothing is shared. The app's and the tests' own modules
 * stay per file. nestjs-pino stays per file too: it keeps the root logger of the first app in module state.
 */
const SHARED = /[\\/]node_modules[\\/](?!nestjs-pino[\\/])/;
const realms = new WeakMap();
let current;

/** A registry whose node_modules entries live in the realm's map. clear() (Jest's per-file reset) keeps those. */
class SharedRegistry extends Map {
  constructor(shared) {
    super();
    this.shared = shared;
  }
  get(key) {
    return SHARED.test(key) ? this.shared.get(key) : super.get(key);
  }
  has(key) {
    return SHARED.test(key) ? this.shared.has(key) : super.has(key);
  }
  set(key, value) {
    if (SHARED.test(key)) this.shared.set(key, value);
    else super.set(key, value);
    return this;
  }
  delete(key) {
    return SHARED.test(key) ? this.shared.delete(key) : super.delete(key);
  }
}

class SharedModulesRuntime extends CodeCacheRuntime {
  constructor(...args) {
    super(...args);
    current = this;
    const global = this._environment.global;
    let realm = realms.get(global);
    if (!realm) realms.set(global, (realm = { cjs: new Map(), esm: new Map() }));
    this.registries.moduleRegistry = new SharedRegistry(realm.cjs);
    this.registries.esModuleRegistry = new SharedRegistry(realm.esm);
    // A shared module keeps the require() and import() of the file that first loaded it: they go to today's.
    const esm = this.esmLoader;
    const own = { dynamicImport: esm.dynamicImport, fromCjs: esm.dynamicImportFromCjs.bind(esm) };
    this.ownImports = own;
    const today = () => (this.sameRealm(current) ? current : this).ownImports;
    esm.dynamicImport = (...a) => today().dynamicImport(...a);
    esm.dynamicImportFromCjs = (...a) => today().fromCjs(...a);
  }
  sameRealm(other) {
    return other !== this && other._environment.global === this._environment.global;
  }
  requireModuleOrMock(from, moduleName) {
    if (this.sameRealm(current)) return current.requireModuleOrMock(from, moduleName);
    return super.requireModuleOrMock(from, moduleName);
  }
}

module.exports = SharedModulesRuntime;
