/**
 * Encryption module benchmark (docs/encryption.md has the latest figures).
 *
 *   node -r ./scripts/register-ts.cjs bench/encryption.ts [--codec-only] [--secrets N]
 *
 * 1. Codec: encrypt+decrypt round trips per second for 256 B, 1 KiB and 4 KiB payloads, our Fernet codec
 *    side by side (interleaved rounds, median) with a minimal raw node:crypto AES-128-CBC + HMAC-SHA256 loop
 *    doing the same work (random IV, encrypt, MAC, base64url encode; decode, verify in constant time,
 *    decrypt). Goal: ratio >= 0.8.
 * 2. Rotation on a real PostgreSQL (ADMIN_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres):
 *    a scratch database is created with the encryption migration, N secrets (default 10 000) are stored
 *    under an old key, then rotated with several batch sizes (secrets/s).
 * 3. Kill and resume: `npm run cli -- encryption:rotate` runs as a child process and is SIGKILLed once it
 *    reports >= 50 %; a second run finishes; every secret is then checked to decrypt to its original value.
 * The scratch database is dropped at the end.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Encryption1764100000000 } from '../migrations/1764100000000-Encryption';
import { FakeClock } from '../src/common/clock';
import { AfterCommitDispatcher, Transactions } from '../src/database/transactions';
import { EncryptionService } from '../src/modules/encryption/encryption.service';
import { Fernet, generateKey } from '../src/modules/encryption/fernet';
import { KeyRing, keyIdOf } from '../src/modules/encryption/key-ring';
import { KeyRotationService } from '../src/modules/encryption/key-rotation.service';
import { SecretEntity } from '../src/modules/encryption/secret.entity';
import { SecretRepository } from '../src/modules/encryption/secret.repository';

const args = process.argv.slice(2);
const codecOnly = args.includes('--codec-only');
const secretCount = Number(args[args.indexOf('--secrets') + 1] ?? 0) || 10_000;
const adminUrl = process.env.ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROOT = join(__dirname, '..');

// ---------------------------------------------------------------- 1. codec

/**
 * The baseline: the same construction with nothing but node:crypto. Keys as KeyObjects made once (the fast
 * path); the same loop with Buffer keys is shown too, because OpenSSL 3 then imports the key on every call.
 */
function rawRoundTrip(
  signing: KeyObject | Buffer,
  encryption: KeyObject | Buffer,
  payload: Buffer,
): Buffer {
  const iv = randomBytes(16);
  const header = Buffer.allocUnsafe(25);
  header[0] = 0x80;
  header.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)), 1);
  iv.copy(header, 9);
  const cipher = createCipheriv('aes-128-cbc', encryption, iv);
  const body = Buffer.concat([header, cipher.update(payload), cipher.final()]);
  const token = Buffer.concat([body, createHmac('sha256', signing).update(body).digest()]).toString(
    'base64url',
  );

  const bytes = Buffer.from(token, 'base64url');
  const macAt = bytes.length - 32;
  const mac = createHmac('sha256', signing).update(bytes.subarray(0, macAt)).digest();
  if (!timingSafeEqual(mac, bytes.subarray(macAt))) throw new Error('bad mac');
  const decipher = createDecipheriv('aes-128-cbc', encryption, bytes.subarray(9, 25));
  return Buffer.concat([decipher.update(bytes.subarray(25, macAt)), decipher.final()]);
}

function opsPerSecond(fn: () => void, ms: number): number {
  let n = 0;
  const end = performance.now() + ms;
  let now = performance.now();
  while (now < end) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    now = performance.now();
  }
  return n / ((now - (end - ms)) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function benchCodec(): void {
  const key = generateKey();
  const bytes = Buffer.from(key, 'base64url');
  const signing = createSecretKey(bytes.subarray(0, 16));
  const encryptionKey = createSecretKey(bytes.subarray(16));
  const fernet = new Fernet(key);
  console.log(
    `\nCodec: encrypt+decrypt round trips/s (Node ${process.version}, 7 interleaved rounds of 400 ms, median)\n`,
  );
  console.log(
    '| payload | Fernet codec (ops/s) | raw node:crypto (ops/s) | ratio | Fernet MB/s | raw, Buffer keys (ops/s) |',
  );
  console.log(
    '|--------:|---------------------:|------------------------:|------:|------------:|-------------------------:|',
  );
  for (const size of [256, 1024, 4096]) {
    const payload = randomBytes(size);
    const ours = () => {
      if (fernet.decrypt(fernet.encrypt(payload)).length !== size) throw new Error('round trip');
    };
    const raw = () => {
      if (rawRoundTrip(signing, encryptionKey, payload).length !== size)
        throw new Error('round trip');
    };
    const rawBufferKeys = () => {
      if (rawRoundTrip(bytes.subarray(0, 16), bytes.subarray(16), payload).length !== size)
        throw new Error('round trip');
    };
    opsPerSecond(ours, 300); // warm-up
    opsPerSecond(raw, 300);
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    for (let round = 0; round < 7; round++) {
      a.push(opsPerSecond(ours, 400));
      b.push(opsPerSecond(raw, 400));
      if (round < 3) c.push(opsPerSecond(rawBufferKeys, 200));
    }
    const [x, y, z] = [median(a), median(b), median(c)];
    const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    console.log(
      `| ${label.padStart(7)} | ${Math.round(x).toLocaleString('en').padStart(20)} | ${Math.round(y).toLocaleString('en').padStart(23)} | ${(x / y).toFixed(2).padStart(5)} | ${((x * size) / 1e6).toFixed(1).padStart(11)} | ${Math.round(z).toLocaleString('en').padStart(24)} |`,
    );
  }
}

// ---------------------------------------------------------------- 2 + 3. rotation on PostgreSQL

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const clock = new FakeClock('2026-03-01T12:00:00Z');
const ownerIdOf = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const valueOf = (i: number) => `refresh-token-${i}-${'x'.repeat(200)}`; // ~ a brokerage refresh token

function wire(ds: DataSource, keys: string[]) {
  const ring = new KeyRing(keys);
  const repo = new SecretRepository(ds);
  const transactions = new Transactions(ds, new AfterCommitDispatcher());
  const encryption = new EncryptionService(ring, repo, clock);
  return {
    encryption,
    transactions,
    rotation: new KeyRotationService(ring, repo, encryption, transactions, clock),
  };
}

async function counts(ds: DataSource): Promise<Record<string, number>> {
  const rows: Array<{ key_id: string; n: number }> = await ds.query(
    `SELECT key_id, count(*)::int AS n FROM secrets GROUP BY key_id ORDER BY key_id`,
  );
  return Object.fromEntries(rows.map((r) => [r.key_id, r.n]));
}

/** Every secret decrypts (binding checked) to its original value, under `primary`. */
async function verifyAll(ds: DataSource, keys: string[], primary: string): Promise<void> {
  const { encryption, transactions } = wire(ds, keys);
  await transactions.run(async (tx) => {
    for (let i = 0; i < secretCount; i++) {
      const got = await encryption.readSecret(tx.manager, {
        ownerType: 'bench',
        ownerId: ownerIdOf(i),
        field: 'refresh_token',
      });
      if (got !== valueOf(i)) throw new Error(`secret ${i} lost or changed`);
    }
  });
  const c = await counts(ds);
  if (c[keyIdOf(primary)] !== secretCount || Object.keys(c).length !== 1)
    throw new Error(`not all under the primary: ${JSON.stringify(c)}`);
}

function runCli(
  dbUrl: string,
  keys: string[],
  argv: string[],
  killAtPercent?: number,
): Promise<{ code: number | null; signal: string | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    // The same command line as `npm run cli` (package.json), without npm in between so SIGKILL hits the CLI itself.
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'scripts/register-ts.cjs'), join(ROOT, 'src/cli.ts'), ...argv],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_ENV: 'development',
          DATABASE_URL: dbUrl,
          ENCRYPTION_KEYS: keys.join(','),
          DATABASE_MIGRATIONS_RUN: 'false',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    let buffer = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        const m = /^rotate: (\d+)\/(\d+)/.exec(line);
        if (
          killAtPercent !== undefined &&
          m &&
          !killed &&
          Number(m[1]) * 100 >= killAtPercent * Number(m[2])
        ) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => lines.push(`[stderr] ${chunk.toString().trim()}`));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, lines }));
  });
}

async function benchRotation(): Promise<void> {
  const db = `dashtam_bench_enc_${process.pid}`;
  const url = withDb(adminUrl, db);
  await admin(`DROP DATABASE IF EXISTS ${db}`);
  await admin(`CREATE DATABASE ${db}`);
  const ds = new DataSource({
    type: 'postgres',
    url,
    entities: [SecretEntity],
    migrations: [Encryption1764100000000],
    poolSize: 4,
    logging: false,
  });
  try {
    await ds.initialize();
    await ds.runMigrations();
    const [A, B] = [generateKey(), generateKey()];

    let t0 = performance.now();
    const seed = wire(ds, [A]);
    for (let start = 0; start < secretCount; start += 1000) {
      await seed.transactions.run(async (tx) => {
        for (let i = start; i < Math.min(secretCount, start + 1000); i++) {
          await seed.encryption.storeSecret(
            tx.manager,
            { ownerType: 'bench', ownerId: ownerIdOf(i), field: 'refresh_token' },
            valueOf(i),
          );
        }
      });
    }
    console.log(
      `\nRotation on PostgreSQL (${secretCount.toLocaleString('en')} secrets of ~${valueOf(0).length} B, stored in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
    console.log('| batch size | seconds | secrets/s | rotated | conflicts |');
    console.log('|-----------:|--------:|----------:|--------:|----------:|');
    // Alternate the primary so every run has the full table to rotate.
    let ring = [B, A];
    for (const batchSize of [100, 500, 2000]) {
      t0 = performance.now();
      const report = await wire(ds, ring).rotation.rotate({ batchSize });
      const s = (performance.now() - t0) / 1000;
      if (report.rotated !== secretCount || report.remaining !== 0)
        throw new Error(`rotation incomplete: ${JSON.stringify(report)}`);
      console.log(
        `| ${String(batchSize).padStart(10)} | ${s.toFixed(2).padStart(7)} | ${Math.round(
          secretCount / s,
        )
          .toLocaleString('en')
          .padStart(
            9,
          )} | ${String(report.rotated).padStart(7)} | ${String(report.conflicts).padStart(9)} |`,
      );
      ring = [ring[1], ring[0]];
    }
    await verifyAll(ds, ring.slice().reverse(), ring[1]);

    // Kill halfway, then resume, through the real CLI.
    const target = ring; // primary ring[0]: everything is currently under ring[1]
    console.log(
      `\nKill and resume: npm run cli -- encryption:rotate --batch-size 200 (SIGKILL at >= 50 %)`,
    );
    const first = await runCli(url, target, ['encryption:rotate', '--batch-size', '200'], 50);
    const afterKill = await counts(ds);
    const newCount = afterKill[keyIdOf(target[0])] ?? 0;
    console.log(
      `  first run: ${first.signal ?? `exit ${first.code}`} after "${first.lines.filter((l) => l.startsWith('rotate:')).at(-1)}"`,
    );
    console.log(
      `  after kill: ${newCount} under the new key, ${afterKill[keyIdOf(target[1])] ?? 0} under the old one (total ${Object.values(afterKill).reduce((a, b) => a + b, 0)})`,
    );
    if (first.signal !== 'SIGKILL' || newCount === 0 || newCount === secretCount)
      throw new Error(`the first run was not killed halfway: ${first.lines.join('\n')}`);
    t0 = performance.now();
    const second = await runCli(url, target, ['encryption:rotate', '--batch-size', '200']);
    if (second.code !== 0) throw new Error(`resume failed: ${second.lines.join('\n')}`);
    console.log(
      `  resumed run: exit 0 in ${((performance.now() - t0) / 1000).toFixed(1)} s (process start included); its summary:`,
    );
    for (const line of second.lines.filter((l) => !l.startsWith('rotate:')))
      console.log(`    ${line}`);
    await verifyAll(ds, target, target[0]);
    const status = await runCli(url, target, ['encryption:status']);
    console.log(`  encryption:status (exit ${status.code}):`);
    for (const line of status.lines) console.log(`    ${line}`);
    console.log(
      `  verified: all ${secretCount.toLocaleString('en')} secrets decrypt to their original values, bound to their rows, under ${keyIdOf(target[0])}`,
    );
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await admin(`DROP DATABASE IF EXISTS ${db}`);
  }
}

async function main(): Promise<void> {
  benchCodec();
  if (!codecOnly) await benchRotation();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
