import { Type } from '@nestjs/common';
import {
  CliCommand,
  CliCommandHandler,
  CliContext,
  progressBar,
} from '../../common/cli/cli-command';
import { DatabaseModule } from '../../database/database.module';
import { EncryptionModule } from './encryption.module';
import { EncryptionService, KeyCount } from './encryption.service';
import { generateKey } from './fernet';
import { keyIdOf } from './key-ring';
import { KeyRotationService, RotationProgress } from './key-rotation.service';

function keyTable(counts: KeyCount[]): string[] {
  const lines = [`${'key id'.padEnd(12)} ${'role'.padEnd(10)} ${'secrets'.padStart(9)}`];
  for (const k of counts) {
    const role = k.primary ? 'primary' : k.known ? 'old' : 'UNKNOWN';
    lines.push(`${k.keyId.padEnd(12)} ${role.padEnd(10)} ${String(k.count).padStart(9)}`);
  }
  return lines;
}

@CliCommandHandler({
  name: 'encryption:generate-key',
  summary: 'Print a new random Fernet key (put it first in ENCRYPTION_KEYS, then rotate)',
})
export class GenerateKeyCommand implements CliCommand {
  async run({ io }: CliContext): Promise<number> {
    const key = generateKey();
    io.out(key);
    io.err(
      `key id ${keyIdOf(key)}: prepend it to ENCRYPTION_KEYS, deploy, then run encryption:rotate`,
    );
    return 0;
  }
}

@CliCommandHandler({
  name: 'encryption:status',
  summary: 'Count stored secrets per key id',
  imports: [DatabaseModule, EncryptionModule],
})
export class EncryptionStatusCommand implements CliCommand {
  constructor(private readonly encryption: EncryptionService) {}

  async run({ io }: CliContext): Promise<number> {
    const counts = await this.encryption.countByKey();
    for (const line of keyTable(counts)) io.out(line);
    const stale = counts.filter((k) => !k.primary && k.count > 0);
    if (stale.length)
      io.out(
        `${stale.reduce((n, k) => n + k.count, 0)} secret(s) not under the primary key: run encryption:rotate`,
      );
    return counts.some((k) => !k.known) ? 1 : 0;
  }
}

@CliCommandHandler({
  name: 'encryption:rotate',
  summary: 'Re-encrypt every stored secret still under a non-primary key',
  usage: '[--dry-run] [--batch-size N]',
  options: { 'dry-run': { type: 'boolean' }, 'batch-size': { type: 'string' } },
  imports: [DatabaseModule, EncryptionModule],
})
export class EncryptionRotateCommand implements CliCommand {
  constructor(private readonly rotation: KeyRotationService) {}

  async run({ values, io }: CliContext): Promise<number> {
    const rawSize = values['batch-size'];
    const batchSize = rawSize === undefined ? 500 : Number(rawSize);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
      io.err('--batch-size must be an integer between 1 and 100000');
      return 2;
    }
    const dryRun = values['dry-run'] === true;
    let lastStep = -1;
    const onProgress = (p: RotationProgress) => {
      const line = `${progressBar(p.rotated, p.total)}  conflicts ${p.conflicts}  failed ${p.failed}`;
      if (io.isTTY) return io.rewrite(line);
      // Plain lines for logs and pipes: one per 5 % step, not one per batch.
      const step = p.total > 0 ? Math.floor((p.rotated / p.total) * 20) : 20;
      if (step !== lastStep)
        io.out(
          `rotate: ${p.rotated}/${p.total} rotated, ${p.conflicts} conflicts, ${p.failed} failed`,
        );
      lastStep = step;
    };
    const report = await this.rotation.rotate({ batchSize, dryRun, onProgress });
    if (io.isTTY && !dryRun && report.total > 0)
      io.rewrite(`${progressBar(report.rotated, report.total)}\n`);
    if (dryRun) {
      io.out(
        `dry run: ${report.total} secret(s) would be re-encrypted under ${report.primaryKeyId}; nothing written`,
      );
    } else {
      io.out(
        `rotated ${report.rotated} secret(s) to ${report.primaryKeyId} in ${report.passes} pass(es); ${report.conflicts} conflict(s), ${report.failed} failed`,
      );
    }
    for (const line of keyTable(report.after)) io.out(line);
    if (report.failedIds.length)
      io.err(
        `unreadable secret ids (no configured key opens them): ${report.failedIds.join(', ')}`,
      );
    if (!dryRun && report.remaining > 0) {
      io.err(
        `${report.remaining} secret(s) remain under other keys: keep those keys configured and investigate`,
      );
      return 1;
    }
    return 0;
  }
}

export const ENCRYPTION_COMMANDS: Array<Type<CliCommand>> = [
  GenerateKeyCommand,
  EncryptionRotateCommand,
  EncryptionStatusCommand,
];
