// The environment every database spec starts from. Specs add variables per file with useTestApp({ env }).
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.LOG_PRETTY = 'false';

// Database specs start Nest apps (and, on the PGlite fallback, a WASM PostgreSQL per worker): give hooks room.
jest.setTimeout(process.env.DASHTAM_TEST_SERVER === 'pglite' ? 120_000 : 30_000);
