/**
 * Jest's runtime made cheaper per test file. First, a V8 code cache: every test file gets a fresh module registry,
 * so Jest compiles every module (Nest, TypeORM, the app) again for every file, measured ~25 % of a database
 * file's CPU. V8's cached data makes the later compiles of the same source cheap (the app's and the tests' own
 * modules are compiled per file; the app's and third-party ones are evaluated once per worker, below).
 * Entries are keyed by file name and source (V8 also checks source, V8 version and flags, and compiles normally
 * when it rejects an entry) and kept per worker in memory and on disk under node_modules/.cache, as packs: a file
 * per entry (~3 000) cost a fresh checkout seconds of file-system time (ext4 inode allocation), a pack milliseconds.
 * A process that compiled something new writes its new entries as one pack when it exits; one that read
 * MAX_PACKS or more merges them into its own.
 */
const { createHash } = require('node:crypto');
const {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { join, sep } = require('node:path');
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

const dir = join(__dirname, '..', '..', 'node_modules', '.cache', 'jest-v8-code-cache');
const MAX_PACKS = 8;
const memory = new Map();
// V8 refuses entries of another V8 version or flag set; SourceTextModule cannot say it did, so both are in the key.
const salt = `${process.version}\0${process.execArgv.join(' ')}\0`;

function keyOf(kind, source, filename) {
  return createHash('sha1').update(`${salt}${kind}\0${filename}\0`).update(source).digest('hex');
}

// A pack: entries of a 20-byte key, a 4-byte length and V8's data.
let disk;
const read = [];
const fresh = new Map();

function readPacks() {
  disk = new Map();
  let names = [];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.pack'));
  } catch {
    return; // no cache yet
  }
  for (const name of names) {
    let buf;
    try {
      buf = readFileSync(join(dir, name));
    } catch {
      continue; // merged away by another process meanwhile
    }
    read.push(name);
    for (let at = 0; at + 24 <= buf.length;) {
      const key = buf.toString('hex', at, at + 20);
      const end = at + 24 + buf.readUInt32LE(at + 20);
      if (end > buf.length) break;
      disk.set(key, buf.subarray(at + 24, end));
      at = end;
    }
  }
}

function writePack() {
  if (!fresh.size) return;
  const merge = read.length >= MAX_PACKS;
  const parts = [];
  for (const [key, data] of merge ? new Map([...disk, ...fresh]) : fresh) {
    const head = Buffer.alloc(24);
    head.write(key, 0, 'hex');
    head.writeUInt32LE(data.length, 20);
    parts.push(head, data);
  }
  try {
    mkdirSync(dir, { recursive: true });
    const name = `${process.pid}-${Date.now()}.pack`;
    writeFileSync(join(dir, `${name}.tmp`), Buffer.concat(parts));
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
    if (merge) for (const old of read) rmSync(join(dir, old), { force: true });
  } catch {
    // a read-only checkout runs without the disk half
  }
}
process.on('exit', writePack);

// In memory by file name (the source compared as a string, cheaper than hashing it again); on disk by hash.
function lookup(kind, source, filename) {
  const hit = memory.get(`${kind}:${filename}`);
  if (hit && hit.source === source) return { data: hit.data };
  const key = keyOf(kind, source, filename);
  if (!disk) readPacks();
  const data = disk.get(key) ?? fresh.get(key);
  if (!data) return { key };
  memory.set(`${kind}:${filename}`, { source, data });
  return { data };
}

function store(kind, source, filename, key, data) {
  memory.set(`${kind}:${filename}`, { source, data });
  fresh.set(key, data);
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
 * Second: coverage goes to Jest's parent process without Jest's deep copy (~190 ms a database file in JavaScript).
 * The app's modules are shared by the files of a worker (below), so their counters live in one __coverage__ per
 * realm: each file reports what it counted, a copy of the counters it moved, which are then zeroed for
 * the next file. Each source file's input source map (~40 % of its coverage data) travels once per worker, with
 * its first report, which is the copy Jest's parent keeps (it merges later counters into the first copy it
 * received). Not in watch mode, where a worker outlives the run whose parent got the maps.
 */
const reported = new Set();
const moved = (counters) =>
  Object.values(counters).some((n) => (Array.isArray(n) ? n.some(Boolean) : n));
const zero = (counters) => {
  for (const [id, n] of Object.entries(counters)) {
    if (Array.isArray(n)) n.fill(0);
    else counters[id] = 0;
  }
};
const COUNTERS = ['s', 'f', 'b', 'bT'];
// The counters are zeroed after the report, so they are copied; the maps (statements, functions, branches) never
// change and go by reference (a structuredClone of them was ~0.4 s of each worker's CPU).
const copyCounters = (file) => {
  const copy = { ...file };
  for (const c of COUNTERS) {
    if (!file[c]) continue;
    copy[c] = {};
    for (const [id, n] of Object.entries(file[c])) copy[c][id] = Array.isArray(n) ? n.slice() : n;
  }
  return copy;
};

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
      const first = !reported.has(path);
      if (!first && !COUNTERS.some((c) => file[c] && moved(file[c]))) continue;
      reported.add(path);
      const { inputSourceMap, ...rest } = file;
      out[path] = copyCounters(first || !this.oneMapPerFile ? file : rest);
      for (const c of COUNTERS) if (file[c]) zero(file[c]);
    }
    return out;
  }
}

/**
 * Third: modules are evaluated once per worker, not once per test file: those under node_modules and the app's
 * own (src/, not its spec files). Jest gives every file a fresh registry, so each database file loaded ~2 800
 * third-party modules (~40 % of the suite's CPU) and ~150 of the app's (~7 s of each worker's CPU) again.
 * This needs one realm for all files of the worker (shared-realm-environment.ts): the registry is kept per realm,
 * so with a fresh realm per file (DASHTAM_TEST_ISOLATE=1) nothing is shared. The tests' own modules (test/, and
 * specs) stay per file: they hold the harness's per-file state and Jest's per-file `jest` object.
 * DASHTAM_TEST_ISOLATE=app shares only node_modules (the app's modules per file, as before).
 */
const shareApp = process.env.DASHTAM_TEST_ISOLATE !== 'app';
// Registry keys are paths (CommonJS) or file URLs (ES modules, all under node_modules here).
const THIRD_PARTY = /[\\/]node_modules[\\/]/;
const sharedTest = (rootDir) => {
  const src = join(rootDir, 'src') + sep;
  return (key) =>
    THIRD_PARTY.test(key) || (shareApp && key.startsWith(src) && !key.endsWith('.spec.ts'));
};
// Per-app state that shared modules keep: reset for each file, as modules of the file's own would start.
const PER_FILE_RESETS = {
  // nestjs-pino builds its root logger at the first app and keeps it for the module's life.
  'nestjs-pino/dist/cjs/PinoLogger.js': (m) => m.__resetOutOfContextForTests(),
  // Nest's static logger is the last app's (useLogger), whose pino root is gone: a console logger again.
  '@nestjs/common/services/logger.service.js': ({ Logger }, load) => {
    const { ConsoleLogger } = load('@nestjs/common/services/console-logger.service.js');
    Logger.staticInstanceRef = new ConsoleLogger();
    Logger.logLevels = undefined;
    Logger.logBuffer = [];
    Logger.isBufferAttached = false;
  },
};
// Jest's own modules that hold one file's state (circus's, expect's matchers, snapshot serializers) stay per file.
const FRAMEWORK_PER_FILE =
  /[\\/]node_modules[\\/](jest-circus|expect|@jest[\\/]expect|jest-snapshot)[\\/]/;
const sharedInternal = (key) => THIRD_PARTY.test(key) && !FRAMEWORK_PER_FILE.test(key);
const realms = new WeakMap();
let current;

/** A registry whose shared entries live in the realm's map. clear() (Jest's per-file reset) keeps those. */
class SharedRegistry extends Map {
  constructor(shared, isShared) {
    super();
    this.shared = shared;
    this.isShared = isShared;
  }
  get(key) {
    return this.isShared(key) ? this.shared.get(key) : super.get(key);
  }
  has(key) {
    return this.isShared(key) ? this.shared.has(key) : super.has(key);
  }
  set(key, value) {
    if (this.isShared(key)) this.shared.set(key, value);
    else super.set(key, value);
    return this;
  }
  delete(key) {
    return this.isShared(key) ? this.shared.delete(key) : super.delete(key);
  }
}

// Nest's packages are ES modules (keyed by file URL, exports on the namespace); the rest CommonJS.
function resetPerFileState(realm) {
  const byName = new Map();
  const add = (path, exports) => {
    const at = path.lastIndexOf('/node_modules/');
    if (at >= 0 && exports) byName.set(path.slice(at + '/node_modules/'.length), exports);
  };
  for (const [path, module] of realm.cjs) add(path.replaceAll('\\', '/'), module.exports);
  for (const [url, module] of realm.esm) {
    if (url.startsWith('file:') && module?.status === 'evaluated') add(url, module.namespace);
  }
  for (const [name, reset] of Object.entries(PER_FILE_RESETS)) {
    if (byName.has(name)) reset(byName.get(name), (other) => byName.get(other));
  }
}

class SharedModulesRuntime extends CodeCacheRuntime {
  constructor(...args) {
    super(...args);
    current = this;
    const global = this._environment.global;
    let realm = realms.get(global);
    if (!realm)
      realms.set(global, (realm = { cjs: new Map(), esm: new Map(), internal: new Map() }));
    resetPerFileState(realm);
    const isShared = sharedTest(args[0].rootDir);
    this.registries.moduleRegistry = new SharedRegistry(realm.cjs, isShared);
    this.registries.esModuleRegistry = new SharedRegistry(realm.esm, isShared);
    this.registries.internalModuleRegistry = new SharedRegistry(realm.internal, sharedInternal);
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
