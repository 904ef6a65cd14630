import { detectRuntime, parseAppSettings, parseDatabaseSettings, Runtime } from './app.config';
import { loadConfig } from './config';
import { ConfigError } from './env';

const laptop: Runtime = { inContainer: false, canPrettyPrint: true };
const productionInstall: Runtime = { inContainer: false, canPrettyPrint: false };

describe('parseAppSettings', () => {
  it('has runnable development defaults on an empty environment', () => {
    expect(parseAppSettings({}, laptop)).toEqual({
      nodeEnv: 'development',
      isProduction: false,
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      frontendUrl: 'http://localhost:5173',
      corsOrigins: ['http://localhost:5173'],
      bodyLimitBytes: 100 * 1024,
      trustedProxies: [],
      logLevel: 'info',
      logPretty: true,
      docsEnabled: true,
    });
  });

  it('derives environment-dependent defaults', () => {
    const prod = parseAppSettings({ NODE_ENV: 'production' });
    expect(prod).toMatchObject({
      isProduction: true,
      corsOrigins: [],
      logPretty: false,
      logLevel: 'info',
      // The API map is not published in production unless asked for.
      docsEnabled: false,
    });
    expect(parseAppSettings({ NODE_ENV: 'production', DOCS_ENABLED: 'true' }).docsEnabled).toBe(
      true,
    );
    const test = parseAppSettings({ NODE_ENV: 'test' });
    expect(test).toMatchObject({ isProduction: false, logLevel: 'silent', logPretty: false });
  });

  it('reads every variable', () => {
    const s = parseAppSettings({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '8080',
      PUBLIC_URL: 'https://api.example.test/',
      FRONTEND_URL: 'https://app.example.test/',
      CORS_ORIGINS: 'https://app.example.test, https://admin.example.test',
      BODY_LIMIT: '1mb',
      TRUSTED_PROXIES: 'loopback,10.0.0.0/8',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'true',
      DOCS_ENABLED: 'false',
    });
    expect(s).toEqual({
      nodeEnv: 'production',
      isProduction: true,
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'https://api.example.test',
      frontendUrl: 'https://app.example.test',
      corsOrigins: ['https://app.example.test', 'https://admin.example.test'],
      bodyLimitBytes: 1024 * 1024,
      trustedProxies: ['loopback', '10.0.0.0/8'],
      logLevel: 'warn',
      logPretty: true,
      docsEnabled: false,
    });
  });

  it('listens on loopback only outside production and containers', () => {
    expect(parseAppSettings({}, laptop).host).toBe('127.0.0.1');
    expect(parseAppSettings({ NODE_ENV: 'test' }, laptop).host).toBe('127.0.0.1');
    expect(parseAppSettings({ NODE_ENV: 'production' }, laptop).host).toBe('0.0.0.0');
    expect(parseAppSettings({}, { ...laptop, inContainer: true }).host).toBe('0.0.0.0');
    expect(parseAppSettings({ HOST: '192.0.2.1' }, laptop).host).toBe('192.0.2.1');
  });

  it('refuses LOG_PRETTY=true where pino-pretty is not installed, and defaults to JSON there', () => {
    expect(() =>
      parseAppSettings({ NODE_ENV: 'production', LOG_PRETTY: 'true' }, productionInstall),
    ).toThrow(
      'Invalid configuration: LOG_PRETTY is true but pino-pretty is not installed (production installs omit dev dependencies): unset it or set LOG_PRETTY=false',
    );
    expect(parseAppSettings({}, productionInstall).logPretty).toBe(false);
    expect(parseAppSettings({ LOG_PRETTY: 'false' }, productionInstall).logPretty).toBe(false);
    expect(parseAppSettings({}, laptop).logPretty).toBe(true);
  });

  it('detects the machine it runs on', () => {
    // This test process has pino-pretty (dev dependencies are installed wherever tests run).
    expect(detectRuntime({}).canPrettyPrint).toBe(true);
    expect(detectRuntime({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }).inContainer).toBe(true);
    expect(detectRuntime({ container: 'podman' }).inContainer).toBe(true);
  });

  it('defaults PUBLIC_URL from PORT', () => {
    expect(parseAppSettings({ PORT: '4000' }).publicUrl).toBe('http://localhost:4000');
  });

  it.each([
    ['NODE_ENV', 'staging'],
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PUBLIC_URL', 'not a url'],
    ['PUBLIC_URL', 'ftp://files.example.test'],
    ['FRONTEND_URL', '::'],
    ['BODY_LIMIT', '10 gigabytes'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_PRETTY', 'sometimes'],
    ['DOCS_ENABLED', '2'],
  ])('rejects %s=%p with an error naming it', (name, value) => {
    expect(() => parseAppSettings({ [name]: value })).toThrow(ConfigError);
    expect(() => parseAppSettings({ [name]: value })).toThrow(`Invalid configuration: ${name} `);
  });
});

describe('parseDatabaseSettings', () => {
  it('defaults to the embedded database, which always migrates at start', () => {
    expect(parseDatabaseSettings({})).toEqual({
      url: undefined,
      pgliteDir: './.data/pglite',
      poolSize: 10,
      statementTimeoutMs: 30_000,
      migrationsRun: true,
    });
  });

  it('with DATABASE_URL does not migrate unless asked', () => {
    const url = 'postgres://app:pw@db.example.test:5432/dashtam';
    expect(parseDatabaseSettings({ DATABASE_URL: url })).toMatchObject({
      url,
      migrationsRun: false,
    });
    expect(
      parseDatabaseSettings({ DATABASE_URL: url, DATABASE_MIGRATIONS_RUN: 'true' }).migrationsRun,
    ).toBe(true);
  });

  it('reads pool size, statement timeout and data directory', () => {
    expect(
      parseDatabaseSettings({
        PGLITE_DIR: '/var/lib/dashtam',
        DATABASE_POOL_SIZE: '25',
        DATABASE_STATEMENT_TIMEOUT_MS: '0',
      }),
    ).toMatchObject({ pgliteDir: '/var/lib/dashtam', poolSize: 25, statementTimeoutMs: 0 });
  });

  it.each([
    ['DATABASE_URL', 'notaurl'],
    ['DATABASE_URL', 'mysql://u@h/db'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_POOL_SIZE', 'many'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '-1'],
    ['DATABASE_MIGRATIONS_RUN', 'perhaps'],
  ])('rejects %s=%p with an error naming it', (name, value) => {
    expect(() => parseDatabaseSettings({ [name]: value })).toThrow(
      `Invalid configuration: ${name} `,
    );
  });

  it('never echoes a DATABASE_URL (it may carry a password)', () => {
    expect(() => parseDatabaseSettings({ DATABASE_URL: 'mysql://u:s3cr3t-pw@h/db' })).toThrow(
      /^(?!.*s3cr3t-pw).*DATABASE_URL/,
    );
  });
});

describe('loadConfig', () => {
  it('builds every namespace from an empty environment (a fresh clone runs)', () => {
    const config = loadConfig({});
    expect(config.app.nodeEnv).toBe('development');
    expect(config.database.url).toBeUndefined();
    // Feature namespaces exist; their own specs cover their contents.
    for (const value of Object.values(config)) expect(value).toBeDefined();
  });

  it('refuses to start in production on placeholder secrets, naming a variable', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^Invalid configuration: [A-Z][A-Z0-9_]+ /);
    expect((error as ConfigError).message).not.toMatch(/\n/);
  });

  it('reads process.env by default', () => {
    // The default argument is the only process.env read in the application.
    expect(loadConfig().app).toEqual(loadConfig(process.env).app);
  });
});
