import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PGlite (PostgreSQL compiled to WASM) served on a loopback port through pglite-socket, so the ordinary
 * `pg` driver (and therefore TypeORM's postgres driver, migrations and all) talks to it unchanged.
 * `dataDir` undefined keeps the database in memory (tests).
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
  ) {}

  /** `from` restores a data-dir tarball made by `dump()` (the test harness's template for PGlite). */
  static async start(dataDir?: string, from?: Blob): Promise<EmbeddedPostgres> {
    let dir: string | undefined;
    if (dataDir) {
      dir = resolve(dataDir);
      mkdirSync(dir, { recursive: true });
    }
    const db = await PGlite.create({ ...(dir ? { dataDir: dir } : {}), ...(from ? { loadDataDir: from } : {}) });
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
    await server.start();
    const address = server.getServerConn();
    const port = Number(address.split(':').pop());
    return new EmbeddedPostgres(db, server, `postgres://postgres@127.0.0.1:${port}/postgres`);
  }

  dump(): Promise<Blob> {
    return this.db.dumpDataDir('none');
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
