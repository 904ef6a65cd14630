import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { Transactions } from '../../database/transactions';
import { EncryptionService, KeyCount } from './encryption.service';
import { FernetError } from './fernet';
import { KeyRing } from './key-ring';
import type { Ciphertext } from './secret.entity';
import { SecretRepository, SecretSwap } from './secret.repository';

export interface RotationOptions {
  batchSize?: number;
  dryRun?: boolean;
  onProgress?: (progress: RotationProgress) => void;
}

export interface RotationProgress {
  total: number;
  rotated: number;
  conflicts: number;
  failed: number;
}

export interface RotationReport extends RotationProgress {
  dryRun: boolean;
  primaryKeyId: string;
  remaining: number;
  failedIds: string[];
  passes: number;
  before: KeyCount[];
  after: KeyCount[];
}

// Short batches (the API keeps running), resumable (re-selects rows not under the primary key), no
// lost update (SKIP LOCKED, swapped only if unchanged): docs/encryption.md § Rotation procedure.
@Injectable()
export class KeyRotationService {
  constructor(
    private readonly ring: KeyRing,
    private readonly secrets: SecretRepository,
    private readonly encryption: EncryptionService,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  async rotate(opts: RotationOptions = {}): Promise<RotationReport> {
    const batchSize = opts.batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError('batchSize must be a positive integer');
    const primary = this.ring.primary.id;
    const before = await this.encryption.countByKey();
    const progress: RotationProgress = {
      total: before.filter((k) => !k.primary).reduce((n, k) => n + k.count, 0),
      rotated: 0,
      conflicts: 0,
      failed: 0,
    };
    const failed = new Set<string>();
    let passes = 0;

    if (!opts.dryRun) {
      // Another pass only while one makes progress, so a row locked forever cannot loop forever.
      for (;;) {
        passes++;
        const swappedThisPass = await this.pass(
          primary,
          batchSize,
          progress,
          failed,
          opts.onProgress,
        );
        const remaining = await this.secrets.countNotUnder(primary);
        if (remaining - failed.size <= 0 || swappedThisPass === 0) break;
      }
    }

    const after = opts.dryRun ? before : await this.encryption.countByKey();
    return {
      ...progress,
      dryRun: !!opts.dryRun,
      primaryKeyId: primary,
      remaining: after.filter((k) => !k.primary).reduce((n, k) => n + k.count, 0),
      failedIds: [...failed],
      passes,
      before,
      after,
    };
  }

  private async pass(
    primary: string,
    batchSize: number,
    progress: RotationProgress,
    failed: Set<string>,
    onProgress?: (p: RotationProgress) => void,
  ): Promise<number> {
    let cursor: string | null = null;
    let swappedThisPass = 0;
    for (;;) {
      const batch: { last: string; swapped: number; conflicts: number } | null =
        await this.transactions.run(async (tx) => {
          const rows = await this.secrets.lockBatchNotUnder(tx.manager, primary, cursor, batchSize);
          if (rows.length === 0) return null;
          const swaps: SecretSwap[] = [];
          for (const row of rows) {
            if (failed.has(row.id)) continue;
            try {
              swaps.push({
                id: row.id,
                expected: row.ciphertext,
                next: this.ring.multi.rotate(row.ciphertext) as Ciphertext,
              });
            } catch (err) {
              if (!(err instanceof FernetError)) throw err;
              failed.add(row.id);
              progress.failed++;
            }
          }
          const swapped = await this.secrets.swapCiphertexts(
            tx.manager,
            primary,
            swaps,
            this.clock.now(),
          );
          return { last: rows[rows.length - 1].id, swapped, conflicts: swaps.length - swapped };
        });
      if (!batch) return swappedThisPass;
      cursor = batch.last;
      swappedThisPass += batch.swapped;
      progress.rotated += batch.swapped;
      progress.conflicts += batch.conflicts;
      onProgress?.({ ...progress });
    }
  }
}
