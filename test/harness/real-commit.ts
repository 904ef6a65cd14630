import type { NestExpressApplication } from '@nestjs/platform-express';
import type { TestingModule } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import type { DataSourceFactory } from '../../src/database/database.module';
import { buildDataSourceOptions } from '../../src/database/data-source.options';
import {
  createDatabase,
  databaseFingerprint,
  dropDatabase,
  resetToTemplate,
  withAdmin,
} from './db-admin';
import { withContractChecks } from '../support/contract';
import { HarnessError } from './errors';
import { buildTestingModule, startApp, TestOptions } from './test-app';
import { ENV, testServer, withDatabase } from './test-env';

export interface RealCommitApp {
  app: NestExpressApplication;
  moduleRef: TestingModule;
  get<T>(token: unknown): T;
  http(): ReturnType<typeof request>;
}

export interface RealCommitDatabase {
  /** URL of this describe block's own database (equal to a fresh clone of the template), from beforeAll on. */
  readonly url: string;
  /** A real DataSource with a real pool: transactions commit. */
  readonly dataSource: DataSource;
  /** Another independent pool on the same database (a second "instance"). */
  newDataSource(poolSize?: number): Promise<DataSource>;
  /** A full app on this database with its own pool, as a separate instance would have; closed in afterAll. */
  createApp(options?: TestOptions): Promise<RealCommitApp>;
}

const SKIP_REASON =
  'real-commit mode needs a PostgreSQL server (PGlite serves a single session, so true concurrency cannot happen)';

/**
 * The worker's real-commit databases, kept from block to block (on the realm, which the worker's files share):
 * a block takes a free one back to the template's state, checked against the fingerprint of a fresh clone, and
 * clones only when there is none or the check fails. A clone creates ~300 files: ~0.35 s of the server's CPU,
 * mostly the file system's; ten blocks a run needed ten clones, now three. The run's teardown drops them.
 */
interface RealCommitPool {
  free: string[];
  seq: number;
  fingerprint?: string;
}
const pool = (): RealCommitPool =>
  ((globalThis as { __realCommitPool?: RealCommitPool }).__realCommitPool ??= {
    free: [],
    seq: 0,
  });

async function takeDatabase(adminUrl: string): Promise<string> {
  const p = pool();
  const reused = p.free.pop();
  if (reused && (await resetToTemplate(withDatabase(adminUrl, reused), p.fingerprint!)))
    return reused;
  const name =
    reused ??
    `dashtam_rc_${process.env[ENV.runId]}_${process.env.JEST_WORKER_ID ?? '1'}_${++p.seq}`;
  await withAdmin(adminUrl, async (client) => {
    await dropDatabase(client, name);
    await createDatabase(client, name, process.env[ENV.template]);
  });
  return name;
}

/**
 * Real commits for the few specs that need true concurrency (SKIP LOCKED, advisory locks, unique races,
 * SERIALIZABLE). Opt in per describe block; the block gets a database equal to a fresh clone of the template.
 * On the PGlite fallback the block reports itself skipped with the reason.
 */
export function describeRealCommit(name: string, body: (db: RealCommitDatabase) => void): void {
  if (testServer() !== 'postgres') {
    // Skipped deliberately, with the reason in the test name and output (see SKIP_REASON).
    describe.skip(`${name} [skipped: ${SKIP_REASON}]`, () => body(unavailable()));
    return;
  }
  describe(name, () => body(useRealCommitDatabase()));
}

/** The hooks behind describeRealCommit, for a block that is already inside a describe. */
export function useRealCommitDatabase(): RealCommitDatabase {
  if (testServer() !== 'postgres') throw new HarnessError(SKIP_REASON);
  const adminUrl = process.env[ENV.adminUrl]!;
  let url = '';
  let name = '';
  const pools: DataSource[] = [];
  const apps: NestExpressApplication[] = [];
  let main: DataSource | undefined;

  const newDataSource = async (poolSize = 10) => {
    const ds = new DataSource(
      buildDataSourceOptions(url, { poolSize, applicationName: 'dashtam-test-rc' }),
    );
    await ds.initialize();
    pools.push(ds);
    return ds;
  };

  beforeAll(async () => {
    name = await takeDatabase(adminUrl);
    url = withDatabase(adminUrl, name);
    main = await newDataSource();
    // Taken from the worker's first fresh clone.
    pool().fingerprint ??= await databaseFingerprint((sql) => main!.query(sql));
  });

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const ds of pools.splice(0)) if (ds.isInitialized) await ds.destroy();
    if (name) pool().free.push(name);
  });

  return {
    get url() {
      if (!url) throw new HarnessError('the real-commit database is ready from beforeAll on');
      return url;
    },
    get dataSource() {
      if (!main) throw new HarnessError('the real-commit database is ready from beforeAll on');
      return main;
    },
    newDataSource,
    async createApp(options: TestOptions = {}) {
      const factory: DataSourceFactory = {
        create: () => newDataSource(),
        destroy: async () => undefined, // closed in afterAll with the other pools
      };
      const moduleRef = await buildTestingModule({ imports: [AppModule] }, factory, options);
      const app = await startApp(moduleRef);
      apps.push(app);
      return {
        app,
        moduleRef,
        get: <T>(token: unknown) => moduleRef.get<T>(token as never, { strict: false }),
        http: () => withContractChecks(request(app.getHttpServer())),
      };
    },
  };
}

function unavailable(): RealCommitDatabase {
  const fail = () => {
    throw new HarnessError(SKIP_REASON);
  };
  return {
    get url(): string {
      return fail();
    },
    get dataSource(): DataSource {
      return fail();
    },
    newDataSource: fail,
    createApp: fail,
  };
}
