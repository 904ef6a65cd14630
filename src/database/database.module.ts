import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config';
import { InjectConfig } from '../config';
import { buildDataSourceOptions } from './data-source.options';
import { EmbeddedPostgres } from './embedded-postgres';
import { registerEntities } from './entity-registry';
import { AfterCommitDispatcher, Transactions } from './transactions';

// Tests replace the factory with `overrideProvider(DATA_SOURCE_FACTORY)` (see test/harness).
export interface DataSourceFactory {
  create(): Promise<DataSource>;
  destroy(dataSource: DataSource): Promise<void>;
}

export const DATA_SOURCE_FACTORY = Symbol('DATA_SOURCE_FACTORY');

@Injectable()
export class DefaultDataSourceFactory implements DataSourceFactory {
  private readonly logger = new Logger('Database');
  private embedded?: EmbeddedPostgres;

  constructor(@InjectConfig() private readonly config: AppConfig) {}

  async create(): Promise<DataSource> {
    const db = this.config.database;
    let url = db.url;
    if (!url) {
      this.embedded = await EmbeddedPostgres.start(db.pgliteDir);
      url = this.embedded.url;
      this.logger.log(
        `DATABASE_URL not set: using embedded PostgreSQL (PGlite) in ${db.pgliteDir}`,
      );
    }
    const dataSource = new DataSource(
      buildDataSourceOptions(url, {
        // PGlite executes one statement at a time; a small pool avoids queueing inside the socket server.
        poolSize: this.embedded ? 4 : db.poolSize,
        statementTimeoutMs: db.statementTimeoutMs,
      }),
    );
    await dataSource.initialize();
    if (db.migrationsRun || this.embedded) {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      if (applied.length) this.logger.log(`Applied ${applied.length} migration(s)`);
    }
    return dataSource;
  }

  async destroy(dataSource: DataSource): Promise<void> {
    if (dataSource.isInitialized) await dataSource.destroy();
    await this.embedded?.stop();
    this.embedded = undefined;
  }
}

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(DATA_SOURCE_FACTORY) private readonly factory: DataSourceFactory,
    private readonly dataSource: DataSource,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.factory.destroy(this.dataSource);
  }
}

@Global()
@Module({
  providers: [
    { provide: DATA_SOURCE_FACTORY, useClass: DefaultDataSourceFactory },
    {
      provide: DataSource,
      inject: [DATA_SOURCE_FACTORY],
      useFactory: (factory: DataSourceFactory) => factory.create(),
    },
    AfterCommitDispatcher,
    DatabaseLifecycle,
    Transactions,
  ],
  exports: [DataSource, Transactions],
})
export class DatabaseModule {
  static forFeature(entities: Function[]): DynamicModule {
    registerEntities(entities);
    return { module: DatabaseFeatureModule };
  }
}

@Module({})
class DatabaseFeatureModule {}
