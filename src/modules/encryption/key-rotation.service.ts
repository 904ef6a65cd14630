import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { Transactions } from '../../database/transactions';
import { EncryptionService, KeyCount } from './encryption.service';
import { FernetError } from './fernet';
import { KeyRing } from './key-ring';
import type { Ciphertext } from './secret.entity';
import { SecretRepository, SecretSwap } from './secret.repository';

export interface RotationOptions {
  /** Rows per transaction (default 500). */
  batchSize?: number;
  /** Count what would be rotated; write nothing. */
  dryRun?: boolean;
  /** Called after every batch. */
  onProgress?: (progress: RotationProgress) => void;
}

export interface RotationProgress {
  /** Secrets not under the primary key when the run started. */
  total: number;
  rotated: number;
  /** Rows changed by a concurrent writer between our read and our write (their write kept; nothing to do). */
  conflicts: number;
  /** Rows no configured key opens (ids in the report; they stay as they are). */
  failed: number;
}

export interface RotationReport extends RotationProgress {
  dryRun: boolean;
  primaryKeyId: string;
  /** Secrets still not under the primary key at the end (failed rows, or rows locked by others throughout). */
  remaining: number;
  failedIds: string[];
  passes: number;
  before: KeyCount[];
  after: KeyCount[];
}

/**
 * Re-encrypts stored secrets under the primary key, with MultiFernet.rotate semantics (plaintext and
 * timestamp kept, fresh IV), so the sealed row binding is unchanged.
 *
 * - Batched: each batch is its own short transaction, so the API keeps running.
 * - Resumable: it always re-selects rows whose key_id is not the primary's, so a killed run simply
 *   continues where the committed batches stopped; a killed batch rolls back whole.
 * - No lost update: a batch locks its rows (FOR UPDATE SKIP LOCKED) and swaps each ciphertext only if it
 *   is still the one it re-encrypted. A token refresh that wants a locked row waits for the batch and then
 *   writes its new value on top; a row being refreshed right now is skipped and picked up by a later pass
 *   (usually unnecessary: the refresh wrote it under the primary key).
 */
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
      // A pass walks the whole table once; another pass only if rows were skipped (locked) and the last
      // pass still made progress, so a row locked forever cannot make this loop forever.
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
