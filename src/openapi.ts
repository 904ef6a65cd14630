import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { APP_OPTIONS, buildOpenApiDocument, configureApp } from './app.setup';
import { ConfigError } from './config';
import { buildDataSourceOptions } from './database/data-source.options';
import { DATA_SOURCE_FACTORY, DataSourceFactory } from './database/database.module';
import { EmbeddedPostgres } from './database/embedded-postgres';

// Repositories may read entity metadata while constructed, which an uninitialised DataSource cannot
// answer: hence an in-memory PGlite, never migrated or queried.
class InMemoryDataSourceFactory implements DataSourceFactory {
  private embedded?: EmbeddedPostgres;

  async create(): Promise<DataSource> {
    this.embedded = await EmbeddedPostgres.start();
    return new DataSource(buildDataSourceOptions(this.embedded.url, { poolSize: 1 })).initialize();
  }

  async destroy(dataSource: DataSource): Promise<void> {
    if (dataSource.isInitialized) await dataSource.destroy();
    await this.embedded?.stop();
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

async function main(): Promise<void> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(DATA_SOURCE_FACTORY)
    .useValue(new InMemoryDataSourceFactory())
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>(APP_OPTIONS);
  try {
    configureApp(app);
    const document = buildOpenApiDocument(app);
    const file = join(__dirname, '..', 'openapi.json');
    writeFileSync(file, `${JSON.stringify(sortKeys(document), null, 2)}\n`);
    process.stdout.write(`Wrote openapi.json (${Object.keys(document.paths).length} paths)\n`);
  } finally {
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `${err instanceof ConfigError ? err.message : `openapi failed: ${String(err)}`}\n`,
    );
    process.exit(1);
  },
);
