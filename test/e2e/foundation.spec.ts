import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { IsEmail, IsInt, IsString, Max, Min } from 'class-validator';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { Public } from '../../src/common/decorators/public.decorator';
import { buildDataSourceOptions } from '../../src/database/data-source.options';
import { buildTestingModule, describeRealCommit, startApp, useTestApp } from '../harness';
import { Outage } from '../support/outage';

class EchoDto {
  @IsEmail() email!: string;
  @IsInt() @Min(1) @Max(10) count!: number;
  @IsString() note!: string;
}

/** A probe controller: the foundation has no body-taking route of its own to exercise the pipeline with. */
@Public()
@Controller('probe')
class ProbeController {
  @Post('echo')
  echo(@Body() body: EchoDto): EchoDto {
    return body;
  }

  @Get('boom')
  boom(): never {
    throw new Error('internal detail: password=hunter2 at db.internal:5432');
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('foundation over HTTP', () => {
  const t = useTestApp({ imports: [ProbeModule] });
  const valid = { email: 'a@example.com', count: 2, note: 'hi' };

  it('GET /health is alive and /health/ready reaches the database', async () => {
    await t.http().get('/health').expect(200, { status: 'ok' });
    await t.http().get('/health/ready').expect(200, { status: 'ok', database: 'up' });
  });

  it('serves the API under /api/v1 and echoes a request id', async () => {
    const res = await t
      .http()
      .post('/api/v1/probe/echo')
      .set('X-Request-Id', 'trace-123')
      .send(valid)
      .expect(201);
    expect(res.body).toEqual(valid);
    expect(res.headers['x-request-id']).toBe('trace-123');
  });

  it('an unknown route is a 404 problem+json', async () => {
    const res = await t.http().get('/api/v1/nope').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 404,
      title: 'Not Found',
      code: 'not_found',
      instance: '/api/v1/nope',
    });
    expect(res.body.requestId).toEqual(res.headers['x-request-id']);
    expect(res.body.type).toMatch(/^https:\/\//);
  });

  it('malformed JSON is a 400', async () => {
    const res = await t
      .http()
      .post('/api/v1/probe/echo')
      .set('Content-Type', 'application/json')
      .send('{"email": ')
      .expect(400);
    expect(res.body).toMatchObject({ code: 'malformed_json', status: 400 });
  });

  it('an oversized body is a 413', async () => {
    const res = await t
      .http()
      .post('/api/v1/probe/echo')
      .send({ ...valid, note: 'x'.repeat(101 * 1024) })
      .expect(413);
    expect(res.body).toMatchObject({ code: 'payload_too_large', status: 413 });
  });

  it('unknown fields are a 400 naming them; invalid fields carry field errors', async () => {
    const res = await t
      .http()
      .post('/api/v1/probe/echo')
      .send({ ...valid, isAdmin: true, count: 99 })
      .expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.detail).toContain('isAdmin');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'isAdmin', messages: ['property isAdmin should not exist'] },
        { field: 'count', messages: ['count must not be greater than 10'] },
      ]),
    );
  });

  it('an unexpected error is a 500 that says nothing internal', async () => {
    const res = await t.http().get('/api/v1/probe/boom').expect(500);
    expect(res.body).toMatchObject({
      status: 500,
      code: 'internal_error',
      detail: 'An unexpected error occurred.',
    });
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|db\.internal/);
  });

  it('sends security headers and no x-powered-by', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('documents itself: Swagger UI at /docs and the document at /docs/openapi.json', async () => {
    await t.http().get('/docs').expect(200).expect('Content-Type', /html/);
    const doc = await t.http().get('/docs/openapi.json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/health', '/health/ready', '/api/v1/probe/echo']),
    );
  });
});

describeRealCommit('readiness follows the database', (db) => {
  it('answers 503 problem+json while the database is unreachable and 200 once it is back, without a restart', async () => {
    const target = new URL(db.url);
    const outage = new Outage({ host: target.hostname, port: Number(target.port || 5432) });
    await outage.up();
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(outage.port);
    let dataSource: DataSource | undefined;
    const moduleRef = await buildTestingModule(
      { imports: [AppModule] },
      {
        create: async () => {
          dataSource = new DataSource({
            ...buildDataSourceOptions(viaProxy.toString(), { poolSize: 2 }),
            extra: { connectionTimeoutMillis: 1000 },
          });
          return dataSource.initialize();
        },
        destroy: async (ds) => void (ds.isInitialized && (await ds.destroy())),
      },
      {},
    );
    const app = await startApp(moduleRef);
    try {
      const http = () => request(app.getHttpServer());
      await http().get('/health/ready').expect(200);
      await outage.down();
      const res = await http().get('/health/ready').expect(503);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body).toMatchObject({ status: 503, code: 'database_unavailable' });
      await http().get('/health').expect(200);
      await outage.up();
      await http().get('/health/ready').expect(200);
    } finally {
      await app.close();
      await outage.down();
    }
  });
});
