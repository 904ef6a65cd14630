import type { INestApplicationContext, ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, TestingModule, TestingModuleBuilder } from '@nestjs/testing';
import { Logger as PinoLogger } from 'nestjs-pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { APP_OPTIONS, configureApp } from '../../src/app.setup';
import { ClockModule } from '../../src/common/clock';
import { LoggingModule } from '../../src/common/logging/logging.module';
import { APP_CONFIG, ConfigModule, loadConfig } from '../../src/config';
import {
  DATA_SOURCE_FACTORY,
  DataSourceFactory,
  DatabaseModule,
} from '../../src/database/database.module';
import { probeRoutePrefixes, withContractChecks } from '../support/contract';
import { HarnessError } from './errors';
import { IsolatedConnection, IsolatedConnectionOptions } from './isolated-connection';
import { driveFromJest } from './jest-bridge';
import type { HarnessBridge } from './environment';
import { testServer, workerDatabase } from './test-env';

/** A DI override: the provider token and what replaces it. */
export type Override =
  | { provide: unknown; useValue: unknown }
  | { provide: unknown; useClass: Type<unknown> }
  | { provide: unknown; useFactory: (...args: never[]) => unknown; inject?: unknown[] };

export interface TestOptions {
  /** Providers to replace (clock, mailer, brokerage HTTP client...), applied with overrideProvider(). */
  overrides?: Override[];
  /** Configuration variables for this file, merged over the test environment. */
  env?: Record<string, string | undefined>;
  /** How long an app transaction may wait for the single test connection (default 5000 ms). */
  waitTimeoutMs?: number;
  /** Last-chance access to the builder, e.g. for overrideGuard / overrideModule. */
  customize?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

export interface TestAppOptions extends TestOptions {
  /** Extra modules compiled next to AppModule (e.g. a probe controller of a spec). */
  imports?: ModuleMetadata['imports'];
}

export interface TestModuleOptions extends TestOptions {
  imports?: ModuleMetadata['imports'];
  providers?: Provider[];
}

export interface TestContext {
  readonly moduleRef: TestingModule;
  readonly dataSource: DataSource;
  get<T>(token: unknown): T;
}

export interface TestAppContext extends TestContext {
  readonly app: NestExpressApplication;
  /** A supertest agent on the app's HTTP server (no port is opened). */
  http(): ReturnType<typeof request>;
}

/** Builds a testing module whose database seam and configuration are replaced; shared by every mode. */
export function buildTestingModule(
  metadata: ModuleMetadata,
  factory: DataSourceFactory,
  options: TestOptions,
): Promise<TestingModule> {
  let builder = Test.createTestingModule(metadata)
    .overrideProvider(DATA_SOURCE_FACTORY)
    .useValue(factory)
    .overrideProvider(APP_CONFIG)
    .useValue(loadConfig({ ...process.env, ...options.env }));
  for (const o of options.overrides ?? []) {
    const b = builder.overrideProvider(o.provide);
    if ('useValue' in o) builder = b.useValue(o.useValue);
    else if ('useClass' in o) builder = b.useClass(o.useClass);
    else
      builder = b.useFactory({
        factory: o.useFactory as (...args: unknown[]) => unknown,
        inject: o.inject as never[],
      });
  }
  if (options.customize) builder = options.customize(builder);
  return builder.compile();
}

export async function startApp(moduleRef: TestingModule): Promise<NestExpressApplication> {
  const app = moduleRef.createNestApplication<NestExpressApplication>(APP_OPTIONS);
  configureApp(app);
  await app.init();
  return app;
}

/** Opens the isolated connection for this file: the worker's database, or a PGlite database of its own. */
export async function openIsolated(
  options: number | Omit<IsolatedConnectionOptions, 'server'> = {},
): Promise<{ conn: IsolatedConnection; stop: () => Promise<void> }> {
  const opts = typeof options === 'number' ? { waitTimeoutMs: options } : options;
  if (testServer() === 'postgres') {
    const conn = await IsolatedConnection.open(await workerDatabase(), {
      ...opts,
      server: 'postgres',
    });
    return { conn, stop: () => conn.close() };
  }
  const pglite = (globalThis as { __harness?: HarnessBridge }).__harness?.pglite;
  if (!pglite) {
    throw new HarnessError(
      'the PGlite fallback needs the harness test environment (testEnvironment: test/harness/environment.ts)',
    );
  }
  const lease = await pglite();
  let conn: IsolatedConnection;
  try {
    conn = await IsolatedConnection.open(lease.url, { ...opts, server: 'pglite' });
  } catch (err) {
    await lease.release().catch(() => undefined);
    throw err;
  }
  return {
    conn,
    stop: async () => {
      try {
        await conn.close();
      } finally {
        await lease.release();
      }
    },
  };
}

function lazy<T extends object>(what: string, read: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_, prop) {
      const target = read();
      if (!target)
        throw new HarnessError(`${what} is used outside a test (it is ready from beforeAll on)`);
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Opens the file's isolated connection and module in beforeAll; from then on the harness environment's
 * events drive the savepoints (see jest-bridge.ts), and everything is closed when the describe block that
 * called useTestApp/useTestModule finishes, after all of its afterAll hooks.
 */
function useIsolated<C>(
  options: TestOptions,
  start: (factory: DataSourceFactory) => Promise<{ ctx: C; close: () => Promise<void> }>,
): { current: () => C | undefined } {
  let ctx: C | undefined;
  beforeAll(async () => {
    const opened = await openIsolated(options.waitTimeoutMs);
    let close: (() => Promise<void>) | undefined;
    try {
      const factory: DataSourceFactory = {
        create: async () => opened.conn.dataSource,
        destroy: async () => undefined,
      };
      driveFromJest(opened.conn, async () => {
        try {
          await close?.();
        } finally {
          ctx = undefined;
          await opened.stop();
        }
      });
      const started = await start(factory);
      ctx = started.ctx;
      close = started.close;
    } catch (err) {
      await opened.stop().catch(() => undefined);
      throw err;
    }
  });
  return { current: () => ctx };
}

function useLogger(context: INestApplicationContext): void {
  context.useLogger(context.get(PinoLogger));
}

/**
 * The real AppModule, database swapped, configureApp applied; drive it with `t.http()`.
 *
 *   const t = useTestApp({ overrides: [{ provide: MAILER, useValue: mailer }] });
 *   it('answers', () => t.http().get('/health/ready').expect(200));
 */
export function useTestApp(options: TestAppOptions = {}): TestAppContext {
  const holder = useIsolated(options, async (factory) => {
    const moduleRef = await buildTestingModule(
      { imports: [AppModule, ...(options.imports ?? [])] },
      factory,
      options,
    );
    const app = await startApp(moduleRef);
    const dataSource = moduleRef.get(DataSource);
    const ctx: TestAppContext = {
      moduleRef,
      app,
      dataSource,
      get: <T>(token: unknown) => moduleRef.get<T>(token as never, { strict: false }),
      // Every response is checked against openapi.json (test/support/contract.ts).
      http: () =>
        withContractChecks(request(app.getHttpServer()), probeRoutePrefixes(options.imports)),
    };
    return { ctx, close: () => app.close() };
  });
  return lazy('useTestApp()', holder.current);
}

/**
 * A slice of the application for integration specs: the given modules plus config, clock, logging and
 * the isolated database.
 *
 *   const m = useTestModule({ imports: [EncryptionModule] });
 *   it('stores', async () => { await m.get(EncryptionService).storeSecret(...) });
 */
export function useTestModule(options: TestModuleOptions = {}): TestContext {
  const holder = useIsolated(options, async (factory) => {
    const moduleRef = await buildTestingModule(
      {
        imports: [
          ConfigModule,
          ClockModule,
          DatabaseModule,
          LoggingModule,
          ...(options.imports ?? []),
        ],
        providers: options.providers ?? [],
      },
      factory,
      options,
    );
    useLogger(moduleRef);
    await moduleRef.init();
    const ctx: TestContext = {
      moduleRef,
      dataSource: moduleRef.get(DataSource),
      get: <T>(token: unknown) => moduleRef.get<T>(token as never, { strict: false }),
    };
    return { ctx, close: () => moduleRef.close() };
  });
  return lazy('useTestModule()', holder.current);
}
