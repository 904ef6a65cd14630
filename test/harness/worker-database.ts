import { createDatabase, dropDatabase, withAdmin } from './db-admin';
import { ENV, workerDatabaseName } from './test-env';

let cloned: Promise<void> | undefined;

/** This worker's database, cloned from the template when its first file starts; global teardown drops it. */
export function ensureWorkerDatabase(): Promise<void> {
  cloned ??= withAdmin(process.env[ENV.adminUrl]!, async (client) => {
    const name = workerDatabaseName(process.env[ENV.runId]!, process.env.JEST_WORKER_ID ?? '1');
    await dropDatabase(client, name);
    await createDatabase(client, name, process.env[ENV.template]);
  });
  return cloned;
}
